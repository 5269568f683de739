package page

import (
	"html/template"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/chart"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/query"
)

// DashboardData is the dashboard page's model.
type DashboardData struct {
	Title, Description string
	Ranges             []Choice
	Custom             bool
	From, To           string // custom range inputs, inclusive dates
	Filters            []FilterBlock
	Compares           []Choice
	Period             string
	ComparePeriod      string
	// AsOf says when the oldest number shown was computed ("as of
	// 06:40"); Unreachable, when set, says the data database is not
	// answering and the numbers are the last ones computed.
	AsOf        string
	Unreachable string
	Tiles       []TileBlock
	Panels      []PanelBlock
	// Events are the events of the days the charts show, for the list
	// under the charts; AddEvent is where an editor adds one.
	Events   []EventRow
	AddEvent string
}

// EventRow is one event as a page lists it.
type EventRow struct {
	When, Title, Team, Note, Link string
}

// Events lists a view's events for a page, and for its charts.
func Events(v *dashboard.View) ([]EventRow, []chart.Event) {
	var rows []EventRow
	var marks []chart.Event
	for _, e := range v.Events {
		rows = append(rows, EventRow{When: PeriodText(query.Range{From: e.From, To: e.To.AddDate(0, 0, 1)}),
			Title: e.Title, Team: e.Team, Note: e.Note, Link: e.Link})
		marks = append(marks, chart.Event{From: e.From.Format(query.DateLayout), To: e.To.Format(query.DateLayout), Title: e.Title})
	}
	return rows, marks
}

// Choice is one option of a select.
type Choice struct {
	Value, Label string
	Selected     bool
}

// FilterBlock is one filter control.
type FilterBlock struct {
	Param, Label string
	Options      []string
	Value        string
	Locked       bool
}

// TileBlock is one KPI tile, formatted.
type TileBlock struct {
	Query, Label, Description string
	Value                     string
	Delta, DeltaNote, Tone    string
	// Sample says what the value rests on ("from 412 answers").
	Sample string
	// Scope names the active filters the number is not narrowed by
	// ("all sales channels").
	Scope string
	// Alerts links to the firings of the alert rules that watch the tile.
	Alerts              string
	Target, TargetClass string
	Spark               template.HTML
	Err                 string
}

// PanelBlock is one panel, drawn.
type PanelBlock struct {
	ID, Title, Note string
	Scope           string // as TileBlock.Scope
	Width           int
	Body            template.HTML
	Empty           bool
	Table           bool
	Err             string
	CSV, JSON       string
	Glossary        string
}

// DashboardOptions say where the page lives and how it draws.
type DashboardOptions struct {
	// Path is the dashboard's URL path ("/d/daily-ops", "/s/TOKEN"); panel
	// CSV/JSON links hang below it.
	Path string
	// Query is the current URL query, carried to the CSV/JSON links.
	Query url.Values
	// Locked parameters are shown but cannot be changed.
	Locked map[string]bool
	// Print selects the SVG renderer without animation (PDF, PNG).
	Print bool
	// Glossary is the glossary URL ("/kpis"), or "" for no links.
	Glossary string
	// SignedIn pages link watched tiles to their alerts and offer to add
	// an event; share links and reports do not.
	SignedIn bool

	events []chart.Event  // the view's, for the time-series charts
	loc    *time.Location // the view's time zone, for times shown
}

func (o DashboardOptions) location() *time.Location {
	if o.loc == nil {
		return time.UTC
	}
	return o.loc
}

var rangeLabels = map[string]string{
	"yesterday": "Yesterday", "last_7_days": "Last 7 days", "last_28_days": "Last 28 days",
	"last_90_days": "Last 90 days", "month_to_date": "Month to date",
}

var compareLabels = map[string]string{
	query.PreviousPeriod: "Previous period", query.SamePeriodLastWeek: "Same period last week",
	query.SamePeriodLastYear: "Same period last year", query.PreviousMonth: "Previous calendar month", query.NoComparison: "No comparison",
}

