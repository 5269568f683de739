package query

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/warehouse"
)

// DayStore keeps the results of single days of queries with a settle
// window ("-- settle: N days"), by query name, key (a hash of the
// statement, the values of its other parameters and the business time
// zone) and day. Days are dates at UTC midnight; a day's result is
// frame.Encode's bytes. *store.Store is one.
type DayStore interface {
	LoadQueryDays(ctx context.Context, query, key string, from, to time.Time) (map[time.Time][]byte, error)
	SaveQueryDays(ctx context.Context, query, key string, days map[time.Time][]byte) error
	ForgetQueryDays(ctx context.Context, since time.Time) (int64, error)
}

// DaysObserver is what a DayStore may also be, to be told which days of a
// query were sent to the warehouse (tests, metrics).
type DaysObserver interface {
	DaysComputed(query string, days []time.Time)
}

const (
	// daysPerStatement bounds the days one statement computes: one
	// UNION ALL branch each, planned with its dates.
	daysPerStatement = 62
	// maxDailySpan is the longest span of days a request is put together
	// from; a longer one (a filter's options over all time) runs as one
	// statement.
	maxDailySpan = 1500
	// coldDays is how many settled days not kept yet a page or a command
	// computes one by one; with more (a new install, a new filter value,
	// history forgotten), it runs the statement over its ranges, which
	// costs what one day does several times over, and leaves keeping the
	// days to work done ahead (the morning).
	coldDays = 7
)

// errCold is runDaily's answer to a request that should run the
// statement over its ranges instead (coldDays).
var errCold = errors.New("settled days not kept yet")

// ForgetDays deletes the kept days of every query from since on, and
// empties the cache, so that those days are computed again when next
// asked for: history corrected after it had settled (`opsboard refresh
// --since`). It does nothing without Options.Days.
func (r *Runner) ForgetDays(ctx context.Context, since time.Time) error {
	if r.opts.Days == nil {
		return nil
	}
	if _, err := r.opts.Days.ForgetQueryDays(ctx, since); err != nil {
		return fmt.Errorf("forgetting the days kept from %s: %w", since.Format(DateLayout), err)
	}
	r.cache.purge()
	return nil
}

// daily reports whether a request is put together from the query's days:
// the query has a settle window, the runner keeps days, and every range
// asked for is a run of whole days (validation's EXPLAIN and probe run
// the statement itself).
func (r *Runner) daily(q *catalog.Query, req Request) bool {
	if q.Settle == nil || r.opts.Days == nil || req.Explain || req.Probe || q.Bound == nil {
		return false
	}
	ranges := requestRanges(req)
	lo, hi := ranges[0].From, ranges[0].To
	for _, rng := range ranges {
		if rng.Days() < 1 {
			return false
		}
		lo, hi = minTime(lo, rng.From), maxTime(hi, rng.To)
	}
	return Range{lo, hi}.Days() <= maxDailySpan
}

func requestRanges(req Request) []Range {
	if len(req.Slices) > 0 {
		return req.Slices
	}
	return []Range{req.Range}
}

