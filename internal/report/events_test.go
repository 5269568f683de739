package report_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/catalog/catalogtest"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
)

// The report's PDF draws the events of its charts' days on them and lists
// those of its period under the highlights, read back with pdftotext.
func TestEventsInTheReportPDF(t *testing.T) {
	chrome := browsertest.Need(t)
	ctx := context.Background()
	if err := dbtest.Admin(t).Exec(ctx, `CREATE TABLE parcels (day date, n int);
		INSERT INTO parcels SELECT date '2026-03-01' + g, 100 + g FROM generate_series(0, 30) g`); err != nil {
		t.Fatal(err)
	}
	cat := catalogtest.Load(t, map[string]string{
		"sql/parcels.sql":         "-- title: Parcels\nSELECT day, n AS parcels FROM parcels WHERE day >= :from AND day < :to ORDER BY 1",
		"sql/total.sql":           "-- title: Parcels sent\n-- unit: count\nSELECT sum(n) AS value FROM parcels WHERE day >= :from AND day < :to",
		"dashboards/post.yaml":    "title: Post room\ntiles:\n  - query: total\npanels:\n  - {title: Parcels per day, query: parcels, chart: line, x: day, y: parcels}\n",
		"reports/post-daily.yaml": "title: Post daily\ndashboard: post\nto: [post@example.com]\n",
	})
	d := func(s string) time.Time { x, _ := time.Parse("2006-01-02", s); return x }
	events := func(ctx context.Context, name string, r query.Range) ([]dashboard.Annotation, error) {
		return []dashboard.Annotation{
			{From: d("2026-03-10"), To: d("2026-03-10"), Title: "Sorting belt down", Team: "ops"},
			{From: d("2026-03-25"), To: d("2026-03-26"), Title: "Spring promotion", Team: "marketing", Note: "Free shipping"},
		}, nil
	}
	p, err := report.NewProducer(report.Config{Catalog: func() *catalog.Catalog { return cat },
		Runner: query.NewRunner(dbtest.Warehouse(t), query.Options{}), Location: time.UTC, Chrome: chrome, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	o, err := p.Render(ctx, "post-daily", d("2026-03-25"))
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := p.PDF(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	// The period (25 March) has the promotion: listed and drawn; the belt
	// (10 March) is only drawn on the 28-day chart.
	if n := strings.Count(text, "Spring promotion"); n < 2 {
		t.Errorf("the promotion appears %d times in the PDF; want listed under the highlights and drawn on the chart:\n%s", n, text)
	}
	if !strings.Contains(text, "Free shipping") {
		t.Errorf("the listed event lacks its note:\n%s", text)
	}
	if n := strings.Count(text, "Sorting belt down"); n != 1 {
		t.Errorf("the belt outage appears %d times; want drawn on the chart only:\n%s", n, text)
	}
}