// Dashboard turns a computed view into the page model.
func Dashboard(v *dashboard.View, opts DashboardOptions) DashboardData {
	d := DashboardData{Title: v.Dashboard.Title, Description: v.Dashboard.Description}
	known := false
	for _, p := range query.Presets {
		sel := p == v.RangeSpec
		known = known || sel
		d.Ranges = append(d.Ranges, Choice{Value: p, Label: rangeLabels[p], Selected: sel})
	}
	if !known {
		if !strings.Contains(v.RangeSpec, "..") {
			d.Ranges = append(d.Ranges, Choice{Value: v.RangeSpec, Label: v.RangeSpec, Selected: true})
		} else {
			d.Custom = true
		}
	}
	d.Ranges = append(d.Ranges, Choice{Value: "custom", Label: "Custom dates…", Selected: d.Custom})
	d.From, d.To = v.Range.From.Format(query.DateLayout), v.Range.Day().Format(query.DateLayout)
	for _, m := range query.CompareModes {
		d.Compares = append(d.Compares, Choice{Value: m, Label: compareLabels[m], Selected: m == v.Compare})
	}
	d.Period = PeriodText(v.Range)
	if at := v.AsOf(); !at.IsZero() {
		d.AsOf = "as of " + Clock(at, v.Location, time.Now())
		if v.Unreachable() {
			d.Unreachable = "The data database is not answering: the numbers below are the last ones computed, " + d.AsOf + "."
		}
	}
	if v.HasCompare {
		d.ComparePeriod = PeriodText(v.CompareRange)
	}
	for _, f := range v.Filters {
		d.Filters = append(d.Filters, FilterBlock{Param: f.Param, Label: f.Label, Options: f.Options, Value: f.Value, Locked: opts.Locked[f.Param]})
	}
	note := CompareNote(v)
	for _, t := range v.Tiles {
		tb := Tile(t, note, opts.Glossary)
		if t.Watched && opts.SignedIn {
			tb.Alerts = "/alerts?" + url.Values{"dashboard": {v.Dashboard.Name}, "tile": {t.Tile.Query}}.Encode()
		}
		d.Tiles = append(d.Tiles, tb)
	}
	d.Events, opts.events = Events(v)
	if opts.SignedIn {
		d.AddEvent = "/events?" + url.Values{"dashboard": {v.Dashboard.Name}}.Encode()
	}
	opts.loc = v.Location
	for i, p := range v.Panels {
		d.Panels = append(d.Panels, Panel(p, i, opts))
	}
	return d
}

// PeriodText writes a range for people: "1 Nov – 21 Nov 2026" or "21 Nov 2026".
func PeriodText(r query.Range) string {
	last := r.Day()
	if r.Days() <= 1 {
		return last.Format("Mon 2 Jan 2006")
	}
	if r.From.Year() == last.Year() {
		return r.From.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	}
	return r.From.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
}

// CompareNote names the comparison a tile's change is against.
func CompareNote(v *dashboard.View) string {
	switch v.Compare {
	case query.SamePeriodLastWeek:
		return "vs same period last week"
	case query.SamePeriodLastYear:
		return "vs same period last year"
	case query.PreviousMonth:
		return "vs " + v.CompareRange.From.Format("January 2006")
	case query.NoComparison:
		return ""
	}
	if v.Range.Days() == 1 {
		return "vs previous day"
	}
	return "vs previous " + itoa(v.Range.Days()) + " days"
}

