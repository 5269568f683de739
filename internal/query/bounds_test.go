package query_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
)

// heapInUse is the live heap after a collection, as the process sees it.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A loop of distinct ranges (what a visitor changing the year of a custom
// range makes) keeps the cache within its byte bound: the process's live
// heap stays near the bound, not near what the results add up to.
func TestCacheStaysWithinItsByteBound(t *testing.T) {
	const bound = 8 << 20
	// About 1.3 MB of frame per range.
	q := mustQuery(t, `-- title: wide
SELECT g AS n, repeat('x', 40) || :from::text AS label, :from::date + (g % 365) AS day
FROM generate_series(1, 8000) g`)
	r := query.NewRunner(dbtest.Warehouse(t), query.Options{CacheTTL: time.Hour, CacheBytes: bound})
	ctx := context.Background()
	before := heapInUse()
	for i := range 60 {
		from := day("2000-01-01").AddDate(i, 0, 0)
		res, err := r.Run(ctx, q, query.Request{Range: query.Range{From: from, To: from.AddDate(0, 0, 1)}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Expires.IsZero() {
			t.Fatalf("range %d was not cached at all: the test would prove nothing", i)
		}
		if got := r.CacheBytes(); got > bound {
			t.Fatalf("after %d ranges the cache holds %d bytes, above its bound %d", i+1, got, bound)
		}
	}
	grown := int64(heapInUse()) - int64(before)
	// 60 results of ~1.3 MB would hold ~80 MB; the bound allows 8 MB (the
	// estimate is rough, so allow three times that).
	if grown > 3*bound {
		t.Errorf("the live heap grew by %d MB over 60 distinct ranges; the cache's bound is %d MB", grown>>20, bound>>20)
	}
	// The most recent results are the ones kept.
	last := day("2000-01-01").AddDate(59, 0, 0)
	if res, _ := r.Run(ctx, q, query.Request{Range: query.Range{From: last, To: last.AddDate(0, 0, 1)}}); res == nil || !res.Cached {
		t.Errorf("the last range asked for is not served from the cache")
	}
}

// When the first of several identical requests is cancelled (a closed tab),
// the others still get the result of the one shared run.
func TestSharedRunSurvivesTheFirstCallerLeaving(t *testing.T) {
	q := mustQuery(t, "-- title: slow\nSELECT pg_sleep(0.5)::text AS slept, 7 AS n")
	r := query.NewRunner(dbtest.Warehouse(t), query.Options{CacheTTL: time.Minute})
	req := query.Request{Range: query.Range{From: day("2026-01-01"), To: day("2026-01-02")}}
	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := r.Run(first, q, req)
		firstErr <- err
	}()
	time.Sleep(100 * time.Millisecond) // the first run is in the database
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.Run(context.Background(), q, req)
			if err == nil && res.Frame.Rows[0][1] != int64(7) {
				err = errors.New("wrong row")
			}
			errs[i] = err
		}()
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled caller got %v, want context.Canceled", err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("waiter %d failed with the first caller: %v", i, err)
		}
	}
}

// One visitor, and all share-link visitors together, get only their share
// of the warehouse; others still get theirs.
func TestLimitsKeepRoomForOthers(t *testing.T) {
	slow := mustQuery(t, "-- title: slow\n-- params: tag text = 'a'\nSELECT pg_sleep(1.5)::text AS slept, :tag AS tag")
	fast := mustQuery(t, "-- title: fast\n-- params: tag text = 'a'\nSELECT :tag AS tag")
	r := query.NewRunner(dbtest.Warehouse(t), query.Options{
		Limits: query.Limits{Global: 4, PerVisitor: 1, Anonymous: 1, Wait: 300 * time.Millisecond},
	})
	rng := query.Range{From: day("2026-01-01"), To: day("2026-01-02")}
	ctx := context.Background()
	run := func(q string, visitor string, anonymous bool, tag string) error {
		query := slow
		if q == "fast" {
			query = fast
		}
		_, err := r.Run(ctx, query, rngReq(rng, visitor, anonymous, tag))
		return err
	}
	var wg sync.WaitGroup
	for _, v := range []struct {
		visitor   string
		anonymous bool
	}{{"account:a@example.com", false}, {"share:1", true}} {
		wg.Add(1)
		go func() { defer wg.Done(); run("slow", v.visitor, v.anonymous, v.visitor) }()
	}
	time.Sleep(200 * time.Millisecond) // both slow queries hold their slots
	for _, tc := range []struct {
		name      string
		visitor   string
		anonymous bool
		busy      bool
	}{
		{"same account again", "account:a@example.com", false, true},
		{"another share link", "share:2", true, true},
		{"another account", "account:b@example.com", false, false},
		{"the scheduler", "", false, false},
	} {
		err := run("fast", tc.visitor, tc.anonymous, tc.name)
		switch {
		case tc.busy && (!errors.Is(err, apperr.ErrUnavailable) || !strings.Contains(err.Error(), "try again")):
			t.Errorf("%s: %v; want a busy error that says to try again", tc.name, err)
		case !tc.busy && err != nil:
			t.Errorf("%s: %v; want room", tc.name, err)
		}
	}
	wg.Wait()
	if err := run("fast", "share:2", true, "after"); err != nil {
		t.Errorf("after the slow queries ended, a share visitor still gets %v", err)
	}
}

