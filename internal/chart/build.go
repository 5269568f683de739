package chart

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
)

// This file builds each chart kind. What go-echarts v2.6.7 cannot say is
// patched into the option tree afterwards:
//   - markLine data is built here as plain maps: go-echarts' typed option
//     structs use omitempty floats (opts.Piece, visualMap min/max), which
//     drop a threshold of 0;
//   - visualMap min/max (float32 omitempty), gauge min/max (int),
//     gradients, bar corner radii and series dimensions have no typed
//     field or the wrong type;
//   - HeatMap.SetXAxis is a no-op, so heatmap axes come from
//     WithXAxisOpts/WithYAxisOpts;
//   - series data with gaps is a plain []any holding nil (JSON null):
//     opts.LineData{Value: nil} would serialise as {}.

func (b *build) errf(format string, args ...any) error {
	return apperr.Invalid("panel %q: "+format, append([]any{panelName(b.p)}, args...)...)
}

func funcStr(placeholder string) types.FuncStr { return types.FuncStr(placeholder) }

// valueAxis is a numeric y axis showing unit.
func (b *build) valueAxis(unit, position string, split bool, color string) opts.YAxis {
	if color == "" {
		color = colorMuted
	}
	ax := opts.YAxis{
		Type:      "value",
		Position:  position,
		AxisLabel: &opts.AxisLabel{Formatter: funcStr(b.formatter(unit, true)), Color: color},
		AxisLine:  &opts.AxisLine{Show: opts.Bool(false)},
		SplitLine: &opts.SplitLine{Show: opts.Bool(split), LineStyle: &opts.LineStyle{Color: colorSplit}},
	}
	if unit == unitCount {
		ax.MinInterval = 1
	}
	return ax
}

// scoreCap bounds a score axis by its scale: a 1–5 CSAT axis ends at 5,
// not at ECharts' next round number (5.1), and a 0–10 one at 10. Other
// units, and scores beyond 10 (NPS), are left to ECharts (nil).
func scoreCap(ss []series, axis int, unit string) any {
	if unit != unitScore {
		return nil
	}
	hi, seen := math.Inf(-1), false
	for _, s := range ss {
		if s.axis != axis {
			continue
		}
		for _, v := range s.values {
			if x, ok := v.(float64); ok {
				if x < 0 {
					return nil
				}
				hi, seen = math.Max(hi, x), true
			}
		}
	}
	switch {
	case !seen:
		return nil
	case hi <= 5:
		return 5
	case hi <= 10:
		return 10
	}
	return nil
}

func categoryAxis(cats []string) opts.XAxis {
	label := &opts.AxisLabel{Color: colorMuted, HideOverlap: opts.Bool(true)}
	// A few named categories (ticket categories, carriers) are all worth
	// reading: show every one, tilted when they are long. Dates thin out.
	if len(cats) > 0 && len(cats) <= 12 && !looksLikeDate(cats[0]) {
		label.Interval = "0"
		longest := 0
		for _, c := range cats {
			longest = max(longest, len(c))
		}
		if longest*len(cats) > 60 {
			label.Rotate = 25
		}
	}
	return opts.XAxis{
		Type:      "category",
		Data:      cats,
		AxisLabel: label,
		AxisLine:  &opts.AxisLine{LineStyle: &opts.LineStyle{Color: colorLine}},
		AxisTick:  &opts.AxisTick{AlignWithLabel: opts.Bool(true), LineStyle: &opts.LineStyle{Color: colorLine}},
	}
}

// markLine draws the panel's markers as labelled horizontal lines. The
// data items are maps, so a marker at y = 0 keeps its "yAxis": 0.
func (b *build) markLine(unit string) *opts.MarkLines {
	var data []interface{}
	for _, m := range b.p.Markers {
		if math.IsNaN(m.Y) || math.IsInf(m.Y, 0) {
			continue
		}
		name := m.Label
		if name == "" {
			name = FormatValue(m.Y, unit, "")
		}
		data = append(data, map[string]any{"name": name, "yAxis": m.Y})
	}
	if len(data) == 0 {
		return nil
	}
	return &opts.MarkLines{
		Data: data,
		MarkLineStyle: opts.MarkLineStyle{
			Symbol:    []string{"none", "none"},
			Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop", Color: colorMuted},
			LineStyle: &opts.LineStyle{Type: "dashed", Color: "#8a94a3", Width: 1},
		},
	}
}

// markDays marks the chosen days inside a trend window: a vertical line at
// a single day (a category's centre is where its point and bar are), a
// shaded band across several.
func (b *build) markDays(x *charts.SingleSeries) {
	from, to := b.o.Mark[0], b.o.Mark[1]
	if from != to {
		x.MarkAreas = &opts.MarkAreas{
			Data: []any{[]any{map[string]any{"xAxis": from}, map[string]any{"xAxis": to}}},
			MarkAreaStyle: opts.MarkAreaStyle{ItemStyle: &opts.ItemStyle{Color: "rgba(37, 99, 235, 0.10)"},
				Label: &opts.Label{Show: opts.Bool(false)}},
		}
		return
	}
	line := map[string]any{"xAxis": to, "name": b.o.MarkLabel,
		"lineStyle": map[string]any{"type": "solid", "color": "#2563eb", "width": 1},
		"label":     map[string]any{"formatter": "{b}", "position": "end", "color": "#2563eb"}}
	if x.MarkLines == nil {
		x.MarkLines = &opts.MarkLines{MarkLineStyle: opts.MarkLineStyle{Symbol: []string{"none", "none"}}}
	}
	x.MarkLines.Data = append(x.MarkLines.Data, line)
}

// markerBounds widens the left axis to show markers outside the data: a
// target above every value would otherwise fall off the chart. It returns
// nil bounds when the markers already fit. withZero says the axis always
// includes 0 (bars, areas); a scaled axis (lines) fits the data only.
func (b *build) markerBounds(ss []series, stacked, withZero bool) (lower, upper any) {
	if len(b.p.Markers) == 0 {
		return nil, nil
	}
	lo, hi, ok := extent(ss, 0, stacked)
	if !ok {
		lo, hi, withZero = 0, 0, true
	}
	if withZero {
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	}
	mlo, mhi := math.Inf(1), math.Inf(-1)
	for _, m := range b.p.Markers {
		if !math.IsNaN(m.Y) && !math.IsInf(m.Y, 0) {
			mlo, mhi = math.Min(mlo, m.Y), math.Max(mhi, m.Y)
		}
	}
	if math.IsInf(mlo, 1) || (mlo >= lo && mhi <= hi) {
		return nil, nil
	}
	l, h := math.Min(lo, mlo), math.Max(hi, mhi)
	step := niceStep((h - l) / 5)
	if mhi > hi {
		top := clean(math.Ceil(h/step*(1-1e-9)) * step)
		if top == h { // room for the marker's label
			top = clean(h + step)
		}
		upper = top
	}
	if mlo < lo {
		lower = clean(math.Floor(l/step*(1-1e-9)) * step)
	}
	return lower, upper
}

