package chart_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/chart"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/frame/frametest"
)

// dailyOpsPanels returns the shipped daily-ops dashboard's chart panels
// with a frame each.
func dailyOpsPanels(b *testing.B) ([]catalog.Panel, []*frame.Frame) {
	b.Helper()
	c, err := catalog.Load(filepath.Join("..", ".."))
	if err != nil {
		b.Fatal(err)
	}
	d, ok := c.Dashboards["daily-ops"]
	if !ok {
		b.Fatal("no daily-ops dashboard")
	}
	var ps []catalog.Panel
	var fs []*frame.Frame
	for _, p := range d.Panels {
		if p.Chart == catalog.ChartTable {
			continue
		}
		ps = append(ps, p)
		fs = append(fs, frametest.ForPanel(p))
	}
	return ps, fs
}

// BenchmarkRenderDailyOpsCharts draws every chart of the daily-ops
// dashboard (28 days, as the default range) once per op, as the web page
// does. The baseline encodes the same numbers as a bare ECharts option
// (categories and one data array per series) with encoding/json: the floor
// for turning a frame into chart JSON.
func BenchmarkRenderDailyOpsCharts(b *testing.B) {
	ps, fs := dailyOpsPanels(b)
	b.Run("opsboard", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i, p := range ps {
				if _, err := chart.Render(p, fs[i], chart.Options{ID: "c" + p.ID, Renderer: "canvas", Animation: true}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("baseline-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i, p := range ps {
				f := fs[i]
				cats := make([]string, 0, len(f.Rows))
				series := map[string][]float64{}
				for _, row := range f.Rows {
					cats = append(cats, frame.Format(row[0], f.Columns[0].Type))
					for k, y := range p.Y {
						v, _ := frame.Float(row[len(row)-len(p.Y)+k])
						series[y] = append(series[y], v)
					}
				}
				opt := map[string]any{"xAxis": map[string]any{"type": "category", "data": cats}, "yAxis": map[string]any{"type": "value"}}
				var ss []map[string]any
				for name, data := range series {
					ss = append(ss, map[string]any{"name": name, "type": "line", "data": data})
				}
				opt["series"] = ss
				if _, err := json.Marshal(opt); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkSparkline draws one KPI tile's 14-point sparkline.
func BenchmarkSparkline(b *testing.B) {
	vals := []float64{4.1, 4.2, 4.15, 4.3, 4.25, 4.2, 4.4, 4.35, 4.3, 4.45, 4.5, 4.4, 4.42, 4.48}
	b.ReportAllocs()
	for b.Loop() {
		chart.Sparkline(vals, 160, 30)
	}
}
