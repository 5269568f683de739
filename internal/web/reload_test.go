package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/metrics"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/web"
)

// startWebServer is startAuthServer that also gives the server and its
// metrics.
func startWebServer(t *testing.T, dir string, opts func(*web.Config)) (*web.Server, *httptest.Server, *metrics.Metrics) {
	t.Helper()
	cat, err := catalog.Load(dir)
	if err != nil {
		t.Fatalf("loading definitions from %s: %v", dir, err)
	}
	m := metrics.New()
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: time.UTC, Timeout: 20 * time.Second, CacheTTL: time.Minute})
	cfg := web.Config{DB: demoDB(t), Data: dbtest.Warehouse(t), Runner: runner, Catalog: cat, Metrics: m}
	if opts != nil {
		opts(&cfg)
	}
	srv, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return srv, hs, m
}

// A reload that failed is on every page a signed-in person opens, with
// each problem, until a reload works; share link visitors never see it;
// /healthz says "failing" for the definitions without turning the server
// unhealthy, and /metrics counts reloads by result.
func TestFailedReloadBanner(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "lead@example.com", "editor")
	root := writeDefs(t, shareDefs)
	srv, hs, _ := startWebServer(t, root, nil)
	c, _ := login(t, hs, "lead@example.com", password)
	token, _ := newShare(t, db, access.ShareDashboard, "by-channel", nil, time.Hour, "")
	anon := newClient(hs)
	pages := []string{"/", "/d/by-channel", "/kpis", "/reports", "/shares", "/events", "/alerts"}

	problem := `dashboards/by-channel.yaml:4:5: unknown key "tilte" (did you mean "title"?)`
	srv.ReloadFailed([]string{problem, "sql/orders_by_channel.sql:3:22: EXPLAIN failed: syntax error at or near \"FORM\""})
	for _, path := range pages {
		code, body, _ := fetch(t, c, "GET", hs.URL+path, nil)
		if code != http.StatusOK || !strings.Contains(body, "data-reload-problems") ||
			!strings.Contains(body, "dashboards/by-channel.yaml:4:5: unknown key &#34;tilte&#34;") || !strings.Contains(body, "sql/orders_by_channel.sql:3:22") {
			t.Errorf("signed in, GET %s = %d without the reload problems", path, code)
		}
	}
	for _, path := range []string{"/s/" + token, "/login"} {
		if _, body, _ := fetch(t, anon, "GET", hs.URL+path, nil); strings.Contains(body, "data-reload-problems") || strings.Contains(body, "tilte") {
			t.Errorf("a visitor without an account sees the reload problems on %s", path)
		}
	}
	code, body, _ := fetch(t, anon, "GET", hs.URL+"/healthz", nil)
	if code != http.StatusOK || !strings.Contains(body, `"definitions":"failing"`) || strings.Contains(body, "tilte") {
		t.Errorf("/healthz during a failed reload = %d %s; want 200 with definitions failing (no details)", code, body)
	}

	cat, err := catalog.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetCatalog(cat)
	for _, path := range pages {
		if _, body, _ := fetch(t, c, "GET", hs.URL+path, nil); strings.Contains(body, "data-reload-problems") {
			t.Errorf("after a reload that worked, GET %s still shows the reload problems", path)
		}
	}
	if code, body, _ := fetch(t, anon, "GET", hs.URL+"/healthz", nil); code != http.StatusOK || !strings.Contains(body, `"definitions":"ok"`) {
		t.Errorf("/healthz after a reload that worked = %d %s; want definitions ok", code, body)
	}
	_, body, _ = fetch(t, c, "GET", hs.URL+"/metrics", nil)
	for _, want := range []string{`opsboard_definition_reloads_total{result="failed"} 1`, `opsboard_definition_reloads_total{result="ok"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// Signed-in people find events and alerts in the navigation.
func TestNavigationHasEventsAndAlerts(t *testing.T) {
	_, hs, _ := startWebServer(t, "../..", nil)
	c := newClient(hs)
	for _, path := range []string{"/", "/kpis", "/reports"} {
		_, body, _ := fetch(t, c, "GET", hs.URL+path, nil)
		nav := body[strings.Index(body, "<nav>"):strings.Index(body, "</nav>")]
		for _, link := range []string{`<a href="/events"`, `<a href="/alerts"`} {
			if !strings.Contains(nav, link) {
				t.Errorf("%s: the navigation has no %s", path, link)
			}
		}
	}
	_, body, _ := fetch(t, c, "GET", hs.URL+"/events", nil)
	if !strings.Contains(body, `<a href="/events" class="active">Events</a>`) {
		t.Errorf("/events does not mark Events as the page in the navigation")
	}
}