// cartesian draws line, area, bar and stacked_bar panels.
func (b *build) cartesian() (template.HTML, error) {
	p, f := b.p, b.f
	kind := p.Chart
	if kind == "" {
		kind = catalog.ChartLine
	}
	cols := valueColumns(p)
	if p.X == "" || len(cols) == 0 {
		return "", b.errf("chart %s needs x and y columns", kind)
	}
	if err := needColumns(p, f, append([]string{p.X, p.Series}, cols...)...); err != nil {
		return "", err
	}
	for _, c := range cols {
		if err := needNumeric(p, f, c); err != nil {
			return "", err
		}
	}
	xi := f.Index(p.X)
	lone := b.loneMonth(xi)
	sm := b.sampling()
	cats, ss := pivot(p, f, b.o.Unit, sm, lone)
	_, rowCat := categories(f, xi, lone)
	axis := newTimeAxis(f, xi, rowCat, len(cats), lone, b.o.RangeStart)
	// On a long series (28 days) a label over every thin point would bury
	// the chart: thin points are only faded there, and one note under the
	// chart says what fading means. Short ones (bars by lateness) keep
	// their labels.
	fadeThin := len(cats) > maxThinLabels
	thinNote := ""
	if fadeThin {
		thinNote = thinLegend(ss, sm, axis.grain, kind)
	}
	partial := axis.partial(b.o.RangeEnd)
	if partial != "" {
		last := len(cats) - 1
		for i := range ss {
			if ss[i].notes == nil {
				ss[i].notes = make([]string, len(cats))
			}
			if ss[i].notes[last] != "" {
				ss[i].notes[last] += "; "
			}
			ss[i].notes[last] += "partial: the " + partial + " is not over"
		}
	}
	isBar := kind == catalog.ChartBar || kind == catalog.ChartStackedBar
	stacked := kind == catalog.ChartStackedBar

	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.name
	}
	colors := seriesColors(names)
	leftUnit, _ := axisUnit(ss, 0)
	rightUnit, hasRight := axisUnit(ss, 1)
	marked := 0 // the series that carries the markers: the first on the left axis
	for i, s := range ss {
		if s.axis == 0 {
			marked = i
			break
		}
	}

	// With two axes, an axis that shows one series takes its colour, so
	// the reader can tell which axis belongs to which line.
	leftColor, rightColor := "", ""
	if hasRight {
		leftColor, rightColor = axisColor(ss, colors, 0), axisColor(ss, colors, 1)
	}
	// Lines fit their axis to the data (CSAT moves between 4.1 and 4.4,
	// not from 0); bars and areas measure from zero.
	scaled := kind == catalog.ChartLine
	left := b.valueAxis(leftUnit, "left", true, leftColor)
	left.Scale = opts.Bool(scaled)
	left.Min, left.Max = b.markerBounds(ss, stacked, !scaled)
	if left.Max == nil {
		left.Max = scoreCap(ss, 0, leftUnit)
	}
	pointer := "line"
	if isBar {
		pointer = "shadow"
	}
	legend := len(ss) > 1
	right := "16"
	if hasRight {
		right = "8"
	}
	// Categories keep ECharts' default boundary gap, lines included: with
	// points on the plot's edges the first and last date labels are cut off
	// (containLabel does not count them) or dropped by hideOverlap.
	xAxis := categoryAxis(cats)
	// Tilted category labels hang left of their tick; the first one would
	// be cut at the chart's edge.
	gridLeft := "8"
	if xAxis.AxisLabel.Rotate != 0 && len(cats) > 0 {
		// The first label hangs left by about its width × cos 25°.
		gridLeft = strconv.Itoa(min(140, 8+6*len([]rune(cats[0]))))
	}
	bottom := "8"
	if thinNote != "" {
		bottom = "28" // room for the note under the x labels
	}
	gl := append(b.globals(legend, colors),
		charts.WithTooltipOpts(opts.Tooltip{
			Show: opts.Bool(true), Trigger: "axis", AxisPointer: &opts.AxisPointer{Type: pointer},
			ValueFormatter: funcStr(b.formatter(leftUnit, false)),
		}),
		charts.WithGridOpts(opts.Grid{
			Left: gridLeft, Right: right, Top: strconv.Itoa(b.layout(legend).gridTop), Bottom: bottom,
			ContainLabel: opts.Bool(true),
		}),
		charts.WithXAxisOpts(xAxis),
		charts.WithYAxisOpts(left),
	)

	seriesOpts := func(i int, s series) charts.SeriesOpts {
		return charts.WithSeriesOpts(func(x *charts.SingleSeries) {
			x.Data = s.values
			x.YAxisIndex = s.axis
			x.SeriesTooltip = &opts.SeriesTooltip{ValueFormatter: funcStr(b.notedFormatter(s))}
			if stacked {
				x.Stack = "total"
			}
			if isBar {
				x.BarMaxWidth = "48"
			} else {
				x.Symbol = "circle"
				x.SymbolSize = 6
				x.ShowSymbol = opts.Bool(len(cats) <= 24)
				x.LineStyle = &opts.LineStyle{Width: 2}
			}
			if i == marked {
				unit := leftUnit
				if s.axis == 1 {
					unit = rightUnit
				}
				x.MarkLines = b.markLine(unit)
			}
			if i == 0 && b.o.Mark != nil {
				b.markDays(x)
			}
			if i == 0 && len(b.o.Events) > 0 {
				b.markEvents(x, cats, axis, isBar && s.axis == 0)
			}
		})
	}

	axisUnits := []string{leftUnit}
	if hasRight {
		axisUnits = append(axisUnits, rightUnit)
	}
	b.units(leftUnit, axisUnits, seriesUnits(ss))
	for _, s := range ss {
		if s.notes != nil {
			b.seriesNotes = make([][]string, len(ss))
			for i, s := range ss {
				b.seriesNotes[i] = s.notes
			}
			break
		}
	}

	var c option
	if isBar {
		bar := charts.NewBar()
		bar.SetGlobalOptions(gl...)
		bar.SetXAxis(cats)
		for i, s := range ss {
			bar.AddSeries(s.name, nil, seriesOpts(i, s))
		}
		if hasRight {
			// On a bar chart the right-hand series are drawn as lines
			// (orders as bars, on-time rate as a line), fitted to their data.
			ax := b.valueAxis(rightUnit, "right", false, rightColor)
			ax.Scale = opts.Bool(true)
			ax.Max = scoreCap(ss, 1, rightUnit)
			bar.ExtendYAxis(ax)
		}
		c = bar
	} else {
		line := charts.NewLine()
		line.SetGlobalOptions(gl...)
		line.SetXAxis(cats)
		for i, s := range ss {
			line.AddSeries(s.name, nil, seriesOpts(i, s))
		}
		if hasRight {
			ax := b.valueAxis(rightUnit, "right", false, rightColor)
			ax.Scale = opts.Bool(scaled)
			ax.Max = scoreCap(ss, 1, rightUnit)
			line.ExtendYAxis(ax)
		}
		c = line
	}

	return b.snippet(c, func(t tree) {
		if isBar && b.eventBands {
			if xs, ok := t["xAxis"].([]any); ok && len(xs) > 0 {
				if tick, ok := xs[0].(tree)["axisTick"].(tree); ok {
					// ECharts snaps a band over bars to the x ticks: one
					// tick between every two bars, or a band over many
					// days lands on the nearest labelled ones, and one
					// ending on the last bar is not drawn.
					tick["alignWithLabel"], tick["interval"] = false, 0
				}
			}
		}
		for i, v := range seriesList(t) {
			s := v.(tree)
			if ml, ok := s["markLine"].(tree); ok {
				ml["silent"] = true
			}
			switch {
			case kind == catalog.ChartArea:
				s["areaStyle"] = tree{"color": tree{
					"type": "linear", "x": 0, "y": 0, "x2": 0, "y2": 1,
					"colorStops": []any{
						tree{"offset": 0, "color": rgba(colors[i], 0.28)},
						tree{"offset": 1, "color": rgba(colors[i], 0.02)},
					},
				}}
			case isBar && ss[i].axis == 1:
				s["type"] = "line"
				s["symbol"], s["symbolSize"], s["smooth"] = "circle", 5, false
				s["lineStyle"] = tree{"width": 2.5}
				s["z"] = 3
				delete(s, "stack")
				delete(s, "barMaxWidth")
			case kind == catalog.ChartBar:
				s["itemStyle"] = tree{"borderRadius": []any{3, 3, 0, 0}}
			case stacked:
				s["emphasis"] = tree{"focus": "series"}
			}
			// Stretches of a line drawn faded, in x index units.
			var faded [][2]float64
			last := len(cats) - 1
			if partial != "" {
				if s["type"] == "bar" {
					if item := dataItem(s, last); item != nil {
						itemStyle(item)["opacity"] = 0.4
					}
				} else {
					faded = append(faded, [2]float64{math.Max(0, float64(last-1)), float64(last)})
				}
			}
			for k, label := range ss[i].thin {
				switch {
				case label == "":
				case !fadeThin:
					drawThin(s, k, label, colors[i])
				default:
					drawThin(s, k, "", colors[i])
					faded = append(faded, [2]float64{math.Max(0, float64(k)-0.5), math.Min(float64(last), float64(k)+0.5)})
				}
			}
			if len(faded) > 0 && s["type"] != "bar" {
				fadeLine(t, i, last, faded, colors[i])
			}
		}
		if thinNote != "" {
			g, _ := t["graphic"].([]any)
			t["graphic"] = append(g, tree{"type": "text", "left": 8, "bottom": 2, "silent": true,
				"style": tree{"text": thinNote, "fill": colorMuted, "fontSize": 11}})
		}
	})
}

