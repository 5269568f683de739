package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/opsboard/opsboard/internal/demo"
	"github.com/opsboard/opsboard/internal/query"
)

func demoCommand() *command {
	opts := demo.Options{Scale: 1, Days: 730, Seed: 1}
	var sf serveFlags
	return &command{
		name:    "demo",
		summary: "Zero-config demo: local PostgreSQL, demo data, the shipped dashboards on http://127.0.0.1:8080.",
		usage:   "[--addr 127.0.0.1:8080] [--scale N] [--replace]",
		flags: func(fs *flag.FlagSet) {
			sf.register(fs)
			fs.Float64Var(&opts.Scale, "scale", opts.Scale, "demo data size when it has to be loaded")
			fs.BoolVar(&opts.Replace, "replace", false, "drop tables with the demo's names even when the demo did not create them")
		},
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			cat, err := loadCatalog(e)
			if err != nil {
				return err
			}
			if err := e.open(ctx, true); err != nil {
				return err
			}
			defer e.close()
			admin, err := e.dataAdmin(ctx)
			if err != nil {
				return err
			}
			last, ok, err := demo.LastDay(ctx, admin, e.cfg.Location)
			admin.Close()
			if err != nil {
				return err
			}
			yesterday := query.Today(e.now(), e.cfg.Location).AddDate(0, 0, -1)
			if !ok || last.Before(yesterday) {
				if err := loadDemo(ctx, e, opts); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(e.stdout, "demo data is current (ends %s)\n", last.Format(query.DateLayout))
			}
			if e.cluster != nil {
				fmt.Fprintf(e.stdout, "database: embedded PostgreSQL under %s\n", e.cluster.Dir())
			}
			return serve(ctx, e, cat, sf)
		},
	}
}
