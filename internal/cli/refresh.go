package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/precompute"
	"github.com/opsboard/opsboard/internal/query"
)

func refreshCommand() *command {
	var date, since string
	return &command{
		name: "refresh",
		summary: "Compute the mornings now: every dashboard's default view, each single filter value's view and the reports due, " +
			"kept in the store until the next morning (serve does it on its own each day), computed anew.",
		usage: "[--date YYYY-MM-DD] [--since YYYY-MM-DD]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&date, "date", "", "the business day whose views are computed (default: today)")
			fs.StringVar(&since, "since", "", "history was corrected from this day on: compute its settled days again")
		},
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			if len(args) != 0 {
				return usagef("takes no arguments")
			}
			cat, err := loadCatalog(e)
			if err != nil {
				return err
			}
			day := query.Today(e.now(), e.cfg.Location)
			if date != "" {
				if day, err = time.Parse(query.DateLayout, date); err != nil {
					return usagef("--date must be YYYY-MM-DD, not %q", date)
				}
			}
			var from time.Time
			if since != "" {
				if from, err = time.Parse(query.DateLayout, since); err != nil {
					return usagef("--since must be YYYY-MM-DD, not %q", since)
				}
			}
			if err := e.openStore(ctx, true); err != nil {
				return err
			}
			if err := e.openWarehouse(ctx); err != nil {
				return err
			}
			defer e.close()
			return refresh(ctx, e, cat, day, from)
		},
	}
}

// refresh computes day's mornings, after forgetting what was kept from
// since on when since is set.
func refresh(ctx context.Context, e *env, cat *catalog.Catalog, day, since time.Time) error {
	runner := e.runner()
	if !since.IsZero() {
		if err := runner.ForgetDays(ctx, since); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "forgot the settled days kept from %s on\n", since.Format(query.DateLayout))
	}
	// Computed anew: kept results may span corrected days, and whoever
	// asks for a refresh wants the data as it is now. Running servers drop
	// what they hold in memory once they see this morning recorded.
	if err := e.db.ForgetResults(ctx); err != nil {
		return err
	}
	p, err := e.producer(cat)
	if err != nil {
		return err
	}
	defer p.Close()
	svc := &precompute.Service{
		Store: e.db, Runner: runner, Catalog: func() *catalog.Catalog { return cat }, Reports: p,
		PageRows: e.cfg.WebMaxRows, Log: e.log, Owner: owner(),
	}
	outs, err := svc.All(ctx, day)
	failed := 0
	for _, o := range outs {
		fmt.Fprintf(e.stdout, "%s: %d views for %s in %.1f s\n", o.Dashboard, o.Views, day.Format(query.DateLayout), o.Took.Seconds())
		for _, f := range o.Failures {
			fmt.Fprintf(e.stdout, "  failed: %s\n", f)
		}
		failed += len(o.Failures)
	}
	if err != nil {
		return err
	}
	if failed > 0 {
		return errors.New(plural(failed, "view part") + " failed; the rest is kept")
	}
	return nil
}

// owner names this process in the store's claims.
func owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", strings.TrimSpace(host), os.Getpid())
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
