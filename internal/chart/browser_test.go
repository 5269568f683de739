package chart

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
)

// TestChartsInChromium renders a page with every chart kind, loads it in
// headless Chromium with ECharts loaded the way the pages load it (defer),
// and checks from the resulting DOM that every chart was drawn and that a
// hostile label did not run. Data snippets are drawn by the page script
// (internal/page's app.js) when it is in the repository; Script snippets
// draw themselves. Set OPSBOARD_CHART_PAGE=DIR to keep the pages and
// screenshots there for a look.
func TestChartsInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	chrome := browsertest.Need(t)
	dir := os.Getenv("OPSBOARD_CHART_PAGE")
	if dir == "" {
		dir = t.TempDir()
	}
	appJS := writePageAssets(t, dir)

	for _, tc := range []struct {
		name     string
		script   bool
		renderer string
	}{
		{"script-svg", true, "svg"},
		{"page-svg", false, "svg"},
		{"page-canvas", false, "canvas"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.script && !appJS {
				t.Skip("no page script (internal/page/assets/app.js) to draw data snippets")
			}
			page, ids := demoPage(t, Options{Renderer: tc.renderer, Script: tc.script})
			file := filepath.Join(dir, tc.name+".html")
			if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			dom := runChromium(t, chrome, "--dump-dom", "file://"+file)
			for _, id := range ids {
				re := regexp.MustCompile(`<div id="` + id + `"[^>]*data-drawn="true"`)
				if !re.MatchString(dom) {
					t.Errorf("chart %s: want it drawn (data-drawn=\"true\"), the DOM has no such div", id)
				}
			}
			if regexp.MustCompile(`<body[^>]*data-pwned`).MatchString(dom) {
				t.Errorf("a label containing </script><script>… ran as code")
			}
			if tc.renderer == "svg" && !strings.Contains(dom, "<svg") {
				t.Errorf("svg renderer: want <svg> elements in the DOM")
			}
			if os.Getenv("OPSBOARD_CHART_PAGE") != "" {
				runChromium(t, chrome, "--screenshot="+filepath.Join(dir, tc.name+".png"), "--window-size=1280,2000", "file://"+file)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writePageAssets writes ECharts into dir, and the page script as the
// asset server serves it (format.js ahead of it) when the repository has
// it, which it reports. Without ECharts the test is skipped.
func writePageAssets(t *testing.T, dir string) (appJS bool) {
	t.Helper()
	echartsJS := findAsset("echarts/echarts.min.js")
	if echartsJS == "" {
		t.Skip("no echarts.min.js in the repository")
	}
	copyFile(t, echartsJS, filepath.Join(dir, "echarts.min.js"))
	app := findAsset("app.js")
	if app == "" {
		return false
	}
	src, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.js"), append([]byte(FormatJS+"\n"), src...), 0o644); err != nil {
		t.Fatal(err)
	}
	return true
}

// findAsset finds one of the page's static files in the repository.
func findAsset(name string) string {
	for _, dir := range []string{"../page/assets/", "../web/assets/"} {
		if _, err := os.Stat(dir + name); err == nil {
			return dir + name
		}
	}
	return ""
}

func runChromium(t *testing.T, chrome string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--allow-file-access-from-files", "--virtual-time-budget=3000", "--window-size=1280,2000"}
	cmd := exec.CommandContext(ctx, chrome, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// demoPage lays out one panel of every kind in a 12-column grid, like the
// dashboard page, with ECharts (and the page script for data snippets)
// loaded by deferred scripts.
func demoPage(t *testing.T, o Options) (string, []string) {
	t.Helper()
	hostile := `</script><script>document.body.setAttribute("data-pwned","1")</script>`
	longHostile := regionFrame()
	longHostile.Rows = append(longHostile.Rows, []any{day(1), hostile, 0.93})

	panels := []struct {
		p    catalog.Panel
		f    *frame.Frame
		unit string
	}{
		{catalog.Panel{ID: "p1", Title: "CSAT vs on-time delivery", Chart: catalog.ChartLine, X: "day", Y: []string{"csat", "on_time_rate"},
			Y2: []string{"on_time_rate"}, Markers: []catalog.Marker{{Y: 4.5, Label: "CSAT target"}}, Width: 8}, dailyFrame(28), "score"},
		{catalog.Panel{ID: "p2", Title: "Orders by channel", Chart: catalog.ChartPie, X: "channel", Y: []string{"orders"}, Width: 4}, channelFrame(), "count"},
		{catalog.Panel{ID: "p3", Title: "Orders per day", Chart: catalog.ChartArea, X: "day", Y: []string{"orders"}, Width: 6}, dailyFrame(28), "count"},
		{catalog.Panel{ID: "p4", Title: "On-time by region " + hostile, Chart: catalog.ChartLine, X: "day", Y: []string{"on_time_rate"},
			Series: "region", Markers: []catalog.Marker{{Y: 0.95, Label: "Target"}, {Y: 0, Label: "zero"}}, Width: 6}, longHostile, "percent"},
		{catalog.Panel{ID: "p5", Title: "Orders by channel per day", Chart: catalog.ChartStackedBar, X: "day", Y: []string{"orders"}, Series: "channel", Width: 6},
			stackedFrame(), "count"},
		{catalog.Panel{ID: "p6", Title: "Orders", Chart: catalog.ChartBar, X: "channel", Y: []string{"orders"}, Width: 6}, channelFrame(), "count"},
		{catalog.Panel{ID: "p7", Title: "Repeat purchase funnel", Chart: catalog.ChartFunnel, X: "step", Y: []string{"customers"}, Width: 4}, funnelFrame(), "count"},
		{catalog.Panel{ID: "p8", Title: "CSAT today", Chart: catalog.ChartGauge, Y: []string{"csat"}, Markers: []catalog.Marker{{Y: 4.5}}, Width: 4}, kpiFrame(4.32), "score"},
		{catalog.Panel{ID: "p9", Title: "On-time vs CSAT", Chart: catalog.ChartScatter, X: "on_time_rate", Y: []string{"csat"}, Series: "region", Width: 4}, scatterFrame(), "score"},
		{catalog.Panel{ID: "p10", Title: "Cohort retention", Chart: catalog.ChartHeatmap, X: "month_offset", Y: []string{"cohort"}, Value: "retained_rate", Width: 12}, cohortFrame(), "percent"},
		{catalog.Panel{ID: "p12", Title: "On-time by day and region", Chart: catalog.ChartScatter, X: "day", Y: []string{"on_time_rate"}, Series: "region", Width: 6},
			regionFrame(), "percent"},
		{catalog.Panel{ID: "p11", Title: "Daily numbers", Chart: catalog.ChartTable, Width: 12}, dailyFrame(5), "percent"},
	}
	pageScript := ""
	if !o.Script {
		pageScript = `<script src="app.js" defer></script>`
	}
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>charts</title>
<script src="echarts.min.js" defer></script>
` + pageScript + `
<style>
body{margin:0;padding:20px;background:#f5f6f8;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2433;font-size:14px}
.grid{display:grid;grid-template-columns:repeat(12,minmax(0,1fr));gap:12px}
.panel{background:#fff;border:1px solid #e3e6eb;border-radius:10px;padding:12px 14px 10px;min-width:0}
.panel h2{font-size:15px;margin:0 0 6px}
.data-table{font-size:13px}.data-table th,.data-table td{padding:4px 8px;border-bottom:1px solid #e3e6eb}
</style></head><body><div class="grid">`)
	var ids []string
	for i, pp := range panels {
		o.ID, o.Unit = fmt.Sprintf("c%d-%s", i, pp.p.ID), pp.unit
		h, err := Render(pp.p, pp.f, o)
		if err != nil {
			t.Fatalf("Render %s: %v", pp.p.Title, err)
		}
		if pp.p.Chart != catalog.ChartTable {
			ids = append(ids, sanitizeID(fmt.Sprintf("c%d-%s", i, pp.p.ID)))
		}
		fmt.Fprintf(&b, `<section class="panel" style="grid-column:span %d"><h2>%s</h2>%s</section>`,
			pp.p.Width, strings.ReplaceAll(strings.ReplaceAll(pp.p.Title, "&", "&amp;"), "<", "&lt;"), h)
	}
	b.WriteString(`</div>
<div class="grid" style="margin-top:12px">
<section class="panel" style="grid-column:span 4"><h2>Sparkline</h2>`)
	b.WriteString(string(Sparkline([]float64{3, 4, 3.5, 5, 4.8, 6, 5.5, 7}, 160, 30)))
	b.WriteString(`</section></div></body></html>`)
	return b.String(), ids
}

func stackedFrame() *frame.Frame {
	f := &frame.Frame{Columns: []frame.Column{
		{Name: "day", Type: frame.Date}, {Name: "channel", Type: frame.Text}, {Name: "orders", Type: frame.Integer},
	}}
	for i := 0; i < 10; i++ {
		for j, ch := range []string{"web", "app", "marketplace"} {
			f.Rows = append(f.Rows, []any{day(i), ch, int64(600 - 150*j + 13*i)})
		}
	}
	return f
}
