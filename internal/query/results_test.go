package query_test

import (
	"context"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/warehouse"
)

// Results kept in the store outlive the process that computed them: a
// second runner (another replica, or the same after a restart) shows them
// with their age until they expire, then computes anew; and when the data
// database cannot be reached, the last result is shown, marked stale with
// its age, instead of an error.
func TestResultsKeptInTheStore(t *testing.T) {
	ctx := context.Background()
	db, st := dbtest.Admin(t), dbtest.Store(t)
	if err := db.Exec(ctx, `CREATE TABLE kept_orders (placed_on date);
		INSERT INTO kept_orders SELECT '2026-11-01'::date + i % 28 FROM generate_series(0, 99) AS i`); err != nil {
		t.Fatal(err)
	}
	proxy, dataURL := dbtest.StartProxy(t, dbtest.ReaderURL(t))
	wh, err := warehouse.Open(ctx, dataURL, warehouse.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close() })
	q := mustQuery(t, `-- title: Orders
SELECT count(*) AS value FROM kept_orders WHERE placed_on >= :from AND placed_on < :to`)
	req := query.Request{Range: query.Range{From: day("2026-11-01"), To: day("2026-11-29")}}
	morning := time.Date(2026, 11, 29, 6, 40, 0, 0, time.UTC)
	runner := func(now time.Time) *query.Runner {
		return query.NewRunner(wh, query.Options{CacheTTL: 5 * time.Minute, Results: st, Now: func() time.Time { return now }})
	}
	count := func(res *query.Result) int64 { return res.Frame.Rows[0][0].(int64) }

	until := morning.Add(24 * time.Hour)
	first, err := runner(morning).Run(ctx, q, query.Request{Range: req.Range, Refresh: true, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	if count(first) != 100 || first.Cached || !first.Expires.Equal(until) {
		t.Fatalf("precompute: %d orders, cached %v, expires %v; want 100, computed, expiring %v", count(first), first.Cached, first.Expires, until)
	}

	// Rows that arrive later are not in the kept result: it is the
	// morning's, and says so.
	if err := db.Exec(ctx, `INSERT INTO kept_orders VALUES ('2026-11-10'), ('2026-11-11')`); err != nil {
		t.Fatal(err)
	}
	afternoon := morning.Add(8 * time.Hour)
	again, err := runner(afternoon).Run(ctx, q, req)
	if err != nil {
		t.Fatal(err)
	}
	if count(again) != 100 || !again.Cached || again.Stale || !again.ComputedAt.Equal(morning) {
		t.Errorf("after a restart: %d orders, cached %v, stale %v, computed at %v; want the kept 100, cached, as of %v",
			count(again), again.Cached, again.Stale, again.ComputedAt, morning)
	}

	// Expired: computed anew, and the new result replaces the kept one.
	nextDay := until.Add(time.Minute)
	fresh, err := runner(nextDay).Run(ctx, q, req)
	if err != nil {
		t.Fatal(err)
	}
	if count(fresh) != 102 || fresh.Cached {
		t.Errorf("once expired: %d orders, cached %v; want 102 computed anew", count(fresh), fresh.Cached)
	}

	// The data database goes away: a runner with nothing in memory shows
	// the last result kept, stale, with its age.
	proxy.Down()
	later := nextDay.Add(2 * time.Hour) // past the fresh result's life
	down, err := runner(later).Run(ctx, q, req)
	if err != nil {
		t.Fatalf("with the data database down and a result kept: %v", err)
	}
	if count(down) != 102 || !down.Stale || !down.Unreachable || !down.ComputedAt.Equal(nextDay) || !down.Expires.IsZero() {
		t.Errorf("database down: %d orders, stale %v, unreachable %v, computed at %v, expires %v; want 102 kept from %v, stale, unreachable, not reusable",
			count(down), down.Stale, down.Unreachable, down.ComputedAt, down.Expires, nextDay)
	}
	// A request nothing was kept for still fails, in words.
	other := query.Request{Range: query.Range{From: day("2026-10-01"), To: day("2026-10-29")}}
	if _, err := runner(later).Run(ctx, q, other); err == nil {
		t.Error("a request never computed succeeded with the data database down")
	}
	proxy.Up()
	back, err := runner(later).Run(ctx, q, query.Request{Range: req.Range, Refresh: true})
	if err != nil || back.Stale || count(back) != 102 {
		t.Errorf("after the database came back: %v, stale %v; want a fresh result", err, back != nil && back.Stale)
	}
}

// A date read back from PostgreSQL (a report run's date) carries a zone
// of its own, "+0000" without a name. It is the same date as one computed
// here: the same days of a settled query, the same cached result. In New
// York, where midnight UTC is the evening before, a mix-up would also
// shift the day.
func TestDatesReadFromTheDatabaseAreTheSameDates(t *testing.T) {
	ctx := context.Background()
	if err := dbtest.Admin(t).Exec(ctx, `CREATE TABLE zoned_calls (at timestamptz);
		INSERT INTO zoned_calls SELECT '2026-11-01 12:00-05'::timestamptz + (i % 28) * interval '1 day' FROM generate_series(0, 279) AS i`); err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, `-- title: Calls
-- aggregate: sum
-- settle: 3 days
SELECT count(*) AS value FROM zoned_calls WHERE at >= :from::date AND at < :to::date`)
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: newYork(t), CacheTTL: time.Minute,
		Results: dbtest.Store(t), Days: dbtest.Store(t), Now: func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }})
	fromDB := time.FixedZone("", 0)
	read := query.Range{From: time.Date(2026, 11, 1, 0, 0, 0, 0, fromDB), To: time.Date(2026, 11, 29, 0, 0, 0, 0, fromDB)}
	first, err := runner.Run(ctx, q, query.Request{Range: read, Slices: []query.Range{read}})
	if err != nil {
		t.Fatalf("a range of dates read from the database: %v", err)
	}
	if got := first.Frame.Rows[0][1]; got != int64(280) {
		t.Errorf("the 28 days read from the database hold %v calls, want 280", got)
	}
	again, err := runner.Run(ctx, q, query.Request{Range: query.Range{From: day("2026-11-01"), To: day("2026-11-29")}})
	if err != nil || again.Frame.Rows[0][0] != int64(280) {
		t.Fatalf("the same dates computed here: %v, %v", again, err)
	}
	same, err := runner.Run(ctx, q, query.Request{Range: read})
	if err != nil || !same.Cached {
		t.Errorf("the dates read from the database missed the cached result of the same dates: cached %v, %v", same != nil && same.Cached, err)
	}
}