// Tile formats a tile's numbers.
func Tile(t dashboard.TileView, note, glossary string) TileBlock {
	b := TileBlock{Query: t.Tile.Query, Label: t.Label, Scope: ScopeText(t.Ignores)}
	unit := ""
	if t.Query != nil {
		unit = t.Query.Unit
		b.Description = t.Query.Description
		if b.Label == "" {
			b.Label = t.Query.Title
		}
	}
	if t.Err != nil {
		b.Err = oneLine(t.Err.Error())
		return b
	}
	sample := ""
	if t.Query != nil {
		sample = t.Query.Metric.Sample
	}
	switch {
	case !t.HasValue:
		b.Value = "–"
		b.Delta = "no data for this range"
		b.Tone = "neutral"
	case t.TooThin():
		b.Value = "–"
		b.Delta = "only " + chart.SampleText(t.Cur.Sample, sample) + ": too few to show a number"
		b.Tone = "neutral"
		return b
	default:
		b.Value = chart.FormatValue(t.Value, unit, t.Format)
		b.Delta, b.Tone = DeltaText(t, unit), t.Tone()
		if b.Delta != "" {
			b.DeltaNote = note
			switch {
			case t.WithinNoise():
				b.DeltaNote += " · within normal variation"
			case t.Untested():
				b.DeltaNote += " · may be normal variation"
			}
		}
		if sample != "" {
			b.Sample = "from " + chart.SampleText(t.Cur.Sample, sample)
		}
	}
	if met, has := t.OnTarget(); has {
		b.Target = "Target " + chart.FormatValue(*t.Target, unit, t.Format)
		if met {
			b.Target, b.TargetClass = b.Target+" · on target", "met"
		} else {
			b.Target, b.TargetClass = b.Target+" · off target", "missed"
			if v := TargetValue(t); v != b.Value {
				b.Target += " (" + v + ")"
			}
		}
	}
	b.Spark = chart.Sparkline(t.Spark, 160, 30)
	return b
}

// TargetValue writes a tile's value as its format does, or finer when it
// would read as a target it missed (chart.FormatApart).
func TargetValue(t dashboard.TileView) string {
	unit := ""
	if t.Query != nil {
		unit = t.Query.Unit
	}
	if met, has := t.OnTarget(); !has || met {
		return chart.FormatValue(t.Value, unit, t.Format)
	}
	return chart.FormatApart(t.Value, *t.Target, unit, t.Format)
}

// DeltaText writes the change against the comparison period: percentage
// points for percent metrics ("+2.1 pts"), points for scores and NPS
// ("+5 pts", "+0.12"), and for sums and counts the absolute and relative
// change ("+12 (+2.8%)"), or "from 0" where there is no relative change.
func DeltaText(t dashboard.TileView, unit string) string {
	c, ok := t.Change()
	if !ok {
		return ""
	}
	abs := c.Abs
	arrow := "▲"
	if abs < 0 {
		arrow = "▼"
	} else if abs == 0 {
		arrow = "■"
	}
	// A change too small to write gets no arrow up or down: "■ +0.00".
	flat := func(text string) string {
		if !strings.ContainsAny(text, "123456789") {
			return "■"
		}
		return arrow
	}
	if unit == "percent" {
		pts := signed(abs*100, 1)
		return flat(pts) + " " + pts + " pts"
	}
	size := smallestNonZero(math.Abs(abs), unit, t.Format)
	s := flat(size) + " " + sign(abs) + size
	if t.PerDay() {
		s += " a day"
	}
	switch {
	case t.Query != nil && t.Query.Metric.Aggregate == catalog.NPS:
		s += " pts"
	case c.HasPc:
		s += " (" + signed(c.Pct*100, 1) + "%)"
	case t.Previous == 0 && abs != 0:
		s += " (from 0)"
	}
	return s
}

