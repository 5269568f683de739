// Command querybench measures opsboard's query path against PostgreSQL's
// own execution time, for docs/benchmarks.md (see bench/run.sh). Modes:
//
//	querybench -cluster DIR -url-file F [-hold 30m]
//	    start opsboard's embedded PostgreSQL under DIR, write its admin URL
//	    to F, and keep it running until SIGTERM (a fresh clone with no server)
//	querybench -admin URL -createdb NAME | -dropdb NAME
//	querybench -db URL -queries [-n 10] [-range last_28_days] [-md F]
//	    every shipped query: opsboard's run (query.Runner, no cache, frame
//	    built) vs EXPLAIN (ANALYZE) planning + execution time, medians of n
//	querybench -db URL -cold -dashboard daily-ops [-url http://127.0.0.1:P/d/daily-ops] [-k 5] [-md F]
//	querybench -db URL -floor -dashboard customer-impact [-params 'range=last_90_days&channel=web']
//	    a dashboard with an empty cache: page time (HTTP ?refresh=1, and the
//	    in-process view build) vs the sum of its queries' database time
//	querybench -db URL -copy-baseline [-md F]
//	    PostgreSQL writing the loaded demo rows again (INSERT … SELECT into
//	    unindexed copies): the floor for demo-data's rows per second
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/embeddedpg"
	"github.com/opsboard/opsboard/internal/pg"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/warehouse"
)

func main() {
	var (
		cluster   = flag.String("cluster", "", "start the embedded PostgreSQL under this directory and hold it")
		urlFile   = flag.String("url-file", "", "with -cluster: write the admin URL here")
		hold      = flag.Duration("hold", 30*time.Minute, "with -cluster: stop after this long at the latest")
		admin     = flag.String("admin", "", "admin URL for -createdb / -dropdb")
		createdb  = flag.String("createdb", "", "create this database (if missing)")
		dropdb    = flag.String("dropdb", "", "drop this database")
		dbURL     = flag.String("db", "", "database with the demo data")
		dir       = flag.String("dir", ".", "definitions root")
		queries   = flag.Bool("queries", false, "measure every shipped query")
		n         = flag.Int("n", 10, "runs per query (median reported)")
		rangeSpec = flag.String("range", "last_28_days", "range the queries run over")
		cold      = flag.Bool("cold", false, "measure a dashboard with an empty cache")
		dashName  = flag.String("dashboard", "daily-ops", "dashboard for -cold")
		pageURL   = flag.String("url", "", "with -cold: the dashboard's URL on a running opsboard serve (loopback)")
		k         = flag.Int("k", 5, "with -cold: cold page loads (median reported)")
		version   = flag.Bool("server-version", false, "print the PostgreSQL server version of -db")
		copyBase  = flag.Bool("copy-baseline", false, "time PostgreSQL re-writing the demo rows")
		mdOut     = flag.String("md", "", "write markdown rows to this file")
		label     = flag.String("label", "", "label for the markdown rows (e.g. scale 1)")
		floor     = flag.Bool("floor", false, "print the SQL floor of one view of -dashboard: floor_ms=… runs=…")
		params    = flag.String("params", "", "with -floor: the view's URL query (range=last_90_days&channel=web)")
	)
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	var md string
	var err error
	switch {
	case *cluster != "":
		err = holdCluster(ctx, *cluster, *urlFile, *hold)
	case *createdb != "":
		if err = pg.EnsureDatabase(ctx, *admin, *createdb); err == nil {
			var u string
			if u, err = pg.WithDatabase(*admin, *createdb); err == nil {
				fmt.Println(u)
			}
		}
	case *version:
		_, err = withDB(ctx, *dbURL, func(db *benchDB) (string, error) {
			var v string
			err := db.Get(ctx, &v, "SELECT version()")
			fmt.Println(v)
			return "", err
		})
	case *dropdb != "":
		err = pg.DropDatabase(ctx, *admin, *dropdb)
	case *queries:
		md, err = withDB(ctx, *dbURL, func(db *benchDB) (string, error) {
			return measureQueries(ctx, db, *dir, *rangeSpec, *n, *label)
		})
	case *cold:
		md, err = withDB(ctx, *dbURL, func(db *benchDB) (string, error) {
			return measureCold(ctx, db, *dir, *dashName, *pageURL, *k, *label)
		})
	case *floor:
		_, err = withDB(ctx, *dbURL, func(db *benchDB) (string, error) {
			return "", measureFloor(ctx, db, *dir, *dashName, *params)
		})
	case *copyBase:
		md, err = withDB(ctx, *dbURL, func(db *benchDB) (string, error) {
			return copyBaseline(ctx, db, *label)
		})
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "querybench:", err)
		os.Exit(1)
	}
	if *mdOut != "" && md != "" {
		if err := os.WriteFile(*mdOut, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "querybench:", err)
			os.Exit(1)
		}
	}
}

