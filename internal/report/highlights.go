package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/chart"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
)

// normDays is the trailing window a report's numbers are compared with.
const normDays = 28

// maxMoves is how many of the largest moves the highlights name.
const maxMoves = 3

// norm is a tile's trailing history: the value of each of the previous
// days (one-day periods) or of the whole previous 28 days.
type norm struct {
	daily []float64 // oldest first; NaN where there was no value
	mean  float64   // what a period of the view's length is expected to be
	days  int       // that length
	ok    bool
}

// trailingNorms computes each tile's 28-day norm for the view. Results
// are kept until the given time when it is set (a morning's precompute).
func trailingNorms(ctx context.Context, b *dashboard.Builder, v *dashboard.View, until time.Time) []norm {
	out := make([]norm, len(v.Tiles))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := range v.Tiles {
		q := v.Tiles[i].Query
		if q == nil {
			continue
		}
		if v.Range.Days() == 1 || q.Metric.Aggregate == catalog.Last {
			// The day against each of the 27 days before it: one query,
			// one slice per day. A level's norm is its mean over those
			// days whatever the period's length (the 28 days before
			// taken as one would be the level of their last day).
			slices := make([]query.Range, normDays-1)
			for d := range slices {
				day := v.Range.From.AddDate(0, 0, d-(normDays-1))
				slices[d] = query.Range{From: day, To: day.AddDate(0, 0, 1)}
			}
			g.Go(func() error {
				whole := query.Range{From: slices[0].From, To: slices[len(slices)-1].To}
				res, err := b.Runner.Run(gctx, q, query.Request{Range: whole, Params: v.Params, Location: v.Location, Until: until, Slices: slices})
				if err == nil {
					out[i].daily = dashboard.SliceValues(res.Frame, slices)
				}
				return nil
			})
			continue
		}
		g.Go(func() error {
			r := query.Range{From: v.Range.From.AddDate(0, 0, -normDays), To: v.Range.From}
			res, err := b.Runner.Run(gctx, q, query.Request{Range: r, Params: v.Params, Location: v.Location, Until: until})
			if err != nil {
				return nil
			}
			out[i].mean, out[i].ok, _ = dashboard.KPIValue(res.Frame)
			out[i].days = v.Range.Days()
			// A sum over the 28 days is scaled to the report's period:
			// a week's orders are set against a week's share of the norm.
			if q.Metric.Aggregate == catalog.Sum {
				out[i].mean *= float64(v.Range.Days()) / normDays
			}
			return nil
		})
	}
	g.Wait()
	for i := range out {
		if out[i].daily == nil {
			continue
		}
		var sum float64
		var n int
		for _, x := range out[i].daily {
			if !math.IsNaN(x) {
				sum += x
				n++
			}
		}
		if n >= normDays/2 {
			out[i].mean, out[i].ok = sum/float64(n), true
		}
	}
	return out
}