// maxThinLabels is the most categories a chart labels its thin values on
// ("only 3 responses" over the point); beyond it they are only faded.
const maxThinLabels = 12

// thinLegend is the note under a long chart with thin values, saying what
// the faded ones rest on: "Faded: days resting on fewer than 30 csat
// responses". "" when no value is thin.
func thinLegend(ss []series, sm sampling, grain, kind string) string {
	var samples []string
	lines, bars := false, false
	for _, s := range ss {
		thin := false
		for _, label := range s.thin {
			thin = thin || label != ""
		}
		if !thin {
			continue
		}
		if sample := strings.ReplaceAll(sm.columns[s.column], "_", " "); !contains(samples, sample) {
			samples = append(samples, sample)
		}
		// On a bar chart the right-hand series are lines.
		if (kind == catalog.ChartBar || kind == catalog.ChartStackedBar) && s.axis == 0 {
			bars = true
		} else {
			lines = true
		}
	}
	if len(samples) == 0 {
		return ""
	}
	what := "Faded"
	switch {
	case bars && lines:
		what = "Faded or dashed"
	case bars:
		what = "Dashed bars"
	}
	points := map[string]string{"day": "days", "week": "weeks", "month": "months"}[grain]
	if points == "" {
		points = "points"
	}
	return what + ": " + points + " resting on fewer than " + FormatValue(sm.min, unitCount, "") + " " + strings.Join(samples, " or ")
}

// notedFormatter registers the tooltip formatter of a series: its unit's,
// followed by each point's note ("only 3 responses: too few to go by",
// "partial: the month is not over") when it has one. Data snippets carry
// the notes in data-formats for the page script instead.
func (b *build) notedFormatter(s series) string {
	if s.notes == nil {
		return b.formatter(s.unit, false)
	}
	notes, err := json.Marshal(s.notes) // escapes <, > and &
	if err != nil {
		return b.formatter(s.unit, false)
	}
	return b.fn(`function(v,i){var f=` + jsFormatter(s.unit, false) + `,n=` + string(notes) +
		`,t=f(v);return n[i]?t+" ("+n[i]+")":t;}`)
}

