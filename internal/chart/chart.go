// Package chart draws panels: it turns a query's frame and a panel's
// definition into a go-echarts chart and renders it as an HTML snippet for
// our own pages, and it renders HTML tables, inline SVG sparklines for KPI
// tiles, and the number formats pages and reports share.
//
// A snippet is a <div class="chart"> and its <script>: by default a JSON
// block of ECharts options that the page's own script draws (no inline
// code, so pages keep a strict Content-Security-Policy), or, with
// Options.Script, an inline script that draws the chart itself.
//
// go-echarts builds the options; the snippet is written here, not by
// go-echarts' templates, because those put the options into the page
// unescaped (a label containing </script> ends the script), use the chart
// id as a JavaScript identifier, and link ECharts from a CDN. Here the
// options are encoded with encoding/json's HTML escaping, JavaScript
// formatter functions are spliced in only where this package put a
// per-render placeholder, and the page supplies echarts.min.js itself.
package chart

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
)

// Options control how a panel is drawn.
type Options struct {
	// ID is the chart's DOM id, unique per page. It is reduced to
	// [A-Za-z0-9_] and made to start with a letter; empty means the
	// panel's ID, else a random one.
	ID string
	// Renderer is "canvas" (browser) or "svg" (print and PDF: vector, text
	// stays text). Anything else is canvas.
	Renderer string
	// Animation is false for print, so the chart is complete at once.
	Animation bool
	// Height in pixels; 0 means 320. The width is always 100% of the
	// container.
	Height int
	// Unit is the query's display unit (count, percent, ratio, score,
	// currency, hours, days or ""), for axes, tooltips and labels.
	Unit string
	// Title draws the panel title inside the chart, for a chart shown on
	// its own. Pages that print the title above the chart leave it off.
	Title bool
	// Script makes the snippet draw itself: an inline <script> that waits
	// for ECharts, draws with this package's JavaScript formatters and
	// resizes the chart with its container. Use it on pages without
	// opsboard's page script. Without Script the snippet carries data only
	// (see Render) and no inline code, for pages under a strict
	// Content-Security-Policy.
	Script bool
	// Nonce goes on the inline <script> of a Script snippet, for a
	// Content-Security-Policy with script-src 'nonce-…'.
	Nonce string
	// Mark shades the x categories from Mark[0] to Mark[1] (dates written
	// 2006-01-02) on line, area and bar charts: the days a short range
	// chose, inside the trend window drawn around them.
	Mark *[2]string
	// MarkLabel names a single marked day on its line ("28 Nov").
	MarkLabel string
	// Events are drawn on time-series charts (x of dates): a labelled
	// vertical line on a day, a labelled band across a span.
	Events []Event
	// RangeStart and RangeEnd (exclusive) are the range the panel shows.
	// The last bucket of a weekly or monthly series that runs past
	// RangeEnd is not over, and is drawn as partial (a lighter bar, a
	// faded line, and "partial" in the tooltip); so are a cohort
	// heatmap's cells of that month. A lone first-of-month date before
	// RangeStart is a month, not a day. Zero: not checked.
	RangeStart, RangeEnd time.Time
	// Sample names the result column holding the sample size of the
	// query's measured value (its metric model): tooltips then say what
	// each point rests on ("from 85 responses").
	Sample string
	// Query is the panel's query, when the caller has it. Its metric
	// model (sample, min_sample) and its column lines (sample=COL) say
	// what each value rests on; a point resting on fewer than the
	// query's MinimumSample (30 for a column sample alone) is drawn
	// hollow and its tooltip says it is too few, as a tile shows no
	// number from it.
	Query *catalog.Query
}

// Event is a day or span (From and To, both inclusive, 2006-01-02) to
// mark on a time-series chart, with its title.
type Event struct {
	From, To, Title string
}

// DefaultHeight is the chart height when Options.Height is 0.
const DefaultHeight = 320

// Text colours and fonts shared by every chart; they match the page's
// stylesheet.
const (
	colorInk   = "#1d2433"
	colorMuted = "#5f6b7a"
	colorLine  = "#cfd5de"
	colorSplit = "#eceff3"
	fontFamily = `system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif`
)

