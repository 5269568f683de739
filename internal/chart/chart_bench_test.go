package chart_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/chart"
	"github.com/opsboard/opsboard/internal/frame"
)

// benchFrame is a result shaped like a panel's query over 28 days: the x
// column (dates for "day", else seven categories), the series column
// pivoted into four values when there is one, and a number per y column.
func benchFrame(p catalog.Panel) *frame.Frame {
	f := &frame.Frame{}
	xType := frame.Text
	if p.X == "day" {
		xType = frame.Date
	}
	f.Columns = append(f.Columns, frame.Column{Name: p.X, Type: xType})
	if p.Series != "" {
		f.Columns = append(f.Columns, frame.Column{Name: p.Series, Type: frame.Text})
	}
	for _, y := range p.Y {
		f.Columns = append(f.Columns, frame.Column{Name: y, Type: frame.Number})
	}
	xs := 28
	if xType == frame.Text {
		xs = 7
	}
	series := []string{""}
	if p.Series != "" {
		series = []string{"north", "south", "east", "west"}
	}
	for i := range xs {
		var x any = time.Date(2026, 10, 25+i, 0, 0, 0, 0, time.UTC)
		if xType == frame.Text {
			x = "category_" + string(rune('a'+i))
		}
		for j, s := range series {
			row := []any{x}
			if p.Series != "" {
				row = append(row, s)
			}
			for k := range p.Y {
				row = append(row, 0.8+0.01*float64((i*7+j*3+k)%17)+float64(k))
			}
			f.Rows = append(f.Rows, row)
		}
	}
	return f
}

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
		fs = append(fs, benchFrame(p))
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
