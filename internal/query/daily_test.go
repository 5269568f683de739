package query_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/frame/frametest"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
)

// countingDays is the package's store, noting which days of which query
// went to the warehouse.
type countingDays struct {
	*store.Store
	mu       sync.Mutex
	computed map[string][]string
}

func (c *countingDays) DaysComputed(q string, days []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range days {
		c.computed[q] = append(c.computed[q], d.Format(query.DateLayout))
	}
}

// take returns the days of q computed since the last take, sorted.
func (c *countingDays) take(q string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	days := c.computed[q]
	delete(c.computed, q)
	slices.Sort(days)
	return days
}

// settleFixture is a schema of its own: orders and survey answers every
// few minutes from February to May and from September to November 2026,
// so that business days in Berlin cross both daylight-saving changes.
var settleFixture sync.Once

func loadSettleFixture(t *testing.T) {
	t.Helper()
	var err error
	settleFixture.Do(func() {
		err = dbtest.Admin(t).Exec(context.Background(), `
CREATE TABLE settle_orders (placed_at timestamptz NOT NULL, promised_at timestamptz NOT NULL, delivered_at timestamptz,
                            channel text NOT NULL, amount numeric(10,2) NOT NULL);
INSERT INTO settle_orders
SELECT t, t + (g % 5) * interval '1 day' + interval '6 hours',
       CASE WHEN g % 11 <> 0 THEN t + (g % 7) * interval '1 day' END,
       (ARRAY['web', 'app', 'marketplace'])[1 + g % 3], round(((g * 7919) % 10000) / 100.0, 2)
FROM (SELECT g, timestamptz '2026-02-20 00:00+00' + g * interval '37 minutes' AS t FROM generate_series(0, 3000) g
      UNION ALL
      SELECT g, timestamptz '2026-09-20 00:00+00' + g * interval '37 minutes' FROM generate_series(0, 3000) g) s;
CREATE TABLE settle_answers (responded_at timestamptz NOT NULL, touchpoint text NOT NULL, channel text NOT NULL, score int NOT NULL);
INSERT INTO settle_answers
SELECT t, CASE WHEN g % 4 = 0 THEN 'support' ELSE 'delivery' END, (ARRAY['web', 'app', 'marketplace'])[1 + g % 3], 1 + (g * 31) % 5
FROM (SELECT g, timestamptz '2026-02-20 00:10+00' + g * interval '53 minutes' AS t FROM generate_series(0, 2200) g
      UNION ALL
      SELECT g, timestamptz '2026-09-20 00:10+00' + g * interval '53 minutes' FROM generate_series(0, 2200) g) s;
CREATE TABLE settle_nps (responded_at timestamptz NOT NULL, channel text NOT NULL, score int NOT NULL);
INSERT INTO settle_nps
SELECT t, (ARRAY['web', 'app', 'marketplace'])[1 + g % 3], (g * 13) % 11
FROM (SELECT g, timestamptz '2026-02-20 00:20+00' + g * interval '71 minutes' AS t FROM generate_series(0, 1600) g
      UNION ALL
      SELECT g, timestamptz '2026-09-20 00:20+00' + g * interval '71 minutes' FROM generate_series(0, 1600) g) s;`)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// settleQueries are one query of each shape that settles.
var settleQueries = map[string]string{
	"orders": `-- title: Orders
-- aggregate: sum
-- settle: 3 days
-- params: channel text = 'all'
-- column: revenue aggregate=sum
-- column: biggest aggregate=max
-- column: first_at aggregate=min
SELECT count(*) AS value, coalesce(sum(amount), 0)::numeric(12,2) AS revenue, max(amount) AS biggest, min(placed_at) AS first_at
FROM settle_orders
WHERE placed_at >= :from::date AND placed_at < :to::date AND (:channel = 'all' OR channel = :channel)`,
	"on_time": `-- title: On time
-- aggregate: ratio
-- sample: due
-- settle: 5 days
-- params: channel text = 'all'
-- column: late aggregate=sum
SELECT avg((delivered_at IS NOT NULL AND delivered_at <= promised_at)::int)::float8 AS value, count(*) AS due,
       count(*) FILTER (WHERE delivered_at IS NULL OR delivered_at > promised_at) AS late
FROM settle_orders
WHERE promised_at >= :from::date AND promised_at < :to::date AND (:channel = 'all' OR channel = :channel)`,
	"csat": `-- title: CSAT
-- aggregate: mean
-- sample: responses
-- spread: spread
-- settle: 14 days
-- params: channel text = 'all'
-- column: delivery_csat aggregate=mean sample=delivery_responses
-- column: delivery_responses aggregate=sum
SELECT avg(score)::float8 AS value, count(*) AS responses, stddev_samp(score)::float8 AS spread,
       avg(score) FILTER (WHERE touchpoint = 'delivery')::float8 AS delivery_csat,
       count(*) FILTER (WHERE touchpoint = 'delivery') AS delivery_responses
FROM settle_answers
WHERE responded_at >= :from::date AND responded_at < :to::date AND (:channel = 'all' OR channel = :channel)`,
	"nps": `-- title: NPS
-- aggregate: nps
-- sample: responses
-- settle: 1 day
-- params: channel text = 'all'
SELECT (100 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6))::float8 / nullif(count(*), 0)) AS value,
       count(*) AS responses
FROM settle_nps
WHERE responded_at >= :from::date AND responded_at < :to::date AND (:channel = 'all' OR channel = :channel)`,
	"undelivered": `-- title: Orders not delivered
-- aggregate: last
-- settle: 3 days
-- params: channel text = 'all'
-- column: amount aggregate=last
SELECT count(*) AS value, coalesce(sum(amount), 0)::numeric(12,2) AS amount
FROM settle_orders
WHERE placed_at < :to::date AND (delivered_at IS NULL OR delivered_at >= :to::date) AND (:channel = 'all' OR channel = :channel)`,
	"per_day": `-- title: Orders per day and channel
-- settle: 2 days
-- params: channel text = 'all'
SELECT placed_at::date AS day, channel, count(*) AS orders, sum(amount) AS revenue
FROM settle_orders
WHERE placed_at >= :from::date AND placed_at < :to::date AND (:channel = 'all' OR channel = :channel)
GROUP BY 1, 2 ORDER BY 1, 2`,
	"by_channel": `-- title: Orders by channel
-- settle: 2 days
-- key: channel
-- sample: orders
-- column: revenue aggregate=sum
-- column: mean_amount aggregate=mean sample=orders
-- column: biggest aggregate=max
-- params: channel text = 'all'
WITH channels (channel) AS (VALUES ('app'), ('marketplace'), ('web'))
SELECT c.channel, count(o.amount) AS orders, sum(o.amount) AS revenue, avg(o.amount)::float8 AS mean_amount, max(o.amount) AS biggest
FROM channels c
LEFT JOIN settle_orders o ON o.channel = c.channel AND o.placed_at >= :from::date AND o.placed_at < :to::date
WHERE :channel = 'all' OR c.channel = :channel
GROUP BY 1 ORDER BY 1`,
}

func settleQuery(t *testing.T, name string) *catalog.Query {
	t.Helper()
	q, err := catalog.ParseQuery("settle/"+name, "sql/settle/"+name+".sql", []byte(settleQueries[name]))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// twoDaySlices is a 14-point sparkline of the 28 days before to.
func twoDaySlices(to time.Time) []query.Range {
	var out []query.Range
	for i := range 14 {
		from := to.AddDate(0, 0, -28+2*i)
		out = append(out, query.Range{From: from, To: from.AddDate(0, 0, 2)})
	}
	return out
}

// Results put together from kept and new days equal the statement run
// over the whole range, for every shape that settles, ranges and
// comparison ranges and sparklines, with and without a filter, around
// both of Berlin's daylight-saving changes, cold and warm.
func TestSettledDaysEqualAFreshComputation(t *testing.T) {
	loadSettleFixture(t)
	ctx := context.Background()
	loc := berlin(t)
	days := &countingDays{Store: dbtest.Store(t), computed: map[string][]string{}}
	for _, tc := range []struct {
		name  string
		today time.Time
	}{
		{"spring forward", day("2026-04-05")}, // 2026-03-29 has 23 hours in Berlin
		{"fall back", day("2026-11-01")},      // 2026-10-25 has 25 hours
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(tc.today.Year(), tc.today.Month(), tc.today.Day(), 9, 30, 0, 0, loc)
			clock := func() time.Time { return now }
			incremental := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: loc, Now: clock, Days: days})
			fresh := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: loc, Now: clock})
			last14 := query.Range{From: tc.today.AddDate(0, 0, -14), To: tc.today}
			prev, _, _ := last14.Compare(query.PreviousPeriod)
			lastYear := query.Range{From: tc.today.AddDate(0, 0, -90), To: tc.today} // 90 days: two statements of days
			requests := map[string]query.Request{
				"14 days":              {Range: last14},
				"previous 14 days":     {Range: prev},
				"yesterday":            {Range: query.Range{From: tc.today.AddDate(0, 0, -1), To: tc.today}},
				"90 days":              {Range: lastYear},
				"sparkline":            {Range: last14, Slices: twoDaySlices(tc.today)},
				"one-day sparkline":    {Range: last14, Slices: func() []query.Range { s := twoDaySlices(tc.today); return s[len(s)-7:] }()},
				"web":                  {Range: last14, Params: map[string]string{"channel": "web"}},
				"web sparkline":        {Range: last14, Params: map[string]string{"channel": "web"}, Slices: twoDaySlices(tc.today)},
				"web, previous period": {Range: prev, Params: map[string]string{"channel": "web"}},
				"in UTC":               {Range: last14, Location: time.UTC},
			}
			for _, name := range slices.Sorted(func(yield func(string) bool) {
				for n := range settleQueries {
					if !yield(n) {
						return
					}
				}
			}) {
				q := settleQuery(t, name)
				for what, req := range requests {
					want, err := fresh.Run(ctx, q, req)
					if err != nil {
						t.Fatalf("%s, %s: fresh: %v", name, what, err)
					}
					for _, run := range []string{"cold", "warm"} {
						// Cold, as the morning (work done ahead) computes
						// the days; warm, as a page reads them.
						req := req
						if run == "cold" {
							req.Until = tc.today.AddDate(0, 0, 1)
						}
						got, err := incremental.Run(ctx, q, req)
						if err != nil {
							t.Fatalf("%s, %s, %s: %v", name, what, run, err)
						}
						if diff := frametest.Diff(got.Frame, want.Frame); diff != "" {
							t.Errorf("%s, %s, %s: %s", name, what, run, diff)
						}
					}
				}
			}
		})
	}
}

