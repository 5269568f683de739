package web_test

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/web"
)

// clock is a settable time for the query cache.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A warm dashboard is served from cache, but never longer than the query
// results it shows: ?refresh=1, the results' expiry and a reload of the
// definitions all bring the current numbers back.
func TestDashboardViewCacheFollowsItsQueries(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Admin(t)
	if err := db.Exec(ctx, `CREATE TABLE viewcache_probe (v int); INSERT INTO viewcache_probe VALUES (111)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec(ctx, `DROP TABLE viewcache_probe`) })
	set := func(v int) {
		t.Helper()
		if err := db.Exec(ctx, `UPDATE viewcache_probe SET v = $1`, v); err != nil {
			t.Fatal(err)
		}
	}
	root := writeDefs(t, map[string]string{
		"sql/probe.sql":         "-- title: Probe\n-- unit: count\nSELECT 'value' AS label, v * 1000 + 7 AS value FROM viewcache_probe",
		"dashboards/probe.yaml": "title: Probe\ntiles:\n  - query: probe\n    label: Probe\npanels:\n  - {title: Probe table, query: probe, chart: table}\n",
	})
	cat, err := catalog.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now()}
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: time.UTC, Timeout: 20 * time.Second, CacheTTL: time.Minute, Now: clk.Now})
	srv, err := web.New(web.Config{DB: dbtest.Store(t), Data: dbtest.Warehouse(t), Runner: runner, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	shows := func(step, path, want string) {
		t.Helper()
		code, body, _ := get(t, hs.URL+path)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: GET %s = %d, want it to show %s; shows %q", step, path, code, want, regexp.MustCompile(`[0-9]{3},?007`).FindAllString(body, -1))
		}
	}
	shows("first view", "/d/probe", "111,007")
	set(222)
	shows("warm view", "/d/probe", "111,007")
	shows("refresh", "/d/probe?refresh=1", "222,007")
	shows("after a refresh", "/d/probe", "222,007")

	set(333)
	clk.Add(59 * time.Second)
	shows("just before the results expire", "/d/probe", "222,007")
	clk.Add(2 * time.Second)
	shows("after the results expired", "/d/probe", "333,007")

	set(444)
	srv.SetCatalog(cat)
	shows("after a reload of the definitions", "/d/probe", "444,007")
}
