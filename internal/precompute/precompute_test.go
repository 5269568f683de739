package precompute_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/catalog/catalogtest"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/precompute"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// A support desk's definitions, of a shape the demo does not have: tickets
// by team, a dashboard filtered by team and a daily report on it at 07:00.
var defs = map[string]string{
	"sql/tickets.sql": `-- title: Tickets opened
-- unit: count
-- aggregate: sum
-- params: team text = 'all'
SELECT count(*) AS value FROM pc_tickets
WHERE opened_at >= :from::date AND opened_at < :to::date AND (:team = 'all' OR team = :team)`,
	"sql/tickets_daily.sql": `-- title: Tickets per day
-- params: team text = 'all'
SELECT d::date AS day, count(t.opened_at) AS tickets
FROM generate_series(:from::date, :to::date - 1, interval '1 day') AS d
LEFT JOIN pc_tickets t ON t.opened_at >= d AND t.opened_at < d + interval '1 day' AND (:team = 'all' OR t.team = :team)
GROUP BY 1 ORDER BY 1`,
	"sql/teams.sql": "-- title: Teams\nSELECT DISTINCT team FROM pc_tickets ORDER BY 1",
	// A whole-history query refreshed in the background: a morning waits
	// for it rather than leaving it "still being computed".
	"sql/monthly.sql": `-- title: Tickets per month, all history
-- refresh: background
-- params: team text = 'all'
SELECT date_trunc('month', opened_at)::date AS month, count(*) AS tickets, pg_sleep(0.05)::text AS slow
FROM pc_tickets WHERE opened_at < :to::date AND (:team = 'all' OR team = :team) GROUP BY 1 ORDER BY 1`,
	"dashboards/support.yaml": `title: Support desk
range: last_28_days
filters:
  - param: team
    label: Team
    options_query: teams
tiles:
  - query: tickets
panels:
  - title: Tickets per day
    query: tickets_daily
    chart: line
    x: day
    y: tickets
  - title: Tickets per month
    query: monthly
    chart: bar
    x: month
    y: tickets
`,
	"reports/support-daily.yaml": `title: Support daily
dashboard: support
period: yesterday
schedule: "0 7 * * *"
to: [desk@example.com]
`,
}

// counter counts what a runner computed and what it served from memory or
// the store.
type counter struct {
	computed, cached atomic.Int64
	mu               sync.Mutex
	names            []string // of the queries computed
}

func (c *counter) observe(name string, _ time.Duration, cached bool, err error) {
	if err != nil {
		return
	}
	if cached {
		c.cached.Add(1)
		return
	}
	c.computed.Add(1)
	c.mu.Lock()
	c.names = append(c.names, name)
	c.mu.Unlock()
}

const pageRows = 500

func TestMorningTime(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	day := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC) // clocks go forward in Berlin
	withReport := catalogtest.Load(t, defs)
	d := withReport.Dashboards["support"]
	at, on := precompute.Morning(withReport, d, day, berlin)
	if want := time.Date(2026, 3, 29, 6, 30, 0, 0, berlin); !on || !at.Equal(want) {
		t.Errorf("default with a report at 07:00: %v, %v; want half an hour before it, %v", at, on, want)
	}
	d.Precompute = "05:15"
	if at, _ := precompute.Morning(withReport, d, day, berlin); !at.Equal(time.Date(2026, 3, 29, 5, 15, 0, 0, berlin)) {
		t.Errorf("precompute: 05:15 gives %v", at)
	}
	d.Precompute = "off"
	if _, on := precompute.Morning(withReport, d, day, berlin); on {
		t.Error("precompute: off still has a morning")
	}
	noReports := map[string]string{}
	for k, v := range defs {
		if k != "reports/support-daily.yaml" {
			noReports[k] = v
		}
	}
	c := catalogtest.Load(t, noReports)
	if at, _ := precompute.Morning(c, c.Dashboards["support"], day, berlin); !at.Equal(time.Date(2026, 3, 29, 6, 0, 0, 0, berlin)) {
		t.Errorf("without reports: %v, want 06:00", at)
	}
}

