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

// minSpread is the fewest trailing values whose spread can show a value
// to be out of the ordinary (a weekly report's four weeks before).
const minSpread = 4

// norm is a tile's trailing history: the values of the periods before the
// view's (days, or periods of the view's length) or the value of the whole
// previous 28 days.
type norm struct {
	trailing []float64 // oldest first; NaN where there was no value
	each     int       // the days each trailing value covers
	mean     float64   // what a period of the view's length is expected to be
	days     int       // that length
	// point is the norm as the metric model weighs it (catalog.Metric.
	// Compare): its value, the days it covers and the sample it rests on
	// (0 where unknown).
	point catalog.Point
	ok    bool
}

// trailingNorms computes each tile's 28-day norm for the view. Results
// are kept until the given time when it is set (a morning's precompute).
func trailingNorms(ctx context.Context, b *dashboard.Builder, v *dashboard.View, until time.Time) []norm {
	out := make([]norm, len(v.Tiles))
	days := v.Range.Days()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := range v.Tiles {
		q := v.Tiles[i].Query
		if q == nil {
			continue
		}
		out[i].days = days
		var slices []query.Range
		switch {
		case days == 1 || q.Metric.Aggregate == catalog.Last:
			// The day against each of the 27 days before it: one query,
			// one slice per day. A level's norm is its mean over those
			// days whatever the period's length (the 28 days before
			// taken as one would be the level of their last day).
			slices, out[i].each = periodsBefore(v.Range.From, 1, normDays-1), 1
		case q.Metric.Aggregate == "":
			// A query without an aggregate does not say how its value
			// combines across days: 28 days of it may be a total to
			// scale (a count of low ratings), a rate or a median not to.
			// Its norm is then the mean of the periods of the view's
			// length within the 28 days (four weeks for a week), which
			// needs no scaling; a period longer than 28 days has none.
			if days > normDays {
				continue
			}
			slices, out[i].each = periodsBefore(v.Range.From, days, normDays/days), days
		}
		if slices != nil {
			g.Go(func() error {
				whole := query.Range{From: slices[0].From, To: slices[len(slices)-1].To}
				res, err := b.Runner.Run(gctx, q, query.Request{Range: whole, Params: v.Params, Location: v.Location, Until: until, Slices: slices})
				if err == nil {
					out[i].fromPoints(q, slicePoints(res.Frame, q, slices))
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
			out[i].point, out[i].ok, _ = dashboard.KPIPoint(res.Frame, q, r)
			out[i].mean = out[i].point.Value
			// A sum over the 28 days is scaled to the report's period:
			// a week's orders are set against a week's share of the norm.
			// (Its point stays the 28 days': the model compares sums of
			// different lengths per day.)
			if q.Metric.Aggregate == catalog.Sum {
				out[i].mean *= float64(days) / normDays
			}
			return nil
		})
	}
	g.Wait()
	return out
}

// periodsBefore is the n periods of the given days that end where the
// view's range starts, oldest first.
func periodsBefore(from time.Time, days, n int) []query.Range {
	out := make([]query.Range, n)
	for k := range out {
		start := from.AddDate(0, 0, (k-n)*days)
		out[k] = query.Range{From: start, To: start.AddDate(0, 0, days)}
	}
	return out
}

// slicePoints reads a sliced frame (its first column a slice's first day)
// as one Point per slice, oldest first; a NaN value for a slice without
// one.
func slicePoints(f *frame.Frame, q *catalog.Query, slices []query.Range) []catalog.Point {
	out := make([]catalog.Point, len(slices))
	for i := range out {
		out[i].Value = math.NaN()
	}
	one := &frame.Frame{Columns: f.Columns[1:]}
	for _, row := range f.Rows {
		day, ok := row[0].(time.Time)
		if !ok {
			continue
		}
		for i, s := range slices {
			if !day.Equal(s.From) {
				continue
			}
			one.Rows = [][]any{row[1:]}
			if p, ok, _ := dashboard.KPIPoint(one, q, s); ok {
				out[i] = p
			}
			break
		}
	}
	return out
}

// fromPoints sets the norm from the trailing periods' points: their mean
// value, when at least half of them have one, and the point the model
// weighs it as: all their days and answers together.
func (n *norm) fromPoints(q *catalog.Query, points []catalog.Point) {
	n.trailing = make([]float64, len(points))
	var sum, sample, spread2 float64
	var count int
	sampled := true
	for k, p := range points {
		n.trailing[k] = p.Value
		if math.IsNaN(p.Value) {
			continue
		}
		sum += p.Value
		sample += p.Sample
		spread2 += p.Spread * p.Spread
		sampled = sampled && p.Sample > 0
		count++
	}
	if count == 0 || 2*count <= len(points) {
		return
	}
	n.mean, n.ok = sum/float64(count), true
	n.point = catalog.Point{Value: n.mean, Days: count * n.each, Unit: q.Unit}
	if q.Metric.Aggregate == catalog.Sum {
		n.point.Value = sum // the total of the days, compared per day
	}
	if sampled {
		n.point.Sample, n.point.Spread = sample, math.Sqrt(spread2/float64(count))
	}
}

// covered is how many days before the period the norm comes from.
func (n norm) covered() int {
	if len(n.trailing) > 0 {
		return len(n.trailing) * n.each
	}
	return normDays
}

// record says whether value is the lowest or highest of the trailing days.
func (n norm) record(value float64) string {
	if len(n.trailing) == 0 || !n.ok || n.each != 1 {
		return ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range n.trailing {
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

// unusual reports whether the trailing values show value to be out of the
// ordinary, for a metric whose model cannot weigh its noise: a 28-day low
// or high, or more than two standard deviations of the trailing periods'
// values (at least minSpread of them) from their mean. A daily median of
// first responses that swings between 2.5 and 8.5 hours is not unusual at
// 4.3 whatever the day before was.
func (n norm) unusual(value float64) bool {
	if !n.ok {
		return false
	}
	if n.record(value) != "" {
		return true
	}
	var xs []float64
	for _, x := range n.trailing {
		if !math.IsNaN(x) {
			xs = append(xs, x)
		}
	}
	if len(xs) < minSpread {
		return false
	}
	var mean, ss float64
	for _, x := range xs {
		mean += x / float64(len(xs))
	}
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(len(xs)-1))
	return math.Abs(value-mean) > 2*sd
}

// weigh compares the tile's value with the norm as its metric model does.
// Where the norm's sample is unknown, it is taken to be no larger than the
// period's (scaled down when the norm covers fewer days): a norm of 28 days
// rests on at least as many answers as a day's or a week's unless
// answering fell away, so this overstates the norm's noise and a departure
// found real under it is real under its true sample too.
func (n norm) weigh(t dashboard.TileView) catalog.Change {
	cur, ref := t.Cur, n.point
	cur.Value, cur.Unit, ref.Unit = t.Value, t.Query.Unit, t.Query.Unit
	if cur.Days == 0 {
		cur.Days = n.days
	}
	if ref.Days == 0 {
		ref.Value, ref.Days = n.mean, n.days
	}
	if ref.Sample <= 0 && cur.Sample > 0 {
		ref.Sample = cur.Sample * math.Min(1, float64(ref.Days)/float64(cur.Days))
		ref.Spread = cur.Spread
	}
	return t.Query.Metric.Compare(cur, ref)
}

// Highlights writes the report's plain sentences: tiles off target first,
// then the moves against the comparison period, most unusual first, each
// noting a 28-day low or high, then large departures from the norm of the
// period's length. A move or a departure is named only when it exceeds its
// sampling noise (for a query whose metric model can tell), or, untested,
// when the trailing norm shows the value unusual (norm.unusual; a move of
// at least 2%, a departure of a sum or count of at least 10%); a move from
// zero is always named.
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
		if met, has := t.OnTarget(); has && !met {
			side := "below"
			if t.Query.Better == "lower" {
				side = "above"
			}
			offTarget = append(offTarget, fmt.Sprintf("%s is %s, %s its %s target.", name, page.TargetValue(t), side, chart.FormatValue(*t.Target, unit, t.Format)))
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
		case math.Abs(c.Abs/t.Previous) >= 0.02 && i < len(norms) && norms[i].unusual(t.Value):
			// Below a move from 0 (500) and any tested one, however large.
			ranked = append(ranked, move{i, math.Min(math.Abs(c.Abs/t.Previous), 499)})
		}
	}
	sort.SliceStable(ranked, func(a, b int) bool { return ranked[a].score > ranked[b].score })
	named := map[int]bool{}
	for _, m := range ranked[:min(len(ranked), maxMoves)] {
		t := v.Tiles[m.i]
		named[m.i] = true
		// The change's sign, not the totals': a month so far is below
		// the whole month before while its daily average rises.
		verb := "rose"
		if c, _ := t.Change(); c.Abs < 0 {
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
		c := n.weigh(t)
		if t.Value == n.mean || c.Tested && !c.Real || !c.Tested && !n.unusual(t.Value) {
			continue
		}
		value, normValue := chart.FormatValue(t.Value, t.Query.Unit, t.Format), chart.FormatValue(n.mean, t.Query.Unit, t.Format)
		// "Norm" is no word for a marketing reader: the sentence says
		// what the usual level is and where it comes from.
		if r := n.record(t.Value); r != "" {
			departures = append(departures, fmt.Sprintf("%s at %s is the %s (usual level %s).", label(t), value, r, normValue))
			continue
		}
		size, ok := departureSize(t, n.mean, c)
		if !ok {
			continue
		}
		side := "above"
		if t.Value < n.mean {
			side = "below"
		}
		usual := fmt.Sprintf("its usual level (%s, from the %d days before)", normValue, n.covered())
		if n.days > 1 {
			usual = fmt.Sprintf("its usual level for %d days (%s, from the %d days before)", n.days, normValue, n.covered())
		}
		departures = append(departures, fmt.Sprintf("%s at %s is %s %s %s.", label(t), value, size, side, usual))
	}
	out := append(append(offTarget, moves...), contrasts(v)...)
	return append(out, departures...)
}

// departureSize words how far the value is from the norm, as the tile
// words a change: a percent for sums and counts (catalog.Change.HasPc;
// the difference from a norm of 0), and only from 10% up (smaller
// departures of a busy day's orders are real but not news); percentage
// points for percent metrics and points for NPS; the value's difference
// for scores and means. A departure in points has no common yardstick
// across rates, scores and NPS: its noise test (or, untested, the
// trailing values) alone decides.
func departureSize(t dashboard.TileView, mean float64, c catalog.Change) (string, bool) {
	unit, d := t.Query.Unit, math.Abs(t.Value-mean)
	if !t.Query.Metric.InPoints(unit) && c.HasPc {
		pct := d / math.Abs(mean)
		return fmt.Sprintf("%.0f%%", 100*pct), pct >= 0.10
	}
	return pointsSize(d, t), true
}

// pointsSize writes a difference without its sign: "5.2 pts" of a
// percent, "8 pts" of NPS, the value's own units otherwise ("0.25").
func pointsSize(d float64, t dashboard.TileView) string {
	switch {
	case t.Query.Unit == "percent":
		return fmt.Sprintf("%.1f pts", d*100)
	case t.Query.Metric.Aggregate == catalog.NPS:
		return chart.FormatValue(d, t.Query.Unit, t.Format) + " pts"
	}
	return chart.FormatValue(d, t.Query.Unit, t.Format)
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
// previous value was 0. A sum compared per day (dashboard.TileView.PerDay)
// says so: the tile shows the period's total, and "+55" would read as a
// change of it.
func moveSize(t dashboard.TileView) string {
	c, _ := t.Change()
	size := sign(c.Abs) + pointsSize(math.Abs(c.Abs), t)
	if t.PerDay() {
		size += " a day"
	}
	if !t.Query.Metric.InPoints(t.Query.Unit) && c.HasPc {
		return fmt.Sprintf("%s, %s%.1f%%", size, sign(c.Pct), math.Abs(c.Pct*100))
	}
	if t.Previous == 0 {
		size += " from 0"
	}
	return size
}

func sign(x float64) string {
	if x < 0 {
		return "−"
	}
	return "+"
}
