package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Dashboard is one dashboards/*.yaml file.
type Dashboard struct {
	Name        string // file name without .yaml: "daily-ops"
	File        string // "dashboards/daily-ops.yaml"
	Title       string
	Description string
	Range       string // default range spec, e.g. "last_28_days"
	Compare     string // previous_period | same_period_last_week | same_period_last_year | previous_month | none
	// Precompute is when the dashboard's morning views are computed each
	// day, "HH:MM" in the business time zone, after the data's daily load;
	// "off" for data loaded through the day; "" for the default (shortly
	// before the earliest report).
	Precompute string
	Filters    []Filter
	Tiles      []Tile
	Panels     []Panel
}

// Filter is a control on the dashboard that sets one query parameter.
type Filter struct {
	Param        string
	Label        string
	Options      []string // fixed options, or
	OptionsQuery string   // a query whose first column lists the options
	Line         int

	at positions // where param and options_query are written
}

// Tile is a KPI tile: one number from a one-row query.
type Tile struct {
	Query  string
	Label  string
	Format string   // number format like "0.00", "0.0%", "0,0"; empty: from the query's unit
	Target *float64 // optional
	Line   int

	at positions // where query is written
}

// Chart kinds a panel can draw.
const (
	ChartLine       = "line"
	ChartArea       = "area"
	ChartBar        = "bar"
	ChartStackedBar = "stacked_bar"
	ChartPie        = "pie"
	ChartScatter    = "scatter"
	ChartHeatmap    = "heatmap"
	ChartGauge      = "gauge"
	ChartFunnel     = "funnel"
	ChartTable      = "table"
)

// ChartKinds lists every chart kind, in the order the docs show them.
var ChartKinds = []string{ChartLine, ChartArea, ChartBar, ChartStackedBar, ChartPie, ChartScatter,
	ChartHeatmap, ChartGauge, ChartFunnel, ChartTable}

// Panel is one chart or table on a dashboard.
type Panel struct {
	ID    string // unique within the dashboard, URL- and JavaScript-safe: "p1", "p2", …
	Title string
	Query string
	Chart string
	// X is the category or time column (line, bar, area, scatter, heatmap x;
	// pie and funnel slice names).
	X string
	// Y are the value columns (heatmap: the y category column; pie, funnel,
	// gauge: the one value column).
	Y []string
	// Y2 are the value columns drawn on a right-hand axis (a subset of Y).
	Y2 []string
	// Series is a long-format column whose values become separate series.
	Series string
	// Value is the heatmap cell value column.
	Value   string
	Columns []string // table: the columns shown, in order; empty: all
	Markers []Marker
	Width   int // of 12 grid columns; default 6 (12 for tables and heatmaps)
	Note    string
	// Contrast is the x value (a category, such as "On time") the panel's
	// other rows are set against: the report's highlights then say how the
	// most different row fares against it, tying an ops condition (a late
	// delivery) to a customer number (its CSAT).
	Contrast string
	Line     int

	at positions // where query and each column name are written
}

// Marker is a horizontal reference line, such as a target.
type Marker struct {
	Y     float64
	Label string
}

// Range and comparison specs a dashboard or report may name.
var (
	// RangePresets are the named ranges; "N days" is also valid.
	RangePresets = []string{"yesterday", "last_7_days", "last_28_days", "last_90_days", "month_to_date"}
	// CompareModes are the ways a dashboard compares its range to an
	// earlier one.
	CompareModes = []string{"previous_period", "same_period_last_week", "same_period_last_year", "previous_month", "none"}
)

// Defaults for optional dashboard keys.
const (
	DefaultRange   = "last_28_days"
	DefaultCompare = "previous_period"
)

var nDaysRE = regexp.MustCompile(`^(\d{1,4})\s*days?$`)

// checkRange reports whether spec is a preset, "N days" with N ≥ 1, or
// fixed dates "YYYY-MM-DD..YYYY-MM-DD" (both included) in order.
func checkRange(spec string) bool {
	if slices.Contains(RangePresets, spec) {
		return true
	}
	if from, to, ok := strings.Cut(spec, ".."); ok {
		f, err1 := time.Parse("2006-01-02", strings.TrimSpace(from))
		t, err2 := time.Parse("2006-01-02", strings.TrimSpace(to))
		return err1 == nil && err2 == nil && !t.Before(f)
	}
	m := nDaysRE.FindStringSubmatch(spec)
	if m == nil {
		return false
	}
	n, _ := strconv.Atoi(m[1])
	return n >= 1
}

var (
	dashboardKeys = []string{"title", "description", "range", "compare", "precompute", "filters", "tiles", "panels"}
	filterKeys    = []string{"param", "label", "options", "options_query"}
	tileKeys      = []string{"query", "label", "format", "target"}
	panelKeys     = []string{"title", "query", "chart", "x", "y", "y2", "series", "value", "columns", "markers", "width", "note", "contrast"}
	markerKeys    = []string{"y", "label"}
)

// ParseDashboard parses the dashboard definition src. name is the dashboard
// name (the file name without .yaml) and file the path used in errors. The
// error is an Errors listing every problem found, each with its line.
//
// Defaults: range last_28_days, compare previous_period, a filter's label
// is its param, a panel's width is 6 (12 for tables and heatmaps). Panels
// get the IDs p1, p2, … in file order.
//
// YAML anchors, aliases and merge keys work; keys starting with "x-" are
// ignored, to give anchors a home ("x-line: &line {chart: line, x: day}").
func ParseDashboard(name, file string, src []byte) (*Dashboard, error) {
	root, d := parseYAML(file, src)
	if root == nil {
		return nil, d.errs.Err()
	}
	db := &Dashboard{Name: name, File: file, Range: DefaultRange, Compare: DefaultCompare}
	d.dashboard(db, root)
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return db, nil
}

func (d *yamlDecoder) dashboard(db *Dashboard, root ast.Node) {
	es, ok := d.mapping(root, "dashboard", dashboardKeys)
	if !ok {
		return
	}
	if e, ok := es["title"]; ok {
		db.Title, _ = d.str(e)
	}
	if db.Title == "" {
		d.missing(root, es, "dashboard", "title")
	}
	if e, ok := es["description"]; ok {
		db.Description, _ = d.str(e)
	}
	if e, ok := es["range"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			db.Range = s
			if !checkRange(s) {
				d.errorf(nodePos(e.value), "range: unknown range %q (use %s, 'N days' or YYYY-MM-DD..YYYY-MM-DD)%s",
					s, strings.Join(RangePresets, ", "), suggestion(s, RangePresets))
			}
		}
	}
	if e, ok := es["compare"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			db.Compare = s
			if !slices.Contains(CompareModes, s) {
				d.errorf(nodePos(e.value), "compare: unknown comparison %q (use %s)%s",
					s, strings.Join(CompareModes, ", "), suggestion(s, CompareModes))
			}
		}
	}
	if e, ok := es["precompute"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			db.Precompute = s
			if _, _, ok := ParseClock(s); !ok && s != "off" {
				d.errorf(nodePos(e.value), "precompute: %q is not a time of day; write \"HH:MM\" (24-hour, in the business time zone, after your data's daily load) or \"off\"", s)
			}
		}
	}
	if e, ok := es["filters"]; ok {
		items, _ := d.list(e)
		seen := map[string]int{}
		for _, n := range items {
			f, ok := d.filter(n)
			if !ok {
				continue
			}
			if first, dup := seen[f.Param]; dup && f.Param != "" {
				d.errorf(f.at.at(pos{f.Line, 0}, "param"), "filter param %q appears twice (first on line %d)", f.Param, first)
				continue
			}
			seen[f.Param] = f.Line
			db.Filters = append(db.Filters, f)
		}
	}
	if e, ok := es["tiles"]; ok {
		items, _ := d.list(e)
		for _, n := range items {
			if t, ok := d.tile(n); ok {
				db.Tiles = append(db.Tiles, t)
			}
		}
	}
	if e, ok := es["panels"]; ok {
		items, _ := d.list(e)
		for i, n := range items {
			if p, ok := d.panel(n); ok {
				p.ID = "p" + strconv.Itoa(i+1)
				db.Panels = append(db.Panels, p)
			}
		}
	}
}

// missing reports a required key that is absent or empty: at the key when
// it is there, else at the start of the mapping. A key absent because it
// was misspelt is not reported again: the unknown key's error suggests it.
func (d *yamlDecoder) missing(n ast.Node, es map[string]entry, what, key string, hint ...string) {
	h := ""
	if len(hint) > 0 {
		h = " (" + hint[0] + ")"
	}
	if e, ok := es[key]; ok {
		s, isText := scalarText(e.value)
		if _, null := e.value.(*ast.NullNode); null || isText && s == "" {
			d.errorf(nodePos(e.value), "%s: %s is empty%s", what, key, h)
		}
		return // else the value's type is wrong, and that is reported
	}
	if !d.misspelt(n, key) {
		d.errorf(nodePos(n), "%s is missing %s%s", what, key, h)
	}
}

func (d *yamlDecoder) filter(n ast.Node) (Filter, bool) {
	f := Filter{Line: nodePos(n).line, at: positions{}}
	es, ok := d.mapping(n, "filter", filterKeys)
	if !ok {
		return f, false
	}
	before := len(d.errs)
	if e, ok := es["param"]; ok {
		f.Param, _ = d.str(e)
		f.at["param"] = nodePos(e.value)
		switch {
		case f.Param == "":
		case builtin(f.Param):
			d.errorf(nodePos(e.value), "filter param %q is built in: the date range sets it", f.Param)
		case !isName(f.Param):
			d.errorf(nodePos(e.value), "filter param %q is not a parameter name (letters, digits and _)", f.Param)
		}
	}
	if f.Param == "" {
		d.missing(n, es, "filter", "param", "the query parameter it sets")
	}
	if e, ok := es["label"]; ok {
		f.Label, _ = d.str(e)
	}
	if f.Label == "" {
		f.Label = f.Param
	}
	opts, hasOpts := es["options"]
	oq, hasOQ := es["options_query"]
	if hasOpts {
		items, _ := d.strs(opts)
		for _, it := range items {
			f.Options = append(f.Options, it.text)
		}
		if len(items) == 0 && !hasOQ {
			d.errorf(nodePos(opts.value), "filter: options is empty")
		}
	}
	if hasOQ {
		f.OptionsQuery, _ = d.str(oq)
		f.at["options_query"] = nodePos(oq.value)
		if f.OptionsQuery == "" && !hasOpts {
			d.errorf(nodePos(oq.value), "filter: options_query is empty")
		}
	}
	switch {
	case hasOpts && hasOQ:
		d.errorf(oq.keyAt, "filter %q has both options and options_query; keep one", f.Param)
	case !hasOpts && !hasOQ && !d.misspelt(n, "options", "options_query"):
		d.errorf(nodePos(n), "filter %q needs options: [...] or options_query: QUERY", f.Param)
	}
	return f, len(d.errs) == before
}

func (d *yamlDecoder) tile(n ast.Node) (Tile, bool) {
	t := Tile{Line: nodePos(n).line, at: positions{}}
	es, ok := d.mapping(n, "tile", tileKeys)
	if !ok {
		return t, false
	}
	before := len(d.errs)
	if e, ok := es["query"]; ok {
		t.Query, _ = d.str(e)
		t.at["query"] = nodePos(e.value)
	}
	if t.Query == "" {
		d.missing(n, es, "tile", "query")
	}
	if e, ok := es["label"]; ok {
		t.Label, _ = d.str(e)
	}
	if e, ok := es["format"]; ok {
		t.Format, _ = d.str(e)
	}
	if e, ok := es["target"]; ok {
		if _, null := e.value.(*ast.NullNode); !null {
			if v, ok := d.float(e); ok {
				t.Target = &v
			}
		}
	}
	return t, len(d.errs) == before
}

// chartNeeds says which fields each chart kind requires: x, and how many
// y columns (-1: at least one).
var chartNeeds = map[string]struct {
	x     bool
	y     int
	value bool
}{
	ChartLine:       {x: true, y: -1},
	ChartArea:       {x: true, y: -1},
	ChartBar:        {x: true, y: -1},
	ChartStackedBar: {x: true, y: -1},
	ChartScatter:    {x: true, y: -1},
	ChartPie:        {x: true, y: 1},
	ChartFunnel:     {x: true, y: 1},
	ChartGauge:      {y: 1},
	ChartHeatmap:    {x: true, y: 1, value: true},
	ChartTable:      {},
}

func (d *yamlDecoder) panel(n ast.Node) (Panel, bool) {
	p := Panel{Line: nodePos(n).line, at: positions{}}
	es, ok := d.mapping(n, "panel", panelKeys)
	if !ok {
		return p, false
	}
	before := len(d.errs)
	what := "panel"
	if e, ok := es["title"]; ok {
		if p.Title, _ = d.str(e); p.Title != "" {
			what = fmt.Sprintf("panel %q", p.Title)
		}
	}
	if p.Title == "" {
		d.missing(n, es, "panel", "title")
	}
	if e, ok := es["query"]; ok {
		p.Query, _ = d.str(e)
		p.at["query"] = nodePos(e.value)
	}
	if p.Query == "" {
		d.missing(n, es, what, "query")
	}
	if e, ok := es["chart"]; ok {
		p.Chart, _ = d.str(e)
		if p.Chart != "" && !slices.Contains(ChartKinds, p.Chart) {
			d.errorf(nodePos(e.value), "%s: unknown chart %q%s (known: %s)",
				what, p.Chart, suggestion(p.Chart, ChartKinds), strings.Join(ChartKinds, ", "))
		}
	}
	if p.Chart == "" {
		d.missing(n, es, what, "chart", strings.Join(ChartKinds, " | "))
	}
	column := func(key string, dst *string) {
		if e, ok := es[key]; ok {
			*dst, _ = d.str(e)
			p.at[key] = nodePos(e.value)
		}
	}
	columns := func(key string, dst *[]string) {
		if e, ok := es[key]; ok {
			items, _ := d.strs(e)
			p.at[key] = nodePos(e.value)
			for _, it := range items {
				*dst = append(*dst, it.text)
				p.at[key+":"+it.text] = it.at
			}
		}
	}
	column("x", &p.X)
	columns("y", &p.Y)
	columns("y2", &p.Y2)
	column("series", &p.Series)
	column("value", &p.Value)
	columns("columns", &p.Columns)
	for _, c := range p.Y2 {
		if !slices.Contains(p.Y, c) {
			d.errorf(p.at.at(pos{p.Line, 0}, "y2", c), "%s: y2 column %q is not in y (y: %s); y2 picks which of the y columns use the right-hand axis",
				what, c, strings.Join(p.Y, ", "))
		}
	}
	if need, ok := chartNeeds[p.Chart]; ok {
		if need.x && p.X == "" && !d.misspelt(n, "x") {
			d.errorf(nodePos(n), "%s: a %s chart needs x (the category or time column)", what, p.Chart)
		}
		switch {
		case d.misspelt(n, "y"):
		case need.y < 0 && len(p.Y) == 0:
			d.errorf(nodePos(n), "%s: a %s chart needs y (one or more value columns)", what, p.Chart)
		case need.y == 1 && len(p.Y) != 1:
			d.errorf(p.at.at(nodePos(n), "y"), "%s: a %s chart needs exactly one y column, got %d", what, p.Chart, len(p.Y))
		}
		if need.value && p.Value == "" && !d.misspelt(n, "value") {
			d.errorf(nodePos(n), "%s: a %s chart needs value (the cell value column)", what, p.Chart)
		}
	}
	if e, ok := es["markers"]; ok {
		items, _ := d.list(e)
		for _, m := range items {
			if mk, ok := d.marker(m); ok {
				p.Markers = append(p.Markers, mk)
			}
		}
	}
	if e, ok := es["width"]; ok {
		if w, ok := d.int(e); ok {
			if w < 1 || w > 12 {
				d.errorf(nodePos(e.value), "%s: width %d is out of range (1 to 12 grid columns)", what, w)
			}
			p.Width = w
		}
	}
	if p.Width == 0 {
		p.Width = 6
		if p.Chart == ChartTable || p.Chart == ChartHeatmap {
			p.Width = 12
		}
	}
	if e, ok := es["note"]; ok {
		p.Note, _ = d.str(e)
	}
	if e, ok := es["contrast"]; ok {
		p.Contrast, _ = d.str(e)
		if p.X == "" || len(p.Y) == 0 {
			d.errorf(nodePos(e.value), "%s: contrast needs x (the categories) and y (the number compared)", what)
		}
	}
	return p, len(d.errs) == before
}

// marker reads {y: 4.5, label: Target}, or a bare number.
func (d *yamlDecoder) marker(n ast.Node) (Marker, bool) {
	if y, ok := number(n); ok {
		return Marker{Y: y}, true
	}
	es, ok := d.mapping(n, "marker", markerKeys)
	if !ok {
		return Marker{}, false
	}
	var m Marker
	e, ok := es["y"]
	if !ok {
		if !d.misspelt(n, "y") {
			d.errorf(nodePos(n), "marker is missing y (the value where the line is drawn)")
		}
		return m, false
	}
	y, ok := d.float(e)
	m.Y = y
	if e, has := es["label"]; has {
		m.Label, _ = d.str(e)
	}
	return m, ok
}

// ParseClock reads a time of day written "HH:MM" (24-hour).
func ParseClock(s string) (hour, minute int, ok bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, false
	}
	return t.Hour(), t.Minute(), true
}