// Render draws the panel's chart from f. It returns an html/template-safe
// snippet: the chart's <div class="chart"> (width 100%, fixed height) and
// its <script>. By default that script is a data block the page's own
// script draws (internal/page's app.js), so no inline code runs:
//
//	<div id="ID" class="chart" data-option="ID_option" data-renderer="svg"
//	     data-formats='{"main":{…},"axes":[…],"series":[…]}' …></div>
//	<script type="application/json" id="ID_option">{…ECharts options…}</script>
//
// data-formats holds the Spec of the chart's main unit, of each y axis and
// of each series (and "xAxes" for a scatter's value x axis): the page
// script formats numbers with them and opsboardFormat (format.js), exactly
// as Go does, since JSON cannot carry functions. With
// Options.Script the <script> draws the chart itself, formatters included.
// Either way every string in the options is JSON-escaped, so no label can
// end the script (\u003c/script\u003e).
//
// Chart "table" renders Table instead. Errors name the panel and the
// missing column:
//
//	panel "CSAT vs on-time": column "csat" not in result (has: day, orders)
func Render(p catalog.Panel, f *frame.Frame, o Options) (template.HTML, error) {
	_, h, err := render(p, f, o)
	return h, err
}

// render is Render keeping the build, whose option tree tests inspect.
func render(p catalog.Panel, f *frame.Frame, o Options) (*build, template.HTML, error) {
	if f == nil {
		f = &frame.Frame{}
	}
	b, err := newBuild(p, f, o)
	if err != nil {
		return nil, "", err
	}
	var h template.HTML
	switch p.Chart {
	case catalog.ChartTable:
		h, err = Table(f, p.Columns, o.Unit)
		if err != nil {
			err = apperr.Invalid("panel %q: %w", panelName(p), err)
		}
	case catalog.ChartLine, catalog.ChartArea, catalog.ChartBar, catalog.ChartStackedBar, "":
		h, err = b.cartesian()
	case catalog.ChartScatter:
		h, err = b.scatter()
	case catalog.ChartHeatmap:
		h, err = b.heatmap()
	case catalog.ChartPie, catalog.ChartFunnel:
		h, err = b.slices()
	case catalog.ChartGauge:
		h, err = b.gauge()
	default:
		err = apperr.Invalid("panel %q: unknown chart kind %q (want one of %s)",
			panelName(p), p.Chart, strings.Join(catalog.ChartKinds, ", "))
	}
	if err != nil {
		return b, "", err
	}
	return b, h, nil
}

// build is one Render call: the panel, its frame, and the JavaScript
// functions the options refer to by placeholder.
type build struct {
	p     catalog.Panel
	f     *frame.Frame
	o     Options
	id    string
	nonce string
	fns   map[string]string // placeholder → function source
	tree  tree              // the options, functions as placeholders

	// Units for the page script's formatters: the chart's main unit, then
	// the unit of each y axis and of each series.
	unit        string
	axisUnits   []string
	seriesUnits []string
	seriesNotes [][]string // per series and point: "from 85 responses"
	xAxisUnits  []string   // value x axes (scatter) only
	eventBands  bool       // markEvents drew a band
}

// units records the units a data-only snippet hands to the page script.
func (b *build) units(main string, axes, series []string) {
	b.unit, b.axisUnits, b.seriesUnits = main, axes, series
}

func newBuild(p catalog.Panel, f *frame.Frame, o Options) (*build, error) {
	nonce, err := randomHex(8)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	if o.Height <= 0 {
		o.Height = DefaultHeight
	}
	if o.Renderer != "svg" {
		o.Renderer = "canvas"
	}
	id := o.ID
	if id == "" {
		id = p.ID
	}
	if id == "" {
		id = "chart_" + nonce
	}
	return &build{p: p, f: f, o: o, id: sanitizeID(id), nonce: nonce, fns: map[string]string{}}, nil
}

func randomHex(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(buf), nil
}

// sanitizeID makes s usable as a DOM id and JavaScript identifier: every
// character outside [A-Za-z0-9_] becomes "_", and an id that does not
// start with a letter gets a "c" in front ("7-day" → "c7_day").
func sanitizeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	id := b.String()
	if id == "" || !(id[0] >= 'a' && id[0] <= 'z' || id[0] >= 'A' && id[0] <= 'Z') {
		id = "c" + id
	}
	return id
}

// fn registers a JavaScript function and returns the placeholder string to
// put in the options where ECharts expects the function. The placeholder
// carries a random per-render nonce, so no data value can pose as one;
// go-echarts' own "__f__" markers would turn any label containing them
// into code.
func (b *build) fn(src string) string {
	key := fmt.Sprintf("@@opsboard-fn-%s-%d@@", b.nonce, len(b.fns))
	b.fns[key] = src
	return key
}

