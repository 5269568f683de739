package alert

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/chart"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
)

// Outcome is a rule evaluated for one period.
type Outcome struct {
	Rule *catalog.Alert
	// Status is store.CheckFiring, store.CheckOK or store.CheckNoData.
	Status string
	// Period is the range looked at, and Key how it is named in the
	// store: "2026-01-05" or "2026-01-01..2026-01-07".
	Period query.Range
	Key    string
	// Tile is the tile's numbers as the dashboard would show them; its
	// Change, WithinNoise and TooThin follow the metric model.
	Tile dashboard.TileView
	// Message says what was found, in a sentence.
	Message string
}

// Value is the tile's value for the period.
func (o *Outcome) Value() float64 { return o.Tile.Value }

// Evaluate computes the rule's tile for the period it looks at as of
// asOf, and says whether the rule is in breach. The queries bypass the
// cache: an alert must see the data as it is now.
func (s *Service) Evaluate(ctx context.Context, rule *catalog.Alert, asOf time.Time) (*Outcome, error) {
	c := s.Catalog()
	d, ok := c.Dashboards[rule.Dashboard]
	if !ok {
		return nil, apperr.NotFound("alert %s: no dashboard %q", rule.Name, rule.Dashboard)
	}
	var tile *catalog.Tile
	for i := range d.Tiles {
		if d.Tiles[i].Query == rule.Tile {
			tile = &d.Tiles[i]
			break
		}
	}
	q := c.Queries[rule.Tile]
	if tile == nil || q == nil {
		return nil, apperr.NotFound("alert %s: dashboard %s has no tile %q", rule.Name, rule.Dashboard, rule.Tile)
	}
	loc, err := rule.Location(s.location())
	if err != nil {
		return nil, err
	}
	rng, err := Period(rule, asOf, loc)
	if err != nil {
		return nil, err
	}
	o := &Outcome{Rule: rule, Period: rng, Key: rng.String(), Tile: dashboard.TileView{Tile: *tile, Query: q}}
	t := &o.Tile
	if t.Cur, t.HasValue, err = s.point(ctx, q, rule, rng, loc); err != nil {
		return nil, err
	}
	t.Value = t.Cur.Value
	if rule.Condition == catalog.AlertChange {
		cmp, ok, err := rng.Compare(rule.Compare)
		if err != nil || !ok {
			return nil, apperr.Invalid("alert %s: compare %q: no earlier period", rule.Name, rule.Compare)
		}
		if t.Prev, t.HasPrevious, err = s.point(ctx, q, rule, cmp, loc); err != nil {
			return nil, err
		}
		t.Previous = t.Prev.Value
	}
	s.judge(o)
	return o, nil
}

// Period is the range a rule looks at when checked at asOf: today so far,
// or its range ending yesterday, in the rule's time zone.
func Period(rule *catalog.Alert, asOf time.Time, loc *time.Location) (query.Range, error) {
	today := query.Today(asOf, loc)
	if rule.Range == catalog.AlertToday {
		return query.Range{From: today, To: today.AddDate(0, 0, 1)}, nil
	}
	return query.ParseRange(rule.Range, today)
}

// point runs the tile's query for r and reads its value with what the
// metric model needs beside it, as the dashboard does.
func (s *Service) point(ctx context.Context, q *catalog.Query, rule *catalog.Alert, r query.Range, loc *time.Location) (catalog.Point, bool, error) {
	res, err := s.Runner.Run(ctx, q, query.Request{Range: r, Params: rule.Params, Location: loc, Refresh: true})
	if err != nil {
		return catalog.Point{}, false, err
	}
	p, ok, err := dashboard.KPIPoint(res.Frame, q, r)
	if err != nil {
		return p, false, apperr.Invalid("%s (%s): %v", q.Name, q.File, err)
	}
	return p, ok, nil
}

// judge sets the outcome's status and message.
func (s *Service) judge(o *Outcome) {
	rule, t := o.Rule, &o.Tile
	unit, format := t.Query.Unit, t.Format
	f := func(v float64) string { return chart.FormatValue(v, unit, format) }
	label := t.Tile.Name(t.Query)
	// The rule's filter values are part of what the number is: "Orders
	// (channel web) is 407" is not the 602 the dashboard shows for all.
	label = rule.Watched(label)
	when := periodText(rule, o.Period)
	switch {
	case !t.HasValue:
		o.Status, o.Message = store.CheckNoData, fmt.Sprintf("%s has no value for %s.", label, when)
		return
	case t.TooThin():
		o.Status, o.Message = store.CheckNoData, fmt.Sprintf("%s rests on %s %s for %s: too few to judge.",
			label, chart.FormatValue(t.Cur.Sample, "count", ""), t.Query.Metric.Sample, when)
		return
	}
	switch rule.Condition {
	case catalog.AlertBelow, catalog.AlertAbove:
		th := *rule.Threshold
		breach := t.Value < th
		side := "below"
		if rule.Condition == catalog.AlertAbove {
			breach, side = t.Value > th, "above"
		}
		o.Status = store.CheckOK
		if breach {
			o.Status = store.CheckFiring
			o.Message = fmt.Sprintf("%s is %s for %s, %s the threshold of %s.", label, chart.FormatApart(t.Value, th, unit, format), when, side, f(th))
		} else {
			o.Message = fmt.Sprintf("%s is %s for %s, not %s the threshold of %s.", label, f(t.Value), when, side, f(th))
		}
	case catalog.AlertChange:
		c, ok := t.Change()
		switch {
		case !t.HasPrevious || !ok:
			o.Status, o.Message = store.CheckNoData, fmt.Sprintf("%s has no value for the period before %s to compare with.", label, when)
			return
		case !c.Tested:
			o.Status, o.Message = store.CheckNoData, fmt.Sprintf("%s: the change cannot be weighed against its normal variation (no sample for one of the periods).", label)
			return
		}
		delta := page.DeltaText(*t, unit)
		moved := c.Real && (rule.Direction == "any" || rule.Direction == "up" && c.Abs > 0 || rule.Direction == "down" && c.Abs < 0)
		if moved {
			o.Status = store.CheckFiring
			o.Message = fmt.Sprintf("%s is %s for %s (%s vs %s), a change larger than its normal variation (%.1f standard errors).",
				label, f(t.Value), when, delta, f(t.Previous), math.Abs(c.Z))
		} else {
			o.Status = store.CheckOK
			o.Message = fmt.Sprintf("%s is %s for %s (%s vs %s), within its normal variation or not in the direction watched.",
				label, f(t.Value), when, delta, f(t.Previous))
		}
	}
}

// periodText names the period for people: "today so far (Mon 5 Jan
// 2026)", "Sun 4 Jan 2026", "29 Dec – 4 Jan 2026".
func periodText(rule *catalog.Alert, r query.Range) string {
	if rule.Range == catalog.AlertToday {
		return "today so far (" + page.PeriodText(r) + ")"
	}
	return page.PeriodText(r)
}
