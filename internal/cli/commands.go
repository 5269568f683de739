package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/chart"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/demo"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/pg"
	"github.com/opsboard/opsboard/internal/query"
)

// paramFlags collects repeated -p k=v flags.
type paramFlags map[string]string

func (p paramFlags) String() string { return "" }

func (p paramFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("%q is not name=value", v)
	}
	p[strings.TrimSpace(k)] = val
	return nil
}

func queryCommand() *command {
	var (
		params = paramFlags{}
		format string
		rng    string
	)
	return &command{
		name:    "query",
		summary: "Run one query file and print its result.",
		usage:   "NAME [-p name=value ...] [--range R] [--format table|csv|json]",
		flags: func(fs *flag.FlagSet) {
			fs.Var(params, "p", "parameter `name=value` (repeatable)")
			fs.StringVar(&format, "format", "table", "output: table, csv or json")
			fs.StringVar(&rng, "range", "last_28_days", "date range: yesterday, last_7_days, last_28_days, last_90_days, month_to_date, 'N days' or YYYY-MM-DD..YYYY-MM-DD")
		},
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			if len(args) != 1 {
				return usagef("needs one query name, like kpi/csat (see 'opsboard validate' for the list)")
			}
			if format != "table" && format != "csv" && format != "json" {
				return usagef("--format must be table, csv or json, not %q", format)
			}
			queries, err := catalog.LoadQueries(e.cfg.Dir)
			if err != nil {
				return err
			}
			q, ok := queries[args[0]]
			if !ok {
				return apperr.NotFound("no query %q under %s/sql (known: %s)", args[0], e.cfg.Dir, strings.Join(sortedKeys(queries), ", "))
			}
			r, err := query.ParseRange(rng, query.Today(e.now(), e.cfg.Location))
			if err != nil {
				return usagef("--range: %v", err)
			}
			req := query.Request{Range: r, Params: params, Strict: true}
			// A parameter the query does not take, or a value of the wrong
			// type, is bad usage: said before any database is opened.
			if _, err := query.Values(q, req); err != nil {
				return usagef("%v", err)
			}
			// Only the warehouse: opsboard's own database may be down.
			if err := e.openWarehouse(ctx); err != nil {
				return err
			}
			defer e.close()
			runner := e.runner()
			if err := runner.CheckRange(r); err != nil {
				return usagef("--range: %v", err)
			}
			res, err := runner.Run(ctx, q, req)
			if err != nil {
				return err
			}
			switch format {
			case "csv":
				return res.Frame.WriteCSV(e.stdout)
			case "json":
				return res.Frame.WriteJSON(e.stdout)
			}
			fmt.Fprintf(e.stdout, "%s — %s (%s, %s)\n\n", q.Name, q.Title, r, e.cfg.Location)
			// Numbers as the dashboards write them (86.9%, $1,234);
			// CSV and JSON keep the raw values for programs.
			return res.Frame.WriteTableWith(e.stdout, chart.FormatValue)
		},
	}
}

func validateCommand() *command {
	var withDB bool
	return &command{
		name:    "validate",
		summary: "Check every definition file; with --db also EXPLAIN every query and check chart columns.",
		usage:   "[--db]",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&withDB, "db", false, "also run EXPLAIN for every query with its default parameters and check panel columns")
		},
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			if len(args) != 0 {
				return usagef("takes no arguments")
			}
			cat, err := catalog.Load(e.cfg.Dir)
			if err != nil {
				if withDB {
					// The database checks need loaded definitions: say
					// they did not run rather than let the list below
					// pass for all there is.
					fmt.Fprintln(e.stderr, "validate --db: nothing was checked against the database: fix the problems below, then run it again")
				}
				return err
			}
			if withDB {
				if err := e.openWarehouse(ctx); err != nil {
					return err
				}
				defer e.close()
				if err := checkAgainstDB(ctx, e, cat); err != nil {
					return err
				}
			}
			for _, w := range cat.Warnings() {
				fmt.Fprintf(e.stderr, "warning: %s\n", w)
			}
			fmt.Fprintf(e.stdout, "ok: %d queries, %d dashboards, %d reports under %s\n",
				len(cat.Queries), len(cat.Dashboards), len(cat.Reports), e.cfg.Dir)
			return nil
		},
	}
}

// checkAgainstDB runs EXPLAIN for every query with its default parameters,
// then checks every panel's columns against what its query returns. Each
// failure is reported in the query file: where PostgreSQL says the
// problem is, else at the statement's first line.
func checkAgainstDB(ctx context.Context, e *env, cat *catalog.Catalog) error {
	runner := e.runner()
	r, _ := query.ParseRange("last_28_days", runner.Today())
	var errs catalog.Errors
	columns := map[string][]string{}
	frames := map[string]*frame.Frame{}
	for _, name := range cat.QueryNames() {
		q := cat.Queries[name]
		if _, err := runner.Run(ctx, q, query.Request{Range: r, Explain: true}); err != nil {
			errs = append(errs, databaseError(cat, q, "EXPLAIN failed: ", explainPrefix, err))
			continue
		}
		res, err := runner.Run(ctx, q, query.Request{Range: r, Probe: true})
		if err != nil {
			errs = append(errs, databaseError(cat, q, "", probePrefix, err))
			continue
		}
		columns[name], frames[name] = res.Frame.Names(), res.Frame
	}
	errs = append(errs, cat.CheckColumns(columns)...)
	errs = append(errs, checkTileValues(cat, frames)...)
	return errs.Err()
}

