package page_test

import (
	"bytes"
	"html/template"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/frame/frametest"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
)

// dailyOpsView is the shipped daily-ops dashboard's default view as the
// builder leaves it with every query answered (from a warm cache): no
// database, so the benchmark measures the page alone.
func dailyOpsView(b *testing.B) *dashboard.View {
	b.Helper()
	c, err := catalog.Load(filepath.Join("..", ".."))
	if err != nil {
		b.Fatal(err)
	}
	d, ok := c.Dashboards["daily-ops"]
	if !ok {
		b.Fatal("no daily-ops dashboard")
	}
	today := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	rng, err := query.ParseRange(d.Range, today)
	if err != nil {
		b.Fatal(err)
	}
	cmp, hasCmp, err := rng.Compare(d.Compare)
	if err != nil {
		b.Fatal(err)
	}
	v := &dashboard.View{Dashboard: d, RangeSpec: d.Range, Range: rng, Compare: d.Compare, CompareRange: cmp,
		HasCompare: hasCmp, PanelRange: rng, Params: map[string]string{}, Location: time.UTC}
	for _, f := range d.Filters {
		v.Filters = append(v.Filters, dashboard.FilterView{Filter: f, Options: f.Options, Value: f.Options[0]})
		v.Params[f.Param] = f.Options[0]
	}
	for i, t := range d.Tiles {
		tv := dashboard.TileView{Tile: t, Query: c.Queries[t.Query], Value: 100 + float64(i), HasValue: true,
			Previous: 95 + float64(i), HasPrevious: true}
		for j := range 14 {
			tv.Spark = append(tv.Spark, 90+5*math.Sin(float64(i+j)))
		}
		v.Tiles = append(v.Tiles, tv)
	}
	for _, p := range d.Panels {
		v.Panels = append(v.Panels, dashboard.PanelView{Panel: p, Query: c.Queries[p.Query], Frame: frametest.ForPanel(p)})
	}
	return v
}

// BenchmarkDashboardPage renders the daily-ops page from a computed view:
// "opsboard" is what the handler does after the view is built (page model
// with every chart drawn and every tile formatted, then the templates);
// "templates-only" is the template execution alone, from a ready model.
// The baseline writes a ready-made HTML body of the same size through an
// html/template: the floor for emitting that many bytes from a template.
func BenchmarkDashboardPage(b *testing.B) {
	v := dailyOpsView(b)
	r, err := page.NewRenderer()
	if err != nil {
		b.Fatal(err)
	}
	opts := page.DashboardOptions{Path: "/d/daily-ops", Glossary: "/kpis"}
	pg := func(data page.DashboardData) page.Page {
		return page.Page{Title: v.Dashboard.Title, Nav: "home", Assets: "/assets/0123456789ab", Charts: true, TimeZone: "UTC", Data: data}
	}
	var out bytes.Buffer
	if err := r.Render(&out, "dashboard", pg(page.Dashboard(v, opts))); err != nil {
		b.Fatal(err)
	}
	size := out.Len()
	b.Run("opsboard", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			out.Reset()
			if err := r.Render(&out, "dashboard", pg(page.Dashboard(v, opts))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("templates-only", func(b *testing.B) {
		p := pg(page.Dashboard(v, opts))
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			out.Reset()
			if err := r.Render(&out, "dashboard", p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-template-copy", func(b *testing.B) {
		body := template.HTML(bytes.Repeat([]byte("x"), size))
		t := template.Must(template.New("page").Parse(`{{.}}`))
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			out.Reset()
			if err := t.Execute(&out, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