func rngReq(rng query.Range, visitor string, anonymous bool, tag string) query.Request {
	return query.Request{Range: rng, Visitor: visitor, Anonymous: anonymous, Params: map[string]string{"tag": tag}}
}

func TestCheckRangeRefusesLongRanges(t *testing.T) {
	r := query.NewRunner(dbtest.Warehouse(t), query.Options{MaxRangeDays: 1096})
	long, _ := query.ParseRange("1100-01-01..2025-12-31", day("2026-11-29"))
	err := r.CheckRange(long)
	if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "at most 1096 days") {
		t.Errorf("a 926-year range: %v; want an invalid-range error naming the limit", err)
	}
	ok, _ := query.ParseRange("last_90_days", day("2026-11-29"))
	if err := r.CheckRange(ok); err != nil {
		t.Errorf("90 days refused: %v", err)
	}
}

// The previous calendar month is the whole month before the range's first
// day's month, whatever the range's length.
func TestPreviousMonthComparison(t *testing.T) {
	for _, tc := range []struct{ spec, today, from, to string }{
		{"month_to_date", "2026-11-29", "2026-10-01", "2026-11-01"},
		{"2026-03-01..2026-03-31", "2026-11-29", "2026-02-01", "2026-03-01"},
		{"2026-01-05..2026-01-11", "2026-11-29", "2025-12-01", "2026-01-01"},
	} {
		r, err := query.ParseRange(tc.spec, day(tc.today))
		if err != nil {
			t.Fatal(err)
		}
		c, ok, err := r.Compare(query.PreviousMonth)
		if err != nil || !ok || c.From != day(tc.from) || c.To != day(tc.to) {
			t.Errorf("%s: previous month %s (%v), want %s..%s (exclusive)", tc.spec, c, err, tc.from, tc.to)
		}
	}
}

// A query refreshed in the background shows its last result at once, with
// its age, after it expires, and the fresh one next time; its first result
// holds a page up for a bounded time only.
func TestBackgroundRefresh(t *testing.T) {
	ctx := context.Background()
	admin := dbtest.Admin(t)
	if err := admin.Exec(ctx, `CREATE TABLE history_probe (v int); INSERT INTO history_probe VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, "-- title: Cohorts\n-- refresh: background\nSELECT v FROM history_probe")
	clock := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	r := query.NewRunner(dbtest.Warehouse(t), query.Options{CacheTTL: time.Minute, Now: func() time.Time { return clock }})
	req := query.Request{Range: query.Range{From: day("2026-01-01"), To: day("2026-03-01")}}
	first, err := r.Run(ctx, q, req)
	if err != nil || first.Stale || first.Frame.Rows[0][0] != int64(1) {
		t.Fatalf("first run: %+v, %v", first, err)
	}
	admin.Exec(ctx, `UPDATE history_probe SET v = 2`)
	clock = clock.Add(2 * time.Minute) // expired
	stale, err := r.Run(ctx, q, req)
	if err != nil || !stale.Stale || stale.Frame.Rows[0][0] != int64(1) || !stale.ComputedAt.Equal(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("after expiry: %+v, %v; want the 08:00 result at once, marked stale", stale, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := r.Run(ctx, q, req)
		if err == nil && !res.Stale && res.Frame.Rows[0][0] == int64(2) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the background refresh never came: %+v, %v", res, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	slow := mustQuery(t, "-- title: Slow history\n-- refresh: background\nSELECT pg_sleep(1.5)::text AS slept, 7 AS n")
	quick := query.NewRunner(dbtest.Warehouse(t), query.Options{CacheTTL: time.Minute, BackgroundWait: 200 * time.Millisecond})
	if _, err := quick.Run(ctx, slow, req); !errors.Is(err, apperr.ErrUnavailable) || !strings.Contains(err.Error(), "still being computed") {
		t.Fatalf("first slow run: %v; want a bounded wait that says it is being computed", err)
	}
	time.Sleep(2 * time.Second)
	if res, err := quick.Run(ctx, slow, req); err != nil || res.Frame.Rows[0][1] != int64(7) {
		t.Errorf("after the computation finished: %+v, %v; want its result", res, err)
	}
}
