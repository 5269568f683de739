package report

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog/catalogtest"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
)

// A week's or a month's report sets a sum against the norm of a period of
// its own length, a rate against the rate, and a level against its mean
// level: 10 calls a day, 90% of them answered, every day for 120 days.
func TestNormsFollowThePeriodLength(t *testing.T) {
	ctx := context.Background()
	admin := dbtest.Admin(t)
	if err := admin.Exec(ctx, `
		CREATE TABLE norm_calls (at timestamptz, answered bool);
		INSERT INTO norm_calls SELECT '2026-01-01 10:00'::timestamptz + d * interval '1 day', g <= 9
		FROM generate_series(0, 119) d, generate_series(1, 10) g;`); err != nil {
		t.Fatal(err)
	}
	cat := catalogtest.Load(t, map[string]string{
		"sql/calls.sql":          "-- title: Calls\n-- unit: count\n-- aggregate: sum\nSELECT count(*) AS value FROM norm_calls WHERE at >= :from::date AND at < :to::date",
		"sql/answer.sql":         "-- title: Answer rate\n-- unit: percent\n-- aggregate: ratio\n-- sample: calls\nSELECT avg(answered::int)::float8 AS value, count(*) AS calls FROM norm_calls WHERE at >= :from::date AND at < :to::date",
		"sql/so_far.sql":         "-- title: Calls so far\n-- unit: count\n-- aggregate: last\nSELECT count(*) AS value FROM norm_calls WHERE at < :to::date",
		"dashboards/calls.yaml":  "title: Calls\ntiles:\n  - query: calls\n  - query: answer\n",
		"dashboards/levels.yaml": "title: Levels\ntiles:\n  - query: so_far\n",
	})
	b := &dashboard.Builder{Catalog: cat, Runner: query.NewRunner(dbtest.Warehouse(t), query.Options{})}
	for _, tc := range []struct {
		rng       string
		days      int
		wantSum   float64
		wantLevel float64 // 10 calls more each day: the mean of the 27 days' levels before the period
	}{
		{"yesterday", 1, 10, 760},       // the 27 days before it, one query of a slice a day
		{"last_7_days", 7, 70, 700},     // not the 28-day total of 280; a level not the 830 of the last day before
		{"month_to_date", 31, 310, 460}, // March: 31 days, 28-day norm scaled to 31
	} {
		lv, err := b.Build(ctx, cat.Dashboards["levels"], dashboard.Request{Range: tc.rng, Today: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if n := trailingNorms(ctx, b, lv, time.Time{}); !n[0].ok || math.Abs(n[0].mean-tc.wantLevel) > 1e-9 {
			t.Errorf("%s: a level's norm is %+v, want the mean of its daily levels, %.0f", tc.rng, n[0], tc.wantLevel)
		}
		v, err := b.Build(ctx, cat.Dashboards["calls"], dashboard.Request{Range: tc.rng, Today: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if v.Range.Days() != tc.days {
			t.Fatalf("%s covers %d days, want %d", tc.rng, v.Range.Days(), tc.days)
		}
		norms := trailingNorms(ctx, b, v, time.Time{})
		for i, n := range norms {
			if n.trailing != nil {
				if len(n.trailing) != normDays-1 || slices.ContainsFunc(n.trailing, math.IsNaN) {
					t.Fatalf("%s: tile %d's daily norms are %v, want %d days with values", tc.rng, i, n.trailing, normDays-1)
				}
			}
		}
		if math.Abs(norms[0].mean-tc.wantSum) > 1e-9 || math.Abs(norms[1].mean-0.9) > 1e-9 {
			t.Errorf("%s: norms %.2f calls and %.3f answered, want %.0f and 0.900", tc.rng, norms[0].mean, norms[1].mean, tc.wantSum)
		}
		if h := strings.Join(Highlights(v, norms), "\n"); strings.Contains(h, "norm") {
			t.Errorf("%s: a steady 10 calls a day is called a departure from its norm:\n%s", tc.rng, h)
		}
	}
}
