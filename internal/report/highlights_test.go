package report

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/catalog/catalogtest"
	"github.com/opsboard/opsboard/internal/chart"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
)

// highlightsOf builds a dashboard for a range ending the day before today
// and writes its highlights with their norms.
func highlightsOf(t *testing.T, files map[string]string, dash, rng string, today time.Time) ([]string, []norm) {
	t.Helper()
	ctx := context.Background()
	cat := catalogtest.Load(t, files)
	b := &dashboard.Builder{Catalog: cat, Runner: query.NewRunner(dbtest.Warehouse(t), query.Options{})}
	v, err := b.Build(ctx, cat.Dashboards[dash], dashboard.Request{Range: rng, Today: today})
	if err != nil {
		t.Fatal(err)
	}
	for _, tile := range v.Tiles {
		if tile.Err != nil {
			t.Fatalf("tile %s: %v", tile.Tile.Query, tile.Err)
		}
	}
	norms := trailingNorms(ctx, b, v, time.Time{})
	return Highlights(v, norms), norms
}

// sentencesAbout is the highlights that name the label.
func sentencesAbout(h []string, label string) []string {
	var out []string
	for _, s := range h {
		if strings.HasPrefix(s, label+" ") {
			out = append(out, s)
		}
	}
	return out
}

// A week's NPS of 50 against a 28-day norm of 42 is a departure of 8
// points, never a percent, and is named only when the week's answers make
// it more than noise: from 140 answers it is within it (z ≈ 1), from 1,400
// beyond (z ≈ 2.4).
func TestNPSDepartureInPointsBeyondNoise(t *testing.T) {
	admin := dbtest.Admin(t)
	// Before the week (25 Feb – 24 Mar) 50 answers a day: 26 promoters, 5
	// detractors (NPS 42); in the week (25 – 31 Mar) 12 and 2 of 20
	// answers a day for "few", 120 and 20 of 200 for "many" (NPS 50).
	if err := admin.Exec(context.Background(), `
		CREATE TABLE hl_nps (at timestamptz, survey text, score int);
		INSERT INTO hl_nps SELECT '2026-02-25 10:00'::timestamptz + d * interval '1 day', s,
			CASE WHEN g <= 26 THEN 10 WHEN g <= 31 THEN 3 ELSE 8 END
		FROM generate_series(0, 27) d, generate_series(1, 50) g, (VALUES ('few'), ('many')) v(s);
		INSERT INTO hl_nps SELECT '2026-03-25 10:00'::timestamptz + d * interval '1 day', 'few',
			CASE WHEN g <= 12 THEN 10 WHEN g <= 14 THEN 3 ELSE 8 END
		FROM generate_series(0, 6) d, generate_series(1, 20) g;
		INSERT INTO hl_nps SELECT '2026-03-25 10:00'::timestamptz + d * interval '1 day', 'many',
			CASE WHEN g <= 120 THEN 10 WHEN g <= 140 THEN 3 ELSE 8 END
		FROM generate_series(0, 6) d, generate_series(1, 200) g;`); err != nil {
		t.Fatal(err)
	}
	nps := func(survey string) string {
		return "-- title: NPS " + survey + "\n-- unit: score\n-- better: higher\n-- aggregate: nps\n-- sample: responses\n" +
			"SELECT (100 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6))::float8 / nullif(count(*), 0)) AS value, count(*) AS responses " +
			"FROM hl_nps WHERE survey = '" + survey + "' AND at >= :from::date AND at < :to::date"
	}
	h, norms := highlightsOf(t, map[string]string{
		"sql/nps_few.sql":     nps("few"),
		"sql/nps_many.sql":    nps("many"),
		"dashboards/nps.yaml": "title: NPS\ncompare: none\ntiles:\n  - query: nps_few\n  - query: nps_many\n",
	}, "nps", "last_7_days", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	for i, n := range norms {
		if !n.ok || n.mean != 42 {
			t.Fatalf("tile %d's norm is %+v, want NPS 42 over the 28 days before the week", i, n)
		}
	}
	if got := sentencesAbout(h, "NPS few"); len(got) != 0 {
		t.Errorf("a week's NPS from 140 answers, 8 points above its norm, is within its noise but the highlights name it:\n%s", strings.Join(got, "\n"))
	}
	want := fmt.Sprintf("NPS many at %s is %s pts above its usual level for 7 days (%s, from the 28 days before).",
		chart.FormatValue(50, "score", ""), chart.FormatValue(50-42, "score", ""), chart.FormatValue(42, "score", ""))
	if got := sentencesAbout(h, "NPS many"); len(got) != 1 || got[0] != want {
		t.Errorf("highlights about NPS from 1,400 answers:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	for _, s := range h {
		if strings.Contains(s, "%") {
			t.Errorf("an NPS highlight is worded as a percent: %s", s)
		}
	}
}

// A count without a declared aggregate does not say whether 28 days of it
// are a total to scale: its norm for a week is the mean of the four weeks
// before (8 low ratings a day: 56), and a month, longer than the 28 days,
// has none.
func TestCountWithoutAggregateNormOfThePeriod(t *testing.T) {
	admin := dbtest.Admin(t)
	// 8 low ratings a day from 1 Feb to 24 Mar for both shops; in the
	// week (25 – 31 Mar) still 8 a day at "steady", none at "quiet".
	if err := admin.Exec(context.Background(), `
		CREATE TABLE hl_ratings (at timestamptz, shop text);
		INSERT INTO hl_ratings SELECT '2026-02-01 10:00'::timestamptz + d * interval '1 day', s
		FROM generate_series(0, 51) d, generate_series(1, 8) g, (VALUES ('steady'), ('quiet')) v(s);
		INSERT INTO hl_ratings SELECT '2026-03-25 10:00'::timestamptz + d * interval '1 day', 'steady'
		FROM generate_series(0, 6) d, generate_series(1, 8) g;`); err != nil {
		t.Fatal(err)
	}
	low := func(shop string) string {
		return "-- title: Low ratings " + shop + "\n-- unit: count\n-- better: lower\n" +
			"SELECT count(*) AS value FROM hl_ratings WHERE shop = '" + shop + "' AND at >= :from::date AND at < :to::date"
	}
	files := map[string]string{
		"sql/low_steady.sql":      low("steady"),
		"sql/low_quiet.sql":       low("quiet"),
		"dashboards/ratings.yaml": "title: Ratings\ncompare: none\ntiles:\n  - query: low_steady\n  - query: low_quiet\n",
	}
	today := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	h, norms := highlightsOf(t, files, "ratings", "last_7_days", today)
	if !norms[0].ok || norms[0].mean != 7*8 {
		t.Errorf("a week's norm of 8 low ratings a day is %+v, want %d", norms[0], 7*8)
	}
	if got := sentencesAbout(h, "Low ratings steady"); len(got) != 0 {
		t.Errorf("a week of 8 low ratings a day, as every week before, is called a departure:\n%s", strings.Join(got, "\n"))
	}
	want := "Low ratings quiet at 0 is 100% below its usual level for 7 days (56, from the 28 days before)."
	if got := sentencesAbout(h, "Low ratings quiet"); len(got) != 1 || got[0] != want {
		t.Errorf("highlights about a week without low ratings:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	h, norms = highlightsOf(t, files, "ratings", "month_to_date", today)
	if norms[0].ok || norms[1].ok {
		t.Errorf("a month's norms are %+v, want none: 28 days hold no period of its length", norms)
	}
	for _, s := range h {
		if strings.Contains(s, "norm") {
			t.Errorf("a month is set against a norm its count's scaling cannot give: %s", s)
		}
	}
}

// A daily median of first responses swings between 2.5 and 8.5 hours: a
// fall from 7.6 to 4.3 hours is within that swing and not named, whatever
// its size; a fall to 1.5 is below every day before and is.
func TestUntestedMoveWithinTrailingSpread(t *testing.T) {
	admin := dbtest.Admin(t)
	// 27 days before 31 Mar cycling 2.5, 4, 5.5, 7, 8.5 hours, the last of
	// them (30 Mar) 7.6; on 31 Mar 4.3 at "usual" and 1.5 at "fast".
	if err := admin.Exec(context.Background(), `
		CREATE TABLE hl_response (at timestamptz, team text, hours float8);
		INSERT INTO hl_response SELECT '2026-03-04 10:00'::timestamptz + d * interval '1 day', s, 2.5 + 1.5 * (d % 5)
		FROM generate_series(0, 25) d, (VALUES ('usual'), ('fast')) v(s);
		INSERT INTO hl_response SELECT '2026-03-30 10:00', s, 7.6 FROM (VALUES ('usual'), ('fast')) v(s);
		INSERT INTO hl_response VALUES ('2026-03-31 10:00', 'usual', 4.3), ('2026-03-31 10:00', 'fast', 1.5);`); err != nil {
		t.Fatal(err)
	}
	median := func(team string) string {
		return "-- title: Median first response " + team + "\n-- unit: hours\n-- better: lower\n" +
			"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS value FROM hl_response WHERE team = '" + team + "' AND at >= :from::date AND at < :to::date"
	}
	h, norms := highlightsOf(t, map[string]string{
		"sql/resp_usual.sql":       median("usual"),
		"sql/resp_fast.sql":        median("fast"),
		"dashboards/response.yaml": "title: Response\ncompare: previous_period\ntiles:\n  - query: resp_usual\n  - query: resp_fast\n",
	}, "response", "yesterday", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	if len(norms[0].trailing) != normDays-1 {
		t.Fatalf("the daily norm holds %d days, want %d", len(norms[0].trailing), normDays-1)
	}
	if got := sentencesAbout(h, "Median first response usual"); len(got) != 0 {
		t.Errorf("a daily median within the swing of the days before is named:\n%s", strings.Join(got, "\n"))
	}
	got := sentencesAbout(h, "Median first response fast")
	if len(got) != 1 || !strings.Contains(got[0], "fell to") || !strings.Contains(got[0], "lowest in 28 days") {
		t.Errorf("highlights about a daily median below every day before:\n%s\nwant its fall, noted as the lowest in 28 days", strings.Join(got, "\n"))
	}
}

// A month so far set against the whole month before compares daily
// averages: the move says "a day"; periods of one length compare totals
// and do not.
func TestPerDayMoveWording(t *testing.T) {
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	orders := &catalog.Query{Name: "orders", Title: "Orders", Unit: "count", Better: "higher", Metric: catalog.Metric{Aggregate: catalog.Sum}}
	for _, tc := range []struct {
		name           string
		cur, prev      float64
		curDays, prDay int
		compare        string
		want           string
	}{
		// 385 a day for 10 days against 330 a day for 31: +55 a day, +16.7%.
		{"month to date", 3850, 10230, 10, 31, query.PreviousMonth, "Orders rose to 3,850 (+55 a day, +16.7% vs October 2026)."},
		{"same length", 3850, 3300, 10, 10, query.PreviousPeriod, "Orders rose to 3,850 (+550, +16.7% vs previous 10 days)."},
	} {
		v := &dashboard.View{
			Dashboard: &catalog.Dashboard{Name: "d", Title: "Orders"},
			Range:     query.Range{From: nov, To: nov.AddDate(0, 0, tc.curDays)},
			Compare:   tc.compare, HasCompare: true,
			CompareRange: query.Range{From: nov.AddDate(0, 0, -tc.prDay), To: nov},
			Location:     time.UTC,
			Tiles: []dashboard.TileView{{Tile: catalog.Tile{Query: "orders"}, Query: orders,
				Value: tc.cur, HasValue: true, Previous: tc.prev, HasPrevious: true,
				Cur: catalog.Point{Value: tc.cur, Days: tc.curDays}, Prev: catalog.Point{Value: tc.prev, Days: tc.prDay}}},
		}
		if got := strings.Join(Highlights(v, nil), "\n"); got != tc.want {
			t.Errorf("%s: highlights\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}
