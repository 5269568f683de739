package cli_test

import (
	"context"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/frame/frametest"
	"github.com/opsboard/opsboard/internal/query"
)

// Every shipped query with a settle window gives, put together from its
// days (cold, then from the days kept), the numbers its statement gives
// over the whole range, on the demo data: for a day, a week, four weeks,
// a quarter, a range whose 60 days before reach back past the data's
// first day, and a sparkline, with and without a filter, in the zone the
// data was loaded in and in another.
func TestShippedSettledQueriesEqualTheirStatement(t *testing.T) {
	withDemo(t)
	cat, err := catalog.Load("../..")
	if err != nil {
		t.Fatal(err)
	}
	newYork, _ := time.LoadLocation("America/New_York")
	wh := dbtest.Warehouse(t)
	ctx := context.Background()
	settled := 0
	for _, loc := range []*time.Location{newYork, time.UTC} {
		// Each zone keeps its days apart (they are keyed by it).
		daily := query.NewRunner(wh, query.Options{Location: loc, Days: dbtest.Store(t)})
		whole := query.NewRunner(wh, query.Options{Location: loc})
		today := query.Today(time.Now(), loc)
		first := today.AddDate(0, 0, -400) // withDemo's first day
		ranges := map[string]query.Range{"near the first day": {From: first.AddDate(0, 0, 30), To: first.AddDate(0, 0, 90)}}
		for _, spec := range []string{"yesterday", "last_7_days", "last_28_days", "last_90_days"} {
			if ranges[spec], err = query.ParseRange(spec, today); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range cat.QueryNames() {
			q := cat.Queries[name]
			if q.Settle == nil {
				continue
			}
			if loc == newYork {
				settled++
			}
			for what, rng := range ranges {
				reqs := []query.Request{{Range: rng}}
				if _, ok := q.Param("region"); ok {
					reqs = append(reqs, query.Request{Range: rng, Params: map[string]string{"region": "east"}})
				}
				if what == "last_28_days" && !q.Series() && !q.Keyed() {
					reqs = append(reqs, query.Request{Range: rng, Slices: weekSlices(rng)})
				}
				for _, req := range reqs {
					want, err := whole.Run(ctx, q, req)
					if err != nil {
						t.Fatalf("%s %s %v in %s: %v", name, what, req.Params, loc, err)
					}
					for _, pass := range []string{"cold", "from kept days"} {
						// Cold, as the morning computes the days (work done
						// ahead); then as a page reads them.
						req := req
						if pass == "cold" {
							req.Until = time.Now().Add(time.Hour)
						}
						got, err := daily.Run(ctx, q, req)
						if err != nil {
							t.Fatalf("%s %s %v in %s (%s): %v", name, what, req.Params, loc, pass, err)
						}
						if diff := frametest.Diff(got.Frame, want.Frame); diff != "" {
							t.Errorf("%s %s %v in %s, %d slices (%s): %s", name, what, req.Params, loc, len(req.Slices), pass, diff)
						}
					}
				}
			}
		}
	}
	if settled < 8 {
		t.Errorf("%d shipped queries settle; want at least 8", settled)
	}
}

// weekSlices cuts a range into weeks, as a sparkline would.
func weekSlices(r query.Range) []query.Range {
	var out []query.Range
	for from := r.From; from.Before(r.To); from = from.AddDate(0, 0, 7) {
		out = append(out, query.Range{From: from, To: from.AddDate(0, 0, 7)})
	}
	return out
}