// formatter registers the formatter for a unit (axis: compact form).
func (b *build) formatter(unit string, axis bool) string {
	return b.fn(jsFormatter(unit, axis))
}

// layout is the vertical space above the plot: the optional title, then
// the legend on its own line, so the two never overlap.
type layout struct {
	legendTop, gridTop int
}

func (b *build) layout(legend bool) layout {
	l, y := layout{}, 4
	if b.o.Title {
		y = 32
	}
	l.legendTop = y
	if legend {
		y += 26
	}
	l.gridTop = y + 12
	return l
}

// globals are the options every chart shares.
func (b *build) globals(legend bool, colors []string) []charts.GlobalOpts {
	l := b.layout(legend)
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{
			ChartID: b.id, Width: "100%", Height: strconv.Itoa(b.o.Height) + "px",
			Renderer: b.o.Renderer, Theme: "white",
		}),
		charts.WithAnimation(b.o.Animation),
		charts.WithColorsOpts(colors),
		charts.WithTitleOpts(opts.Title{
			Show: opts.Bool(b.o.Title), Title: b.titleText(), Left: "0", Top: "0",
			TitleStyle: &opts.TextStyle{Color: colorInk, FontSize: 14, FontWeight: "600"},
		}),
		charts.WithLegendOpts(opts.Legend{
			Show: opts.Bool(legend), Type: "scroll", Left: "0", Top: strconv.Itoa(l.legendTop),
			Icon: "roundRect", ItemWidth: 12, ItemHeight: 8,
			TextStyle: &opts.TextStyle{Color: colorMuted, FontSize: 12},
		}),
		charts.WithToolboxOpts(opts.Toolbox{Show: opts.Bool(false)}),
	}
}

func (b *build) titleText() string {
	if b.o.Title {
		return b.p.Title
	}
	return ""
}

// option is what every go-echarts chart offers for serialising.
type option interface {
	Validate()
	JSON() map[string]interface{}
}

// tree is the chart options as plain JSON values, for the few settings
// go-echarts cannot express (see the patches in build.go).
type tree = map[string]any

// snippet serialises the chart, applies patch to its option tree and
// writes the HTML.
func (b *build) snippet(c option, patch func(t tree)) (template.HTML, error) {
	c.Validate()
	raw, err := json.Marshal(c.JSON())
	if err != nil {
		return "", fmt.Errorf("panel %q: encoding chart options: %w", panelName(b.p), err)
	}
	var t tree
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&t); err != nil {
		return "", fmt.Errorf("panel %q: decoding chart options: %w", panelName(b.p), err)
	}
	t["textStyle"] = tree{"fontFamily": fontFamily, "color": colorInk}
	delete(t, "toolbox")
	if tip, ok := t["tooltip"].(tree); ok {
		tip["confine"] = true
	}
	if patch != nil {
		patch(t)
	}
	b.tree = t
	if b.o.Script {
		js, err := b.optionJS(t)
		if err != nil {
			return "", err
		}
		return b.scriptHTML(js), nil
	}
	return b.dataHTML(withoutFunctions(t, b.fns))
}

// withoutFunctions copies an option tree leaving out every setting whose
// value is a function placeholder: JSON cannot carry the function, and
// ECharts would print the placeholder as text. The page script sets its
// own formatters there.
func withoutFunctions(v any, fns map[string]string) any {
	switch x := v.(type) {
	case tree:
		out := make(tree, len(x))
		for k, e := range x {
			if s, ok := e.(string); ok {
				if _, isFn := fns[s]; isFn {
					continue
				}
			}
			out[k] = withoutFunctions(e, fns)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutFunctions(e, fns)
		}
		return out
	}
	return v
}

// encodeJSON encodes v with encoding/json's HTML escaping: <, > and &
// become \u003c, \u003e and \u0026, so no "</script" or "<!--" can appear,
// and U+2028/U+2029 are escaped too.
func encodeJSON(v any) (string, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}

// optionJS encodes the option tree as a JavaScript expression that is safe
// inside a <script> element: encoding/json escapes <, > and & (so no
// "</script>" or "<!--" can appear) and U+2028/U+2029. Then each
// placeholder string is replaced by its function.
func (b *build) optionJS(t tree) (string, error) {
	js, err := encodeJSON(t)
	if err != nil {
		return "", fmt.Errorf("panel %q: encoding chart options: %w", panelName(b.p), err)
	}
	for key, src := range b.fns {
		if !safeScript(src) {
			return "", fmt.Errorf("chart: formatter function is not safe inside <script>: %s", src)
		}
		js = strings.ReplaceAll(js, `"`+key+`"`, src)
	}
	return js, nil
}

