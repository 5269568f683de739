package catalog

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const dailyOps = `# The ops lead's morning view.
title: Daily operations & customer health
description: How fulfilment and support show up in CSAT and retention.
range: 14 days
compare: same_period_last_week
filters:
  - param: channel
    label: Sales channel
    options: [all, web, app, marketplace]
  - param: region
    options_query: regions
tiles:
  - query: kpi/csat
    label: CSAT (1–5)
    format: 0.00
    target: 4.5
  - query: kpi/orders
panels:
  - title: CSAT vs on-time delivery
    query: daily_health
    chart: line
    x: day
    y: [csat, on_time_rate]
    y2: [on_time_rate]
    markers: [{y: 4.5, label: CSAT target}, {y: 0, label: Zero}]
    width: 8
    note: One line shown under the panel.
  - title: Tickets by category
    query: support/by_category
    chart: pie
    x: category
    y: tickets
  - title: Retention
    query: retention/cohorts
    chart: heatmap
    x: month_offset
    y:
      - cohort
    value: retained_rate
  - title: Orders
    query: orders/daily
    chart: table
    columns: [day, orders]
`

func TestParseDashboard(t *testing.T) {
	got, err := ParseDashboard("daily-ops", "dashboards/daily-ops.yaml", []byte(dailyOps))
	if err != nil {
		t.Fatalf("ParseDashboard: %v", err)
	}
	target := 4.5
	want := &Dashboard{
		Name:        "daily-ops",
		File:        "dashboards/daily-ops.yaml",
		Title:       "Daily operations & customer health",
		Description: "How fulfilment and support show up in CSAT and retention.",
		Range:       "14 days",
		Compare:     "same_period_last_week",
		Filters: []Filter{
			{Param: "channel", Label: "Sales channel", Options: []string{"all", "web", "app", "marketplace"}, Line: 7},
			{Param: "region", Label: "region", OptionsQuery: "regions", Line: 10},
		},
		Tiles: []Tile{
			{Query: "kpi/csat", Label: "CSAT (1–5)", Format: "0.00", Target: &target, Line: 13},
			{Query: "kpi/orders", Line: 17},
		},
		Panels: []Panel{
			{
				ID: "p1", Title: "CSAT vs on-time delivery", Query: "daily_health", Chart: "line",
				X: "day", Y: []string{"csat", "on_time_rate"}, Y2: []string{"on_time_rate"},
				Markers: []Marker{{Y: 4.5, Label: "CSAT target"}, {Y: 0, Label: "Zero"}},
				Width:   8, Note: "One line shown under the panel.", Line: 19,
			},
			{ID: "p2", Title: "Tickets by category", Query: "support/by_category", Chart: "pie", X: "category", Y: []string{"tickets"}, Width: 6, Line: 28},
			{ID: "p3", Title: "Retention", Query: "retention/cohorts", Chart: "heatmap", X: "month_offset", Y: []string{"cohort"}, Value: "retained_rate", Width: 12, Line: 33},
			{ID: "p4", Title: "Orders", Query: "orders/daily", Chart: "table", Columns: []string{"day", "orders"}, Width: 12, Line: 40},
		},
	}
	clearPositions(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseDashboard:\n got %+v\nwant %+v", got, want)
		for i := range min(len(got.Panels), len(want.Panels)) {
			if !reflect.DeepEqual(got.Panels[i], want.Panels[i]) {
				t.Errorf("panel %d:\n got %+v\nwant %+v", i, got.Panels[i], want.Panels[i])
			}
		}
	}
}

func clearPositions(d *Dashboard) {
	for i := range d.Filters {
		d.Filters[i].at = nil
	}
	for i := range d.Tiles {
		d.Tiles[i].at = nil
	}
	for i := range d.Panels {
		d.Panels[i].at = nil
	}
}