func withDB(ctx context.Context, url string, fn func(*benchDB) (string, error)) (string, error) {
	if url == "" {
		return "", fmt.Errorf("-db is required")
	}
	admin, err := pg.OpenAdmin(ctx, url)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	wh, err := warehouse.Open(ctx, url, warehouse.Options{MaxOpenConns: 10})
	if err != nil {
		return "", err
	}
	defer wh.Close()
	return fn(&benchDB{Admin: admin, wh: wh})
}

// benchDB is the database under measurement: the warehouse that runs the
// queries as opsboard does, and a writable connection for the COPY baseline.
type benchDB struct {
	*pg.Admin
	wh *warehouse.Warehouse
}

func holdCluster(ctx context.Context, dir, urlFile string, hold time.Duration) error {
	c, err := embeddedpg.Start(ctx, dir, nil)
	if err != nil {
		return err
	}
	defer c.Stop()
	if urlFile != "" {
		if err := os.WriteFile(urlFile, []byte(c.URL("postgres")+"\n"), 0o600); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
	case <-time.After(hold):
	}
	return nil
}

// run is one query execution a page or a test makes.
type run struct {
	q   *catalog.Query
	req query.Request
}

// dbTime runs EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) for the run in the same kind
// of read-only transaction opsboard uses and returns PostgreSQL's planning
// and execution time.
func dbTime(ctx context.Context, db *benchDB, r run, loc *time.Location) (plan, exec time.Duration, err error) {
	bound, args, err := query.BoundFor(r.q, r.req)
	if err != nil {
		return 0, 0, err
	}
	f, err := db.wh.Query(ctx, "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) "+bound.SQL, args, warehouse.RunOptions{TimeZone: loc.String()})
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", r.q.Name, err)
	}
	if len(f.Rows) != 1 {
		return 0, 0, fmt.Errorf("%s: EXPLAIN returned %d rows", r.q.Name, len(f.Rows))
	}
	var out []struct {
		Planning  float64 `json:"Planning Time"`
		Execution float64 `json:"Execution Time"`
	}
	if err := json.Unmarshal([]byte(fmt.Sprint(f.Rows[0][0])), &out); err != nil || len(out) != 1 {
		return 0, 0, fmt.Errorf("%s: reading EXPLAIN output: %v", r.q.Name, err)
	}
	return msDur(out[0].Planning), msDur(out[0].Execution), nil
}