// record says whether value is the lowest or highest of the trailing days.
func (n norm) record(value float64) string {
	if len(n.daily) == 0 || !n.ok {
		return ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range n.daily {
		if !math.IsNaN(x) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	switch {
	case value < lo:
		return fmt.Sprintf("lowest in %d days", normDays)
	case value > hi:
		return fmt.Sprintf("highest in %d days", normDays)
	}
	return ""
}

// Highlights writes the report's plain sentences: tiles off target first,
// then the moves against the comparison period, most unusual first, each
// noting a 28-day low or high, then large departures from the norm of the
// period's length. A move is named only when it exceeds its sampling noise
// (for a query whose metric model can tell), or, untested, when it is at
// least 2%; a move from zero is always named.
func Highlights(v *dashboard.View, norms []norm) []string {
	var offTarget, moves, departures []string
	type move struct {
		i     int
		score float64 // |z| for tested moves; untested ones rank below them
	}
	var ranked []move
	for i, t := range v.Tiles {
		if t.Err != nil || !t.HasValue || t.Query == nil || t.TooThin() {
			continue
		}
		unit, name := t.Query.Unit, label(t)
		value := chart.FormatValue(t.Value, unit, t.Format)
		if met, has := t.OnTarget(); has && !met {
			side := "below"
			if t.Query.Better == "lower" {
				side = "above"
			}
			offTarget = append(offTarget, fmt.Sprintf("%s is %s, %s its %s target.", name, value, side, chart.FormatValue(*t.Target, unit, t.Format)))
		}
		c, ok := t.Change()
		switch {
		case !ok || c.Abs == 0:
		case c.Tested:
			if c.Real {
				ranked = append(ranked, move{i, 1000 + math.Abs(c.Z)})
			}
		case t.Previous == 0:
			ranked = append(ranked, move{i, 500})
		case math.Abs(c.Abs/t.Previous) >= 0.02:
			ranked = append(ranked, move{i, math.Abs(c.Abs / t.Previous)})
		}
	}
	sort.SliceStable(ranked, func(a, b int) bool { return ranked[a].score > ranked[b].score })
	named := map[int]bool{}
	for _, m := range ranked[:min(len(ranked), maxMoves)] {
		t := v.Tiles[m.i]
		named[m.i] = true
		verb := "rose"
		if t.Value < t.Previous {
			verb = "fell"
		}
		detail := []string{moveSize(t) + " " + page.CompareNote(v)}
		if i := m.i; i < len(norms) {
			if r := norms[i].record(t.Value); r != "" {
				detail = append(detail, r)
			}
		}
		moves = append(moves, fmt.Sprintf("%s %s to %s (%s).", label(t), verb,
			chart.FormatValue(t.Value, t.Query.Unit, t.Format), strings.Join(detail, "; ")))
	}
	for i, t := range v.Tiles {
		if named[i] || i >= len(norms) || !norms[i].ok || !t.HasValue || t.Query == nil || t.Err != nil || t.TooThin() {
			continue
		}
		n := norms[i]
		normName := fmt.Sprintf("%d-day norm", normDays)
		if r := n.record(t.Value); r != "" {
			departures = append(departures, fmt.Sprintf("%s at %s is the %s (%s %s).", label(t),
				chart.FormatValue(t.Value, t.Query.Unit, t.Format), r, normName, chart.FormatValue(n.mean, t.Query.Unit, t.Format)))
			continue
		}
		if n.mean != 0 && math.Abs(t.Value-n.mean)/math.Abs(n.mean) >= 0.10 {
			side := "above"
			if t.Value < n.mean {
				side = "below"
			}
			if n.days > 1 {
				normName = fmt.Sprintf("norm for %d days", n.days)
			}
			departures = append(departures, fmt.Sprintf("%s at %s is %.0f%% %s its %s (%s).", label(t),
				chart.FormatValue(t.Value, t.Query.Unit, t.Format), 100*math.Abs(t.Value-n.mean)/math.Abs(n.mean), side,
				normName, chart.FormatValue(n.mean, t.Query.Unit, t.Format)))
		}
	}
	out := append(append(offTarget, moves...), contrasts(v)...)
	return append(out, departures...)
}

// contrasts writes, for each panel that declares a contrast row, how the
// row that differs most from it fares: "CSAT was 3.21 for 4+ days late
// against 4.58 for on time (1 Nov – 28 Nov 2026; 41 and 1,208 responses)".
// Rows resting on fewer answers than the query's minimum sample are left
// out, and so is a panel whose contrast row is missing.
func contrasts(v *dashboard.View) []string {
	var out []string
	for _, p := range v.Panels {
		if p.Contrast == "" || p.Err != nil || p.Frame == nil || p.Query == nil || len(p.Y) == 0 {
			continue
		}
		f := p.Frame
		xi, yi := f.Index(p.X), f.Index(p.Y[0])
		si, min := -1, p.Query.Metric.MinimumSample()
		if p.Query.Metric.Sample != "" {
			si = f.Index(p.Query.Metric.Sample)
		}
		if xi < 0 || yi < 0 {
			continue
		}
		type row struct {
			label     string
			value, n  float64
			hasSample bool
		}
		var base *row
		var rows []row
		for _, r := range f.Rows {
			val, ok := frame.Float(r[yi])
			if !ok {
				continue
			}
			rw := row{label: frame.Format(r[xi], f.Columns[xi].Type), value: val}
			if si >= 0 {
				rw.n, _ = frame.Float(r[si])
				rw.hasSample = true
				if rw.n < float64(min) {
					continue
				}
			}
			if rw.label == p.Contrast {
				base = &rw
				continue
			}
			rows = append(rows, rw)
		}
		if base == nil || len(rows) == 0 {
			continue
		}
		far := rows[0]
		for _, r := range rows[1:] {
			if math.Abs(r.value-base.value) > math.Abs(far.value-base.value) {
				far = r
			}
		}
		if far.value == base.value {
			continue
		}
		unit := f.Columns[yi].Unit
		if unit == "" {
			unit = p.Query.Unit
		}
		detail := page.PeriodText(v.PanelRange)
		if far.hasSample {
			detail += fmt.Sprintf("; %s and %s %s", chart.FormatValue(far.n, "count", ""), chart.FormatValue(base.n, "count", ""),
				strings.ReplaceAll(p.Query.Metric.Sample, "_", " "))
		}
		out = append(out, fmt.Sprintf("%s was %s for %s against %s for %s (%s).", chart.ColumnLabel(f, p.Y[0]),
			chart.FormatValue(far.value, unit, ""), lowerFirst(far.label), chart.FormatValue(base.value, unit, ""), lowerFirst(base.label), detail))
	}
	return out
}

// lowerFirst lower-cases a category's first letter inside a sentence
// ("On time" → "on time"), leaving acronyms ("NPS") alone.
func lowerFirst(s string) string {
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z') {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}

func label(t dashboard.TileView) string {
	if t.Label != "" {
		return t.Label
	}
	return t.Query.Title
}

// moveSize writes the size of a move: percentage points for percent
// metrics, points for NPS, the change alone for scores and rates, and for
// sums and counts the change and the relative one; "from 0" where the
// previous value was 0.
func moveSize(t dashboard.TileView) string {
	c, _ := t.Change()
	abs := c.Abs
	from0 := ""
	if t.Previous == 0 {
		from0 = " from 0"
	}
	switch {
	case t.Query.Unit == "percent":
		return fmt.Sprintf("%s%.1f pts%s", sign(abs), math.Abs(abs*100), from0)
	case t.Query.Metric.Aggregate == catalog.NPS:
		return fmt.Sprintf("%s%s pts%s", sign(abs), chart.FormatValue(math.Abs(abs), t.Query.Unit, t.Format), from0)
	case c.HasPc:
		return fmt.Sprintf("%s%s, %s%.1f%%", sign(abs), chart.FormatValue(math.Abs(abs), t.Query.Unit, t.Format), sign(c.Pct), math.Abs(c.Pct*100))
	}
	return fmt.Sprintf("%s%s%s", sign(abs), chart.FormatValue(math.Abs(abs), t.Query.Unit, t.Format), from0)
}

func sign(x float64) string {
	if x < 0 {
		return "−"
	}
	return "+"
}