// safeScript reports whether JavaScript source can sit in a <script>
// element without changing where the element ends.
func safeScript(src string) bool {
	l := strings.ToLower(src)
	return !strings.Contains(l, "</script") && !strings.Contains(l, "<script") && !strings.Contains(l, "<!--")
}

// bootstrap (Script snippets) draws the chart once ECharts is there (the
// page may load it with defer), only once, and resizes it with its
// container. The chart instance is kept in window.opsboardCharts[id] for
// whoever captures it (PNG export, tests); data-drawn="true" marks the div
// when it is drawn, as the page script does.
const bootstrap = `(function(){"use strict";var id=%s,option=%s;` +
	`function draw(){var el=document.getElementById(id);` +
	`if(!el||el.getAttribute("data-drawn")||typeof echarts==="undefined")return;` +
	`var chart=echarts.init(el,null,{renderer:%s});chart.setOption(option);` +
	`el.setAttribute("data-drawn","true");` +
	`window.opsboardCharts=window.opsboardCharts||{};window.opsboardCharts[id]=chart;` +
	`var resize=function(){chart.resize();};` +
	`window.addEventListener("resize",resize);window.addEventListener("beforeprint",resize);` +
	`if(window.ResizeObserver){new ResizeObserver(resize).observe(el);}}` +
	`if(typeof echarts!=="undefined"){draw();}else{document.addEventListener("DOMContentLoaded",draw);window.addEventListener("load",draw);}` +
	`})();`

// div writes the chart's <div>; attrs are extra, already escaped,
// attributes. The id is [A-Za-z0-9_] only and the title is HTML-escaped.
func (b *build) div(attrs string) string {
	return fmt.Sprintf(`<div id="%s" class="chart"%s data-chart="%s" role="img" aria-label="%s" style="width:100%%;height:%dpx"></div>`,
		b.id, attrs, template.HTMLEscapeString(b.p.Chart), template.HTMLEscapeString(b.p.Title), b.o.Height)
}

// dataHTML writes a data-only snippet: the <div> naming a JSON block, and
// the block, for the page script to draw.
func (b *build) dataHTML(t any) (template.HTML, error) {
	option, err := encodeJSON(t)
	if err != nil {
		return "", fmt.Errorf("panel %q: encoding chart options: %w", panelName(b.p), err)
	}
	specs := func(units []string, axis bool) []Spec {
		out := make([]Spec, len(units))
		for i, u := range units {
			if out[i] = SpecFor(u, ""); axis {
				out[i] = out[i].Axis()
			}
		}
		return out
	}
	main := SpecFor(b.unit, "")
	u := map[string]any{"main": main, "mainAxis": main.Axis(),
		"axes": specs(b.axisUnits, true), "series": specs(b.seriesUnits, false)}
	if len(b.xAxisUnits) > 0 {
		u["xAxes"] = specs(b.xAxisUnits, true)
	}
	if len(b.seriesNotes) > 0 {
		u["notes"] = b.seriesNotes
	}
	formats, err := encodeJSON(u)
	if err != nil {
		return "", fmt.Errorf("panel %q: encoding chart formats: %w", panelName(b.p), err)
	}
	blockID := b.id + "_option"
	attrs := fmt.Sprintf(` data-option="%s" data-renderer="%s" data-formats="%s"`,
		blockID, b.o.Renderer, template.HTMLEscapeString(formats))
	return template.HTML(b.div(attrs) + "\n" +
		`<script type="application/json" id="` + blockID + `">` + option + "</script>\n"), nil
}

// scriptHTML writes a self-drawing snippet: the <div> and the <script>
// that draws into it. The nonce is dropped unless it is plain base64.
func (b *build) scriptHTML(optionJS string) template.HTML {
	var s strings.Builder
	s.WriteString(b.div(""))
	s.WriteString("\n<script")
	if b.o.Nonce != "" && plainNonce(b.o.Nonce) {
		fmt.Fprintf(&s, ` nonce="%s"`, b.o.Nonce)
	}
	s.WriteString(">")
	// The formatters call opsboardFormat; the first snippet on a page
	// defines it.
	s.WriteString("if(typeof opsboardFormat===\"undefined\"){" + FormatJS + "}\n")
	fmt.Fprintf(&s, bootstrap, strconv.Quote(b.id), optionJS, strconv.Quote(b.o.Renderer))
	s.WriteString("</script>\n")
	return template.HTML(s.String())
}

func plainNonce(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
