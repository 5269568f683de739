package chart

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
)

func TestRenderEveryKind(t *testing.T) {
	tests := []struct {
		name       string
		panel      catalog.Panel
		frame      *frame.Frame
		unit       string
		wantSeries []string // series names, in order
		wantJSON   []string // substrings of the option JSON
	}{
		{"line", catalog.Panel{Chart: catalog.ChartLine, X: "day", Y: []string{"csat", "on_time_rate"}}, dailyFrame(3), "score",
			[]string{"CSAT", "On time rate"}, []string{`"type":"line"`, `"data":["2026-03-01","2026-03-02","2026-03-03"]`, `"data":[4.1,4.14,4.18]`}},
		{"area", catalog.Panel{Chart: catalog.ChartArea, X: "day", Y: []string{"orders"}}, dailyFrame(3), "count",
			[]string{"Orders"}, []string{`"type":"line"`, `"areaStyle"`, `"data":[1180,1228,1276]`}},
		{"bar", catalog.Panel{Chart: catalog.ChartBar, X: "channel", Y: []string{"orders"}}, channelFrame(), "count",
			[]string{"Orders"}, []string{`"type":"bar"`, `"data":["Web","App","Marketplace"]`, `"data":[5210,3920,1730]`}},
		{"stacked_bar", catalog.Panel{Chart: catalog.ChartStackedBar, X: "day", Y: []string{"orders"}, Series: "channel"}, stackedFrame(), "count",
			[]string{"Web", "App", "Marketplace"}, []string{`"type":"bar"`, `"stack":"total"`}},
		{"pie", catalog.Panel{Chart: catalog.ChartPie, X: "channel", Y: []string{"orders"}}, channelFrame(), "count",
			[]string{"orders"}, []string{`"type":"pie"`, `"radius":["45%","70%"]`, `{"name":"Web","value":5210}`, `{"name":"Marketplace","value":1730}`}},
		{"scatter", catalog.Panel{Chart: catalog.ChartScatter, X: "on_time_rate", Y: []string{"csat"}, Series: "region"}, scatterFrame(), "score",
			[]string{"North", "South", "East", "West"}, []string{`"type":"scatter"`, `[0.82,3.9]`, `"dimensions":["on_time_rate","csat"]`}},
		{"heatmap", catalog.Panel{Chart: catalog.ChartHeatmap, X: "month_offset", Y: []string{"cohort"}, Value: "retained_rate"}, cohortFrame(), "percent",
			[]string{"retained_rate"}, []string{`"type":"heatmap"`, `"visualMap"`, `"data":["0","1","2","3","4","5"]`,
				`"data":["Jul 2025","Aug 2025","Sep 2025","Oct 2025","Nov 2025","Dec 2025"]`, `"value":[1,0,0.37]`, `"formatter":"37%"`}},
		{"gauge", catalog.Panel{Chart: catalog.ChartGauge, Y: []string{"csat"}}, kpiFrame(4.32), "score",
			[]string{"csat"}, []string{`"type":"gauge"`, `{"name":"csat","value":4.32}`, `"max":5`}},
		{"funnel", catalog.Panel{Chart: catalog.ChartFunnel, X: "step", Y: []string{"customers"}}, funnelFrame(), "count",
			[]string{"customers"}, []string{`"type":"funnel"`, `"name":"first order","value":10000`, `"formatter":"fourth order  1,400"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.panel.ID, tt.panel.Title = "p1", "Panel "+tt.name
			b, html := mustRender(t, tt.panel, tt.frame, Options{ID: "c1", Unit: tt.unit, Script: true})
			if missing := containsAll(html, `<div id="c1" class="chart"`, `echarts.init(el`, "</script>"); len(missing) > 0 {
				t.Errorf("script snippet: want %q, missing from:\n%s", missing, html)
			}
			_, data := mustRender(t, tt.panel, tt.frame, Options{ID: "c1", Unit: tt.unit})
			if missing := containsAll(data, `<div id="c1" class="chart" data-option="c1_option"`, `data-formats="{`,
				`<script type="application/json" id="c1_option">`); len(missing) > 0 {
				t.Errorf("data snippet: want %q, missing from:\n%s", missing, data)
			}
			var option map[string]any
			if err := json.Unmarshal([]byte(jsonBlock(t, data)), &option); err != nil {
				t.Errorf("data snippet: want a JSON options block, got %v", err)
			}
			for _, bad := range []string{"function(", "@@opsboard-fn", "echarts.init"} {
				if strings.Contains(data, bad) {
					t.Errorf("data snippet: want no code, found %q in:\n%s", bad, data)
				}
			}
			var got []string
			for _, s := range seriesOf(t, b) {
				got = append(got, fmt.Sprint(s["name"]))
			}
			if strings.Join(got, "|") != strings.Join(tt.wantSeries, "|") {
				t.Errorf("series names: want %q, got %q", tt.wantSeries, got)
			}
			if missing := containsAll(optionJSON(t, b), tt.wantJSON...); len(missing) > 0 {
				t.Errorf("option JSON: want %q, missing from:\n%s", missing, optionJSON(t, b))
			}
		})
	}
	t.Run("table", func(t *testing.T) {
		p := catalog.Panel{ID: "p1", Title: "Daily", Chart: catalog.ChartTable, Columns: []string{"day", "orders"}}
		html, err := Render(p, dailyFrame(2), Options{Unit: "count"})
		if err != nil {
			t.Fatal(err)
		}
		if missing := containsAll(string(html), "<table", "<thead>", "1,180", "2026-03-01"); len(missing) > 0 {
			t.Errorf("table panel: want %q, missing from:\n%s", missing, html)
		}
		if strings.Contains(string(html), "csat") {
			t.Errorf("table panel lists columns day, orders: want no csat column, got:\n%s", html)
		}
	})
}