// A morning's request that joins a page's run of the same query (in
// flight when it asks) keeps the result until the morning's time, not for
// the page's time to live: the next page that day is not cold again.
func TestAheadWorkJoiningAPageKeepsItsOwnLife(t *testing.T) {
	ctx := context.Background()
	st := dbtest.Store(t)
	q := mustQuery(t, `-- title: Slow
SELECT count(*) AS value, pg_sleep(0.4)::text AS slept FROM generate_series(1, 10) WHERE :from::date < :to::date`)
	now := time.Date(2026, 11, 30, 6, 30, 0, 0, time.UTC)
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{CacheTTL: time.Minute, Results: st, Now: func() time.Time { return now }})
	rng := query.Range{From: day("2026-11-02"), To: day("2026-11-30")}
	page := make(chan error, 1)
	go func() {
		_, err := runner.Run(ctx, q, query.Request{Range: rng})
		page <- err
	}()
	time.Sleep(100 * time.Millisecond) // the page's run is in flight
	until := now.Add(24 * time.Hour)
	res, err := runner.Run(ctx, q, query.Request{Range: rng, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-page; err != nil {
		t.Fatal(err)
	}
	if !res.Expires.Equal(until) {
		t.Errorf("the morning's result expires %v, want %v", res.Expires, until)
	}
	restarted := query.NewRunner(dbtest.Warehouse(t), query.Options{CacheTTL: time.Minute, Results: st,
		Now: func() time.Time { return now.Add(3 * time.Hour) }})
	again, err := restarted.Run(ctx, q, query.Request{Range: rng})
	if err != nil || !again.Cached {
		t.Errorf("three hours later, after a restart: cached %v, %v; want the morning's result", again != nil && again.Cached, err)
	}
}