// checkTileValues checks that each tile's query returns a number where the
// tile reads one (a "value" column, else the first numeric one): a text
// value would otherwise show as no data.
func checkTileValues(cat *catalog.Catalog, frames map[string]*frame.Frame) catalog.Errors {
	var errs catalog.Errors
	for _, name := range cat.DashboardNames() {
		d := cat.Dashboards[name]
		for _, t := range d.Tiles {
			f := frames[t.Query]
			if f == nil || len(f.Columns) == 0 {
				continue // no columns is CheckColumns' error
			}
			if _, _, err := dashboard.KPIValue(f); err != nil {
				label := t.Label
				if label == "" {
					label = t.Query
				}
				errs = append(errs, &catalog.Error{File: d.File, Line: t.Line,
					Msg: fmt.Sprintf("tile %q: query %s: %v (a tile shows a number)", label, t.Query, err)})
			}
		}
	}
	return errs
}

// What the warehouse puts before a statement it explains or probes for
// its columns (warehouse.Query): PostgreSQL counts its error positions
// from the start of the whole text.
const (
	explainPrefix = "EXPLAIN "
	probePrefix   = "SELECT * FROM ("
)

// databaseError is a query's failure against the database, located in its
// file. PostgreSQL's own position suffix ("at position 3:9", counted in
// the text it was sent) is left out of the message: the location replaces
// it.
func databaseError(cat *catalog.Catalog, q *catalog.Query, what, prefix string, err error) *catalog.Error {
	msg := unwrapQueryError(err).Error()
	charPos := 0
	if pqErr, ok := errors.AsType[*pq.Error](err); ok {
		msg = strings.Replace(msg, pqErr.Error(), pqErr.Message, 1)
		charPos, _ = strconv.Atoi(pqErr.Position)
	}
	src, _ := os.ReadFile(filepath.Join(cat.Dir, filepath.FromSlash(q.File)))
	return q.DatabaseError(what+oneLine(errors.New(msg)), prefix, charPos, src)
}

func migrateCommand() *command {
	return &command{
		name:    "migrate",
		summary: "Apply opsboard's own database migrations (its schema only; your data is never touched).",
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			if err := e.open(ctx, true); err != nil {
				return err
			}
			defer e.close()
			fmt.Fprintln(e.stdout, "ok: opsboard schema is up to date")
			return nil
		},
	}
}

func demoDataCommand() *command {
	opts := demo.Options{Scale: 1, Days: 730, Seed: 1}
	return &command{
		name:    "demo-data",
		summary: "(Re)create the demo tables (public.orders, customers, …) and load them; the data ends yesterday in the business time zone.",
		usage:   "[--scale N] [--days D] [--seed S] [--replace]",
		flags: func(fs *flag.FlagSet) {
			fs.Float64Var(&opts.Scale, "scale", opts.Scale, "size: 1 ≈ 250 orders a day")
			fs.IntVar(&opts.Days, "days", opts.Days, "days of history")
			fs.Int64Var(&opts.Seed, "seed", opts.Seed, "random seed (same seed, same data)")
			fs.BoolVar(&opts.Replace, "replace", false, "drop tables with the demo's names even when the demo did not create them")
		},
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			if opts.Scale <= 0 || opts.Days < 1 {
				return usagef("--scale must be above 0 and --days at least 1")
			}
			if err := e.open(ctx, true); err != nil {
				return err
			}
			defer e.close()
			return loadDemo(ctx, e, opts)
		},
	}
}

func loadDemo(ctx context.Context, e *env, opts demo.Options) error {
	opts.Location = e.cfg.Location
	opts.Now = e.now()
	admin, err := e.dataAdmin(ctx)
	if err != nil {
		return err
	}
	defer admin.Close()
	stats, err := demo.Load(ctx, admin, opts)
	if err != nil {
		return fmt.Errorf("loading demo data: %w", err)
	}
	// What was computed from the data it replaced must go.
	if e.db == nil {
		e.openStoreIfReachable(ctx)
	}
	if e.db != nil {
		if err := e.db.ForgetComputed(ctx); err != nil && pg.Code(err) != pg.UndefinedTable {
			return fmt.Errorf("forgetting the results kept from the previous data: %w", err)
		}
	}
	var total int64
	for _, n := range stats.Rows {
		total += n
	}
	fmt.Fprintf(e.stdout, "loaded %d rows of demo data (%s to %s, %s) in %s\n",
		total, stats.From.Format(query.DateLayout), stats.To.Format(query.DateLayout), e.cfg.Location, stats.Took.Round(time.Millisecond))
	for _, t := range sortedKeys(stats.Rows) {
		fmt.Fprintf(e.stdout, "  %-16s %9d\n", t, stats.Rows[t])
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// unwrapQueryError drops the "name (file): " prefix the runner adds, since
// the catalog error already names the file.
func unwrapQueryError(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}