func TestRenderNoAssetHosts(t *testing.T) {
	for _, kind := range []string{catalog.ChartLine, catalog.ChartBar, catalog.ChartPie} {
		p := catalog.Panel{ID: "p1", Title: "t", Chart: kind, X: "channel", Y: []string{"orders"}}
		for _, script := range []bool{false, true} {
			html, err := Render(p, channelFrame(), Options{Script: script})
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"http://", "https://", "<script src", "go-echarts-assets"} {
				if strings.Contains(string(html), bad) {
					t.Errorf("%s: want no asset host in the snippet, found %q in:\n%s", kind, bad, html)
				}
			}
		}
	}
}

func TestLongFormatPivot(t *testing.T) {
	p := catalog.Panel{ID: "p1", Title: "On-time by region", Chart: catalog.ChartLine, X: "day", Y: []string{"on_time_rate"}, Series: "region"}
	b, _ := mustRender(t, p, regionFrame(), Options{Unit: "percent"})
	want := map[string]string{
		"East": "[0.9 0.91 0.92]",
		"West": "[0.9 <nil> 0.92]", // no row for day 2: a gap, not 0
	}
	ss := seriesOf(t, b)
	if len(ss) != 2 {
		t.Fatalf("series: want 2 (east, west), got %d", len(ss))
	}
	for _, s := range ss {
		name := fmt.Sprint(s["name"])
		if got := fmt.Sprint(s["data"]); got != want[name] {
			t.Errorf("series %q data: want %s, got %s", name, want[name], got)
		}
	}
	if !strings.Contains(optionJSON(t, b), `"data":[0.9,null,0.92]`) {
		t.Errorf("option JSON: want the gap as null, got %s", optionJSON(t, b))
	}

	// Dates sort even when the first series lacks the first day.
	f := regionFrame()
	f.Rows = f.Rows[1:] // east loses 2026-03-01; west still has it, further down
	b, _ = mustRender(t, p, f, Options{Unit: "percent"})
	x := b.tree["xAxis"].([]any)[0].(map[string]any)["data"]
	if got, want := fmt.Sprint(x), "[2026-03-01 2026-03-02 2026-03-03]"; got != want {
		t.Errorf("x categories: want %s, got %s", want, got)
	}
}

func TestY2OnRightAxis(t *testing.T) {
	p := catalog.Panel{ID: "p1", Title: "CSAT vs on-time", Chart: catalog.ChartLine, X: "day",
		Y: []string{"csat", "on_time_rate"}, Y2: []string{"on_time_rate"}}
	b, _ := mustRender(t, p, dailyFrame(5), Options{Unit: "score"})
	for _, s := range seriesOf(t, b) {
		want := "<nil>" // omitted: axis 0
		if s["name"] == "On time rate" {
			want = "1"
		}
		if got := fmt.Sprint(s["yAxisIndex"]); got != want {
			t.Errorf("series %v yAxisIndex: want %s, got %s", s["name"], want, got)
		}
	}
	axes := b.tree["yAxis"].([]any)
	if len(axes) != 2 {
		t.Fatalf("y axes: want 2, got %d", len(axes))
	}
	right := axes[1].(map[string]any)
	if right["position"] != "right" {
		t.Errorf("second y axis position: want right, got %v", right["position"])
	}
	// The right axis shows the rate as a percent, the left one the score.
	if src := fnSource(t, b, right["axisLabel"].(map[string]any)["formatter"]); !strings.Contains(src, `"scale":100`) {
		t.Errorf("right axis formatter: want percent (scale 100), got %s", src)
	}
	left := axes[0].(map[string]any)
	if src := fnSource(t, b, left["axisLabel"].(map[string]any)["formatter"]); strings.Contains(src, `"scale":100`) {
		t.Errorf("left axis formatter: want the score, not percent, got %s", src)
	}
}