// A second run sends only the days that have not settled to the
// database; rows arriving late on an unsettled day are picked up, on a
// settled day only after ForgetDays (opsboard refresh --since).
func TestOnlyUnsettledDaysAreComputedAgain(t *testing.T) {
	loadSettleFixture(t)
	ctx := context.Background()
	loc := berlin(t)
	db := dbtest.Admin(t)
	if err := db.Exec(ctx, `DROP TABLE IF EXISTS settle_late; CREATE TABLE settle_late AS SELECT * FROM settle_orders WHERE placed_at < '2026-05-01'`); err != nil {
		t.Fatal(err)
	}
	q, err := catalog.ParseQuery("settle/late", "sql/settle/late.sql", []byte(strings.ReplaceAll(settleQueries["orders"], "settle_orders", "settle_late")))
	if err != nil {
		t.Fatal(err)
	}
	q.Name = fmt.Sprintf("settle/late-%d", time.Now().UnixNano()) // no days kept by an earlier -count
	days := &countingDays{Store: dbtest.Store(t), computed: map[string][]string{}}
	now := time.Date(2026, 4, 5, 9, 30, 0, 0, loc) // settle: 3 days, so days before 2026-04-02 have settled
	clock := func() time.Time { return now }
	incremental := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: loc, Now: clock, Days: days})
	fresh := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: loc, Now: clock})
	req := query.Request{Range: query.Range{From: day("2026-03-22"), To: day("2026-04-05")}}
	dates := func(from, to string) []string {
		var out []string
		for d := day(from); !d.After(day(to)); d = d.AddDate(0, 0, 1) {
			out = append(out, d.Format(query.DateLayout))
		}
		return out
	}
	check := func(step string, wantComputed []string, wantFresh bool) *frame.Frame {
		t.Helper()
		got, err := incremental.Run(ctx, q, req)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if computed := days.take(q.Name); !slices.Equal(computed, wantComputed) {
			t.Errorf("%s: days sent to the database %v, want %v", step, computed, wantComputed)
		}
		want, err := fresh.Run(ctx, q, req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := frametest.Diff(got.Frame, want.Frame); (diff == "") != wantFresh {
			t.Errorf("%s: equal to a fresh computation: %v (%s), want %v", step, diff == "", diff, wantFresh)
		}
		return got.Frame
	}

	// A page that finds no day kept runs the statement and keeps nothing;
	// the morning (work done ahead) computes the days and keeps the
	// settled ones; pages then compute only the unsettled days.
	check("cold page", nil, true)
	req.Until = now.Add(24 * time.Hour)
	check("cold morning", dates("2026-03-22", "2026-04-04"), true)
	req.Until = time.Time{}
	check("warm", dates("2026-04-02", "2026-04-04"), true)

	// An order placed late on 2026-04-03 in Berlin, loaded afterwards.
	db.Exec(ctx, `INSERT INTO settle_late VALUES ('2026-04-03 23:30+02', '2026-04-06 12:00+02', NULL, 'web', 1000)`)
	check("late row inside the settle window", dates("2026-04-02", "2026-04-04"), true)

	// History corrected after it settled: not picked up, as documented...
	before := check("settled", dates("2026-04-02", "2026-04-04"), true)
	db.Exec(ctx, `INSERT INTO settle_late VALUES ('2026-03-29 00:30+01', '2026-04-01 12:00+02', NULL, 'web', 2000)`)
	after := check("late row outside the settle window", dates("2026-04-02", "2026-04-04"), false)
	if diff := frametest.Diff(after, before); diff != "" {
		t.Errorf("a settled day changed without a refresh: %s", diff)
	}
	// ...until its days are forgotten.
	if err := incremental.ForgetDays(ctx, day("2026-03-29")); err != nil {
		t.Fatal(err)
	}
	check("after ForgetDays", dates("2026-03-29", "2026-04-04"), true)
	check("warm again", dates("2026-04-02", "2026-04-04"), true)

	// A day later, 2026-04-02 has settled: computed once more (it was
	// last computed before it settled) and kept; 2026-04-05 is new.
	now = now.AddDate(0, 0, 1)
	req.Range = query.Range{From: day("2026-03-23"), To: day("2026-04-06")}
	check("next morning", dates("2026-04-02", "2026-04-05"), true)
	check("next morning, warm", dates("2026-04-03", "2026-04-05"), true)
}

