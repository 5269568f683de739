package dashboard_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/catalog/catalogtest"
	"github.com/opsboard/opsboard/internal/chart"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// A call centre, not the demo retailer: calls answered or not, and a few
// ratings. Yesterday (10 March) against the day before:
//   - calls 400 vs 300: Poisson z = 100/√700 = 3.78, a real rise;
//   - answer rate 360/400 = 90% vs 264/300 = 88%: binomial
//     se = √(.9·.1/400 + .88·.12/300) = 0.0240, z = 0.83, noise;
//   - 20 ratings yesterday, below the minimum of 30: no number shown;
//   - escalations 0 the day before, 3 yesterday: a move from zero.
var callCentre = map[string]string{
	"sql/calls.sql": `-- title: Calls
-- unit: count
-- better: higher
-- aggregate: sum
SELECT count(*) AS value FROM calls WHERE at >= :from::date AND at < :to::date`,
	"sql/answer_rate.sql": `-- title: Answer rate
-- unit: percent
-- better: higher
-- aggregate: ratio
-- sample: calls
SELECT avg(answered::int)::float8 AS value, count(*) AS calls FROM calls WHERE at >= :from::date AND at < :to::date`,
	"sql/rating.sql": `-- title: Rating
-- unit: score
-- better: higher
-- aggregate: mean
-- sample: ratings
-- spread: sd
SELECT avg(rating)::float8 AS value, count(rating) AS ratings, stddev_samp(rating)::float8 AS sd
FROM calls WHERE at >= :from::date AND at < :to::date`,
	"sql/escalations.sql": `-- title: Escalations
-- unit: count
-- better: lower
SELECT count(*) FILTER (WHERE escalated) AS value FROM calls WHERE at >= :from::date AND at < :to::date`,
	"dashboards/calls.yaml": `title: Call centre
range: yesterday
tiles:
  - query: calls
  - query: answer_rate
  - query: rating
  - query: escalations
`,
}