func TestMarkers(t *testing.T) {
	p := catalog.Panel{ID: "p1", Title: "CSAT", Chart: catalog.ChartLine, X: "day", Y: []string{"csat"},
		Markers: []catalog.Marker{{Y: 0, Label: "zero line"}, {Y: 4.5, Label: "CSAT target"}}}
	b, html := mustRender(t, p, dailyFrame(5), Options{Unit: "score"})
	ml, ok := seriesOf(t, b)[0]["markLine"].(map[string]any)
	if !ok {
		t.Fatalf("first series: want a markLine, got none in %s", optionJSON(t, b))
	}
	if got, want := fmt.Sprint(ml["data"]), "[map[name:zero line yAxis:0] map[name:CSAT target yAxis:4.5]]"; got != want {
		t.Errorf("markLine data: want %s, got %s", want, got)
	}
	if !strings.Contains(html, `{"name":"zero line","yAxis":0}`) {
		t.Errorf("snippet: want the marker at 0 with yAxis 0, got:\n%s", html)
	}
	// The axis stretches to show both markers around CSAT's 4.1–4.26.
	axis := b.tree["yAxis"].([]any)[0].(map[string]any)
	lo, _ := axis["min"].(json.Number).Float64()
	hi, _ := axis["max"].(json.Number).Float64()
	if lo > 0 || hi < 4.5 {
		t.Errorf("y axis range: want it to include 0 and 4.5, got min %v max %v", axis["min"], axis["max"])
	}

	// A marker without a label is named by its value.
	p.Y, p.Markers = []string{"on_time_rate"}, []catalog.Marker{{Y: 0.95}}
	b, _ = mustRender(t, p, regionFrame(), Options{Unit: "percent"})
	if !strings.Contains(optionJSON(t, b), `"name":"95.0%"`) {
		t.Errorf("unlabelled marker: want it named 95.0%%, got %s", optionJSON(t, b))
	}
}

// TestGoEchartsOmitsZero pins the go-echarts trap that makes this package
// build markLine data as maps: typed float fields are omitempty.
func TestGoEchartsOmitsZero(t *testing.T) {
	raw, _ := json.Marshal(opts.Piece{Gte: 0, Lt: 1})
	if strings.Contains(string(raw), "gte") {
		t.Skipf("go-echarts now keeps a 0 threshold (%s); the workaround may go", raw)
	}
	raw, _ = json.Marshal(map[string]any{"yAxis": 0.0})
	if string(raw) != `{"yAxis":0}` {
		t.Errorf("map marker: want {\"yAxis\":0}, got %s", raw)
	}
}

func TestMissingColumnError(t *testing.T) {
	tests := []struct {
		name  string
		panel catalog.Panel
		want  string
	}{
		{"y", catalog.Panel{Title: "CSAT vs on-time", Chart: catalog.ChartLine, X: "day", Y: []string{"csat"}},
			`panel "CSAT vs on-time": column "csat" not in result (has: day, orders)`},
		{"several", catalog.Panel{Title: "CSAT vs on-time", Chart: catalog.ChartBar, X: "week", Y: []string{"csat"}},
			`panel "CSAT vs on-time": columns "week", "csat" not in result (has: day, orders)`},
		{"series", catalog.Panel{Title: "By region", Chart: catalog.ChartLine, X: "day", Y: []string{"orders"}, Series: "region"},
			`panel "By region": column "region" not in result (has: day, orders)`},
		{"heatmap value", catalog.Panel{Title: "Retention", Chart: catalog.ChartHeatmap, X: "day", Y: []string{"orders"}, Value: "retained_rate"},
			`panel "Retention": column "retained_rate" not in result (has: day, orders)`},
		{"table", catalog.Panel{Title: "Daily", Chart: catalog.ChartTable, Columns: []string{"day", "nps"}},
			`panel "Daily": column "nps" not in result (has: day, orders)`},
		{"id when no title", catalog.Panel{ID: "p3", Chart: catalog.ChartPie, X: "channel", Y: []string{"orders"}},
			`panel "p3": column "channel" not in result (has: day, orders)`},
	}
	f := &frame.Frame{
		Columns: []frame.Column{{Name: "day", Type: frame.Date}, {Name: "orders", Type: frame.Integer}},
		Rows:    [][]any{{day(0), int64(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.panel, f, Options{})
			if err == nil {
				t.Fatalf("want error %q, got none", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\nwant %s\ngot  %s", tt.want, err)
			}
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Errorf("want an apperr.ErrInvalid error, got %T", err)
			}
		})
	}
}

