package report_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/catalog/catalogtest"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
)

// The morning prints a report and keeps the PDF; a later run of the same
// page (another process, no Chromium at hand) reads it back. Once the
// numbers change, the page is printed anew and shows them.
func TestPrintsAreKeptUntilThePageChanges(t *testing.T) {
	chrome := browsertest.Need(t)
	ctx := context.Background()
	if err := dbtest.Admin(t).Exec(ctx, `CREATE TABLE locker_pickups (day date, locker text, parcels int);
		INSERT INTO locker_pickups SELECT date '2026-05-01' + g, l, 40 + g FROM generate_series(0, 20) g, unnest(array['A', 'B']) l`); err != nil {
		t.Fatal(err)
	}
	cat := catalogtest.Load(t, map[string]string{
		"sql/picked.sql": "-- title: Parcels picked up\n-- unit: count\n" +
			"SELECT sum(parcels) AS value FROM locker_pickups WHERE day >= :from AND day < :to",
		"sql/per_locker.sql":       "-- title: Per locker\nSELECT locker, sum(parcels) AS parcels FROM locker_pickups WHERE day >= :from AND day < :to GROUP BY 1 ORDER BY 1",
		"dashboards/lockers.yaml":  "title: Parcel lockers\ntiles:\n  - query: picked\npanels:\n  - {title: By locker, query: per_locker, chart: bar, x: locker, y: parcels}\n",
		"reports/lockers-day.yaml": "title: Lockers today\ndashboard: lockers\nto: [lockers@example.com]\n",
	})
	st := dbtest.Store(t)
	day := time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)
	// producer is a process of its own: its own runner and browser.
	producer := func(chrome string) *report.Producer {
		p, err := report.NewProducer(report.Config{Catalog: func() *catalog.Catalog { return cat },
			Runner: query.NewRunner(dbtest.Warehouse(t), query.Options{}), Location: time.UTC, Chrome: chrome, Prints: st})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}

	morning := producer(chrome)
	if p := morning; p.Printed(ctx, "lockers-day", day) {
		t.Fatal("a print is kept before anything was printed")
	}
	fails, err := morning.Precompute(ctx, "lockers-day", day, time.Now().Add(time.Hour))
	if err != nil || len(fails) > 0 {
		t.Fatalf("the morning: %v %v", err, fails)
	}

	later := producer(filepath.Join(t.TempDir(), "no-chromium"))
	if !later.Printed(ctx, "lockers-day", day) {
		t.Fatal("the morning kept no print")
	}
	o, err := later.Render(ctx, "lockers-day", day)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := later.PDF(ctx, o)
	if err != nil {
		t.Fatalf("the same page printed again needed Chromium: %v", err)
	}
	// 20 May is day 19: 59 parcels at each of two lockers.
	if s := pdfText(t, pdf); !strings.Contains(s, "118") || !strings.Contains(s, "Lockers today") {
		t.Errorf("the kept print is not this report:\n%s", s)
	}

	// A late count for that day: a new page, which is printed, not read.
	if err := dbtest.Admin(t).Exec(ctx, `UPDATE locker_pickups SET parcels = 500 WHERE day = '2026-05-20' AND locker = 'A'`); err != nil {
		t.Fatal(err)
	}
	o, err = later.Render(ctx, "lockers-day", day)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := later.PDF(ctx, o); err == nil || !strings.Contains(err.Error(), "Chromium") {
		t.Fatalf("a changed page was read from the kept print (err %v); want it printed", err)
	}
	fresh := producer(chrome)
	o, err = fresh.Render(ctx, "lockers-day", day)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err = fresh.PDF(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if s := pdfText(t, pdf); !strings.Contains(s, "559") {
		t.Errorf("the new print does not show the new count (559):\n%s", s)
	}
}

// pdfText is the text of a PDF, laid out, as pdftotext reads it.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = strings.NewReader(string(pdf))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
