package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"github.com/opsboard/opsboard/internal/page"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/demo"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/metrics"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/warehouse"
	"github.com/opsboard/opsboard/internal/web"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

var loadDemo sync.Once

// demoDB returns the package database with a small demo dataset loaded
// once, ending yesterday.
func demoDB(t *testing.T) *store.Store {
	t.Helper()
	db := dbtest.Store(t)
	var err error
	loadDemo.Do(func() {
		_, err = demo.Load(context.Background(), dbtest.Admin(t), demo.Options{Scale: 0.3, Days: 200, Seed: 3, Location: time.UTC, Now: time.Now()})
	})
	if err != nil {
		t.Fatalf("loading demo data: %v", err)
	}
	return db
}

type testServer struct {
	*httptest.Server
	srv     *web.Server
	metrics *metrics.Metrics
}

// startServer serves the definitions under dir from db on 127.0.0.1.
func startServer(t *testing.T, db *store.Store, dir string) *testServer {
	t.Helper()
	return startServerOn(t, db, dbtest.Warehouse(t), dir)
}

// startServerOn is startServer with the warehouse wh.
func startServerOn(t *testing.T, db *store.Store, wh *warehouse.Warehouse, dir string) *testServer {
	t.Helper()
	cat, err := catalog.Load(dir)
	if err != nil {
		t.Fatalf("loading definitions from %s: %v", dir, err)
	}
	m := metrics.New()
	runner := query.NewRunner(wh, query.Options{Location: time.UTC, Timeout: 20 * time.Second, CacheTTL: time.Minute, Observe: m.ObserveQuery})
	srv, err := web.New(web.Config{DB: db, Data: wh, Runner: runner, Metrics: m, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &testServer{Server: hs, srv: srv, metrics: m}
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// writeDefs writes definition files into a fresh root.
func writeDefs(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var panelRE = regexp.MustCompile(`<section class="panel[^"]*" id="panel-(p\d+)"`)

func TestShippedDashboardsRenderEveryPanel(t *testing.T) {
	ts := startServer(t, demoDB(t), "../..")
	for _, name := range ts.srv.Catalog().DashboardNames() {
		t.Run(name, func(t *testing.T) {
			d := ts.srv.Catalog().Dashboards[name]
			code, body, _ := get(t, ts.URL+"/d/"+name)
			if code != http.StatusOK {
				t.Fatalf("GET /d/%s = %d, want 200:\n%s", name, code, body)
			}
			if n := len(panelRE.FindAllString(body, -1)); n != len(d.Panels) {
				t.Errorf("page has %d panels, want %d", n, len(d.Panels))
			}
			if strings.Contains(body, `data-error="true"`) {
				i := strings.Index(body, `data-error="true"`)
				t.Errorf("a panel failed: %s", body[i:min(len(body), i+600)])
			}
			if strings.Contains(body, `class="tile error"`) {
				i := strings.Index(body, `class="tile error"`)
				t.Errorf("a tile failed: %s", body[i:min(len(body), i+600)])
			}
			if strings.Contains(body, `data-empty="true"`) {
				t.Errorf("a panel has no data on the demo dataset")
			}
			for _, p := range d.Panels {
				if p.Chart == catalog.ChartTable {
					continue
				}
				if !strings.Contains(body, `id="c`) {
					t.Errorf("no chart element for panel %s", p.ID)
				}
			}
		})
	}
}

const evil = `</script><script>alert(1)</script>"'<b>bold</b>`

func TestLabelsAndValuesAreEscaped(t *testing.T) {
	db := demoDB(t)
	root := writeDefs(t, map[string]string{
		"sql/evil.sql": "-- title: Evil " + evil + "\n-- description: " + evil + "\n-- unit: count\n" +
			"SELECT d::date AS day, $$" + evil + "$$::text AS label, 3 AS value FROM generate_series(:from::date, :to::date - 1, '1 day') d",
		"dashboards/evil.yaml": "title: 'Evil " + strings.ReplaceAll(evil, "'", "''") + "'\n" +
			"tiles:\n  - query: evil\n    label: '" + strings.ReplaceAll(evil, "'", "''") + "'\n" +
			"panels:\n  - title: '" + strings.ReplaceAll(evil, "'", "''") + "'\n    query: evil\n    chart: bar\n    x: label\n    y: value\n" +
			"  - title: table\n    query: evil\n    chart: table\n",
	})
	ts := startServer(t, db, root)
	for _, path := range []string{"/d/evil", "/kpis"} {
		code, body, _ := get(t, ts.URL+path)
		if code != http.StatusOK {
			t.Fatalf("GET %s = %d:\n%s", path, code, body)
		}
		for _, raw := range []string{"<script>alert(1)", "<b>bold</b>"} {
			if strings.Contains(body, raw) {
				i := strings.Index(body, raw)
				t.Errorf("%s contains unescaped %q: …%s…", path, raw, body[max(0, i-200):min(len(body), i+100)])
			}
		}
		if !strings.Contains(body, "&lt;b&gt;bold&lt;/b&gt;") && !strings.Contains(body, `\u003cb\u003ebold`) {
			t.Errorf("%s does not show the label as text", path)
		}
	}
}

// echoDefs is a dashboard whose query returns the values it was bound with.
var echoDefs = map[string]string{
	"sql/echo.sql": `-- title: Echo
-- params: channel text = 'all', region text = 'all'
SELECT :channel AS channel, :region AS region, :from AS from_day, :to AS to_day, 1 AS n`,
	"dashboards/echo.yaml": `title: Echo
range: last_7_days
filters:
  - param: channel
    label: Channel
    options: [all, web, "x'; DROP TABLE orders; --"]
panels:
  - title: Echo
    query: echo
    chart: table
`,
}

func TestFiltersAndRangeAreBoundParameters(t *testing.T) {
	db := demoDB(t)
	ts := startServer(t, db, writeDefs(t, echoDefs))
	injection := "x'; DROP TABLE orders; --"
	code, body, _ := get(t, ts.URL+"/d/echo/panels/p1.json?range=custom&from=2026-01-05&to=2026-01-11&channel="+url.QueryEscape(injection))
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var got struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got.Rows) != 1 {
		t.Fatalf("bad JSON (%v): %s", err, body)
	}
	row := got.Rows[0]
	want := map[string]any{"channel": injection, "region": "all", "from_day": "2026-01-05", "to_day": "2026-01-12"}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("%s = %v, want %v", k, row[k], v)
		}
	}
	var orders int
	if err := dbtest.Admin(t).Get(context.Background(), &orders, `SELECT count(*) FROM orders`); err != nil || orders == 0 {
		t.Errorf("orders table damaged: %d rows, %v", orders, err)
	}
	// A value outside the filter's options is refused, not bound.
	if code, _, _ := get(t, ts.URL+"/d/echo?channel=marketplace"); code != http.StatusBadRequest {
		t.Errorf("unknown filter value answered %d, want 400", code)
	}
	if code, _, _ := get(t, ts.URL+"/d/echo?range=last_fortnight"); code != http.StatusBadRequest {
		t.Errorf("unknown range answered %d, want 400", code)
	}
}

func TestPanelCSVMatchesRows(t *testing.T) {
	db := demoDB(t)
	ts := startServer(t, db, "../..")
	cat := ts.srv.Catalog()
	d := cat.Dashboards["daily-ops"]
	p := d.Panels[0]
	resp, err := http.Get(ts.URL + "/d/daily-ops/panels/" + p.ID + ".csv?range=last_7_days")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q, want text/csv", ct)
	}
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: time.UTC})
	rng, _ := query.ParseRange("last_7_days", runner.Today())
	res, err := runner.Run(context.Background(), cat.Queries[p.Query], query.Request{Range: rng})
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(res.Frame.Rows)+1 {
		t.Fatalf("CSV has %d lines, want header + %d rows", len(records), len(res.Frame.Rows))
	}
	if got, want := strings.Join(records[0], ","), strings.Join(res.Frame.Names(), ","); got != want {
		t.Errorf("CSV header %q, want %q", got, want)
	}
	for i, row := range res.Frame.Rows {
		for j, v := range row {
			if want := frame.Format(v, res.Frame.Columns[j].Type); records[i+1][j] != want {
				t.Errorf("row %d col %s: CSV %q, query %q", i, res.Frame.Columns[j].Name, records[i+1][j], want)
			}
		}
	}
}