// fadeLine draws stretches of line i faded — the last bucket when it is
// not over, the days around a thin point — with a hidden piecewise visual
// map on the x dimension (the category index, 0 to last). spans are
// [from, to] stretches of that index.
func fadeLine(t tree, i, last int, spans [][2]float64, color string) {
	sort.Slice(spans, func(a, b int) bool { return spans[a][0] < spans[b][0] })
	var merged [][2]float64
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp[0] <= merged[n-1][1] {
			merged[n-1][1] = math.Max(merged[n-1][1], sp[1])
			continue
		}
		merged = append(merged, sp)
	}
	// Every piece bounded (ECharts fails on open-ended ones here), each
	// from just after where the last one ended: a point on a boundary
	// keeps the colour of the stretch before it.
	var pieces []any
	lower, pos := "gte", 0.0
	for _, sp := range merged {
		if sp[0] > pos {
			pieces = append(pieces, tree{lower: pos, "lte": sp[0], "color": color})
			lower, pos = "gt", sp[0]
		}
		pieces = append(pieces, tree{lower: pos, "lte": sp[1], "color": rgba(color, 0.35)})
		lower, pos = "gt", sp[1]
	}
	if pos < float64(last) {
		pieces = append(pieces, tree{lower: pos, "lte": last, "color": color})
	}
	vm, _ := t["visualMap"].([]any)
	t["visualMap"] = append(vm, tree{
		"type": "piecewise", "show": false, "dimension": 0, "seriesIndex": i, "pieces": pieces,
	})
}

// drawThin draws a value resting on too few answers as hollow — a bar as
// a dashed outline over a pale fill, a point as an empty circle — and
// labels it with what it rests on ("only 3 responses") unless label is "".
func drawThin(s tree, k int, label, color string) {
	item := dataItem(s, k)
	if item == nil {
		return
	}
	style := itemStyle(item)
	if s["type"] == "bar" {
		style["color"] = rgba(color, 0.12)
		style["borderColor"], style["borderType"], style["borderWidth"] = color, "dashed", 1.5
	} else {
		item["symbol"], item["symbolSize"] = "emptyCircle", 9
		style["borderType"] = "dashed"
	}
	if label == "" {
		return
	}
	item["label"] = tree{"show": true, "position": "top", "formatter": label, "color": colorMuted, "fontSize": 10}
}

// dataItem turns point k of a series into a data item ({"value": …}) that
// can carry its own style, and returns it; nil for a gap.
func dataItem(s tree, k int) tree {
	data, ok := s["data"].([]any)
	if !ok || k < 0 || k >= len(data) || data[k] == nil {
		return nil
	}
	if item, ok := data[k].(tree); ok {
		return item
	}
	item := tree{"value": data[k]}
	data[k] = item
	return item
}

// itemStyle returns a data item's itemStyle, adding it when missing.
func itemStyle(item tree) tree {
	style, ok := item["itemStyle"].(tree)
	if !ok {
		style = tree{}
		item["itemStyle"] = style
	}
	return style
}

// eventColor marks events apart from the data and the chosen days.
const eventColor = "#b45309"

