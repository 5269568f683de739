package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"github.com/opsboard/opsboard/internal/catalog"
)

// TestReaderSeesThinAndUnfinishedInChromium draws a thin bar and a
// cohort heatmap with an unfinished month in headless Chromium, both as
// self-drawing snippets and as data the page script draws, hovers each
// (ECharts' showTip) and reads what the reader reads: the tooltips and
// the labels on the chart.
func TestReaderSeesThinAndUnfinishedInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	chrome := browsertest.Need(t)
	dir := t.TempDir()
	if !writePageAssets(t, dir) {
		t.Skip("no page script in the repository")
	}

	csat := &catalog.Query{Name: "csat/by_lateness", Unit: "score", Metric: catalog.Metric{Aggregate: catalog.Mean, Sample: "responses"},
		Columns: []catalog.ColumnMeta{{Name: "csat", Aggregate: "mean", Sample: "responses"}}}
	panels := []struct {
		id   string
		p    catalog.Panel
		o    Options
		tips map[int]string // data index → what its tooltip says
	}{
		{"bars", catalog.Panel{Title: "Delivery CSAT by lateness", Chart: catalog.ChartBar, X: "lateness", Y: []string{"csat"}},
			Options{Unit: "score", Sample: "responses", Query: csat},
			map[int]string{0: "4.60 (from 1,200 responses)", 2: "3.00 (only 3 responses: too few to go by)"}},
		{"heat", catalog.Panel{Title: "Cohorts", Chart: catalog.ChartHeatmap, X: "month_offset", Y: []string{"cohort"}, Value: "retained_rate"},
			Options{Unit: "percent", RangeEnd: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC)},
			map[int]string{5: "Month offset 5 · month not over", 1: "Month offset 1"}},
	}
	for _, mode := range []string{"script", "page"} {
		t.Run(mode, func(t *testing.T) {
			var page strings.Builder
			page.WriteString(`<!doctype html><html><head><meta charset="utf-8"><script src="echarts.min.js" defer></script>`)
			if mode == "page" {
				page.WriteString(`<script src="app.js" defer></script>`)
			}
			page.WriteString(`</head><body style="width:900px">`)
			var hover []string
			for _, pp := range panels {
				o := pp.o
				o.ID, o.Renderer, o.Script = pp.id, "svg", mode == "script"
				f := latenessFrame()
				if pp.p.Chart == catalog.ChartHeatmap {
					f = cohortFrame()
				}
				h, err := Render(pp.p, f, o)
				if err != nil {
					t.Fatal(err)
				}
				page.WriteString(`<div style="width:800px">` + string(h) + `</div>`)
				for k := range pp.tips {
					hover = append(hover, fmt.Sprintf("[%q,%d]", pp.id, k))
				}
			}
			// Hover each point in turn and keep the tooltip's text.
			page.WriteString(`<pre id="tips"></pre><script>window.addEventListener("load",function(){` +
				`var hover=[` + strings.Join(hover, ",") + `],out=[];` +
				`function next(){if(!hover.length){document.getElementById("tips").textContent=out.join("\n");return;}` +
				`var h=hover.shift(),el=document.getElementById(h[0]),c=echarts.getInstanceByDom(el);` +
				`c.dispatchAction({type:"showTip",seriesIndex:0,dataIndex:h[1]});` +
				`setTimeout(function(){var t="";for(var i=1;i<el.children.length;i++){t+=el.children[i].textContent;}` +
				`out.push(h[0]+" "+h[1]+": "+t.replace(/\s+/g," "));c.dispatchAction({type:"hideTip"});next();},300);}` +
				`setTimeout(next,500);});</script></body></html>`)
			file := filepath.Join(dir, mode+".html")
			if err := os.WriteFile(file, []byte(page.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			dom := runChromium(t, chrome, "--dump-dom", "file://"+file)
			m := regexp.MustCompile(`(?s)<pre id="tips">(.*?)</pre>`).FindStringSubmatch(dom)
			if m == nil || strings.TrimSpace(m[1]) == "" {
				t.Fatalf("no tooltips read from the page:\n%s", dom)
			}
			tips := htmlUnescape(m[1])
			for _, pp := range panels {
				for k, want := range pp.tips {
					line := regexp.MustCompile(`(?m)^` + pp.id + ` ` + fmt.Sprint(k) + `: (.*)$`).FindStringSubmatch(tips)
					if line == nil || !strings.Contains(line[1], want) {
						t.Errorf("%s point %d: want a tooltip saying %q, got %q", pp.id, k, want, line)
					}
				}
			}
			// On the chart itself: the thin bar's label and the heatmap's note.
			for _, want := range []string{"only 3 responses", "Dec 2025 is not over"} {
				if !strings.Contains(dom, want) {
					t.Errorf("want %q drawn on the chart", want)
				}
			}
		})
	}
}