func msDur(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtMs(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

// signed writes a difference with its sign: "+0.93 ms", "−3.34 ms".
func signed(d time.Duration) string {
	if d < 0 {
		return "−" + fmtMs(-d)
	}
	return "+" + fmtMs(d)
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("×%.2f", float64(a)/float64(b))
}

// measureQueries runs every shipped query n times through query.Runner
// (no cache: each run is a read-only transaction, the statement, and the
// frame built from its rows) and n times under EXPLAIN ANALYZE, alternating,
// after one unmeasured run of each.
func measureQueries(ctx context.Context, db *benchDB, dir, spec string, n int, label string) (string, error) {
	qs, err := catalog.LoadQueries(dir)
	if err != nil {
		return "", err
	}
	loc := time.UTC
	runner := query.NewRunner(db.wh, query.Options{Location: loc, Timeout: 2 * time.Minute})
	rng, err := query.ParseRange(spec, runner.Today())
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(qs))
	for name := range qs {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	var sumOps, sumDB time.Duration
	fmt.Printf("%-30s %6s %12s %12s %12s %8s\n", "query", "rows", "opsboard", "pg plan+exec", "pg exec", "ratio")
	for _, name := range names {
		q := qs[name]
		r := run{q: q, req: query.Request{Range: rng}}
		res, err := runner.Run(ctx, q, r.req) // warm-up: plans, buffers
		if err != nil {
			return "", err
		}
		if _, _, err := dbTime(ctx, db, r, loc); err != nil {
			return "", err
		}
		var ops, pe, ex []time.Duration
		for range n {
			start := time.Now()
			if _, err := runner.Run(ctx, q, r.req); err != nil {
				return "", err
			}
			ops = append(ops, time.Since(start))
			p, e, err := dbTime(ctx, db, r, loc)
			if err != nil {
				return "", err
			}
			pe, ex = append(pe, p+e), append(ex, e)
		}
		mo, mpe, mex := median(ops), median(pe), median(ex)
		sumOps += mo
		sumDB += mpe
		fmt.Printf("%-30s %6d %12s %12s %12s %8s\n", name, len(res.Frame.Rows), fmtMs(mo), fmtMs(mpe), fmtMs(mex), ratio(mo, mpe))
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s (exec %s) | %s | %s |\n", name, len(res.Frame.Rows), fmtMs(mo), fmtMs(mpe), fmtMs(mex), ratio(mo, mpe), signed(mo-mpe))
	}
	fmt.Fprintf(&b, "| **all %d queries (sum of medians)** | | **%s** | **%s** | **%s** | %s |\n", len(names), fmtMs(sumOps), fmtMs(sumDB), ratio(sumOps, sumDB), signed(sumOps-sumDB))
	return b.String(), nil
}

// dashboardRuns lists the query runs dashboard.Builder makes for the view
// v: per tile the range, the comparison range and the sparkline (one
// query of its 14 slices);
// per panel the panel range; per filter with options_query its options.
// It mirrors internal/dashboard; measureCold checks the count against the
// runs the builder actually made.
func dashboardRuns(c *catalog.Catalog, v *dashboard.View, today time.Time) []run {
	var runs []run
	for _, f := range v.Dashboard.Filters {
		if f.OptionsQuery != "" {
			runs = append(runs, run{c.Queries[f.OptionsQuery], query.Request{Range: query.Range{From: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), To: today}}})
		}
	}
	for _, t := range v.Dashboard.Tiles {
		q := c.Queries[t.Query]
		runs = append(runs, run{q, query.Request{Range: v.Range, Params: v.Params}})
		if v.HasCompare {
			runs = append(runs, run{q, query.Request{Range: v.CompareRange, Params: v.Params}})
		}
		if slices := dashboard.SparkSlices(v.Range); q.Bound.Sliced(len(slices)) != nil {
			runs = append(runs, run{q, query.Request{Range: query.Range{From: slices[0].From, To: slices[len(slices)-1].To}, Params: v.Params, Slices: slices}})
		}
	}
	for _, p := range v.Dashboard.Panels {
		runs = append(runs, run{c.Queries[p.Query], query.Request{Range: v.PanelRange, Params: v.Params}})
	}
	return runs
}

// measureCold measures a dashboard's default view with an empty cache:
// the HTTP page with ?refresh=1 (when url is given), the in-process view
// build with the builder's parallelism and with one query at a time, and
// the sum of PostgreSQL's planning + execution time over the same runs.
func measureCold(ctx context.Context, db *benchDB, dir, name, pageURL string, k int, label string) (string, error) {
	c, err := catalog.Load(dir)
	if err != nil {
		return "", err
	}
	d, ok := c.Dashboards[name]
	if !ok {
		return "", fmt.Errorf("no dashboard %q", name)
	}
	loc := time.UTC
	var observed int
	runner := query.NewRunner(db.wh, query.Options{Location: loc, Timeout: 2 * time.Minute, CacheTTL: time.Hour,
		Observe: func(string, time.Duration, bool, error) { observed++ }})
	build := func(parallel int) (*dashboard.View, time.Duration, error) {
		b := &dashboard.Builder{Catalog: c, Runner: runner, Parallel: parallel}
		start := time.Now()
		v, err := b.Build(ctx, d, dashboard.Request{Refresh: true})
		took := time.Since(start)
		if err == nil {
			for _, t := range v.Tiles {
				if t.Err != nil {
					err = fmt.Errorf("tile %s: %w", t.Query.Name, t.Err)
				}
			}
			for _, p := range v.Panels {
				if p.Err != nil {
					err = fmt.Errorf("panel %s: %w", p.Title, p.Err)
				}
			}
		}
		return v, took, err
	}
	v, _, err := build(0) // warm-up, and the view whose runs are listed
	if err != nil {
		return "", err
	}
	runs := dashboardRuns(c, v, runner.Today())
	if observed != len(runs) {
		return "", fmt.Errorf("the builder made %d query runs, this tool lists %d: update dashboardRuns", observed, len(runs))
	}

	var client *http.Client
	if pageURL != "" {
		u, err := url.Parse(pageURL)
		if err != nil {
			return "", err
		}
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", fmt.Errorf("-url %s: loopback only", pageURL)
		}
		q := u.Query()
		q.Set("refresh", "1")
		u.RawQuery = q.Encode()
		pageURL = u.String()
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	var pages, parallel, serial, dbSums []time.Duration
	byQuery := map[string]time.Duration{} // over all k rounds
	for range k {
		if client != nil {
			start := time.Now()
			resp, err := client.Get(pageURL)
			if err != nil {
				return "", err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return "", fmt.Errorf("GET %s: status %d", pageURL, resp.StatusCode)
			}
			pages = append(pages, time.Since(start))
		}
		_, took, err := build(0)
		if err != nil {
			return "", err
		}
		parallel = append(parallel, took)
		_, took, err = build(1)
		if err != nil {
			return "", err
		}
		serial = append(serial, took)
		var sum time.Duration
		for _, r := range runs {
			p, e, err := dbTime(ctx, db, r, loc)
			if err != nil {
				return "", err
			}
			sum += p + e
			byQuery[r.q.Name] += p + e
		}
		dbSums = append(dbSums, sum)
	}
	mp, mpar, mser, mdb := median(pages), median(parallel), median(serial), median(dbSums)
	fmt.Printf("%s cold, %d query runs, medians of %d:\n", name, len(runs), k)
	if client != nil {
		fmt.Printf("  HTTP page (?refresh=1)             %s  (all: %v)\n", fmtMs(mp), roundAll(pages))
	}
	fmt.Printf("  view build, parallel (default)     %s\n", fmtMs(mpar))
	fmt.Printf("  view build, one query at a time    %s\n", fmtMs(mser))
	fmt.Printf("  sum of PostgreSQL plan+exec time   %s\n", fmtMs(mdb))
	fmt.Printf("  per-run overhead (serial - sum)/runs  %s\n", fmtMs((mser-mdb)/time.Duration(len(runs))))
	names := make([]string, 0, len(byQuery))
	for q := range byQuery {
		names = append(names, q)
	}
	slices.SortFunc(names, func(a, b string) int { return int(byQuery[b] - byQuery[a]) })
	fmt.Println("  PostgreSQL time per page by query:")
	for _, q := range names {
		fmt.Printf("    %-30s %s\n", q, fmtMs(byQuery[q]/time.Duration(k)))
	}

	var b strings.Builder
	pre := ""
	if label != "" {
		pre = label + ", "
	}
	goal := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	if client != nil {
		fmt.Fprintf(&b, "| Dashboard cold (%s`/d/%s?refresh=1`, %d query runs): page time | %s | Σ PostgreSQL plan+exec of its %d runs: %s | %s | < 1.5 s: %s |\n",
			pre, name, len(runs), fmtMs(mp), len(runs), fmtMs(mdb), ratio(mp, mdb), goal(mp < 1500*time.Millisecond))
	}
	over := float64(mser-mdb) / float64(mdb)
	fmt.Fprintf(&b, "| Dashboard cold (%sin-process view build, one query at a time): opsboard overhead | %s (%s, %.0f%%; %s per run) | Σ PostgreSQL plan+exec: %s | %s | overhead < 10%% of SQL time: %s |\n",
		pre, fmtMs(mser), signed(mser-mdb), 100*over, signed((mser-mdb)/time.Duration(len(runs))), fmtMs(mdb), ratio(mser, mdb), goal(over < 0.10))
	fmt.Fprintf(&b, "| Dashboard cold (%sin-process view build, builder's parallelism) | %s | Σ PostgreSQL plan+exec: %s | %s | – |\n",
		pre, fmtMs(mpar), fmtMs(mdb), ratio(mpar, mdb))
	return b.String(), nil
}

// measureFloor prints the SQL floor of one view: the sum of PostgreSQL's
// planning + execution time over the query runs that compute it from
// scratch (no kept days, no kept results), each run once after the view
// was built once (warm buffers, as a page after a restart finds them).
func measureFloor(ctx context.Context, db *benchDB, dir, name, params string) error {
	c, err := catalog.Load(dir)
	if err != nil {
		return err
	}
	d, ok := c.Dashboards[name]
	if !ok {
		return fmt.Errorf("no dashboard %q", name)
	}
	vals, err := url.ParseQuery(params)
	if err != nil {
		return fmt.Errorf("-params: %w", err)
	}
	req := dashboard.Request{Range: vals.Get("range"), Params: map[string]string{}, Refresh: true}
	for k := range vals {
		if k != "range" {
			req.Params[k] = vals.Get(k)
		}
	}
	loc := time.UTC
	runner := query.NewRunner(db.wh, query.Options{Location: loc, Timeout: 5 * time.Minute})
	v, err := (&dashboard.Builder{Catalog: c, Runner: runner}).Build(ctx, d, req)
	if err != nil {
		return err
	}
	runs := dashboardRuns(c, v, runner.Today())
	var sum time.Duration
	for _, r := range runs {
		p, e, err := dbTime(ctx, db, r, loc)
		if err != nil {
			return err
		}
		sum += p + e
	}
	fmt.Printf("floor_ms=%.0f runs=%d\n", float64(sum)/float64(time.Millisecond), len(runs))
	return nil
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

var demoTables = []string{"customers", "orders", "support_tickets", "csat_responses", "nps_responses", "returns"}

// copyBaseline times PostgreSQL writing the demo rows again into unindexed
// copies of the tables, in one transaction, then drops them.
func copyBaseline(ctx context.Context, db *benchDB, label string) (string, error) {
	setup := "DROP SCHEMA IF EXISTS opsboard_bench_copy CASCADE; CREATE SCHEMA opsboard_bench_copy;"
	if err := db.Exec(ctx, setup); err != nil {
		return "", err
	}
	defer db.Exec(context.Background(), "DROP SCHEMA IF EXISTS opsboard_bench_copy CASCADE")
	var stmts []string
	for _, t := range demoTables {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE opsboard_bench_copy.%s (LIKE public.%s)", t, t))
	}
	if err := db.Exec(ctx, strings.Join(stmts, ";\n")); err != nil {
		return "", err
	}
	var total int64
	for _, t := range demoTables {
		var n int64
		if err := db.Get(ctx, &n, "SELECT count(*) FROM public."+t); err != nil {
			return "", err
		}
		total += n
	}
	stmts = stmts[:0]
	for _, t := range demoTables {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO opsboard_bench_copy.%s SELECT * FROM public.%s", t, t))
	}
	start := time.Now()
	if err := db.Exec(ctx, "BEGIN; "+strings.Join(stmts, "; ")+"; COMMIT"); err != nil {
		return "", err
	}
	took := time.Since(start)
	rate := float64(total) / took.Seconds()
	fmt.Printf("baseline: PostgreSQL re-wrote %d rows in %s: %.0f rows/s\n", total, took.Round(time.Millisecond), rate)
	return fmt.Sprintf("rows=%d seconds=%.3f rate=%.0f\n", total, took.Seconds(), math.Round(rate)), nil
}