func TestRenderRejectsTextValues(t *testing.T) {
	p := catalog.Panel{Title: "Bad", Chart: catalog.ChartBar, X: "orders", Y: []string{"channel"}}
	_, err := Render(p, channelFrame(), Options{})
	want := `panel "Bad": column "channel" holds text values, not numbers`
	if err == nil || err.Error() != want {
		t.Errorf("want error %q, got %v", want, err)
	}
	_, err = Render(catalog.Panel{Title: "Odd", Chart: "radar"}, channelFrame(), Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown chart kind "radar"`) {
		t.Errorf("unknown kind: want an error naming it, got %v", err)
	}
}

func TestPercentFormatting(t *testing.T) {
	p := catalog.Panel{ID: "p1", Title: "On-time", Chart: catalog.ChartLine, X: "day", Y: []string{"on_time_rate"}}
	b, _ := mustRender(t, p, regionFrame(), Options{Unit: "percent"})
	axis := b.tree["yAxis"].([]any)[0].(map[string]any)
	tip := seriesOf(t, b)[0]["tooltip"].(map[string]any)
	for what, v := range map[string]any{
		"axis label":      axis["axisLabel"].(map[string]any)["formatter"],
		"series tooltip":  tip["valueFormatter"],
		"default tooltip": b.tree["tooltip"].(map[string]any)["valueFormatter"],
	} {
		src := fnSource(t, b, v)
		if missing := containsAll(src, `"scale":100`, `"suffix":"%"`); len(missing) > 0 {
			t.Errorf("%s formatter: want %q, got %s", what, missing, src)
		}
	}
	if got, want := FormatValue(0.934, "percent", ""), "93.4%"; got != want {
		t.Errorf("FormatValue(0.934, percent): want %s, got %s", want, got)
	}
}

const attack = `</script><script>alert(1)</script>`

func TestEscaping(t *testing.T) {
	hostile := func() *frame.Frame {
		f := regionFrame()
		f.Rows = append(f.Rows, []any{day(1), attack, 0.93}, []any{day(2), `"quoted" <b>bold</b>`, 0.91})
		return f
	}
	cats := &frame.Frame{
		Columns: []frame.Column{{Name: "channel", Type: frame.Text}, {Name: "orders", Type: frame.Integer}},
		Rows:    [][]any{{attack, int64(5)}, {"__f__alert(2)__f__", int64(3)}, {"@@opsboard-fn-00-0@@", int64(2)}},
	}
	tests := []struct {
		name  string
		panel catalog.Panel
		frame *frame.Frame
	}{
		{"series name", catalog.Panel{Title: "T " + attack, Chart: catalog.ChartLine, X: "day", Y: []string{"on_time_rate"}, Series: "region",
			Markers: []catalog.Marker{{Y: 0.95, Label: attack}}}, hostile()},
		{"category", catalog.Panel{Title: attack, Chart: catalog.ChartBar, X: "channel", Y: []string{"orders"}}, cats},
		{"pie slice", catalog.Panel{Title: attack, Chart: catalog.ChartPie, X: "channel", Y: []string{"orders"}}, cats},
		{"funnel step", catalog.Panel{Title: attack, Chart: catalog.ChartFunnel, X: "channel", Y: []string{"orders"}}, cats},
		{"scatter series", catalog.Panel{Title: attack, Chart: catalog.ChartScatter, X: "day", Y: []string{"on_time_rate"}, Series: "region"}, hostile()},
		{"heatmap cell", catalog.Panel{Title: attack, Chart: catalog.ChartHeatmap, X: "day", Y: []string{"region"}, Value: "on_time_rate"}, hostile()},
		{"table cell", catalog.Panel{Title: attack, Chart: catalog.ChartTable}, cats},
	}
	for _, tt := range tests {
		for _, script := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/script=%v", tt.name, script), func(t *testing.T) {
				tt.panel.ID = "p1"
				escapedIn(t, tt.panel, tt.frame, Options{Title: true, Unit: "percent", Script: script}, tt.frame == cats)
			})
		}
	}
}

// escapedIn renders a panel whose labels hold attack and checks that the
// snippet carries them escaped only. markers: the frame also holds strings
// that look like function markers, which must stay strings.
func escapedIn(t *testing.T, p catalog.Panel, f *frame.Frame, o Options, markers bool) {
	t.Helper()
	_, html := mustRender(t, p, f, o)
	if strings.Contains(html, "</script><script>alert(1)") {
		t.Fatalf("snippet contains the label unescaped:\n%s", html)
	}
	if p.Chart == catalog.ChartTable {
		if !strings.Contains(html, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("table: want the cell HTML-escaped, got:\n%s", html)
		}
		return
	}
	if !strings.Contains(html, `\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e`) {
		t.Errorf("want the label JSON-escaped (\\u003c/script\\u003e…) in the options, got:\n%s", html)
	}
	if n := strings.Count(strings.ToLower(html), "<script"); n != 1 {
		t.Errorf("want exactly one <script element, got %d", n)
	}
	if n := strings.Count(strings.ToLower(html), "</script"); n != 1 {
		t.Errorf("want exactly one </script, got %d", n)
	}
	if !strings.Contains(html, `aria-label="&lt;/script&gt;`) && !strings.Contains(html, `aria-label="T &lt;/script&gt;`) {
		t.Errorf("want the title HTML-escaped in aria-label, got:\n%s", html)
	}
	if strings.Contains(html, "\u2028") || strings.Contains(html, "\u2029") {
		t.Errorf("want no raw line separators in the script")
	}
	if markers {
		for _, s := range []string{`"__f__alert(2)__f__"`, `"@@opsboard-fn-00-0@@"`} {
			if !strings.Contains(html, s) {
				t.Errorf("want %s kept as a JSON string, got:\n%s", s, html)
			}
		}
	}
}

func TestIDSanitized(t *testing.T) {
	tests := []struct{ id, panelID, want string }{
		{"c0-daily-ops", "p1", "c0_daily_ops"},
		{"7day", "p1", "c7day"},
		{"a b/c.d", "p1", "a_b_c_d"},
		{"", "p-2", "p_2"},
		{"_x", "p1", "c_x"},
		{`x"><script>`, "p1", "x___script_"},
	}
	for _, tt := range tests {
		p := catalog.Panel{ID: tt.panelID, Title: "t", Chart: catalog.ChartBar, X: "channel", Y: []string{"orders"}}
		_, html := mustRender(t, p, channelFrame(), Options{ID: tt.id, Script: true})
		if missing := containsAll(html, `<div id="`+tt.want+`"`, `var id="`+tt.want+`"`); len(missing) > 0 {
			t.Errorf("ID %q: want id %s, missing %q in:\n%s", tt.id, tt.want, missing, html)
		}
		_, html = mustRender(t, p, channelFrame(), Options{ID: tt.id})
		if missing := containsAll(html, `<div id="`+tt.want+`"`, `data-option="`+tt.want+`_option"`,
			`<script type="application/json" id="`+tt.want+`_option">`); len(missing) > 0 {
			t.Errorf("ID %q: want id %s, missing %q in:\n%s", tt.id, tt.want, missing, html)
		}
	}
	// Without any id, each chart still gets a distinct one.
	p := catalog.Panel{Title: "t", Chart: catalog.ChartBar, X: "channel", Y: []string{"orders"}}
	b1, _ := mustRender(t, p, channelFrame(), Options{})
	b2, _ := mustRender(t, p, channelFrame(), Options{})
	if b1.id == b2.id || !strings.HasPrefix(b1.id, "chart_") {
		t.Errorf("generated ids: want distinct chart_… ids, got %q and %q", b1.id, b2.id)
	}
}