// markEvents draws the events on a chart of dates: a band across the
// categories an event touches — the days it spans, or the weeks or months
// its days fall in — or a line on a single day, each labelled with its
// title. Spans reaching past the chart are cut at its edges; an event
// touching no category, or a chart whose x is not dates, draws nothing.
// bars says the series is drawn as bars: a band then covers whole bars,
// one bar included (cartesian puts an x tick between every two bars, not
// aligned with the labels: ECharts draws a band from tick to tick). Over a
// line a band runs from the first point to the last, so an event within
// one week or month is a line on its point instead.
func (b *build) markEvents(x *charts.SingleSeries, cats []string, axis timeAxis, bars bool) {
	if axis.grain == "" || len(axis.starts) != len(cats) {
		return
	}
	for _, e := range b.o.Events {
		from, errFrom := time.Parse("2006-01-02", e.From)
		to, errTo := time.Parse("2006-01-02", e.To)
		if errFrom != nil || errTo != nil || to.Before(from) {
			continue
		}
		first, last := -1, -1
		for i, start := range axis.starts {
			if !to.Before(start) && from.Before(axis.end(i)) {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first < 0 {
			continue
		}
		name := e.Title
		if len([]rune(name)) > 28 {
			name = string([]rune(name)[:27]) + "…"
		}
		if first == last && (axis.grain == "day" || !bars) {
			if x.MarkLines == nil {
				x.MarkLines = &opts.MarkLines{MarkLineStyle: opts.MarkLineStyle{Symbol: []string{"none", "none"}}}
			}
			x.MarkLines.Data = append(x.MarkLines.Data, map[string]any{"xAxis": cats[first], "name": name,
				"lineStyle": map[string]any{"type": "dotted", "color": eventColor, "width": 1.5},
				"label":     map[string]any{"show": true, "formatter": "{b}", "position": "insideEndBottom", "color": eventColor, "fontSize": 10}})
			continue
		}
		if x.MarkAreas == nil {
			x.MarkAreas = &opts.MarkAreas{}
		}
		b.eventBands = true
		x.MarkAreas.Data = append(x.MarkAreas.Data, []any{
			map[string]any{"xAxis": cats[first], "name": name, "itemStyle": map[string]any{"color": "rgba(180, 83, 9, 0.08)"},
				"label": map[string]any{"show": true, "position": "insideTopRight", "color": eventColor, "fontSize": 10}},
			map[string]any{"xAxis": cats[last]}})
	}
}

// timeAxis is what an x column of dates says about time: the grain of its
// buckets and the first day of each category.
type timeAxis struct {
	grain  string      // "day", "week" or "month"; "" when x is not dates
	starts []time.Time // per category, midnight UTC
}

// newTimeAxis reads the dates of x, one per category (rowCat and n as
// categories returns them). Dates all on the 1st are months, dates 7, 14,
// … days apart weeks, others days; a lone date is a day unless it is a
// month (loneMonth) or a Monday before the range's start, which only a
// query truncating the range to weeks returns.
func newTimeAxis(f *frame.Frame, xi int, rowCat []int, n int, loneMonth bool, rangeStart time.Time) timeAxis {
	if xi < 0 || n == 0 {
		return timeAxis{}
	}
	starts := make([]time.Time, n)
	for r, row := range f.Rows {
		t, ok := row[xi].(time.Time)
		if !ok || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 {
			return timeAxis{}
		}
		starts[rowCat[r]] = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	monthly, weekly := true, true
	for i, d := range starts {
		if d.Day() != 1 {
			monthly = false
		}
		if i > 0 {
			if gap := int(d.Sub(starts[i-1]).Hours()/24 + 0.5); gap%7 != 0 {
				weekly = false
			}
		}
	}
	a := timeAxis{grain: "day", starts: starts}
	switch {
	case n == 1 && loneMonth:
		a.grain = "month"
	case n == 1 && !rangeStart.IsZero() && starts[0].Before(rangeStart) && starts[0].Weekday() == time.Monday:
		a.grain = "week"
	case n == 1:
	case monthly:
		a.grain = "month"
	case weekly:
		a.grain = "week"
	}
	return a
}

// end is the day after category i's bucket.
func (a timeAxis) end(i int) time.Time {
	switch a.grain {
	case "month":
		return a.starts[i].AddDate(0, 1, 0)
	case "week":
		return a.starts[i].AddDate(0, 0, 7)
	}
	return a.starts[i].AddDate(0, 0, 1)
}

// partial says whether the last bucket of a weekly or monthly axis runs
// past end: "month" or "week", else "". Daily series end with the range
// and are never partial.
func (a timeAxis) partial(end time.Time) string {
	if end.IsZero() || (a.grain != "week" && a.grain != "month") {
		return ""
	}
	if a.end(len(a.starts) - 1).After(end) {
		return a.grain
	}
	return ""
}

// loneMonth reports whether an x column holding one date, the first of a
// month, holds a month: the query truncated the range's start to its
// month (the date lies before the range), or the column is named for
// months. A month chart of a short range is then "Nov 2026", as at 90
// days, and its unfinished month is drawn as partial.
func (b *build) loneMonth(xi int) bool {
	if xi < 0 {
		return false
	}
	var only time.Time
	for _, row := range b.f.Rows {
		t, ok := row[xi].(time.Time)
		if !ok || (!only.IsZero() && !t.Equal(only)) {
			return false
		}
		only = t
	}
	if only.IsZero() || only.Day() != 1 || only.Hour() != 0 || only.Minute() != 0 || only.Second() != 0 {
		return false
	}
	day := time.Date(only.Year(), only.Month(), 1, 0, 0, 0, 0, time.UTC)
	return (!b.o.RangeStart.IsZero() && day.Before(b.o.RangeStart)) || strings.Contains(strings.ToLower(b.p.X), "month")
}

// axisColor is the colour of the only series on an axis, or "" when the
// axis shows several.
func axisColor(ss []series, colors []string, axis int) string {
	color, n := "", 0
	for i, s := range ss {
		if s.axis == axis {
			color, n = colors[i], n+1
		}
	}
	if n == 1 {
		return color
	}
	return ""
}

func seriesUnits(ss []series) []string {
	units := make([]string, len(ss))
	for i, s := range ss {
		units[i] = s.unit
	}
	return units
}

func seriesList(t tree) []any {
	list, _ := t["series"].([]any)
	return list
}

// scatter draws one point per row: x against each y column, or against
// the one y column per distinct value of the series column.
func (b *build) scatter() (template.HTML, error) {
	p, f := b.p, b.f
	if p.X == "" || len(p.Y) == 0 {
		return "", b.errf("chart scatter needs x and y columns")
	}
	if err := needColumns(p, f, append([]string{p.X, p.Series}, p.Y...)...); err != nil {
		return "", err
	}
	for _, c := range p.Y {
		if err := needNumeric(p, f, c); err != nil {
			return "", err
		}
	}
	xi := f.Index(p.X)
	xNumeric := f.Columns[xi].Type.Numeric()
	var cats []string
	var rowCat []int
	xUnit := ""
	if xNumeric {
		xUnit = columnUnit(f, xi, b.o.Unit)
	} else {
		cats, rowCat = categories(f, xi, false)
	}

	var ss []series
	index := map[string]int{}
	var sl labeler
	if p.Series != "" {
		sl = newLabeler(f, f.Index(p.Series), false)
	}
	for r, row := range f.Rows {
		var x any
		if xNumeric {
			x = number(row[xi])
		} else {
			x = cats[rowCat[r]]
		}
		if x == nil {
			continue
		}
		for _, c := range p.Y {
			ci := f.Index(c)
			y := number(row[ci])
			if y == nil {
				continue
			}
			name := c
			if p.Series != "" {
				name = sl.label(row[f.Index(p.Series)])
				if len(p.Y) > 1 {
					name += " · " + c
				}
			}
			k, ok := index[name]
			if !ok {
				k = len(ss)
				index[name] = k
				ss = append(ss, series{name: name, column: c, unit: columnUnit(f, ci, b.o.Unit)})
			}
			ss[k].values = append(ss[k].values, []any{x, y})
		}
	}

	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.name
	}
	colors := seriesColors(names)
	yUnit := columnUnit(f, f.Index(p.Y[0]), b.o.Unit)
	legend := len(ss) > 1
	l := b.layout(legend)
	yName := ""
	if len(p.Y) == 1 {
		yName = ColumnLabel(f, p.Y[0])
	}

	xAxis := categoryAxis(cats)
	if xNumeric {
		xAxis = opts.XAxis{
			Type:      "value",
			Scale:     opts.Bool(true),
			AxisLabel: &opts.AxisLabel{Formatter: funcStr(b.formatter(xUnit, true)), Color: colorMuted, HideOverlap: opts.Bool(true)},
			AxisLine:  &opts.AxisLine{LineStyle: &opts.LineStyle{Color: colorLine}},
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: colorSplit}},
		}
	}
	xAxis.Name, xAxis.NameLocation, xAxis.NameGap = ColumnLabel(f, p.X), "middle", 26
	yAxis := b.valueAxis(yUnit, "left", true, "")
	yAxis.Scale = opts.Bool(true)
	yAxis.Name = yName
	yAxis.Min, yAxis.Max = b.markerBounds(ss, false, false)

	xFmt := `function(v){return v;}`
	if xNumeric {
		xFmt = jsFormatter(xUnit, false)
	}
	b.units(yUnit, []string{yUnit}, seriesUnits(ss))
	if xNumeric {
		b.xAxisUnits = []string{xUnit}
	}
	sc := charts.NewScatter()
	sc.SetGlobalOptions(append(b.globals(legend, colors),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithGridOpts(opts.Grid{
			Left: "8", Right: "24", Top: strconv.Itoa(l.gridTop + 18), Bottom: "28", ContainLabel: opts.Bool(true),
		}),
		charts.WithXAxisOpts(xAxis),
		charts.WithYAxisOpts(yAxis),
	)...)
	sc.SetXAxis(cats)
	for i, s := range ss {
		tip := b.fn(`function(p){var e=echarts.format.encodeHTML,fx=` + xFmt + `,fy=` + jsFormatter(s.unit, false) +
			`,v=p.value||[],d=p.dimensionNames||[];` +
			`return p.marker+e(String(p.seriesName))+"<br/>"+e(String(d[0]))+": "+e(String(fx(v[0])))+` +
			`"<br/>"+e(String(d[1]))+": "+e(String(fy(v[1])));}`)
		sc.AddSeries(s.name, nil, charts.WithSeriesOpts(func(x *charts.SingleSeries) {
			x.Data = s.values
			x.SymbolSize = 9
			x.SeriesTooltip = &opts.SeriesTooltip{Formatter: funcStr(tip)}
			if i == 0 {
				x.MarkLines = b.markLine(yUnit)
			}
		}))
	}
	return b.snippet(sc, func(t tree) {
		for i, v := range seriesList(t) {
			s := v.(tree)
			s["dimensions"] = []any{p.X, ss[i].column}
			s["itemStyle"] = tree{"opacity": 0.8}
			if ml, ok := s["markLine"].(tree); ok {
				ml["silent"] = true
			}
		}
		if ys, ok := t["yAxis"].([]any); ok && len(ys) > 0 {
			ys[0].(tree)["nameTextStyle"] = tree{"align": "left", "color": colorMuted}
		}
		if xs, ok := t["xAxis"].([]any); ok && len(xs) > 0 {
			xs[0].(tree)["nameTextStyle"] = tree{"color": colorMuted}
		}
	})
}