// Two replicas reach the morning together: one computes every view (the
// default, each team's, the report due), the other nothing. A process
// started afterwards (a restart) shows those views and renders the report
// from the kept results without asking the data database, as of the
// morning, until someone refreshes.
func TestMorningsComputedOnceAndReadAfterARestart(t *testing.T) {
	ctx := context.Background()
	if err := dbtest.Admin(t).Exec(ctx, `
		CREATE TABLE pc_tickets (opened_at timestamptz, team text);
		INSERT INTO pc_tickets SELECT '2026-10-01 09:00+00'::timestamptz + (i % 60) * interval '1 day',
			(ARRAY['north', 'south', 'west'])[1 + i % 3] FROM generate_series(0, 599) AS i;`); err != nil {
		t.Fatal(err)
	}
	st, wh := dbtest.Store(t), dbtest.Warehouse(t)
	cat := catalogtest.Load(t, defs)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	morning := time.Date(2026, 11, 20, 6, 31, 0, 0, time.UTC)
	clock := func() time.Time { return morning }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	replica := func(name string, now func() time.Time) (*precompute.Service, *counter) {
		n := &counter{}
		runner := query.NewRunner(wh, query.Options{CacheTTL: 5 * time.Minute, Results: st, Days: st, Observe: n.observe, Now: now,
			BackgroundWait: time.Millisecond})
		p, err := report.NewProducer(report.Config{Catalog: func() *catalog.Catalog { return cat }, Runner: runner, Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return &precompute.Service{Store: st, Runner: runner, Catalog: func() *catalog.Catalog { return cat }, Reports: p,
			PageRows: pageRows, Log: log, Owner: name, Now: now}, n
	}

	// Results that expired over a week ago go; one that expired
	// yesterday stays, to be shown while the data database is down.
	for key, expired := range map[string]time.Time{"long-gone": morning.AddDate(0, 0, -8), "yesterday": morning.AddDate(0, 0, -1)} {
		if err := st.SaveResult(ctx, key, "tickets", []byte("x"), expired.Add(-time.Hour), expired); err != nil {
			t.Fatal(err)
		}
	}
	early, earlyRuns := replica("early", func() time.Time { return morning.Add(-time.Hour) })
	early.Tick(ctx)
	if _, err := st.LoadResult(ctx, "long-gone"); err == nil {
		t.Error("a result that expired eight days ago is still kept")
	}
	if _, err := st.LoadResult(ctx, "yesterday"); err != nil {
		t.Errorf("a result that expired yesterday is gone: %v", err)
	}
	if n := earlyRuns.computed.Load(); n != 0 {
		t.Fatalf("at 05:31, before the morning, a replica computed %d results", n)
	}

	a, aRuns := replica("a", clock)
	b, bRuns := replica("b", clock)
	var wg sync.WaitGroup
	for _, s := range []*precompute.Service{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); s.Tick(ctx) }()
	}
	wg.Wait()
	ac, bc := aRuns.computed.Load(), bRuns.computed.Load()
	if (ac == 0) == (bc == 0) {
		t.Fatalf("replicas computed %d and %d results; want exactly one of them to compute the morning", ac, bc)
	}
	done, err := st.LatestPrecomputes(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	got := done["support"]
	// The default view, one view per team (3 teams besides "all"), the report.
	if !got.Day.Equal(day) || !got.FinishedAt.Valid || got.Views != 5 || got.Failures != 0 {
		t.Fatalf("the morning recorded: %+v; want day %v finished with 5 views and no failures", got, day)
	}

	if got := a.Status(ctx); got != "ok" {
		t.Errorf("/healthz's mornings after the morning: %q, want ok", got)
	}
	if got := early.Status(ctx); got != "ok" {
		t.Errorf("/healthz's mornings before the morning: %q, want ok", got)
	}
	queued, _ := replica("queued", func() time.Time { return morning.Add(24*time.Hour + 15*time.Minute) })
	if got := queued.Status(ctx); got != "ok" {
		t.Errorf("/healthz's mornings a day later, 15 minutes after a morning not started yet: %q, want ok (replicas may be busy with another)", got)
	}
	late, _ := replica("late", func() time.Time { return morning.Add(24*time.Hour + 45*time.Minute) })
	if got := late.Status(ctx); got != "failing: support" {
		t.Errorf("/healthz's mornings a day later, 45 minutes after a morning nobody computed: %q, want failing: support", got)
	}

	// A replica that did not compute the morning drops its memory once it
	// sees a newer morning finished elsewhere (here: `opsboard refresh`),
	// not on every tick.
	other, _ := replica("other", clock)
	forgot := 0
	other.Forget = func() { forgot++ }
	other.Tick(ctx)
	other.Tick(ctx)
	if forgot != 0 {
		t.Errorf("a replica dropped its memory %d times with no newer morning", forgot)
	}
	if err := st.RecordPrecompute(ctx, "support", day, "refresh", 5, 0, "", morning.Add(time.Minute), morning.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	other.Tick(ctx)
	other.Tick(ctx)
	if forgot != 1 {
		t.Errorf("after a refresh elsewhere, a replica dropped its memory %d times, want once", forgot)
	}
	// A replica whose claim was taken over does not record the morning as
	// its own.
	if err := st.FinishPrecompute(ctx, "support", day, "not-the-claimant", 0, 9, "boom", morning); err != nil {
		t.Fatal(err)
	}
	if done, _ := st.LatestPrecomputes(ctx, day); done["support"].Failures != 0 {
		t.Errorf("a replica that no longer held the claim recorded its outcome: %+v", done["support"])
	}

	// Rows arriving after the morning are not in the kept views.
	if err := dbtest.Admin(t).Exec(ctx, `INSERT INTO pc_tickets SELECT '2026-11-19 10:00+00', 'north' FROM generate_series(1, 7)`); err != nil {
		t.Fatal(err)
	}

	// A restarted process: nothing in memory.
	later := morning.Add(3 * time.Hour)
	restarted, runs := replica("restarted", func() time.Time { return later })
	builder := &dashboard.Builder{Catalog: cat, Runner: restarted.Runner}
	page := func(params map[string]string) *dashboard.View {
		t.Helper()
		// The request the web makes for a page (internal/web/dashboards.go).
		v, err := builder.Build(ctx, cat.Dashboards["support"], dashboard.Request{Params: params, MaxRows: pageRows, Trend: true, Today: day})
		if err != nil {
			t.Fatal(err)
		}
		for _, tile := range v.Tiles {
			if tile.Err != nil {
				t.Fatalf("tile %s: %v", tile.Tile.Query, tile.Err)
			}
		}
		return v
	}
	v := page(nil)
	north := page(map[string]string{"team": "north"})
	if _, err := restarted.Reports.Render(ctx, "support-daily", day.AddDate(0, 0, -1)); err != nil {
		t.Fatal(err)
	}
	if n := runs.computed.Load(); n != 0 {
		t.Errorf("after a restart, the default view, a team's view and the report computed %d results (%v); want all %d read from the store",
			n, runs.names, runs.cached.Load())
	}
	if at := v.AsOf(); !at.Equal(morning) {
		t.Errorf("the view is as of %v, want the morning's %v", at, morning)
	}
	if north.Tiles[0].Value >= v.Tiles[0].Value || north.Tiles[0].Value == 0 {
		t.Errorf("north's tickets %v against all teams' %v: the team's view is not its own", north.Tiles[0].Value, v.Tiles[0].Value)
	}

	// An editor's refresh computes anew, with the late rows.
	fresh, err := builder.Build(ctx, cat.Dashboards["support"], dashboard.Request{MaxRows: pageRows, Trend: true, Today: day, Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := fresh.Tiles[0].Value - v.Tiles[0].Value; d != 7 {
		t.Errorf("refreshed tickets %v against the morning's %v; want the 7 late tickets added", fresh.Tiles[0].Value, v.Tiles[0].Value)
	}
}
