package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/warehouse"
	"github.com/opsboard/opsboard/internal/web"
)

// A page says how fresh its numbers are. When the data database stops
// answering, a view whose results are past their life shows the last
// numbers computed, says that the database is not answering and as of
// when, and names no host or port; when it answers again, the page is
// fresh and the notice goes.
func TestStaleViewsSaySoWhenTheDatabaseGoesDown(t *testing.T) {
	ctx := context.Background()
	if err := dbtest.Admin(t).Exec(ctx, `CREATE TABLE stale_calls (at timestamptz, answered bool);
		INSERT INTO stale_calls SELECT now() - (i % 20) * interval '1 day', i % 4 > 0 FROM generate_series(1, 400) AS i`); err != nil {
		t.Fatal(err)
	}
	proxy, dataURL := dbtest.StartProxy(t, dbtest.ReaderURL(t))
	wh, err := warehouse.Open(ctx, dataURL, warehouse.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close() })
	cat, err := catalog.Load(writeDefs(t, map[string]string{
		"sql/calls.sql": "-- title: Calls\n-- unit: count\n-- aggregate: sum\nSELECT count(*) AS value FROM stale_calls WHERE at >= :from::date AND at < :to::date + 1",
		"sql/answered.sql": "-- title: Answered per day\nSELECT at::date AS day, avg(answered::int)::float8 AS answered FROM stale_calls " +
			"WHERE at >= :from::date AND at < :to::date + 1 GROUP BY 1 ORDER BY 1",
		"dashboards/desk.yaml": "title: Call desk\nrange: last_28_days\ntiles:\n  - query: calls\n    label: Calls\n" +
			"panels:\n  - title: Answered\n    query: answered\n    chart: line\n    x: day\n    y: answered\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	const ttl = 200 * time.Millisecond
	runner := query.NewRunner(wh, query.Options{Location: time.UTC, Timeout: 10 * time.Second, CacheTTL: ttl, Results: dbtest.Store(t)})
	srv, err := web.New(web.Config{DB: dbtest.Store(t), Data: wh, Runner: runner, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	asOf := regexp.MustCompile(`class="as-of"[^>]*>as of (\d\d:\d\d)<`)
	value := regexp.MustCompile(`<div class="value">([^<]+)</div>`)
	code, fresh, _ := get(t, hs.URL+"/d/desk")
	if code != http.StatusOK || !asOf.MatchString(fresh) || !value.MatchString(fresh) {
		t.Fatalf("/d/desk = %d, without its number or when it was computed:\n%.2000s", code, fresh)
	}
	if strings.Contains(fresh, "not answering") {
		t.Fatal("a fresh page says the database is not answering")
	}
	computedAt := asOf.FindStringSubmatch(fresh)[1]

	proxy.Down()
	time.Sleep(2 * ttl) // the results are past their life
	code, stale, _ := get(t, hs.URL+"/d/desk")
	if code != http.StatusOK {
		t.Fatalf("with the data database down, /d/desk = %d", code)
	}
	if !strings.Contains(stale, "The data database is not answering: the numbers below are the last ones computed, as of "+computedAt) {
		t.Errorf("the page does not say its numbers are the last ones, as of %s:\n%.3000s", computedAt, stale)
	}
	if got, want := value.FindStringSubmatch(stale), value.FindStringSubmatch(fresh); got == nil || got[1] != want[1] {
		t.Errorf("the tile shows %v with the database down, want the last number %q", got, want[1])
	}
	if !strings.Contains(stale, "the data database is not answering.") || strings.Contains(stale, `data-error="true"`) {
		t.Error("the panel neither shows its last result nor says why it is old")
	}
	host := strings.TrimPrefix(strings.Split(dataURL, "@")[1], "")
	if i := strings.IndexByte(host, '/'); i > 0 && strings.Contains(stale, host[:i]) {
		t.Errorf("the page names the database's address %s", host[:i])
	}

	proxy.Up()
	time.Sleep(2 * ttl)
	_, back, _ := get(t, hs.URL+"/d/desk")
	if strings.Contains(back, "not answering") {
		t.Error("once the database answers again, the page still says it is not answering")
	}
}