// A dashboard asks for a tile's range, its comparison and its sparkline
// at once: each day goes to the database once, and the cache keeps the
// result put together.
func TestConcurrentRunsShareTheirDays(t *testing.T) {
	loadSettleFixture(t)
	ctx := context.Background()
	loc := berlin(t)
	days := &countingDays{Store: dbtest.Store(t), computed: map[string][]string{}}
	r := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: loc, CacheTTL: time.Minute, Days: days,
		Now: func() time.Time { return time.Date(2026, 11, 1, 8, 0, 0, 0, loc) }})
	q := settleQuery(t, "on_time")
	q.Name = fmt.Sprintf("settle/concurrent-%d", time.Now().UnixNano()) // no days kept by an earlier -count
	rng := query.Range{From: day("2026-10-18"), To: day("2026-11-01")}
	prev, _, _ := rng.Compare(query.PreviousPeriod)
	// As the morning asks (work done ahead: no day kept yet).
	until := time.Date(2026, 11, 2, 6, 0, 0, 0, loc)
	reqs := []query.Request{
		{Range: rng, Params: map[string]string{"channel": "app"}, Until: until},
		{Range: prev, Params: map[string]string{"channel": "app"}, Until: until},
		{Range: rng, Params: map[string]string{"channel": "app"}, Slices: twoDaySlices(rng.To), Until: until},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(reqs))
	for i, req := range reqs {
		wg.Go(func() { _, errs[i] = r.Run(ctx, q, req) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	computed := days.take(q.Name)
	if len(computed) != 28 || len(slices.Compact(slices.Clone(computed))) != 28 {
		t.Errorf("days sent to the database: %v; want each of the 28 days once", computed)
	}
	res, err := r.Run(ctx, q, reqs[2])
	if err != nil || !res.Cached {
		t.Errorf("the sparkline again: cached %v, %v; want it from the cache", res != nil && res.Cached, err)
	}
}

// A query whose days do not put together as it declares says so.
func TestSettleShapeIsCheckedOnTheResult(t *testing.T) {
	loadSettleFixture(t)
	ctx := context.Background()
	days := &countingDays{Store: dbtest.Store(t), computed: map[string][]string{}}
	r := query.NewRunner(dbtest.Warehouse(t), query.Options{Days: days, Now: func() time.Time { return time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC) }})
	req := query.Request{Range: query.Range{From: day("2026-03-20"), To: day("2026-03-27")}}
	for src, want := range map[string]string{
		"-- title: T\n-- settle: 1 day\nSELECT channel, count(*) AS n FROM settle_orders WHERE placed_at >= :from AND placed_at < :to GROUP BY 1":                                                   "its first column must be the day",
		"-- title: T\n-- settle: 1 day\n-- aggregate: sum\nSELECT count(*) AS value, max(channel) AS c FROM settle_orders WHERE placed_at >= :from AND placed_at < :to":                             `column "c" does not say how its days combine`,
		"-- title: T\n-- settle: 1 day\n-- aggregate: sum\n-- column: c aggregate=max\nSELECT count(*) AS value, max(channel) AS c FROM settle_orders WHERE placed_at >= :from AND placed_at < :to": `column "c" is text; min and max combine numbers`,
		"-- title: T\n-- settle: 1 day\n-- aggregate: sum\nSELECT count(*) AS value FROM settle_orders WHERE placed_at >= :from AND placed_at < :to GROUP BY channel":                               "returned 3 rows for a day",
		"-- title: T\n-- settle: 1 day\nSELECT promised_at::date AS day, count(*) AS n FROM settle_orders WHERE placed_at >= :from AND placed_at < :to GROUP BY 1 ORDER BY 1":                       "gave a row of 2026-03-2",
	} {
		q, err := catalog.ParseQuery("settle/bad", "sql/settle/bad.sql", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Run(ctx, q, req)
		if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "sql/settle/bad.sql") {
			t.Errorf("%s:\ngot %v, want an invalid-definition error naming the file and saying %q", src, err, want)
		}
	}
	// A table whose days have more rows than the runner keeps fails rather
	// than combining some of its days: 3 channels a day, 7 days, 10 rows.
	limited := query.NewRunner(dbtest.Warehouse(t), query.Options{Days: days, MaxRows: 10, Now: func() time.Time { return time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC) }})
	tokyo, _ := time.LoadLocation("Asia/Tokyo") // days no other test kept
	_, err := limited.Run(ctx, settleQuery(t, "by_channel"), query.Request{Range: req.Range, Location: tokyo})
	if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "more than 10 rows") {
		t.Errorf("a table cut at the row limit: got %v, want an error saying it has more than 10 rows", err)
	}
}
