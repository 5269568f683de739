package report_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/demo"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
)

// The only TestMain of this test binary (report and report_test): the
// internal email tests run under it too.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// BenchmarkReportPDF produces the shipped ops-daily report with a warm
// Chromium (one Producer, as in a long-running serve or a send run):
// "render+pdf" computes the report (its queries, uncached) and prints it;
// "pdf" prints an already rendered report. It needs Chromium and loads the
// demo dataset (scale 1) into the package's database.
func BenchmarkReportPDF(b *testing.B) {
	if _, err := browser.Find(os.Getenv("OPSBOARD_CHROME")); err != nil {
		b.Skip(err)
	}
	ctx := context.Background()
	now := time.Now()
	if _, err := demo.Load(ctx, dbtest.Admin(b), demo.Options{Scale: 1, Location: time.UTC, Now: now}); err != nil {
		b.Fatal(err)
	}
	c, err := catalog.Load(filepath.Join("..", ".."))
	if err != nil {
		b.Fatal(err)
	}
	runner := query.NewRunner(dbtest.Warehouse(b), query.Options{Location: time.UTC, Timeout: time.Minute})
	p, err := report.NewProducer(report.Config{Catalog: func() *catalog.Catalog { return c }, Runner: runner,
		Location: time.UTC, Chrome: os.Getenv("OPSBOARD_CHROME")})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	date := query.Today(now, time.UTC).AddDate(0, 0, -1)
	produce := func(b *testing.B, o *report.Output) {
		pdf, err := p.PDF(ctx, o)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF")) {
			b.Fatal("not a PDF")
		}
	}
	// The first report starts Chromium: not measured.
	o, err := p.Render(ctx, "ops-daily", date)
	if err != nil {
		b.Fatal(err)
	}
	if o.Partial() {
		b.Fatalf("partial report: %v", o.Failures)
	}
	produce(b, o)

	b.Run("render+pdf", func(b *testing.B) {
		for b.Loop() {
			o, err := p.Render(ctx, "ops-daily", date)
			if err != nil {
				b.Fatal(err)
			}
			produce(b, o)
		}
	})
	b.Run("pdf", func(b *testing.B) {
		for b.Loop() {
			produce(b, o)
		}
	})
}