// Panel draws one panel.
func Panel(p dashboard.PanelView, index int, opts DashboardOptions) PanelBlock {
	b := PanelBlock{ID: p.ID, Title: p.Title, Note: p.Note, Width: p.Width, Scope: ScopeText(p.Ignores)}
	if b.Width <= 0 || b.Width > 12 {
		b.Width = 6
		if p.Chart == catalog.ChartTable || p.Chart == catalog.ChartHeatmap {
			b.Width = 12
		}
	}
	if opts.Path != "" {
		q := ""
		if len(opts.Query) > 0 {
			q = "?" + opts.Query.Encode()
		}
		b.CSV = opts.Path + "/panels/" + p.ID + ".csv" + q
		b.JSON = opts.Path + "/panels/" + p.ID + ".json" + q
	}
	if opts.Glossary != "" && p.Query != nil {
		b.Glossary = opts.Glossary + "#" + Anchor(p.Query.Name)
	}
	unit := ""
	if p.Query != nil {
		unit = p.Query.Unit
	}
	switch {
	case p.Err != nil:
		b.Err = oneLine(p.Err.Error())
	case p.Frame == nil || len(p.Frame.Rows) == 0:
		b.Empty = true
	case p.Chart == catalog.ChartTable:
		b.Table = true
		b.Body, p.Err = chart.Table(p.Frame, p.Columns, unit)
	default:
		renderer := "canvas"
		if opts.Print {
			renderer = "svg"
		}
		sample := ""
		if p.Query != nil {
			sample = p.Query.Metric.Sample
		}
		var mark *[2]string
		markLabel := ""
		if p.Marked != nil {
			markLabel = p.Marked.Day().Format("2 Jan")
			mark = &[2]string{p.Marked.From.Format(query.DateLayout), p.Marked.Day().Format(query.DateLayout)}
			b.Note = strings.TrimSpace("The " + itoa(p.Range.Days()) + " days to " + p.Marked.Day().Format("2 Jan") +
				"; the chosen " + dayWord(p.Marked.Days()) + " marked. " + b.Note)
		}
		b.Body, p.Err = chart.Render(p.Panel, p.Frame, chart.Options{
			ID: ChartID(index, p.ID), Renderer: renderer, Animation: !opts.Print, Unit: unit, Sample: sample, Mark: mark, MarkLabel: markLabel, RangeStart: p.Range.From, RangeEnd: p.Range.To, Events: opts.events,
			Query: p.Query,
		})
	}
	if !p.AsOf.IsZero() && b.Err == "" {
		why := "; a newer result is being computed. "
		if p.Unreachable {
			why = "; the data database is not answering. "
		}
		b.Note = strings.TrimSpace("As of " + p.AsOf.In(opts.location()).Format("Mon 2 Jan 15:04") + why + b.Note)
	}
	if p.Frame != nil && p.Frame.Truncated && b.Err == "" {
		b.Note = strings.TrimSpace(b.Note + " Only the first " + itoa(len(p.Frame.Rows)) + " rows are shown.")
	}
	if p.Err != nil && b.Err == "" {
		b.Err, b.Body = oneLine(p.Err.Error()), ""
	}
	return b
}

// ChartID is the DOM id of panel index's chart: unique on the page and a
// valid JavaScript identifier (go-echarts uses it as one).
func ChartID(index int, panelID string) string { return "c" + itoa(index) + "_" + panelID }

// Anchor is the glossary fragment for a query name.
func Anchor(name string) string { return "q-" + strings.ReplaceAll(name, "/", "-") }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// smallestNonZero formats a change in the tile's format, with one or two
// more decimals when that format would round it to zero: an NPS that moved
// by 0.4 reads "−0.4", not "−0".
func smallestNonZero(v float64, unit, format string) string {
	text := chart.FormatValue(v, unit, format)
	for _, finer := range []string{"0.0", "0.00"} {
		if v == 0 || strings.ContainsAny(text, "123456789") {
			break
		}
		text = chart.FormatValue(v, unit, finer)
	}
	return text
}

// ScopeText says which active filters a number is not narrowed by: "all
// sales channels", "all sales channels and regions".
func ScopeText(ignores []dashboard.FilterView) string {
	var names []string
	for _, f := range ignores {
		label := f.Label
		if label == "" {
			label = f.Param
		}
		names = append(names, plural(strings.ToLower(label)))
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return "all " + names[0]
	}
	return "all " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// plural makes a filter's label plural, in English, for the scope note.
func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "s"):
		return s
	case strings.HasSuffix(s, "y") && !strings.HasSuffix(s, "ay") && !strings.HasSuffix(s, "ey"):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}

func dayWord(n int) string {
	if n == 1 {
		return "day"
	}
	return "days"
}

// Clock writes a time for a reader in loc: "06:40" when it falls on the
// same day as now, else "Sun 29 Nov 06:40".
func Clock(t time.Time, loc *time.Location, now time.Time) string {
	if loc == nil {
		loc = time.UTC
	}
	t, now = t.In(loc), now.In(loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}