// runDaily computes a request of a query with a settle window from its
// days: the settled days kept in the store, the others (new, unsettled,
// never kept) from the warehouse in one statement per daysPerStatement
// days; newly computed settled days are kept. Each range (or each slice,
// a frame led by the slice's first day as Bound.Sliced gives) is then put
// together from its days, exactly as the statement computes it over the
// whole range: the catalog checks that the query's shape allows it.
// maxRows is the rows the result keeps.
func (r *Runner) runDaily(ctx context.Context, q *catalog.Query, req Request, values map[string]any, maxRows int) (*frame.Frame, error) {
	loc := r.opts.Location
	if req.Location != nil {
		loc = req.Location
	}
	settled := Today(r.opts.Now(), loc).AddDate(0, 0, -q.Settle.Days) // days before it no longer change
	ranges := requestRanges(req)
	var need []time.Time
	for _, rng := range ranges {
		for d := rng.From; d.Before(rng.To); d = d.AddDate(0, 0, 1) {
			need = append(need, d)
		}
	}
	slices.SortFunc(need, time.Time.Compare)
	need = slices.CompactFunc(need, time.Time.Equal)
	key := daysKey(q, values, loc)

	days := map[time.Time]*frame.Frame{}
	if need[0].Before(settled) {
		// A store that cannot be read costs time, not numbers: the days
		// are computed.
		kept, err := r.opts.Days.LoadQueryDays(ctx, q.Name, key, need[0], minTime(settled, need[len(need)-1].AddDate(0, 0, 1)))
		if err == nil {
			for d, b := range kept {
				if f, err := frame.Decode(b); err == nil && d.Before(settled) {
					days[d] = f
				}
			}
		}
	}
	var missing []time.Time
	cold := 0
	for _, d := range need {
		if days[d] == nil {
			missing = append(missing, d)
			if d.Before(settled) {
				cold++
			}
		}
	}
	if cold > coldDays && req.Until.IsZero() {
		return nil, errCold
	}
	computed, err := r.computeDays(ctx, q, req, key, values, loc, settled, missing)
	if err != nil {
		return nil, err
	}
	for d, f := range computed {
		days[d] = f
	}

	var out *frame.Frame
	for _, rng := range ranges {
		var parts []*frame.Frame
		for d := rng.From; d.Before(rng.To); d = d.AddDate(0, 0, 1) {
			parts = append(parts, days[d])
		}
		f, err := combine(q, parts)
		if err != nil {
			return nil, apperr.Invalid("settle (line %d): %v", q.Settle.Line, err)
		}
		if len(req.Slices) == 0 {
			out = f
			break
		}
		if out == nil {
			out = &frame.Frame{Columns: append([]frame.Column{{Name: catalog.SliceColumn, Type: frame.Date}}, f.Columns...), Rows: [][]any{}}
		}
		for _, row := range f.Rows {
			out.Rows = append(out.Rows, append([]any{rng.From}, row...))
		}
		out.Truncated = out.Truncated || f.Truncated
	}
	if maxRows > 0 && len(out.Rows) > maxRows {
		out.Rows, out.Truncated = out.Rows[:maxRows], true
	}
	describe(out, q)
	return out, nil
}