func TestSeriesColorsAcrossPanels(t *testing.T) {
	stacked := catalog.Panel{ID: "p1", Title: "a", Chart: catalog.ChartStackedBar, X: "day", Y: []string{"orders"}, Series: "channel"}
	b1, _ := mustRender(t, stacked, stackedFrame(), Options{})

	f := stackedFrame()
	var rows [][]any
	for _, r := range f.Rows {
		if r[1] != "app" {
			rows = append(rows, r)
		}
	}
	f.Rows = rows
	line := catalog.Panel{ID: "p2", Title: "b", Chart: catalog.ChartLine, X: "day", Y: []string{"orders"}, Series: "channel"}
	b2, _ := mustRender(t, line, f, Options{})

	for _, name := range []string{"Web", "Marketplace"} {
		c1, c2 := colorOf(t, b1, name), colorOf(t, b2, name)
		if c1 != c2 || c1 != SeriesColor(name) {
			t.Errorf("series %q: want the same colour on both panels (%s), got %s and %s", name, SeriesColor(name), c1, c2)
		}
	}
	if SeriesColor("Web ") != SeriesColor("web") {
		t.Errorf("SeriesColor: want case and space ignored")
	}
	// Names on one chart never share a colour while the palette lasts.
	names := []string{"north", "south", "east", "west", "a", "b", "c", "d", "e", "f"}[:len(palette)]
	seen := map[string]string{}
	for i, c := range seriesColors(names) {
		if other, dup := seen[c]; dup {
			t.Errorf("seriesColors: %q and %q share %s", other, names[i], c)
		}
		seen[c] = names[i]
	}
}