func TestTilesFollowTheMetricModel(t *testing.T) {
	ctx := context.Background()
	admin := dbtest.Admin(t)
	if err := admin.Exec(ctx, `
		CREATE TABLE calls (at timestamptz, answered bool, rating int, escalated bool);
		INSERT INTO calls SELECT '2026-03-10 09:00'::timestamptz, g <= 360, CASE WHEN g <= 20 THEN 4 + g % 2 END, g <= 3
		  FROM generate_series(1, 400) g;
		INSERT INTO calls SELECT '2026-03-09 09:00'::timestamptz, g <= 264, CASE WHEN g <= 200 THEN 3 + g % 3 END, false
		  FROM generate_series(1, 300) g;`); err != nil {
		t.Fatal(err)
	}
	cat := catalogtest.Load(t, callCentre)
	b := &dashboard.Builder{Catalog: cat, Runner: query.NewRunner(dbtest.Warehouse(t), query.Options{})}
	v, err := b.Build(ctx, cat.Dashboards["calls"], dashboard.Request{Today: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	tiles := map[string]page.TileBlock{}
	for _, tv := range v.Tiles {
		if tv.Err != nil {
			t.Fatalf("%s: %v", tv.Tile.Query, tv.Err)
		}
		tiles[tv.Tile.Query] = page.Tile(tv, "vs previous day", "")
	}
	for _, tc := range []struct {
		query, value, delta, tone, note string
	}{
		{"calls", "400", "▲ +100 (+33.3%)", "good", "vs previous day"},
		{"answer_rate", "90.0%", "▲ +2.0 pts", "neutral", "within normal variation"},
		{"rating", "–", "only 20 ratings: too few to show a number", "neutral", ""},
		// No metric model: nothing tells 3 from noise, so it is not
		// coloured as a real rise.
		{"escalations", "3", "▲ +3 (from 0)", "neutral", "may be normal variation"},
	} {
		got := tiles[tc.query]
		if got.Value != tc.value || got.Delta != tc.delta || got.Tone != tc.tone || !strings.Contains(got.DeltaNote, tc.note) {
			t.Errorf("%s: value %q delta %q tone %q note %q; want %q %q %q and a note with %q",
				tc.query, got.Value, got.Delta, got.Tone, got.DeltaNote, tc.value, tc.delta, tc.tone, tc.note)
		}
	}
	if s := tiles["answer_rate"].Sample; s != "from 400 calls" {
		t.Errorf("answer rate rests on %q, want from 400 calls", s)
	}
}

// The month so far against the whole month before: the calls tile shows
// March's total, and its change compares calls a day, and says so; a
// rate a hair under its target does not read as the target.
func TestTilesSayWhatTheirChangeCompares(t *testing.T) {
	ctx := context.Background()
	admin := dbtest.Admin(t)
	if err := admin.Exec(ctx, `
		CREATE TABLE month_calls (at timestamptz, answered bool);
		-- February: 10 calls a day, 28 days; March 1-10: 70 a day.
		INSERT INTO month_calls SELECT '2026-02-01 09:00'::timestamptz + (g % 28) * interval '1 day', true
		  FROM generate_series(1, 280) g;
		INSERT INTO month_calls SELECT '2026-03-01 09:00'::timestamptz + (g % 10) * interval '1 day', g <> 1
		  FROM generate_series(1, 700) g;`); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"sql/calls.sql":       strings.ReplaceAll(callCentre["sql/calls.sql"], "FROM calls", "FROM month_calls"),
		"sql/answer_rate.sql": strings.ReplaceAll(callCentre["sql/answer_rate.sql"], "FROM calls", "FROM month_calls"),
		"dashboards/month.yaml": `title: Month so far
range: month_to_date
compare: previous_month
tiles:
  - query: calls
  - query: answer_rate
    target: 0.999
`,
	}
	cat := catalogtest.Load(t, files)
	b := &dashboard.Builder{Catalog: cat, Runner: query.NewRunner(dbtest.Warehouse(t), query.Options{})}
	v, err := b.Build(ctx, cat.Dashboards["month"], dashboard.Request{Today: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	calls := page.Tile(v.Tiles[0], "vs February 2026", "")
	if calls.Value != "700" || calls.Delta != "▲ +60 a day (+600.0%)" {
		t.Errorf("calls: %q %q, want 700 and ▲ +60 a day (+600.0%%)", calls.Value, calls.Delta)
	}
	// 699 of 700 answered: 99.86%, written 99.9% as the target is.
	rate := page.Tile(v.Tiles[1], "vs February 2026", "")
	if rate.Value != "99.9%" || rate.Target != "Target 99.9% · off target (99.86%)" {
		t.Errorf("answer rate %q, target %q; want 99.9%% and Target 99.9%% · off target (99.86%%)", rate.Value, rate.Target)
	}
}

// A percent panel with a second axis of days: the days column declares
// its unit and label; a column that declares nothing never inherits the
// query's percent.
func TestColumnsCarryTheirOwnMeaning(t *testing.T) {
	src := `-- title: Deliveries
-- unit: percent
-- column: days_early unit=days label="Days early"
-- column: revenue unit="currency EUR" format="€0,0.00"
SELECT d::date AS day, 0.9 AS on_time_rate, 3.5 + g AS days_early, 12.5 * g AS parcels, 1234.5 AS revenue
FROM generate_series(1, 3) g, LATERAL (SELECT date '2026-03-01' + g AS d) x`
	q, err := catalog.ParseQuery("deliveries", "sql/deliveries.sql", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := query.NewRunner(dbtest.Warehouse(t), query.Options{}).Run(context.Background(), q,
		query.Request{Range: query.Range{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	panel := catalog.Panel{ID: "p1", Title: "On time and early", Chart: catalog.ChartLine, X: "day",
		Y: []string{"on_time_rate", "days_early"}, Y2: []string{"days_early"}}
	html, err := chart.Render(panel, res.Frame, chart.Options{Unit: q.Unit})
	if err != nil {
		t.Fatal(err)
	}
	days := strings.ReplaceAll(mustJSON(t, chart.SpecFor("days", "").Axis()), `"`, "&#34;")
	percent := strings.ReplaceAll(mustJSON(t, chart.SpecFor("percent", "").Axis()), `"`, "&#34;")
	if !strings.Contains(string(html), "&#34;axes&#34;:["+percent+","+days+"]") {
		t.Errorf("want a percent left axis and a days right axis in:\n%.800s", html)
	}
	if !strings.Contains(string(html), "Days early") {
		t.Errorf("the days column's label is not on the chart")
	}
	table, err := chart.Table(res.Frame, nil, q.Unit)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Days early", "4.5 d", "90.0%", "€1,234.50", ">12.5<"} {
		if !strings.Contains(string(table), want) {
			t.Errorf("table lacks %q (parcels, declared nothing, must stay a plain number):\n%s", want, table)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A tile's sparkline is one query, computed per slice in one round trip,
// and each point equals the tile's query run for that slice alone.
func TestSparklineIsOneQueryOfItsSlices(t *testing.T) {
	ctx := context.Background()
	if err := dbtest.Admin(t).Exec(ctx, `CREATE TABLE spark_calls (at timestamptz, answered bool);
		INSERT INTO spark_calls SELECT '2026-05-01 12:00'::timestamptz + d * interval '1 day', g <= 5 + d % 4
		FROM generate_series(0, 20) d, generate_series(1, 10 + d) g`); err != nil {
		t.Fatal(err)
	}
	cat := catalogtest.Load(t, map[string]string{
		"sql/rate.sql": `-- title: Answer rate
-- unit: percent
-- aggregate: ratio
-- sample: calls
SELECT avg(answered::int)::float8 AS value, count(*) AS calls FROM spark_calls WHERE at >= :from::date AND at < :to::date`,
		"sql/level.sql": `-- title: Calls so far
SELECT count(*) AS value FROM spark_calls WHERE at < :day::date + 1`,
		"dashboards/s.yaml": "title: S\nrange: last_7_days\ntiles:\n  - query: rate\n",
		"dashboards/l.yaml": "title: L\nrange: last_7_days\ntiles:\n  - query: level\n",
	})
	runs := 0
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{Observe: func(string, time.Duration, bool, error) { runs++ }})
	today := time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)
	v, err := (&dashboard.Builder{Catalog: cat, Runner: runner, Parallel: 1}).Build(ctx, cat.Dashboards["s"], dashboard.Request{Today: today})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 3 {
		t.Errorf("the tile took %d queries; want 3 (its range, the comparison, the sparkline)", runs)
	}
	// A level (only :day) has a sparkline too.
	lv, err := (&dashboard.Builder{Catalog: cat, Runner: runner}).Build(ctx, cat.Dashboards["l"], dashboard.Request{Today: today})
	if err != nil || len(lv.Tiles[0].Spark) != 14 || math.IsNaN(lv.Tiles[0].Spark[13]) {
		t.Errorf("the level's sparkline: %v, %v; want 14 points", lv.Tiles[0].Spark, err)
	}
	spark := v.Tiles[0].Spark
	if len(spark) != 14 {
		t.Fatalf("sparkline of %d points, want the 14 days to 19 May", len(spark))
	}
	for i, got := range spark {
		day := today.AddDate(0, 0, i-14)
		res, err := runner.Run(ctx, cat.Queries["rate"], query.Request{Range: query.Range{From: day, To: day.AddDate(0, 0, 1)}})
		if err != nil {
			t.Fatal(err)
		}
		want := res.Frame.Rows[0][0].(float64)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: sparkline %.4f, the query alone %.4f", day.Format("2 Jan"), got, want)
		}
	}
}

func TestSparklineSlicesOfALongerRange(t *testing.T) {
	ctx := context.Background()
	if err := dbtest.Admin(t).Exec(ctx, `CREATE TABLE long_calls (at timestamptz, answered bool);
		INSERT INTO long_calls SELECT '2026-04-01 12:00'::timestamptz + d * interval '1 day', g <= 3 + d % 5
		FROM generate_series(0, 40) d, generate_series(1, 8 + d % 3) g`); err != nil {
		t.Fatal(err)
	}
	q, err := catalog.ParseQuery("rate", "sql/rate.sql", []byte(`-- title: Answer rate
SELECT avg(answered::int)::float8 AS value FROM long_calls WHERE at >= :from::date AND at < :to::date`))
	if err != nil {
		t.Fatal(err)
	}
	cat := &catalog.Catalog{Queries: map[string]*catalog.Query{"rate": q},
		Dashboards: map[string]*catalog.Dashboard{"d": {Name: "d", Range: "last_28_days", Tiles: []catalog.Tile{{Query: "rate"}}}}}
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{})
	today := time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC)
	v, err := (&dashboard.Builder{Catalog: cat, Runner: runner}).Build(ctx, cat.Dashboards["d"], dashboard.Request{Range: "last_28_days", Today: today})
	if err != nil {
		t.Fatal(err)
	}
	spark := v.Tiles[0].Spark
	if len(spark) != 14 {
		t.Fatalf("%d points, want 14 two-day slices", len(spark))
	}
	for i, got := range spark {
		from := today.AddDate(0, 0, -28+2*i)
		res, err := runner.Run(ctx, q, query.Request{Range: query.Range{From: from, To: from.AddDate(0, 0, 2)}})
		if err != nil {
			t.Fatal(err)
		}
		if want := res.Frame.Rows[0][0].(float64); math.Abs(got-want) > 1e-12 {
			t.Errorf("slice from %s: sparkline %.4f, the query alone %.4f", from.Format("2 Jan"), got, want)
		}
	}
}