// daysKey names what a day's result depends on besides the query and the
// day: the statement, the values of its declared parameters and the
// business time zone.
func daysKey(q *catalog.Query, values map[string]any, loc *time.Location) string {
	h := sha256.New()
	fmt.Fprintf(h, "days v1\x00%s\x00%s", q.Bound.SQL, loc)
	for _, p := range q.Params {
		fmt.Fprintf(h, "\x00%s=%T:%v", p.Name, values[p.Name], values[p.Name])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// computeDays computes days of q from the warehouse and keeps those
// before settled. A day another request is computing already is waited
// for, and one computed within the cache's time to live is taken from
// the cache, rather than computed twice: a dashboard's tile asks for its
// range, its comparison range and its sparkline at once.
func (r *Runner) computeDays(ctx context.Context, q *catalog.Query, req Request, key string, values map[string]any,
	loc *time.Location, settled time.Time, days []time.Time) (map[time.Time]*frame.Frame, error) {
	out := map[time.Time]*frame.Frame{}
	if len(days) == 0 {
		return out, nil
	}
	dayKey := func(d time.Time) string { return "day\x00" + q.Name + "\x00" + key + "\x00" + d.Format(DateLayout) }
	own := map[time.Time]*flight{}
	var mine []time.Time
	joined := map[time.Time]*flight{}
	now := r.opts.Now()
	r.mu.Lock()
	for _, d := range days {
		if fl, ok := r.flights[dayKey(d)]; ok {
			joined[d] = fl
			continue
		}
		// A day's flight ends after its result is cached (below), so a
		// day without a flight is cached already or not computed at all.
		if f, _, _, ok := r.cache.get(dayKey(d), now); ok && !req.Refresh {
			out[d] = f
			continue
		}
		fl := &flight{done: make(chan struct{}), cancel: func() {}}
		r.flights[dayKey(d)] = fl
		own[d] = fl
		mine = append(mine, d)
	}
	r.mu.Unlock()

	// Others may be waiting for these days: they are computed to the end
	// (within the statement timeout) even if this request goes away.
	wctx := context.WithoutCancel(ctx)
	var firstErr error
	for chunk := range slices.Chunk(mine, daysPerStatement) {
		frames, err := r.statementDays(wctx, q, req, values, loc, chunk)
		if err == nil {
			r.keepDays(wctx, q.Name, key, settled, frames)
			if r.opts.CacheTTL > 0 {
				now := r.opts.Now()
				for d, f := range frames {
					r.cache.put(dayKey(d), f, now.Add(r.opts.CacheTTL), now)
				}
			}
		}
		r.mu.Lock()
		for _, d := range chunk {
			fl := own[d]
			fl.frame, fl.err = frames[d], err
			if r.flights[dayKey(d)] == fl {
				delete(r.flights, dayKey(d))
			}
			close(fl.done)
		}
		r.mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		for d, f := range frames {
			out[d] = f
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	for d, fl := range joined {
		select {
		case <-fl.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if fl.err != nil {
			return nil, fl.err
		}
		out[d] = fl.frame
	}
	return out, nil
}

// statementDays computes days of q in one statement (Bound.Sliced, one
// slice a day) and returns each day's result.
func (r *Runner) statementDays(ctx context.Context, q *catalog.Query, req Request, values map[string]any,
	loc *time.Location, days []time.Time) (map[time.Time]*frame.Frame, error) {
	bound := q.Bound.Sliced(len(days))
	if bound == nil {
		return nil, apperr.Invalid("settle: the statement does not use the range")
	}
	vals := make(map[string]any, len(values)+3*len(days))
	for k, v := range values {
		vals[k] = v
	}
	for i, d := range days {
		vals[catalog.SliceFrom(i)], vals[catalog.SliceTo(i)], vals[catalog.SliceDay(i)] = d, d.AddDate(0, 0, 1), d
	}
	args, err := bound.Args(vals)
	if err != nil {
		return nil, apperr.Invalid("%s: %v", q.Name, err)
	}
	opts := warehouse.RunOptions{Timeout: r.timeout(req), TimeZone: loc.String(), MaxRows: r.opts.MaxRows}
	if !q.Series() && !q.Keyed() && opts.MaxRows > 0 {
		opts.MaxRows = max(opts.MaxRows, len(days)) // one row a day
	}
	release, err := r.gate.enter(ctx, req.Visitor, req.Anonymous)
	if err != nil {
		return nil, err
	}
	f, err := r.db.Query(ctx, bound.SQL, args, opts)
	release()
	if err != nil {
		return nil, err
	}
	if q.Keyed() && f.Truncated {
		// The rows past the limit may be any day's: a key's days would
		// combine without some of them.
		return nil, apperr.Invalid("settle (line %d): the table's days have more than %d rows together; leave settle out, or return fewer keys",
			q.Settle.Line, opts.MaxRows)
	}
	if o, ok := r.opts.Days.(DaysObserver); ok {
		o.DaysComputed(q.Name, slices.Clone(days))
	}
	out := make(map[time.Time]*frame.Frame, len(days))
	for _, d := range days {
		// Rows past the row limit may belong to any day of the statement.
		out[d] = &frame.Frame{Columns: f.Columns[1:], Rows: [][]any{}, Truncated: f.Truncated}
	}
	for _, row := range f.Rows {
		d, _ := row[0].(time.Time)
		d = Date(d)
		day := out[d]
		if day == nil {
			return nil, fmt.Errorf("a row of the day %v, which was not asked for", row[0])
		}
		if q.Series() && len(row) > 1 {
			// Rows of two days with the same day in them would be one row
			// of the range: the range's rows are its days' only when each
			// day's rows are of that day.
			if v, ok := row[1].(time.Time); ok && !v.Equal(d) {
				return nil, apperr.Invalid("settle (line %d): a daily series' rows are of the day they were computed for, but the day %s gave a row of %s",
					q.Settle.Line, d.Format(DateLayout), v.Format(DateLayout))
			}
		}
		day.Rows = append(day.Rows, row[1:])
	}
	return out, nil
}

// keepDays keeps the complete days before settled. A day that cannot be
// kept is computed again next time: the request does not fail for it.
func (r *Runner) keepDays(ctx context.Context, name, key string, settled time.Time, days map[time.Time]*frame.Frame) {
	keep := map[time.Time][]byte{}
	for d, f := range days {
		if !d.Before(settled) || f.Truncated {
			continue
		}
		if b, err := frame.Encode(f); err == nil {
			keep[d] = b
		}
	}
	if len(keep) > 0 {
		r.opts.Days.SaveQueryDays(ctx, name, key, keep)
	}
}

// combine puts the results of the days of a range together into the
// query's result for the range: a series' rows one day after the other,
// or one row whose every column combines as the query declares.
func combine(q *catalog.Query, days []*frame.Frame) (*frame.Frame, error) {
	// Days are shared by concurrent requests: describe writes the
	// result's columns.
	cols := slices.Clone(days[0].Columns)
	out := &frame.Frame{Columns: cols, Rows: [][]any{}}
	if q.Series() {
		if len(cols) == 0 || cols[0].Type != frame.Date {
			return nil, fmt.Errorf("a query with a settle window and no aggregate is a daily series: its first column must be the day, a date")
		}
		for _, f := range days {
			out.Rows = append(out.Rows, f.Rows...)
			out.Truncated = out.Truncated || f.Truncated
		}
		return out, nil
	}
	if q.Keyed() {
		return combineKeyed(q, out, days)
	}
	rows := make([][]any, len(days))
	for j, f := range days {
		if len(f.Rows) != 1 {
			return nil, fmt.Errorf("the query returned %d rows for a day; one with an aggregate and a settle window returns one row", len(f.Rows))
		}
		rows[j] = f.Rows[0]
	}
	row, err := combineRow(q, out, rows, days[0].FirstNumeric())
	if err != nil {
		return nil, err
	}
	out.Rows = append(out.Rows, row)
	return out, nil
}

// combineKeyed puts the days of a table together: one row per key, in
// the order the keys first appear day after day, each combining the rows
// of its days.
func combineKeyed(q *catalog.Query, out *frame.Frame, days []*frame.Frame) (*frame.Frame, error) {
	var key []int
	for _, name := range q.Key {
		i := out.Index(name)
		if i < 0 {
			return nil, fmt.Errorf("the query returns no column %q, which its key names", name)
		}
		key = append(key, i)
	}
	var order []string
	groups := map[string][][]any{}
	for _, f := range days {
		out.Truncated = out.Truncated || f.Truncated
		for _, row := range f.Rows {
			var b strings.Builder
			for _, i := range key {
				fmt.Fprintf(&b, "%T %v\x00", row[i], row[i])
			}
			k := b.String()
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], row)
		}
	}
	for _, k := range order {
		row, err := combineRow(q, out, groups[k], -1)
		if err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// combineRow combines the rows of one row of out's days: the value (at
// index value; -1 for a table) by the query's aggregate, its sample by
// sum, its spread pooled, key columns as the first day has them and every
// other column by what its "-- column:" line declares.
func combineRow(q *catalog.Query, out *frame.Frame, rows [][]any, value int) ([]any, error) {
	cols := out.Columns
	column := func(i int) []any {
		vals := make([]any, len(rows))
		for j, r := range rows {
			vals[j] = r[i]
		}
		return vals
	}
	index := func(name string) (int, error) {
		i := out.Index(name)
		if i < 0 {
			return 0, fmt.Errorf("the query returns no column %q", name)
		}
		return i, nil
	}
	row := make([]any, len(cols))
	for i, c := range cols {
		agg, weight := "", ""
		switch {
		case slices.Contains(q.Key, c.Name):
			row[i] = rows[0][i]
			continue
		case i == value:
			agg, weight = q.Metric.Aggregate, q.Metric.Sample
			if agg != catalog.Sum && agg != catalog.Last {
				agg = catalog.ColumnMean
			}
		case c.Name == q.Metric.Sample:
			agg = catalog.ColumnSum
		case c.Name == q.Metric.Spread && value >= 0:
			agg = "spread"
		default:
			if j := slices.IndexFunc(q.Columns, func(m catalog.ColumnMeta) bool { return m.Name == c.Name }); j >= 0 {
				agg, weight = q.Columns[j].Aggregate, q.Columns[j].Sample
			}
		}
		var err error
		switch agg {
		case catalog.ColumnSum:
			row[i], err = sum(c, column(i))
		case catalog.ColumnMean:
			var w int
			if w, err = index(weight); err == nil {
				row[i], _, err = weightedMean(c, column(i), column(w))
			}
		case catalog.ColumnMin, catalog.ColumnMax:
			row[i], err = extreme(c, column(i), agg == catalog.ColumnMax)
		case catalog.ColumnLast: // also catalog.Last, the value's
			row[i] = rows[len(rows)-1][i]
		case "spread":
			var n int
			if n, err = index(q.Metric.Sample); err == nil {
				row[i], err = pooledSpread(column(value), column(i), column(n))
			}
		default:
			err = fmt.Errorf("column %q does not say how its days combine: add -- column: %s aggregate=%s", c.Name, c.Name, strings.Join(catalog.ColumnAggregates, "|"))
		}
		if err != nil {
			return nil, err
		}
	}
	return row, nil
}

// sum adds up a column's days as SQL's sum does: NULL days add nothing,
// and all NULL is NULL.
func sum(c frame.Column, vals []any) (any, error) {
	var (
		ints  int64
		float float64
		any_  bool
	)
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			continue
		case int64:
			ints += x
		case float64:
			float += x
		default:
			return nil, fmt.Errorf("column %q is %s; only numbers add up", c.Name, c.Type)
		}
		any_ = true
	}
	switch {
	case !any_:
		return nil, nil
	case c.Type == frame.Integer:
		return ints, nil
	}
	return float + float64(ints), nil
}

// weightedMean is the mean of the days' values weighted by their samples
// (a rate, an average, an NPS of all the answers), with the total weight;
// NULL when no day has a value with a sample.
func weightedMean(c frame.Column, vals, weights []any) (any, float64, error) {
	if c.Type != frame.Number {
		return nil, 0, fmt.Errorf("column %q is %s; a mean of days is a number (cast it to float8)", c.Name, c.Type)
	}
	var total, n float64
	for i, v := range vals {
		x, ok := v.(float64)
		w, wok := frame.Float(weights[i])
		if !ok || !wok || w <= 0 {
			continue
		}
		total += w * x
		n += w
	}
	if n == 0 {
		return nil, 0, nil
	}
	return total / n, n, nil
}

// pooledSpread is the sample standard deviation of all the days' answers
// from each day's mean, standard deviation and count:
// ((Σ (nᵢ−1)sᵢ² + nᵢ(mᵢ−m)²) / (n−1))^½, NULL for fewer than two answers.
func pooledSpread(means, spreads, counts []any) (any, error) {
	var n, total float64
	for i, v := range means {
		m, ok := v.(float64)
		k, kok := frame.Float(counts[i])
		if ok && kok && k > 0 {
			n += k
			total += k * m
		}
	}
	if n < 2 {
		return nil, nil
	}
	mean := total / n
	var ss float64
	for i, v := range means {
		m, ok := v.(float64)
		k, kok := frame.Float(counts[i])
		if !ok || !kok || k <= 0 {
			continue
		}
		s, sok := frame.Float(spreads[i])
		if !sok {
			if k > 1 {
				return nil, nil // a day's spread unknown: so is the whole's
			}
			s = 0 // stddev_samp of one answer is NULL
		}
		ss += (k-1)*s*s + k*(m-mean)*(m-mean)
	}
	return math.Sqrt(ss / (n - 1)), nil
}

// extreme is the smallest or largest of the days' values, NULL days left
// out.
func extreme(c frame.Column, vals []any, largest bool) (any, error) {
	var best any
	for _, v := range vals {
		var order int
		switch x := v.(type) {
		case nil:
			continue
		case int64:
			if best != nil {
				order = cmp.Compare(x, best.(int64))
			}
		case float64:
			if best != nil {
				order = cmp.Compare(x, best.(float64))
			}
		case time.Time:
			if best != nil {
				order = x.Compare(best.(time.Time))
			}
		default:
			return nil, fmt.Errorf("column %q is %s; min and max combine numbers, dates and times", c.Name, c.Type)
		}
		if best == nil || (largest && order > 0) || (!largest && order < 0) {
			best = v
		}
	}
	return best, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