func TestRenderOptions(t *testing.T) {
	p := catalog.Panel{ID: "p1", Title: "Orders", Chart: catalog.ChartBar, X: "channel", Y: []string{"orders"}}
	b, html := mustRender(t, p, channelFrame(), Options{Renderer: "svg", Animation: false, Nonce: "abc123", Script: true})
	if missing := containsAll(html, `renderer:"svg"`, `height:320px`, `width:100%`, `<script nonce="abc123">`, `"resize"`); len(missing) > 0 {
		t.Errorf("snippet: want %q, missing from:\n%s", missing, html)
	}
	if b.tree["animation"] != false {
		t.Errorf("animation: want false, got %v", b.tree["animation"])
	}
	if title := b.tree["title"].(map[string]any); title["show"] != false || title["text"] != nil {
		t.Errorf("title: want hidden and empty by default (the page prints it), got %v", title)
	}
	if legend := b.tree["legend"].(map[string]any); legend["show"] != false {
		t.Errorf("legend with one series: want hidden, got %v", legend)
	}

	b, html = mustRender(t, p, channelFrame(), Options{Renderer: "webgl", Animation: true, Height: 200, Title: true, Nonce: `"><x`, Script: true})
	if missing := containsAll(html, `renderer:"canvas"`, `height:200px`, "<script>"); len(missing) > 0 {
		t.Errorf("snippet: want %q, missing from:\n%s", missing, html)
	}
	if b.tree["animation"] != true {
		t.Errorf("animation: want true, got %v", b.tree["animation"])
	}
	if title := b.tree["title"].(map[string]any); title["text"] != "Orders" {
		t.Errorf("title: want Orders drawn in the chart, got %v", title)
	}

	// A data snippet hands the renderer and units to the page script.
	line := catalog.Panel{ID: "p2", Title: "CSAT vs on-time", Chart: catalog.ChartLine, X: "day",
		Y: []string{"csat", "on_time_rate", "orders"}, Y2: []string{"on_time_rate"}}
	_, html = mustRender(t, line, dailyFrame(3), Options{Renderer: "svg", Unit: "score", Nonce: "abc123"})
	if missing := containsAll(html, `data-renderer="svg"`, `data-formats="`); len(missing) > 0 {
		t.Errorf("data snippet: want %q, missing from:\n%s", missing, html)
	}
	var formats struct {
		Main   Spec   `json:"main"`
		Axes   []Spec `json:"axes"`
		Series []Spec `json:"series"`
	}
	attr := regexp.MustCompile(`data-formats="([^"]*)"`).FindStringSubmatch(html)
	if err := json.Unmarshal([]byte(htmlUnescape(attr[1])), &formats); err != nil {
		t.Fatalf("data-formats: %v", err)
	}
	if formats.Main != SpecFor("score", "") || len(formats.Axes) != 2 || formats.Axes[1] != SpecFor("percent", "").Axis() ||
		len(formats.Series) != 3 || formats.Series[2] != SpecFor("count", "") {
		t.Errorf("data-formats: want score main, a score and a percent axis, score, percent and count series; got %+v", formats)
	}
	if strings.Contains(html, "nonce") || strings.Contains(html, "<script>") {
		t.Errorf("data snippet: want no executable script, got:\n%s", html)
	}
}

func htmlUnescape(s string) string { return html.UnescapeString(s) }

// jsonBlock returns the content of a data snippet's JSON <script> block.
func jsonBlock(t *testing.T, html string) string {
	t.Helper()
	_, rest, ok := strings.Cut(html, `<script type="application/json"`)
	if !ok {
		t.Fatalf("no JSON block in:\n%s", html)
	}
	_, rest, _ = strings.Cut(rest, ">")
	block, _, ok := strings.Cut(rest, "</script>")
	if !ok {
		t.Fatalf("unterminated JSON block in:\n%s", html)
	}
	return block
}