func TestFailingQueryFailsOnlyItsPanel(t *testing.T) {
	db := demoDB(t)
	root := writeDefs(t, map[string]string{
		"sql/good.sql":   "-- title: Good\nSELECT d::date AS day, 1 AS n FROM generate_series(:from::date, :to::date - 1, '1 day') d",
		"sql/broken.sql": "-- title: Broken\nSELECT d::date AS day, 1/0 AS n FROM generate_series(:from::date, :to::date - 1, '1 day') d",
		"dashboards/mixed.yaml": `title: Mixed
panels:
  - {title: Good one, query: good, chart: line, x: day, y: n}
  - {title: Broken one, query: broken, chart: line, x: day, y: n}
`,
	})
	ts := startServer(t, db, root)
	code, body, _ := get(t, ts.URL+"/d/mixed")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if c := strings.Count(body, `data-error="true"`); c != 1 {
		t.Errorf("%d failed panels, want exactly the broken one", c)
	}
	if !strings.Contains(body, "division by zero") {
		t.Errorf("the broken panel does not show its error")
	}
	if !strings.Contains(body, `id="c0_p1"`) {
		t.Errorf("the good panel was not drawn")
	}
}

func TestDatabaseDownStillRendersAndHealthSaysDegraded(t *testing.T) {
	dead, err := store.Open(context.Background(), dbtest.URL(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dead.Close()
	deadData, err := warehouse.Open(context.Background(), dbtest.ReaderURL(t), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	deadData.Close()
	ts := startServerOn(t, dead, deadData, "../..")
	code, body, _ := get(t, ts.URL+"/d/daily-ops")
	if code != http.StatusOK || !strings.Contains(body, `data-error="true"`) {
		t.Errorf("with the database down, /d/daily-ops = %d and shows no panel errors", code)
	}
	code, body, _ = get(t, ts.URL+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "degraded") {
		t.Errorf("/healthz = %d %s, want 503 degraded", code, body)
	}
}

func TestHealthMetricsAndAssets(t *testing.T) {
	ts := startServer(t, demoDB(t), "../..")
	if code, body, _ := get(t, ts.URL+"/healthz"); code != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz = %d %s", code, body)
	}
	get(t, ts.URL+"/d/daily-ops")
	get(t, ts.URL+"/d/daily-ops")
	get(t, ts.URL+"/d/daily-ops?compare=none") // another view of the same results: the query cache
	_, body, _ := get(t, ts.URL+"/metrics")
	for _, want := range []string{"opsboard_query_cache_hits_total", "opsboard_query_duration_seconds_bucket", `opsboard_http_request_duration_seconds_count{code="200",route="/d/{name}"}`,
		`opsboard_view_cache_total{dashboard="daily-ops",result="hit"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The page links echarts from our own origin, versioned and cacheable.
	_, page, _ := get(t, ts.URL+"/d/daily-ops")
	m := regexp.MustCompile(`src="(/assets/[0-9a-f]{12}/echarts\.min\.js)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("page does not load /assets/{version}/echarts.min.js")
	}
	req, _ := http.NewRequest("GET", ts.URL+m[1], nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("echarts served with encoding %q cache %q, want gzip and immutable", resp.Header.Get("Content-Encoding"), resp.Header.Get("Cache-Control"))
	}
	if resp.ContentLength > 500_000 {
		t.Errorf("gzipped echarts is %d bytes", resp.ContentLength)
	}
	for _, name := range []string{"LICENSE", "NOTICE"} {
		if code, body, _ := get(t, ts.URL+"/assets/echarts/"+name); code != 200 || !strings.Contains(body, "Apache") {
			t.Errorf("/assets/echarts/%s = %d", name, code)
		}
	}
	if code, _, h := get(t, ts.URL+"/kpis"); code != 200 || !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("/kpis = %d, CSP %q", code, h.Get("Content-Security-Policy"))
	}
}

// An unknown dashboard is a styled 404 page that says what was not found.
func TestNotFoundPage(t *testing.T) {
	ts := startServer(t, demoDB(t), "../..")
	code, body, _ := get(t, ts.URL+"/d/no-such-dashboard")
	if code != http.StatusNotFound || !strings.Contains(body, "no-such-dashboard") {
		t.Fatalf("GET /d/no-such-dashboard = %d, want 404 naming it", code)
	}
	m := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the 404 page links no stylesheet")
	}
	if code, _, _ := get(t, ts.URL+m[1]); code != http.StatusOK {
		t.Errorf("the 404 page's stylesheet %s = %d, want 200", m[1], code)
	}
}

// The glossary lists every shipped query with its SQL, and links each to
// the dashboards that show it.
func TestGlossary(t *testing.T) {
	ts := startServer(t, demoDB(t), "../..")
	code, body, _ := get(t, ts.URL+"/kpis")
	if code != http.StatusOK {
		t.Fatalf("/kpis = %d", code)
	}
	cat, err := catalog.Load("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range cat.QueryNames() {
		if !strings.Contains(body, `id="`+page.Anchor(name)+`"`) {
			t.Errorf("the glossary has no entry for %s", name)
		}
	}
	entry := regexp.MustCompile(`(?s)<article id="` + page.Anchor("csat/by_lateness") + `">.*?</article>`).FindString(body)
	if !strings.Contains(entry, `<a href="/d/customer-impact">`) || !strings.Contains(entry, "SELECT") {
		t.Errorf("csat/by_lateness: want a link to customer-impact and its SQL:\n%s", entry)
	}
}