// heatmap draws a grid of x by y categories coloured by the value column:
// cohort retention with x = month_offset, y = cohort, value = retained_rate.
func (b *build) heatmap() (template.HTML, error) {
	p, f := b.p, b.f
	if p.X == "" || len(p.Y) == 0 || p.Value == "" {
		return "", b.errf("chart heatmap needs x, y and value columns")
	}
	if err := needColumns(p, f, p.X, p.Y[0], p.Value); err != nil {
		return "", err
	}
	if err := needNumeric(p, f, p.Value); err != nil {
		return "", err
	}
	xi, yi, vi := f.Index(p.X), f.Index(p.Y[0]), f.Index(p.Value)
	xcats, rowX := categories(f, xi, false)
	ycats, rowY := categories(f, yi, false)
	unit := columnUnit(f, vi, b.o.Unit)

	type cell struct{ x, y int }
	cells := map[cell]int{} // → index in data: a repeated cell keeps the later row
	var data []heatCell
	lo, hi := math.Inf(1), math.Inf(-1)
	open, anyOpen := openMonth(b.o.RangeEnd), false
	// Only a cohort heatmap has months to mark: one axis of months (every
	// date the 1st), the other of whole-number offsets. A day × hour grid
	// has dates and whole numbers too, but its days are no months.
	cohortY, cohortX := false, false
	if !open.IsZero() {
		cohortY = b.monthlyAxis(yi)
		cohortX = !cohortY && b.monthlyAxis(xi)
	}
	for r, row := range f.Rows {
		v, ok := number(row[vi]).(float64)
		if !ok {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		c := cell{rowX[r], rowY[r]}
		d := heatCell{
			Name:  fmt.Sprintf("%s %s · %s %s", ColumnLabel(f, p.Y[0]), ycats[c.y], ColumnLabel(f, p.X), xcats[c.x]),
			Value: []any{c.x, c.y, v},
			Label: map[string]any{"formatter": cellLabel(v, unit)},
		}
		var m time.Time
		switch {
		case cohortY:
			m, ok = cellMonth(row[yi], row[xi])
		case cohortX:
			m, ok = cellMonth(row[xi], row[yi])
		default:
			ok = false
		}
		if ok && m.Equal(open) {
			// The month is still filling in: its few days' retention would
			// read as a collapse.
			d.Name += " · month not over"
			d.ItemStyle = map[string]any{"opacity": 0.35, "borderColor": "#8a94a3", "borderType": "dashed", "borderWidth": 1}
			d.Label["color"] = colorMuted
			anyOpen = true
		}
		if k, seen := cells[c]; seen {
			data[k] = d
		} else {
			cells[c] = len(data)
			data = append(data, d)
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if unit == unitPercent && lo >= 0 {
		lo = 0
	}
	if hi <= lo {
		hi = lo + 1
	}

	l := b.layout(false)
	hm := charts.NewHeatMap()
	hm.SetGlobalOptions(append(b.globals(false, []string{"#2f6fde"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithGridOpts(opts.Grid{
			Left: "8", Right: "16", Top: strconv.Itoa(l.gridTop + 6), Bottom: "58", ContainLabel: opts.Bool(true),
		}),
		charts.WithXAxisOpts(opts.XAxis{
			Type: "category", Data: xcats, Name: ColumnLabel(f, p.X), NameLocation: "middle", NameGap: 24,
			AxisLabel: &opts.AxisLabel{Color: colorMuted},
			AxisLine:  &opts.AxisLine{Show: opts.Bool(false)},
			AxisTick:  &opts.AxisTick{Show: opts.Bool(false)},
			SplitArea: &opts.SplitArea{Show: opts.Bool(false)},
		}),
		charts.WithYAxisOpts(opts.YAxis{
			Type: "category", Data: ycats, Inverse: opts.Bool(true),
			AxisLabel: &opts.AxisLabel{Color: colorMuted},
			AxisLine:  &opts.AxisLine{Show: opts.Bool(false)},
		}),
	)...)
	showLabels := len(xcats)*len(ycats) <= 400
	b.units(unit, nil, []string{unit})
	hm.AddSeries(p.Value, nil, charts.WithSeriesOpts(func(x *charts.SingleSeries) {
		x.Data = data
		x.SeriesTooltip = &opts.SeriesTooltip{Formatter: funcStr(b.fn(
			`function(p){var e=echarts.format.encodeHTML,f=` + jsFormatter(unit, false) +
				`;return p.marker+e(String(p.name))+": <b>"+e(String(f(p.value[2])))+"</b>";}`))}
	}))
	return b.snippet(hm, func(t tree) {
		t["visualMap"] = []any{tree{
			"type": "continuous", "min": clean(lo), "max": clean(hi), "calculable": false,
			"orient": "horizontal", "left": "center", "bottom": 0, "itemWidth": 12, "itemHeight": 180,
			"inRange":   tree{"color": []any{"#f3f7fd", "#b9d0f5", "#6d9ded", "#3b74d9"}},
			"textStyle": tree{"color": colorMuted, "fontSize": 11},
			"text":      []any{cellLabel(hi, unit), cellLabel(lo, unit)},
			"formatter": b.formatter(unit, true),
		}}
		s := seriesList(t)[0].(tree)
		s["itemStyle"] = tree{"borderColor": "#ffffff", "borderWidth": 1}
		s["label"] = tree{"show": showLabels, "fontSize": 10, "color": colorInk}
		s["emphasis"] = tree{"itemStyle": tree{"borderColor": colorInk, "borderWidth": 1}}
		if anyOpen {
			// The note gets a line of its own under the colour scale's:
			// beside it, it ran into the scale on a narrow page or PDF.
			if grids, ok := t["grid"].([]any); ok && len(grids) > 0 {
				if g, ok := grids[0].(tree); ok {
					g["bottom"] = "78"
				}
			}
			t["visualMap"].([]any)[0].(tree)["bottom"] = 20
			t["graphic"] = []any{tree{"type": "text", "left": 8, "bottom": 2, "silent": true,
				"style": tree{"text": "Faded, dashed cells: " + open.Format("Jan 2006") + " is not over", "fill": colorMuted, "fontSize": 11}}}
		}
	})
}

// openMonth is the month (its first day) holding the last day of a range
// ending at end (exclusive) when the range stops before that month does;
// zero when the range ends with a month, or is not known.
func openMonth(end time.Time) time.Time {
	if end.IsZero() || end.Day() == 1 {
		return time.Time{}
	}
	return time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// monthlyAxis reports whether column i holds months: every value is the
// first day of a month (a date on the 1st, or text written 2006-01,
// 2006-01-01 or Jan 2006). A column holding a single date is a month only
// when that month starts before the range does or the column is named for
// months or cohorts: a day × hour grid of the 1st alone is one day.
func (b *build) monthlyAxis(i int) bool {
	var months []time.Time
	for _, row := range b.f.Rows {
		if row[i] == nil {
			continue
		}
		m, ok := monthStart(row[i])
		if !ok {
			return false
		}
		if len(months) < 2 && (len(months) == 0 || !m.Equal(months[0])) {
			months = append(months, m)
		}
	}
	switch len(months) {
	case 0:
		return false
	case 1:
		name := strings.ToLower(b.f.Columns[i].Name)
		return (!b.o.RangeStart.IsZero() && months[0].Before(b.o.RangeStart)) ||
			strings.Contains(name, "month") || strings.Contains(name, "cohort")
	}
	return true
}

// monthStart reads the first day of a month: a date on the 1st at
// midnight, or text written 2006-01, 2006-01-01 or Jan 2006. Other dates
// are not months.
func monthStart(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		if x.Day() != 1 || x.Hour() != 0 || x.Minute() != 0 || x.Second() != 0 {
			return time.Time{}, false
		}
		return time.Date(x.Year(), x.Month(), 1, 0, 0, 0, 0, time.UTC), true
	case string:
		for _, layout := range []string{"2006-01", "2006-01-02", "Jan 2006"} {
			if t, err := time.Parse(layout, strings.TrimSpace(x)); err == nil && t.Day() == 1 {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// cellMonth is the calendar month a cohort heatmap cell counts: its cohort
// month (as monthStart reads it) plus its offset in months.
func cellMonth(month, offset any) (time.Time, bool) {
	m, ok := monthStart(month)
	if !ok {
		return time.Time{}, false
	}
	n, ok := wholeNumber(offset)
	if !ok {
		return time.Time{}, false
	}
	return m.AddDate(0, n, 0), true
}

// wholeNumber reads a month offset.
func wholeNumber(v any) (int, bool) {
	x, ok := frame.Float(v)
	if !ok || x != math.Trunc(x) || math.Abs(x) > 1200 {
		return 0, false
	}
	return int(x), true
}

// heatCell is one heatmap data item. Its label is written here, so cells
// read "37%" whether or not a formatter function can be sent along.
type heatCell struct {
	Name      string         `json:"name"`
	Value     []any          `json:"value"`
	Label     map[string]any `json:"label"`
	ItemStyle map[string]any `json:"itemStyle,omitempty"`
}

// cellLabel is a heatmap cell's text: percent without decimals.
func cellLabel(v float64, unit string) string {
	if unit == unitPercent {
		return FormatValue(v, unit, "0%")
	}
	return FormatValue(v, unit, "")
}

// slice is one named value of a pie or funnel.
type slice struct {
	name  string
	value float64
}

// slicesOf sums the value column by name (rows with a NULL value are
// left out), keeping the order names first appear in.
func (b *build) slicesOf() ([]slice, string, error) {
	p, f := b.p, b.f
	if p.X == "" || len(p.Y) == 0 {
		return nil, "", b.errf("chart %s needs x (names) and y (values) columns", p.Chart)
	}
	if err := needColumns(p, f, p.X, p.Y[0]); err != nil {
		return nil, "", err
	}
	if err := needNumeric(p, f, p.Y[0]); err != nil {
		return nil, "", err
	}
	xi, vi := f.Index(p.X), f.Index(p.Y[0])
	l := newLabeler(f, xi, false)
	var out []slice
	index := map[string]int{}
	for _, row := range f.Rows {
		v, ok := number(row[vi]).(float64)
		if !ok {
			continue
		}
		name := l.label(row[xi])
		k, seen := index[name]
		if !seen {
			k = len(out)
			index[name] = k
			out = append(out, slice{name: name})
		}
		out[k].value += v
	}
	return out, columnUnit(f, vi, b.o.Unit), nil
}

// slices draws pie (a donut) and funnel panels: names from x, values from
// the first y column, each slice in its series colour.
func (b *build) slices() (template.HTML, error) {
	sl, unit, err := b.slicesOf()
	if err != nil {
		return "", err
	}
	if b.p.Chart == catalog.ChartPie {
		names := make([]string, len(sl))
		for i, s := range sl {
			names[i] = s.name
		}
		colors := seriesColors(names)
		legend := len(sl) > 1
		l := b.layout(legend)
		gl := append(b.globals(legend, colors),
			charts.WithTooltipOpts(opts.Tooltip{
				Show: opts.Bool(true), Trigger: "item", ValueFormatter: funcStr(b.formatter(unit, false)),
			}))
		data := make([]opts.PieData, len(sl))
		for i, s := range sl {
			data[i] = opts.PieData{Name: s.name, Value: s.value}
		}
		b.units(unit, nil, []string{unit})
		pie := charts.NewPie()
		pie.SetGlobalOptions(gl...)
		pie.AddSeries(b.p.Y[0], data, charts.WithPieChartOpts(opts.PieChart{
			Radius: []string{"45%", "70%"},
			Center: []string{"50%", strconv.Itoa(55+l.gridTop/10) + "%"},
		}))
		return b.snippet(pie, func(t tree) {
			s := seriesList(t)[0].(tree)
			s["label"] = tree{"color": colorInk, "fontSize": 11, "overflow": "none", "formatter": "{b}  {d}%"}
			s["percentPrecision"] = 0
			s["labelLine"] = tree{"length": 8, "length2": 8}
			s["itemStyle"] = tree{"borderColor": "#ffffff", "borderWidth": 2, "borderRadius": 4}
		})
	}

	// A funnel's steps are not series met elsewhere: shade one colour from
	// dark (the first step) to light, and name each step beside it.
	base := SeriesColor(b.p.Y[0])
	shades := make([]string, len(sl))
	for i := range sl {
		shades[i] = mix(base, "#ffffff", 0.65*float64(i)/math.Max(1, float64(len(sl)-1)))
	}
	// Each step's label is written here ("first order  10,000"), so it is
	// formatted whether or not a formatter function can be sent along.
	data := make([]any, len(sl))
	for i, s := range sl {
		data[i] = tree{"name": s.name, "value": s.value,
			"label": tree{"formatter": s.name + "  " + FormatValue(s.value, unit, "")}}
	}
	top := b.layout(false).gridTop
	b.units(unit, nil, []string{unit})
	fu := charts.NewFunnel()
	fu.SetGlobalOptions(append(b.globals(false, shades),
		charts.WithTooltipOpts(opts.Tooltip{
			Show: opts.Bool(true), Trigger: "item", ValueFormatter: funcStr(b.formatter(unit, false)),
		}))...)
	fu.AddSeries(b.p.Y[0], nil, charts.WithSeriesOpts(func(x *charts.SingleSeries) { x.Data = data }))
	return b.snippet(fu, func(t tree) {
		s := seriesList(t)[0].(tree)
		s["sort"] = "descending"
		s["gap"] = 2
		s["left"], s["width"] = "2%", "58%"
		s["top"], s["bottom"] = top, 8
		s["minSize"] = "8%"
		s["label"] = tree{"show": true, "position": "right", "color": colorInk, "fontSize": 12}
		s["labelLine"] = tree{"length": 12, "lineStyle": tree{"color": colorLine}}
		s["itemStyle"] = tree{"borderColor": "#ffffff", "borderWidth": 1}
	})
}

// gauge draws the last non-NULL value of the first y column (the latest
// day of a series, or a one-row KPI) on a progress arc from 0 to a round
// maximum (1 for percent).
func (b *build) gauge() (template.HTML, error) {
	p, f := b.p, b.f
	col := ""
	switch {
	case len(p.Y) > 0:
		col = p.Y[0]
	case p.Value != "":
		col = p.Value
	default:
		if i := f.FirstNumeric(); i >= 0 {
			col = f.Columns[i].Name
		}
	}
	if col == "" {
		return "", b.errf("chart gauge needs a y column")
	}
	if err := needColumns(p, f, col); err != nil {
		return "", err
	}
	if err := needNumeric(p, f, col); err != nil {
		return "", err
	}
	ci := f.Index(col)
	unit := columnUnit(f, ci, b.o.Unit)
	var value any
	for r := len(f.Rows) - 1; r >= 0; r-- {
		if v := number(f.Rows[r][ci]); v != nil {
			value = v
			break
		}
	}
	v, _ := value.(float64)
	top := math.Abs(v)
	for _, m := range p.Markers {
		top = math.Max(top, math.Abs(m.Y))
	}
	lo, hi := 0.0, niceCeil(top)
	if unit == unitPercent && top <= 1 {
		hi = 1
	}
	if hi == 0 {
		hi = 1
	}
	if v < 0 {
		lo = -niceCeil(-v)
	}
	color := SeriesColor(col)
	g := charts.NewGauge()
	g.SetGlobalOptions(append(b.globals(false, []string{color}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(false)}))...)
	g.AddSeries(col, []opts.GaugeData{{Name: col, Value: value}})
	// Markers (a target) are a second gauge that draws only a short tick
	// across the arc at the marker's value.
	var targets []opts.GaugeData
	for _, m := range p.Markers {
		if finite(m.Y) {
			targets = append(targets, opts.GaugeData{Name: m.Label, Value: m.Y})
		}
	}
	if len(targets) > 0 {
		g.AddSeries("markers", targets)
	}
	gaugeUnits := []string{unit}
	if len(targets) > 0 {
		gaugeUnits = append(gaugeUnits, unit)
	}
	b.units(unit, nil, gaugeUnits)
	l := b.layout(false)
	center := []any{"50%", strconv.Itoa(58+l.gridTop/8) + "%"}
	return b.snippet(g, func(t tree) {
		list := seriesList(t)
		for _, v := range list[1:] {
			s := v.(tree)
			s["min"], s["max"] = clean(lo), clean(hi)
			s["radius"], s["center"] = "88%", center
			s["startAngle"], s["endAngle"] = 210, -30
			s["axisLine"], s["progress"], s["anchor"] = tree{"show": false}, tree{"show": false}, tree{"show": false}
			s["axisTick"], s["splitLine"], s["axisLabel"] = tree{"show": false}, tree{"show": false}, tree{"show": false}
			s["title"], s["detail"] = tree{"show": false}, tree{"show": false}
			s["pointer"] = tree{"show": true, "icon": "rect", "width": 3, "length": 22, "offsetCenter": []any{0, "-93%"},
				"itemStyle": tree{"color": colorInk}}
			s["silent"] = true
		}
		s := list[0].(tree)
		s["min"], s["max"] = clean(lo), clean(hi)
		s["splitNumber"] = 1
		s["radius"] = "88%"
		s["center"] = center
		s["startAngle"], s["endAngle"] = 210, -30
		s["progress"] = tree{"show": true, "width": 14, "roundCap": true, "itemStyle": tree{"color": color}}
		s["axisLine"] = tree{"roundCap": true, "lineStyle": tree{"width": 14, "color": []any{[]any{1, "#e8ebf0"}}}}
		s["pointer"] = tree{"show": false}
		s["anchor"] = tree{"show": false}
		s["axisTick"] = tree{"show": false}
		s["splitLine"] = tree{"show": false}
		s["axisLabel"] = tree{"show": true, "distance": 20, "color": colorMuted, "fontSize": 10,
			"formatter": b.formatter(unit, true)}
		s["title"] = tree{"offsetCenter": []any{0, "38%"}, "color": colorMuted, "fontSize": 12}
		s["detail"] = tree{"valueAnimation": b.o.Animation, "offsetCenter": []any{0, "4%"},
			"fontSize": 26, "fontWeight": 600, "color": colorInk, "formatter": b.formatter(unit, false)}
	})
}

// looksLikeDate reports whether a category label is a YYYY-MM-DD date.
func looksLikeDate(s string) bool {
	return len(s) >= 10 && s[4] == '-' && s[7] == '-'
}
