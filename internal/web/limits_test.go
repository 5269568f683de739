package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/warehouse"
	"github.com/opsboard/opsboard/internal/web"
)

// A share link cannot make the server compute (and keep) a result for
// nine centuries: the range is refused with a 400 that says why.
func TestHugeRangeThroughAShareLinkIsRefused(t *testing.T) {
	db, _, get := shareServer(t)
	token, _ := newShare(t, db, "dashboard", "by-channel", nil, time.Hour, "huge")
	code, body, _ := get("/s/" + token + "?range=custom&from=1100-01-01&to=2025-12-31")
	if code != http.StatusBadRequest || !strings.Contains(body, "at most 1096 days") {
		t.Errorf("a 926-year range through a share link answered %d; want 400 naming the limit:\n%.600s", code, body)
	}
	if code, _, _ := get("/s/" + token + "?range=last_90_days"); code != http.StatusOK {
		t.Errorf("a 90-day range answered %d after the refusal", code)
	}
}

// Only a signed-in editor's ?refresh=1 bypasses the query cache: a share
// link's visitor and a viewer see the cached numbers.
func TestOnlyEditorsRefresh(t *testing.T) {
	ctx := context.Background()
	admin := dbtest.Admin(t)
	if err := admin.Exec(ctx, `CREATE TABLE refresh_probe (v int); INSERT INTO refresh_probe VALUES (111)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(ctx, `DROP TABLE refresh_probe`) })
	db := dbtest.Store(t)
	dir := writeDefs(t, map[string]string{
		"sql/probe.sql":          "-- title: Probe\nSELECT 'probe-' || v AS shown FROM refresh_probe",
		"dashboards/probe.yaml":  "title: Probe\npanels:\n  - title: Probe\n    query: probe\n    chart: table\n",
		"reports/probe-all.yaml": "dashboard: probe\nto: [ops@example.com]\n",
	})
	editorPW := addUser(t, db, "editor@example.com", "editor")
	viewerPW := addUser(t, db, "viewer@example.com", "viewer")
	hs := startAuthServer(t, db, dir, false, nil)
	token, _ := newShare(t, db, "dashboard", "probe", nil, time.Hour, "probe")
	anon := newClient(hs)
	if _, body, _ := fetch(t, anon, "GET", hs.URL+"/s/"+token, nil); !strings.Contains(body, "probe-111") {
		t.Fatalf("the shared view does not show the probe:\n%.400s", body)
	}
	if err := admin.Exec(ctx, `UPDATE refresh_probe SET v = 222`); err != nil {
		t.Fatal(err)
	}
	viewer, _ := login(t, hs, "viewer@example.com", viewerPW)
	editor, _ := login(t, hs, "editor@example.com", editorPW)
	for _, tc := range []struct {
		who    string
		client *http.Client
		path   string
		want   string
	}{
		{"share visitor", anon, "/s/" + token + "?refresh=1", "probe-111"},
		{"viewer", viewer, "/d/probe?refresh=1", "probe-111"},
		{"editor", editor, "/d/probe?refresh=1", "probe-222"},
	} {
		code, body, _ := fetch(t, tc.client, "GET", hs.URL+tc.path, nil)
		if code != http.StatusOK || !strings.Contains(body, tc.want) {
			t.Errorf("%s with ?refresh=1: %d, want %s shown", tc.who, code, tc.want)
		}
	}
}

// With every warehouse connection busy on slow queries, /healthz and the
// pages that read only opsboard's own tables answer at once: the two
// databases never share a pool.
func TestHealthAndStoreStayUpWhileTheWarehouseIsSaturated(t *testing.T) {
	ctx := context.Background()
	wh, err := warehouse.Open(ctx, dbtest.ReaderURL(t), warehouse.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	cat, err := catalog.Load(writeDefs(t, map[string]string{
		"sql/slow.sql":         "-- title: Slow\nSELECT pg_sleep(2)::text AS slept, :from::date AS from_day",
		"dashboards/slow.yaml": "title: Slow\npanels:\n  - title: Slow\n    query: slow\n    chart: table\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	runner := query.NewRunner(wh, query.Options{Timeout: 20 * time.Second, CacheTTL: time.Minute, Limits: query.Limits{Global: 2}})
	srv, err := web.New(web.Config{DB: dbtest.Store(t), Data: wh, Runner: runner, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	var finished atomic.Int32
	var wg sync.WaitGroup
	for i := range 4 { // distinct ranges: four runs, two at a time
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(query.DateLayout)
			get(t, fmt.Sprintf("%s/d/slow?range=custom&from=%s&to=%s", hs.URL, from, from))
			finished.Add(1)
		}()
	}
	time.Sleep(300 * time.Millisecond) // both connections are asleep now
	for _, path := range []string{"/healthz", "/reports"} {
		code, body, _ := get(t, hs.URL+path)
		if code != http.StatusOK {
			t.Errorf("%s answered %d while the warehouse was busy:\n%.300s", path, code, body)
		}
		if n := finished.Load(); n != 0 {
			t.Errorf("%s answered only after %d slow views had finished: it waited for the warehouse", path, n)
		}
	}
	wg.Wait()
}

// A page keeps fewer rows per query than a download: the table says it
// shows the first rows, and the CSV has them all.
func TestPagesKeepFewerRowsThanDownloads(t *testing.T) {
	cat, err := catalog.Load(writeDefs(t, map[string]string{
		"sql/many.sql":         "-- title: Many\nSELECT g AS n FROM generate_series(1, 50) g",
		"dashboards/many.yaml": "title: Many\npanels:\n  - {title: Many, query: many, chart: table}\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{CacheTTL: time.Minute})
	srv, err := web.New(web.Config{DB: dbtest.Store(t), Data: dbtest.Warehouse(t), Runner: runner, Catalog: cat, PageRows: 5})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	if code, body, _ := get(t, hs.URL+"/d/many"); code != http.StatusOK || !strings.Contains(body, "first 5 rows are shown") {
		t.Errorf("/d/many = %d; want the table cut at 5 rows and saying so", code)
	}
	if _, body, _ := get(t, hs.URL+"/d/many/panels/p1.csv"); strings.Count(body, "\n") != 51 {
		t.Errorf("the CSV has %d lines, want the header and all 50 rows", strings.Count(body, "\n"))
	}
}