func TestParseDashboardDefaults(t *testing.T) {
	src := "title: Minimal\npanels:\n  - {title: A, query: q, chart: bar, x: day, y: n}\n"
	d, err := ParseDashboard("min", "dashboards/min.yml", []byte(src))
	if err != nil {
		t.Fatalf("ParseDashboard: %v", err)
	}
	for _, c := range []struct{ field, got, want string }{
		{"Range", d.Range, "last_28_days"},
		{"Compare", d.Compare, "previous_period"},
		{"Panels[0].ID", d.Panels[0].ID, "p1"},
		{"Panels[0].Y", strings.Join(d.Panels[0].Y, ","), "n"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if d.Panels[0].Width != 6 || d.Panels[0].Line != 3 {
		t.Errorf("Width, Line = %d, %d, want 6, 3", d.Panels[0].Width, d.Panels[0].Line)
	}
}

func TestParseDashboardAnchors(t *testing.T) {
	src := `title: T
x-daily: &daily {chart: line, x: day, width: 4}
panels:
  - <<: *daily
    title: A
    query: a
    y: n
  - <<: *daily
    title: B
    query: b
    y: [m]
    width: 8
`
	d, err := ParseDashboard("t", "dashboards/t.yaml", []byte(src))
	if err != nil {
		t.Fatalf("ParseDashboard: %v", err)
	}
	for i, want := range []struct {
		title, chart, x string
		width           int
	}{{"A", "line", "day", 4}, {"B", "line", "day", 8}} {
		p := d.Panels[i]
		if p.Title != want.title || p.Chart != want.chart || p.X != want.x || p.Width != want.width {
			t.Errorf("panel %d = %q %q %q %d, want %q %q %q %d", i, p.Title, p.Chart, p.X, p.Width, want.title, want.chart, want.x, want.width)
		}
	}
}

// panelDoc is a valid dashboard whose first panel starts on line 3; edit
// replaces one of its lines to break it.
const panelDoc = `title: T
panels:
  - title: P
    query: q
    chart: line
    x: day
    y: [a, b]
    width: 6
`

func TestParseDashboardErrors(t *testing.T) {
	edit := func(old, new string) string {
		if !strings.Contains(panelDoc, old) {
			t.Fatalf("panelDoc has no %q", old)
		}
		return strings.Replace(panelDoc, old, new, 1)
	}
	for _, c := range []struct {
		name string
		src  string
		want []string // each error's beginning, in order
	}{
		// A misspelt required key is one problem: the unknown key, with
		// the suggestion, not also the key it should have been as missing.
		{"unknown key", "titel: T\n", []string{
			`dashboards/x.yaml:1:1: unknown key "titel" in dashboard (did you mean "title"?)`,
		}},
		{"misspelt chart", edit("chart: line", "chrat: bar"), []string{
			`dashboards/x.yaml:5:5: unknown key "chrat" in panel (did you mean "chart"?)`,
		}},
		{"misspelt query", edit("query: q", "qeury: q"), []string{
			`dashboards/x.yaml:4:5: unknown key "qeury" in panel (did you mean "query"?)`,
		}},
		{"misspelt x", edit("    x: day", "    xx: day"), []string{
			`dashboards/x.yaml:6:5: unknown key "xx" in panel (did you mean "x"?)`,
		}},
		{"misspelt y", edit("    y: [a, b]", "    yy: [a, b]"), []string{
			`dashboards/x.yaml:7:5: unknown key "yy" in panel (did you mean "y"?)`,
		}},
		{"misspelt marker y", edit("    width: 6", "    markers: [{yy: 3, label: Goal}]"), []string{
			`dashboards/x.yaml:8:16: unknown key "yy" in marker (did you mean "y"?)`,
		}},
		{"misspelt options", "title: T\nfilters:\n  - param: c\n    optons: [a]\n", []string{
			`dashboards/x.yaml:4:5: unknown key "optons" in filter (did you mean "options"?)`,
		}},
		{"unknown key is not a typo of a missing one", edit("chart: line", "colour: red"), []string{
			`dashboards/x.yaml:3:5: panel "P" is missing chart`,
			`dashboards/x.yaml:5:5: unknown key "colour" in panel (known: title,`,
		}},
		{"unknown panel key", edit("    x: day", "    xx: day\n    x: day"), []string{
			`dashboards/x.yaml:6:5: unknown key "xx" in panel (did you mean "x"?)`,
		}},
		{"unknown key far from any", "title: T\ncolour: red\n", []string{
			`dashboards/x.yaml:2:1: unknown key "colour" in dashboard (known: title, description,`,
		}},
		{"bad type", edit("width: 6", "width: wide"), []string{
			`dashboards/x.yaml:8:12: width: want a whole number, got "wide"`,
		}},
		{"list for text", edit("chart: line", "chart: [line]"), []string{
			`dashboards/x.yaml:5:12: chart: want text, got a list`,
		}},
		{"bad chart", edit("chart: line", "chart: lines"), []string{
			`dashboards/x.yaml:5:12: panel "P": unknown chart "lines" (did you mean "line"?)`,
		}},
		{"bad width", edit("width: 6", "width: 13"), []string{
			`dashboards/x.yaml:8:12: panel "P": width 13 is out of range (1 to 12 grid columns)`,
		}},
		{"zero width", edit("width: 6", "width: 0"), []string{
			`dashboards/x.yaml:8:12: panel "P": width 0 is out of range`,
		}},
		{"missing title", strings.Replace(panelDoc, "title: T\n", "description: no title\n", 1), []string{
			`dashboards/x.yaml:1:1: dashboard is missing title`,
		}},
		{"empty title", strings.Replace(panelDoc, "title: T\n", "title:\n", 1), []string{
			`dashboards/x.yaml:1:7: dashboard: title is empty`,
		}},
		{"missing panel query", edit("    query: q\n", ""), []string{
			`dashboards/x.yaml:3:5: panel "P" is missing query`,
		}},
		{"missing panel title", edit("  - title: P\n    query: q", "  - query: q"), []string{
			`dashboards/x.yaml:3:5: panel is missing title`,
		}},
		{"y2 not in y", edit("    y: [a, b]", "    y: [a, b]\n    y2: [b, c]"), []string{
			`dashboards/x.yaml:8:13: panel "P": y2 column "c" is not in y (y: a, b)`,
		}},
		{"chart needs x", edit("    x: day\n", ""), []string{
			`dashboards/x.yaml:3:5: panel "P": a line chart needs x`,
		}},
		{"pie needs one y", edit("chart: line", "chart: pie"), []string{
			`dashboards/x.yaml:7:8: panel "P": a pie chart needs exactly one y column, got 2`,
		}},
		{"bad range", "title: T\nrange: last_28_dayz\n", []string{
			`dashboards/x.yaml:2:8: range: unknown range "last_28_dayz" (use yesterday, last_7_days, last_28_days, last_90_days, month_to_date, 'N days' or YYYY-MM-DD..YYYY-MM-DD) (did you mean "last_28_days"?)`,
		}},
		{"zero days", "title: T\nrange: 0 days\n", []string{
			`dashboards/x.yaml:2:8: range: unknown range "0 days"`,
		}},
		{"fixed dates backwards", "title: T\nrange: 2017-08-31..2017-06-01\n", []string{
			`dashboards/x.yaml:2:8: range: unknown range "2017-08-31..2017-06-01"`,
		}},
		{"bad compare", "title: T\ncompare: last_year\n", []string{
			`dashboards/x.yaml:2:10: compare: unknown comparison "last_year"`,
		}},
		{"YAML syntax error", edit("    x: day", "   x: day"), []string{
			`dashboards/x.yaml:6:4: bad YAML: `,
		}},
		{"unclosed quote", "title: \"T\npanels: []\n", []string{
			`dashboards/x.yaml:1:8: bad YAML: could not find end character of double-quoted text`,
		}},
		{"duplicate key", "title: T\ntitle: U\n", []string{
			`dashboards/x.yaml:2:1: dashboard: duplicate key "title" (first on line 1)`,
		}},
		{"filter with both", "title: T\nfilters:\n  - param: c\n    options: [a]\n    options_query: q\n", []string{
			`dashboards/x.yaml:5:5: filter "c" has both options and options_query`,
		}},
		{"filter with neither", "title: T\nfilters:\n  - param: c\n    label: C\n", []string{
			`dashboards/x.yaml:3:5: filter "c" needs options: [...] or options_query: QUERY`,
		}},
		{"filter on a built-in", "title: T\nfilters:\n  - param: from\n    options: [a]\n", []string{
			`dashboards/x.yaml:3:12: filter param "from" is built in`,
		}},
		{"duplicate filter", "title: T\nfilters:\n  - {param: c, options: [a]}\n  - {param: c, options: [b]}\n", []string{
			`dashboards/x.yaml:4:13: filter param "c" appears twice (first on line 3)`,
		}},
		{"tile without query", "title: T\ntiles:\n  - label: Orders\n", []string{
			`dashboards/x.yaml:3:5: tile is missing query`,
		}},
		{"tile target text", "title: T\ntiles:\n  - query: q\n    target: high\n", []string{
			`dashboards/x.yaml:4:13: target: want a number, got "high"`,
		}},
		{"marker without y", edit("    width: 6", "    markers: [{label: Goal}]"), []string{
			`dashboards/x.yaml:8:15: marker is missing y`,
		}},
		{"root is a list", "- title: T\n", []string{
			`dashboards/x.yaml:1:1: dashboard: want a mapping of keys (title: ...), got a list`,
		}},
		{"empty file", "# nothing yet\n", []string{
			`dashboards/x.yaml: empty file`,
		}},
		{"two documents", "title: T\n---\ntitle: U\n", []string{
			`dashboards/x.yaml:3:1: more than one YAML document`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDashboard("x", "dashboards/x.yaml", []byte(c.src))
			checkErrors(t, err, c.want)
		})
	}
}

// checkErrors checks that err is an Errors whose lines begin with want, in
// order.
func checkErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want:\n%s", strings.Join(want, "\n"))
	}
	if _, ok := errors.AsType[Errors](err); !ok {
		t.Errorf("error is %T, want Errors", err)
	}
	got := strings.Split(err.Error(), "\n")
	ok := len(got) == len(want)
	for i := range min(len(got), len(want)) {
		ok = ok && strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("errors:\n%s\nwant lines beginning:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestClosest(t *testing.T) {
	for _, c := range []struct {
		word string
		want string
	}{
		{"titel", "title"},
		{"Title", "title"},
		{"panel", "panels"},
		{"colour", ""},
		{"kpi/csatt", "kpi/csat"},
	} {
		if got := closest(c.word, []string{"title", "panels", "kpi/csat", "query"}); got != c.want {
			t.Errorf("closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
}

func TestDashboardPrecompute(t *testing.T) {
	for _, tc := range []struct{ value, want, err string }{
		{`"06:40"`, "06:40", ""},
		{"off", "off", ""},
		{`"25:00"`, "", `precompute: "25:00" is not a time of day`},
		{"sunrise", "", `precompute: "sunrise" is not a time of day`},
	} {
		src := "title: T\nprecompute: " + tc.value + "\n"
		d, err := ParseDashboard("t", "dashboards/t.yaml", []byte(src))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "dashboards/t.yaml:2") {
				t.Errorf("precompute: %s: got %v, want an error at dashboards/t.yaml:2 saying %q", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil || d.Precompute != tc.want {
			t.Errorf("precompute: %s: got %q, %v; want %q", tc.value, d.Precompute, err, tc.want)
		}
	}
}
