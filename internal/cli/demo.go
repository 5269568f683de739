package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/opsboard/opsboard/internal/demo"
	"github.com/opsboard/opsboard/internal/event"
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
			if err := demoEvents(ctx, e); err != nil {
				return err
			}
			if e.cluster != nil {
				fmt.Fprintf(e.stdout, "database: embedded PostgreSQL under %s\n", e.cluster.Dir())
			}
			return serve(ctx, e, cat, sf)
		},
	}
}

// demoEvents keeps the demo's two ops incidents among the stored events,
// on the days the demo data has them (they move with the data): the
// carrier outage 150 days and the warehouse backlog 44 days before its
// last day, as internal/demo places them. The marketing campaigns come
// from the data, through events/campaigns.yaml.
func demoEvents(ctx context.Context, e *env) error {
	admin, err := e.dataAdmin(ctx)
	if err != nil {
		return err
	}
	last, ok, err := demo.LastDay(ctx, admin, e.cfg.Location)
	admin.Close()
	if err != nil || !ok {
		return err
	}
	day := func(before int) string { return last.AddDate(0, 0, -before).Format(query.DateLayout) }
	svc := &event.Service{Store: e.db}
	for _, x := range []struct {
		key string
		d   event.Draft
	}{
		{"demo:carrier-outage", event.Draft{Day: day(150), End: day(144), Team: "ops", Title: "swiftship network outage",
			Note: "Parcels handed to swiftship sat in its hubs for a week: late deliveries, where-is-my-order tickets and lower delivery CSAT followed."}},
		{"demo:memphis-backlog", event.Draft{Day: day(44), End: day(36), Team: "ops", Title: "Memphis warehouse system migration",
			Note:    "Memphis shipped at a third of its capacity for nine days, then worked overtime for ten more to clear the backlog.",
			Metrics: []string{"kpi/backlog", "warehouses/backlog_daily", "kpi/on_time_rate"}}},
	} {
		if _, err := svc.Put(ctx, x.key, x.d, "opsboard demo"); err != nil {
			return fmt.Errorf("the demo's events: %w", err)
		}
	}
	return nil
}
