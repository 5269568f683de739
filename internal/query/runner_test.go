package query_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func mustQuery(t *testing.T, src string) *catalog.Query {
	t.Helper()
	q, err := catalog.ParseQuery("test", "sql/test.sql", []byte(src))
	if err != nil {
		t.Fatalf("parsing query: %v", err)
	}
	return q
}

func newYork(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func day(s string) time.Time {
	d, _ := time.Parse(query.DateLayout, s)
	return d
}

// An order placed at 23:30 in New York belongs to that New York day, even
// though it is already the next day in UTC.
func TestBusinessDayBoundary(t *testing.T) {
	db, wh := dbtest.Admin(t), dbtest.Warehouse(t)
	ctx := context.Background()
	if err := db.Exec(ctx, `CREATE TABLE tz_orders (id int, placed_at timestamptz);
		INSERT INTO tz_orders VALUES (1, '2026-03-10 23:30:00-04'), (2, '2026-03-11 00:30:00-04')`); err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, `-- title: Orders per day
SELECT placed_at::date AS day, count(*) AS orders FROM tz_orders
WHERE placed_at >= :from AND placed_at < :to GROUP BY 1 ORDER BY 1`)

	for _, tc := range []struct {
		zone string
		want map[string]int64
	}{
		{"America/New_York", map[string]int64{"2026-03-10": 1, "2026-03-11": 1}},
		{"UTC", map[string]int64{"2026-03-11": 2}},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			loc, _ := time.LoadLocation(tc.zone)
			r := query.NewRunner(wh, query.Options{Location: loc})
			res, err := r.Run(ctx, q, query.Request{Range: query.Range{From: day("2026-03-10"), To: day("2026-03-12")}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, row := range res.Frame.Rows {
				got[row[0].(time.Time).Format(query.DateLayout)] = row[1].(int64)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got days %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("day %s: got %d orders, want %d (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

// (A query file holding DELETE, COPY or SET is refused before it runs:
// see TestParseQueryErrors. These write from inside a query.)
func TestWriteIsRejected(t *testing.T) {
	db, wh := dbtest.Admin(t), dbtest.Warehouse(t)
	ctx := context.Background()
	if err := db.Exec(ctx, `CREATE TABLE victims (id int); INSERT INTO victims VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"cte":      "-- title: x\nWITH d AS (DELETE FROM victims RETURNING id) SELECT * FROM d",
		"function": "-- title: x\nSELECT set_config('default_transaction_read_only', 'off', false), (SELECT count(*) FROM victims), nextval('victims_seq')",
	} {
		t.Run(name, func(t *testing.T) {
			if name == "function" {
				db.Exec(ctx, `CREATE SEQUENCE IF NOT EXISTS victims_seq`)
			}
			_, err := query.NewRunner(wh, query.Options{}).Run(ctx, mustQuery(t, src), query.Request{Range: query.Range{From: day("2026-01-01"), To: day("2026-01-02")}})
			if err == nil {
				t.Fatal("a writing query ran")
			}
			// Either the read-only transaction or the read-only role stops it.
			if !strings.Contains(err.Error(), "read-only") && !strings.Contains(err.Error(), "may not") {
				t.Errorf("error %q does not say the query may not write", err)
			}
		})
	}
	var n int
	if err := db.Get(ctx, &n, `SELECT count(*) FROM victims`); err != nil || n != 1 {
		t.Errorf("victims has %d rows (err %v), want 1 untouched", n, err)
	}
}

func TestTimeoutIsHonoured(t *testing.T) {
	wh := dbtest.Warehouse(t)
	q := mustQuery(t, "-- title: slow\nSELECT pg_sleep(5)::text AS slept")
	r := query.NewRunner(wh, query.Options{Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := r.Run(context.Background(), q, query.Request{Range: query.Range{From: day("2026-01-01"), To: day("2026-01-02")}})
	if err == nil {
		t.Fatal("a query longer than the timeout finished")
	}
	if !errors.Is(err, apperr.ErrUnavailable) || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("error %q is not a timeout error", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the query ran %s: the 200ms timeout was not applied", took)
	}
}

func TestParametersAreBoundNotSpliced(t *testing.T) {
	wh := dbtest.Warehouse(t)
	ctx := context.Background()
	q := mustQuery(t, `-- title: echo
-- params: channel text = 'all', n int = 3
SELECT :channel::text AS channel, :n AS n, :from::date AS from_day, :day AS last_day,
       'it''s :channel' AS literal, 1::int AS cast`)
	evil := `web'; DROP TABLE victims; --`
	res, err := query.NewRunner(wh, query.Options{}).Run(ctx, q, query.Request{
		Range:  query.Range{From: day("2026-02-01"), To: day("2026-02-08")},
		Params: map[string]string{"channel": evil, "n": "42"}, Strict: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	row := res.Frame.Rows[0]
	if row[0] != evil {
		t.Errorf("channel came back as %q, want the text bound verbatim %q", row[0], evil)
	}
	if row[1] != int64(42) {
		t.Errorf("n = %v, want 42", row[1])
	}
	if got := row[2].(time.Time).Format(query.DateLayout); got != "2026-02-01" {
		t.Errorf("from = %s, want 2026-02-01", got)
	}
	if got := row[3].(time.Time).Format(query.DateLayout); got != "2026-02-07" {
		t.Errorf("day = %s, want the last day of the range 2026-02-07", got)
	}
	if row[4] != "it's :channel" {
		t.Errorf("string literal changed to %q", row[4])
	}
}

func TestStrictRejectsUnknownAndBadParameters(t *testing.T) {
	wh := dbtest.Warehouse(t)
	q := mustQuery(t, "-- title: x\n-- params: n int = 1\nSELECT :n AS n")
	r := query.NewRunner(wh, query.Options{})
	rng := query.Range{From: day("2026-01-01"), To: day("2026-01-02")}
	for name, params := range map[string]map[string]string{
		"unknown": {"channel": "web"},
		"bad int": {"n": "many"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := r.Run(context.Background(), q, query.Request{Range: rng, Params: params, Strict: true})
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("got %v, want an invalid-parameter error", err)
			}
		})
	}
}

func TestRowLimitTruncates(t *testing.T) {
	wh := dbtest.Warehouse(t)
	q := mustQuery(t, "-- title: many\nSELECT g AS n FROM generate_series(1, 50) g")
	res, err := query.NewRunner(wh, query.Options{MaxRows: 10}).Run(context.Background(), q,
		query.Request{Range: query.Range{From: day("2026-01-01"), To: day("2026-01-02")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Frame.Rows) != 10 || !res.Frame.Truncated {
		t.Errorf("got %d rows, truncated=%v; want 10 rows and the truncation flag", len(res.Frame.Rows), res.Frame.Truncated)
	}
}

func TestCacheServesRepeatsAndRefreshBypasses(t *testing.T) {
	db, wh := dbtest.Admin(t), dbtest.Warehouse(t)
	ctx := context.Background()
	db.Exec(ctx, `CREATE TABLE counter (n int); INSERT INTO counter VALUES (1)`)
	q := mustQuery(t, "-- title: c\nSELECT n FROM counter")
	r := query.NewRunner(wh, query.Options{CacheTTL: time.Minute})
	req := query.Request{Range: query.Range{From: day("2026-01-01"), To: day("2026-01-02")}}
	first, err := r.Run(ctx, q, req)
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(ctx, `UPDATE counter SET n = 2`)
	second, _ := r.Run(ctx, q, req)
	if !second.Cached || second.Frame.Rows[0][0] != first.Frame.Rows[0][0] {
		t.Errorf("second run cached=%v value=%v, want the cached first value %v", second.Cached, second.Frame.Rows[0][0], first.Frame.Rows[0][0])
	}
	req.Refresh = true
	third, _ := r.Run(ctx, q, req)
	if third.Cached || third.Frame.Rows[0][0] != int64(2) {
		t.Errorf("refresh run cached=%v value=%v, want a fresh 2", third.Cached, third.Frame.Rows[0][0])
	}
}

func TestParseRange(t *testing.T) {
	today := day("2026-11-22")
	for _, tc := range []struct {
		spec, from, to string
	}{
		{"yesterday", "2026-11-21", "2026-11-22"},
		{"last_7_days", "2026-11-15", "2026-11-22"},
		{"last_28_days", "2026-10-25", "2026-11-22"},
		{"month_to_date", "2026-11-01", "2026-11-22"},
		{"14 days", "2026-11-08", "2026-11-22"},
		{"2026-10-01..2026-10-31", "2026-10-01", "2026-11-01"},
	} {
		r, err := query.ParseRange(tc.spec, today)
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		if got := r.From.Format(query.DateLayout) + "/" + r.To.Format(query.DateLayout); got != tc.from+"/"+tc.to {
			t.Errorf("%s: got %s, want %s/%s", tc.spec, got, tc.from, tc.to)
		}
	}
	for _, bad := range []string{"last_week", "2026-10-31..2026-10-01", "0 days"} {
		if _, err := query.ParseRange(bad, today); err == nil {
			t.Errorf("%q parsed; want an error", bad)
		}
	}
}