func TestFormatterFunctionsAreSafe(t *testing.T) {
	for _, unit := range []string{"", "count", "percent", "ratio", "score", "currency", "currency EUR", "currency </s", "hours", "days", "furlongs"} {
		for _, axis := range []bool{false, true} {
			src := jsFormatter(unit, axis)
			if !strings.HasPrefix(src, "function(v){") || !strings.HasSuffix(src, "}") || !safeScript(src) {
				t.Errorf("jsFormatter(%q, %v): want a plain function safe in <script>, got %s", unit, axis, src)
			}
		}
	}
	if safeScript(`function(){return "</SCRIPT>";}`) {
		t.Errorf("safeScript: want </SCRIPT> rejected")
	}
}

func TestRenderEmptyFrame(t *testing.T) {
	empty := func(f *frame.Frame) *frame.Frame { f.Rows = nil; return f }
	panels := []struct {
		p catalog.Panel
		f *frame.Frame
	}{
		{catalog.Panel{Chart: catalog.ChartLine, X: "day", Y: []string{"csat"}, Series: "orders"}, empty(dailyFrame(1))},
		{catalog.Panel{Chart: catalog.ChartStackedBar, X: "day", Y: []string{"csat"}, Markers: []catalog.Marker{{Y: 1}}}, empty(dailyFrame(1))},
		{catalog.Panel{Chart: catalog.ChartPie, X: "channel", Y: []string{"orders"}}, empty(channelFrame())},
		{catalog.Panel{Chart: catalog.ChartFunnel, X: "channel", Y: []string{"orders"}}, empty(channelFrame())},
		{catalog.Panel{Chart: catalog.ChartScatter, X: "on_time_rate", Y: []string{"csat"}}, empty(scatterFrame())},
		{catalog.Panel{Chart: catalog.ChartHeatmap, X: "month_offset", Y: []string{"cohort"}, Value: "retained_rate"}, empty(cohortFrame())},
		{catalog.Panel{Chart: catalog.ChartGauge, Y: []string{"csat"}}, empty(kpiFrame(1))},
		{catalog.Panel{Chart: catalog.ChartTable}, empty(channelFrame())},
	}
	for _, pp := range panels {
		pp.p.Title = "empty " + pp.p.Chart
		if _, err := Render(pp.p, pp.f, Options{}); err != nil {
			t.Errorf("%s on an empty frame: want a drawable chart, got %v", pp.p.Chart, err)
		}
	}
}

func TestBarWithY2DrawsALine(t *testing.T) {
	p := catalog.Panel{ID: "p1", Title: "Orders and on-time", Chart: catalog.ChartBar, X: "day",
		Y: []string{"orders", "on_time_rate"}, Y2: []string{"on_time_rate"}}
	b, _ := mustRender(t, p, dailyFrame(5), Options{Unit: "count"})
	types := map[string]string{}
	for _, s := range seriesOf(t, b) {
		types[fmt.Sprint(s["name"])] = fmt.Sprint(s["type"])
	}
	if types["Orders"] != "bar" || types["On time rate"] != "line" {
		t.Errorf("series types %v: want orders as bars and the right-axis rate as a line", types)
	}
}

func TestHumanize(t *testing.T) {
	for in, want := range map[string]string{"on_time_rate": "On time rate", "support_csat": "Support CSAT", "nps": "NPS", "orders": "Orders"} {
		if got := Humanize(in); got != want {
			t.Errorf("Humanize(%q) = %q, want %q", in, got, want)
		}
	}
}

// A query that names its sample gets, for its measured value only, what
// each point rests on, for the tooltips.
func TestTooltipsSayWhatEachPointRestsOn(t *testing.T) {
	f := &frame.Frame{
		Columns: []frame.Column{{Name: "lateness", Type: frame.Text}, {Name: "csat", Type: frame.Number}, {Name: "responses", Type: frame.Integer}},
		Rows:    [][]any{{"On time", 4.6, int64(1200)}, {"1 day late", 4.1, int64(140)}},
	}
	p := catalog.Panel{ID: "p1", Title: "CSAT by lateness", Chart: catalog.ChartBar, X: "lateness", Y: []string{"csat", "responses"}}
	_, html := mustRender(t, p, f, Options{Unit: "score", Sample: "responses"})
	attr := regexp.MustCompile(`data-formats="([^"]*)"`).FindStringSubmatch(html)
	var formats struct {
		Notes [][]string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(htmlUnescape(attr[1])), &formats); err != nil {
		t.Fatal(err)
	}
	if len(formats.Notes) != 2 || strings.Join(formats.Notes[0], "|") != "from 1,200 responses|from 140 responses" || formats.Notes[1] != nil {
		t.Errorf("notes %q; want the csat series' samples and none for the responses series", formats.Notes)
	}
}

