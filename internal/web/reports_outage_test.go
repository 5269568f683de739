package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/store"
)

// /reports degrades like a dashboard when opsboard's database stops
// answering: the page still lists the reports (from the files) and says
// the archive cannot be read now, with no host or port and no 500; once
// the database answers again, the runs are back.
func TestReportsPageWithTheDatabaseDown(t *testing.T) {
	ctx := context.Background()
	proxy, storeURL := dbtest.StartProxy(t, dbtest.URL(t))
	db, err := store.Open(ctx, storeURL, store.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	root := writeDefs(t, map[string]string{
		"sql/calls.sql":              "-- title: Calls\n-- unit: count\nSELECT 42 AS value\n",
		"dashboards/desk.yaml":       "title: Call desk\ntiles:\n  - query: calls\n    label: Calls\n",
		"reports/desk-daily.yaml":    "title: Desk daily\ndashboard: desk\nschedule: \"0 7 * * *\"\nto: [desk@example.com]\n",
		"reports/desk-weekly.yaml":   "title: Desk weekly\ndashboard: desk\nto: [desk@example.com]\n",
		"dashboards/unrelated.yaml":  "title: Unrelated\ntiles:\n  - query: calls\n",
		"reports/unrelated-day.yaml": "title: Unrelated day\ndashboard: unrelated\nto: [x@example.com]\n",
	})
	day := time.Now().UTC().AddDate(0, 0, -2).Truncate(24 * time.Hour)
	if _, err := db.CreateRun(ctx, "desk-daily", day, "command", "UTC", nil, nil); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, db, root)
	runLink := "/reports/desk-daily/" + day.Format("2006-01-02")

	code, up, _ := get(t, ts.URL+"/reports/desk-daily")
	if code != http.StatusOK || !strings.Contains(up, runLink) || strings.Contains(up, "cannot be read") {
		t.Fatalf("/reports/desk-daily with the database up = %d, without its run or with a notice:\n%.2000s", code, up)
	}

	proxy.Down()
	u, _ := url.Parse(storeURL)
	for _, path := range []string{"/reports", "/reports/desk-daily"} {
		code, down, _ := get(t, ts.URL+path)
		if code != http.StatusOK {
			t.Errorf("GET %s with opsboard's database down = %d, want 200 with a notice", path, code)
		}
		if !strings.Contains(down, "The archive cannot be read right now: opsboard&#39;s database is not answering.") {
			t.Errorf("GET %s with the database down does not say the archive cannot be read:\n%.3000s", path, down)
		}
		if !strings.Contains(down, "Desk daily") || !strings.Contains(down, "sent daily at 07:00") && !strings.Contains(down, "Next run: ") {
			t.Errorf("GET %s with the database down does not list the report and its schedule", path)
		}
		if strings.Contains(down, runLink) || strings.Contains(down, "No runs yet") {
			t.Errorf("GET %s with the database down lists runs, or says there are none", path)
		}
		if strings.Contains(down, u.Port()) || strings.Contains(down, "127.0.0.1") || strings.Contains(down, "refused") {
			t.Errorf("GET %s names the database's address or the network error", path)
		}
	}

	proxy.Up()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, back, _ := get(t, ts.URL+"/reports/desk-daily")
		if code == http.StatusOK && strings.Contains(back, runLink) && !strings.Contains(back, "cannot be read") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/reports/desk-daily after the database came back = %d, without its run:\n%.2000s", code, back)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