// Categories read as words, months as "Aug 2026", and a 1–5 score axis ends
// at 5.
func TestReadableLabelsAndScoreAxis(t *testing.T) {
	f := &frame.Frame{
		Columns: []frame.Column{{Name: "category", Type: frame.Text}, {Name: "csat", Type: frame.Number}},
		Rows:    [][]any{{"where_is_my_order", 4.02}, {"not_as_described", 4.61}},
	}
	b, _ := mustRender(t, catalog.Panel{ID: "p1", Title: "By category", Chart: catalog.ChartBar, X: "category", Y: []string{"csat"}}, f, Options{Unit: "score"})
	opt := mustJSON(t, b.tree)
	for _, want := range []string{`"data":["Where is my order","Not as described"]`, `"max":5`} {
		if !strings.Contains(opt, want) {
			t.Errorf("want %s in:\n%s", want, opt)
		}
	}
	months := &frame.Frame{
		Columns: []frame.Column{{Name: "month", Type: frame.Date}, {Name: "churned", Type: frame.Integer}},
		Rows:    [][]any{{time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), int64(3)}, {time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), int64(5)}},
	}
	b, _ = mustRender(t, catalog.Panel{ID: "p2", Title: "Churn", Chart: catalog.ChartLine, X: "month", Y: []string{"churned"}}, months, Options{})
	if opt := mustJSON(t, b.tree); !strings.Contains(opt, `"data":["Aug 2026","Sep 2026"]`) {
		t.Errorf("months not written as Aug 2026:\n%s", opt)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

// The last bucket of a monthly or weekly series that runs past the range
// is drawn as partial, and its tooltip says so; a daily series is not.
func TestUnfinishedLastBucketIsPartial(t *testing.T) {
	month := func(m time.Month) time.Time { return time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC) }
	monthly := &frame.Frame{
		Columns: []frame.Column{{Name: "month", Type: frame.Date}, {Name: "churn_rate", Type: frame.Number}},
		Rows:    [][]any{{month(9), 0.21}, {month(10), 0.22}, {month(11), 0.175}},
	}
	end := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	line := catalog.Panel{ID: "p1", Title: "Churn", Chart: catalog.ChartLine, X: "month", Y: []string{"churn_rate"}}
	b, html := mustRender(t, line, monthly, Options{Unit: "percent", RangeEnd: end})
	opt := mustJSON(t, b.tree)
	if !strings.Contains(opt, `"type":"piecewise"`) || !strings.Contains(opt, `"gt":1`) {
		t.Errorf("the unfinished November is not drawn faded:\n%s", opt)
	}
	if !strings.Contains(html, "partial: the month is not over") {
		t.Errorf("the tooltip notes do not say the month is partial")
	}
	weekly := &frame.Frame{
		Columns: []frame.Column{{Name: "week", Type: frame.Date}, {Name: "orders", Type: frame.Integer}},
		Rows: [][]any{{time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), int64(1700)}, {time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), int64(1500)},
			{time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), int64(1650)}},
	}
	bar := catalog.Panel{ID: "p2", Title: "Orders per week", Chart: catalog.ChartBar, X: "week", Y: []string{"orders"}}
	b, _ = mustRender(t, bar, weekly, Options{RangeEnd: end})
	if opt := mustJSON(t, b.tree); !strings.Contains(opt, `{"itemStyle":{"opacity":0.4},"value":1500}`) {
		t.Errorf("the week of 23 Nov (ending 30 Nov, after the range) is not a lighter bar:\n%s", opt)
	}
	b, _ = mustRender(t, bar, weekly, Options{RangeEnd: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)})
	if opt := mustJSON(t, b.tree); strings.Contains(opt, `"opacity":0.4`) {
		t.Errorf("a week that is over is drawn as partial")
	}
	_, html = mustRender(t, catalog.Panel{ID: "p3", Title: "Daily", Chart: catalog.ChartLine, X: "day", Y: []string{"orders"}}, dailyFrame(5), Options{RangeEnd: end})
	if strings.Contains(html, "partial") {
		t.Errorf("a daily series is drawn as partial")
	}
}
