// Package dashboard computes what a dashboard shows for one range and one
// set of filter values: every tile's value against the comparison period
// with its sparkline, and every panel's frame. The web page and the report
// both draw from the View it builds; a failing query fails only its own
// tile or panel.
package dashboard

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/query"
)

// Request says which view of a dashboard to build.
type Request struct {
	// Range is the range spec ("last_7_days", "2026-11-01..2026-11-07");
	// empty means the dashboard's default.
	Range string
	// Compare overrides the dashboard's comparison mode when set.
	Compare string
	// Params are filter values by parameter name.
	Params map[string]string
	// Refresh bypasses the query cache.
	Refresh bool
	// Until, when set, keeps the view's results until then (the morning's
	// precompute keeps them until the next morning).
	Until time.Time
	// MaxRows, when set, keeps fewer rows per query than the runner does
	// (web pages; CSV downloads and reports keep the runner's).
	MaxRows int
	// Visitor and Anonymous say who asks, for the runner's limits on
	// queries running at once (see query.Request).
	Visitor   string
	Anonymous bool
	// Today overrides the current business date (reports run "as of" a date).
	Today time.Time
	// Location overrides the business time zone.
	Location *time.Location
	// PanelRange, when set, is the range the panels show instead of the
	// view's range: a daily report's tiles cover yesterday while its charts
	// show the weeks around it.
	PanelRange string
	// Trend draws the time-series panels of a short range (under a week)
	// over the TrendDays days ending on its last day, with the range
	// marked: "yesterday" then reads as a day in its trend, not one dot.
	// Panels whose x is not a date keep the chosen range.
	Trend bool
}

// View is a dashboard computed for one request.
type View struct {
	Dashboard    *catalog.Dashboard
	RangeSpec    string
	Range        query.Range
	Compare      string
	CompareRange query.Range
	PanelRange   query.Range // what the panels show; usually Range
	HasCompare   bool
	Filters      []FilterView
	Params       map[string]string // every filter's effective value
	Tiles        []TileView
	Panels       []PanelView
	Location     *time.Location
	// Events are the events overlapping the days the view's panels show;
	// EventsErr says why some could not be read.
	Events    []Annotation
	EventsErr error

	// expiry is the earliest time a cached result the view was built from
	// runs out; zero while some result was not cached at all.
	expiryMu    sync.Mutex
	expiry      time.Time
	uncached    bool
	asOf        time.Time
	unreachable bool
}

// noteResult records the cache life and the age of one result the view
// shows.
func (v *View) noteResult(res *query.Result) {
	v.expiryMu.Lock()
	if !res.ComputedAt.IsZero() && (v.asOf.IsZero() || res.ComputedAt.Before(v.asOf)) {
		v.asOf = res.ComputedAt
	}
	v.unreachable = v.unreachable || res.Unreachable
	v.expiryMu.Unlock()
	v.noteExpiry(res)
}

// noteExpiry records the cache life of one result the view uses.
func (v *View) noteExpiry(res *query.Result) {
	v.expiryMu.Lock()
	defer v.expiryMu.Unlock()
	switch {
	case res.Expires.IsZero():
		v.uncached = true
	case v.expiry.IsZero() || res.Expires.Before(v.expiry):
		v.expiry = res.Expires
	}
}

// Reusable says until when the view may be shown again as it is: as long
// as every result it was built from is still cached. ok is false for a
// view with an error anywhere or built from a result that was not cached.
func (v *View) Reusable() (until time.Time, ok bool) {
	v.expiryMu.Lock()
	defer v.expiryMu.Unlock()
	if v.uncached || v.expiry.IsZero() {
		return time.Time{}, false
	}
	for _, f := range v.Filters {
		if f.Err != nil {
			return time.Time{}, false
		}
	}
	for _, t := range v.Tiles {
		if t.Err != nil {
			return time.Time{}, false
		}
	}
	for _, p := range v.Panels {
		if p.Err != nil {
			return time.Time{}, false
		}
	}
	return v.expiry, true
}

// AsOf is when the oldest result the view shows was computed (a morning's
// precompute, a result kept while its query is recomputed); zero when no
// result had a time.
func (v *View) AsOf() time.Time {
	v.expiryMu.Lock()
	defer v.expiryMu.Unlock()
	return v.asOf
}

// Unreachable says that some of the view's results are the last ones
// computed before the data database stopped answering.
func (v *View) Unreachable() bool {
	v.expiryMu.Lock()
	defer v.expiryMu.Unlock()
	return v.unreachable
}

// FilterView is a filter with its options and current value.
type FilterView struct {
	catalog.Filter
	Options []string
	Value   string
	Err     error // options_query failed
}

// TileView is a KPI tile's numbers.
type TileView struct {
	catalog.Tile
	Query       *catalog.Query
	Value       float64
	HasValue    bool
	Previous    float64
	HasPrevious bool
	// Cur and Prev are the two periods as the metric model weighs them:
	// value, length, sample and spread.
	Cur, Prev catalog.Point
	// Ignores are the filters set to something other than their default
	// that the tile's query does not take: its number is for all of them.
	Ignores []FilterView
	// Watched reports whether an alert rule watches the tile.
	Watched bool
	Spark   []float64
	Err     error
}

// metric is the tile's query's metric model.
func (t TileView) metric() catalog.Metric {
	if t.Query == nil {
		return catalog.Metric{}
	}
	return t.Query.Metric
}

// Change weighs the value against the comparison period's; ok is false
// without both values.
func (t TileView) Change() (catalog.Change, bool) {
	if !t.HasValue || !t.HasPrevious {
		return catalog.Change{}, false
	}
	cur, prev := t.Cur, t.Prev
	cur.Value, prev.Value = t.Value, t.Previous
	if t.Query != nil {
		cur.Unit, prev.Unit = t.Query.Unit, t.Query.Unit
	}
	return t.metric().Compare(cur, prev), true
}

// PerDay reports whether the change compares daily averages rather than
// the values shown: a sum over periods of different lengths (a month so
// far against the whole month before).
func (t TileView) PerDay() bool {
	return t.metric().Aggregate == catalog.Sum && t.Cur.Days > 0 && t.Prev.Days > 0 && t.Cur.Days != t.Prev.Days
}

// Delta is the change against the comparison period: pct is the relative
// change for sums and plain counts, and 0 where a percent change means
// nothing (rates, scores, NPS) or the previous value was 0.
func (t TileView) Delta() (abs, pct float64, ok bool) {
	c, ok := t.Change()
	return c.Abs, c.Pct, ok
}

// TooThin reports whether the value rests on fewer answers than its
// query's minimum sample: it is then not shown as a number.
func (t TileView) TooThin() bool {
	min := t.metric().MinimumSample()
	return t.HasValue && min > 0 && t.Cur.Sample < float64(min)
}

// WithinNoise reports whether the change is no larger than its sampling
// noise: it is then shown in a neutral colour and never highlighted.
func (t TileView) WithinNoise() bool {
	c, ok := t.Change()
	return ok && c.Tested && !c.Real
}

// Untested reports whether the value moved and its metric model cannot
// tell that move from noise (a plain value, a median, a level): it is then
// shown in a neutral colour, saying it may be normal variation.
func (t TileView) Untested() bool {
	c, ok := t.Change()
	return ok && c.Abs != 0 && !c.Tested
}

// Tone says whether the change is good, bad or neutral given the query's
// "better" direction. Only a move larger than its noise is coloured: one
// within it, one the model cannot test, or one from a sample too thin to
// show is neutral.
func (t TileView) Tone() string {
	c, ok := t.Change()
	if !ok || c.Abs == 0 || !c.Tested || t.Query == nil || t.Query.Better == "" || t.WithinNoise() || t.TooThin() || t.Prev.Sample > 0 && t.prevTooThin() {
		return "neutral"
	}
	if (c.Abs > 0) == (t.Query.Better == "higher") {
		return "good"
	}
	return "bad"
}

func (t TileView) prevTooThin() bool {
	min := t.metric().MinimumSample()
	return min > 0 && t.Prev.Sample < float64(min)
}

// OnTarget reports the target status: met is meaningful only when has is true.
func (t TileView) OnTarget() (met, has bool) {
	if t.Target == nil || !t.HasValue || t.Query == nil {
		return false, false
	}
	if t.Query.Better == "lower" {
		return t.Value <= *t.Target, true
	}
	return t.Value >= *t.Target, true
}

// Annotation is an event drawn on a view's charts and listed with it: a
// day or a span of days (To is the last day, inclusive) with a title.
type Annotation struct {
	From, To                time.Time
	Title, Team, Note, Link string
}

// TrendDays is the trend window of a short range's time-series panels.
const TrendDays = 28

// PanelView is a panel's result.
type PanelView struct {
	catalog.Panel
	Query *catalog.Query
	Frame *frame.Frame
	Err   error
	// Range is what the panel shows; Marked, when set, is the view's own
	// range inside a longer trend window, to be shaded.
	Range  query.Range
	Marked *query.Range
	// AsOf, when set, is when the result shown was computed: an earlier
	// result of a query refreshed in the background, while a newer one is
	// computed.
	AsOf time.Time
	// Unreachable says why: the data database cannot be reached now.
	Unreachable bool
	// Ignores are the active filters the panel's query does not take.
	Ignores []FilterView
}

// ignored lists the filters set away from their default that q does not
// declare a parameter for.
func (v *View) ignored(q *catalog.Query, defaults map[string]string) []FilterView {
	if q == nil {
		return nil
	}
	var out []FilterView
	for _, f := range v.Filters {
		if _, takes := q.Param(f.Param); !takes && f.Value != defaults[f.Param] {
			out = append(out, f)
		}
	}
	return out
}

// Builder builds views from one catalog with one runner.
type Builder struct {
	Catalog *catalog.Catalog
	Runner  *query.Runner
	// Parallel bounds the queries in flight for one view; default 4.
	Parallel int
	// Events, when set, returns the events of a dashboard that overlap a
	// range (stored and from the user's data); the view keeps those of the
	// days its panels show.
	Events func(ctx context.Context, dashboard string, r query.Range) ([]Annotation, error)
}

// sparkPoints is the most points a tile's sparkline has: the KPI computed
// for that many equal slices of the range (in one query).
const sparkPoints = 14

// Build computes the view. Query failures are recorded in their tile or
// panel; only an invalid request (unknown range, bad filter value) fails.
func (b *Builder) Build(ctx context.Context, d *catalog.Dashboard, req Request) (*View, error) {
	loc := b.Runner.Location()
	if req.Location != nil {
		loc = req.Location
	}
	today := req.Today
	if today.IsZero() {
		today = query.Today(time.Now(), loc)
	}
	spec := req.Range
	if spec == "" {
		spec = d.Range
	}
	rng, err := query.ParseRange(spec, today)
	if err != nil {
		return nil, err
	}
	if err := b.Runner.CheckRange(rng); err != nil {
		return nil, err
	}
	mode := d.Compare
	if req.Compare != "" {
		mode = req.Compare
	}
	cmp, hasCmp, err := rng.Compare(mode)
	if err != nil {
		return nil, apperr.Invalid("%v", err)
	}
	v := &View{
		Dashboard: d, RangeSpec: spec, Range: rng, Compare: mode, CompareRange: cmp, HasCompare: hasCmp,
		Params: map[string]string{}, Location: loc,
	}
	v.PanelRange = rng
	if req.PanelRange != "" {
		if v.PanelRange, err = query.ParseRange(req.PanelRange, today); err != nil {
			return nil, err
		}
		if err := b.Runner.CheckRange(v.PanelRange); err != nil {
			return nil, err
		}
	}
	if err := b.filters(ctx, v, req); err != nil {
		return nil, err
	}

	parallel := b.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	result := func(name string, r query.Range) (*query.Result, error) {
		q, ok := b.Catalog.Queries[name]
		if !ok {
			return nil, apperr.NotFound("no query %q", name)
		}
		res, err := b.Runner.Run(gctx, q, query.Request{Range: r, Params: v.Params, Refresh: req.Refresh, Until: req.Until, Location: loc,
			MaxRows: req.MaxRows, Visitor: req.Visitor, Anonymous: req.Anonymous})
		if err != nil {
			v.noteResult(&query.Result{})
			return nil, err
		}
		v.noteResult(res)
		return res, nil
	}
	// sliced is result for a query computed once per slice, in one query.
	sliced := func(name string, slices []query.Range) (*query.Result, error) {
		q, ok := b.Catalog.Queries[name]
		if !ok {
			return nil, apperr.NotFound("no query %q", name)
		}
		whole := query.Range{From: slices[0].From, To: slices[len(slices)-1].To}
		res, err := b.Runner.Run(gctx, q, query.Request{Range: whole, Params: v.Params, Refresh: req.Refresh, Until: req.Until, Location: loc,
			Visitor: req.Visitor, Anonymous: req.Anonymous, Slices: slices})
		if err != nil {
			return nil, err
		}
		v.noteResult(res)
		return res, nil
	}
	run := func(name string, r query.Range) (*frame.Frame, error) {
		res, err := result(name, r)
		if err != nil {
			return nil, err
		}
		return res.Frame, nil
	}
	// panelRun is run for a panel, noting the age of a result shown while
	// a newer one is computed.
	panelRun := func(pv *PanelView, r query.Range) {
		res, err := result(pv.Panel.Query, r)
		pv.Frame, pv.Err, pv.AsOf, pv.Unreachable = nil, err, time.Time{}, false
		if err == nil {
			pv.Frame = res.Frame
			if res.Stale {
				pv.AsOf, pv.Unreachable = res.ComputedAt, res.Unreachable
			}
		}
	}

	// Goroutines below write disjoint fields and slice elements; g.Wait
	// orders those writes before the view is read.
	defaults := map[string]string{}
	for _, f := range d.Filters {
		defaults[f.Param] = defaultValue(b.Catalog, d, f)
	}
	v.Tiles = make([]TileView, len(d.Tiles))
	for i, t := range d.Tiles {
		tv := &v.Tiles[i]
		tv.Tile, tv.Query = t, b.Catalog.Queries[t.Query]
		tv.Ignores = v.ignored(tv.Query, defaults)
		for _, a := range b.Catalog.Alerts {
			if a.Dashboard == d.Name && a.Tile == t.Query {
				tv.Watched = true
			}
		}
		g.Go(func() error {
			f, err := run(t.Query, rng)
			if err == nil {
				tv.Cur, tv.HasValue, err = kpiPoint(f, tv.Query, rng)
				tv.Value = tv.Cur.Value
			}
			tv.Err = err
			return nil
		})
		if hasCmp {
			g.Go(func() error {
				if f, err := run(t.Query, cmp); err == nil {
					tv.Prev, tv.HasPrevious, _ = kpiPoint(f, tv.Query, cmp)
					tv.Previous = tv.Prev.Value
				}
				return nil
			})
		}
		g.Go(func() error {
			// One query for the whole sparkline: the KPI computed for
			// each slice of the range in one round trip.
			slices := SparkSlices(rng)
			res, err := sliced(t.Query, slices)
			if err != nil {
				return nil
			}
			tv.Spark = SliceValues(res.Frame, slices)
			return nil
		})
	}

	trend := req.Trend && req.PanelRange == "" && rng.Days() < 7
	v.Panels = make([]PanelView, len(d.Panels))
	for i, p := range d.Panels {
		pv := &v.Panels[i]
		pv.Panel, pv.Query = p, b.Catalog.Queries[p.Query]
		pv.Ignores = v.ignored(pv.Query, defaults)
		g.Go(func() error {
			pv.Range = v.PanelRange
			if trend {
				window := query.Range{From: rng.To.AddDate(0, 0, -TrendDays), To: rng.To}
				panelRun(pv, window)
				if pv.Err == nil && isTimeSeries(p, pv.Frame) {
					pv.Range, pv.Marked = window, &rng
					return checkColumnsInto(p, pv)
				}
			}
			panelRun(pv, v.PanelRange)
			return checkColumnsInto(p, pv)
		})
	}
	g.Wait()
	if b.Events != nil {
		window := v.PanelRange
		for _, p := range v.Panels {
			if p.Range.From.Before(window.From) {
				window.From = p.Range.From
			}
			if p.Range.To.After(window.To) {
				window.To = p.Range.To
			}
		}
		v.Events, v.EventsErr = b.Events(ctx, d.Name, window)
	}
	return v, ctx.Err()
}

// filters resolves every filter's options and value; a value that is not
// among a filter's options is an error, so a URL cannot bind arbitrary text.
func (b *Builder) filters(ctx context.Context, v *View, req Request) error {
	for _, f := range v.Dashboard.Filters {
		fv := FilterView{Filter: f, Options: f.Options}
		fv.Value = defaultValue(b.Catalog, v.Dashboard, f)
		if f.OptionsQuery != "" {
			fv.Options, fv.Err = b.options(ctx, v, f.OptionsQuery, req)
			// The parameter's default ("all") is an option even when the
			// options query does not return it.
			if fv.Err == nil && fv.Value != "" && !contains(fv.Options, fv.Value) {
				fv.Options = append([]string{fv.Value}, fv.Options...)
			}
		}
		if raw, ok := req.Params[f.Param]; ok && raw != "" {
			if fv.Err == nil && len(fv.Options) > 0 && !contains(fv.Options, raw) {
				return apperr.Invalid("%s", optionError(f, raw, fv.Options))
			}
			fv.Value = raw
		}
		v.Params[f.Param] = fv.Value
		v.Filters = append(v.Filters, fv)
	}
	return nil
}

// optionError says that raw is none of a filter's options, which one it
// may be a misspelling of, and what they are (the first dozen).
func optionError(f catalog.Filter, raw string, options []string) string {
	label := f.Label
	if label == "" {
		label = f.Param
	}
	msg := fmt.Sprintf("filter %q: %q is not one of its options", label, raw)
	if s := catalog.Closest(raw, options); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	shown := options[:min(len(options), 12)]
	msg += ": " + strings.Join(shown, ", ")
	if len(options) > len(shown) {
		msg += fmt.Sprintf(" and %d more", len(options)-len(shown))
	}
	return msg
}

func (b *Builder) options(ctx context.Context, v *View, name string, req Request) ([]string, error) {
	q, ok := b.Catalog.Queries[name]
	if !ok {
		return nil, apperr.NotFound("no query %q", name)
	}
	res, err := b.Runner.Run(ctx, q, query.Request{Range: query.Range{From: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), To: b.Runner.Today()},
		Refresh: req.Refresh, Until: req.Until})
	if err != nil {
		return nil, err
	}
	v.noteExpiry(res) // a filter's options say nothing of the numbers' age
	opts := make([]string, 0, len(res.Frame.Rows))
	for _, row := range res.Frame.Rows {
		if len(row) > 0 && row[0] != nil {
			opts = append(opts, frame.Format(row[0], res.Frame.Columns[0].Type))
		}
	}
	return opts, nil
}

// defaultValue is the filter's starting value: the default of the parameter
// in the first query that declares it, else the first option.
func defaultValue(c *catalog.Catalog, d *catalog.Dashboard, f catalog.Filter) string {
	for _, name := range d.UsedQueries() {
		if q, ok := c.Queries[name]; ok {
			if p, ok := q.Param(f.Param); ok {
				return p.DefaultText
			}
		}
	}
	if len(f.Options) > 0 {
		return f.Options[0]
	}
	return ""
}

// KPIPoint reads a KPI query's result as the metric model weighs it: the
// value (KPIValue) with the period's length, and the sample and spread
// columns the query names. Alert rules read their tiles with it too.
func KPIPoint(f *frame.Frame, q *catalog.Query, r query.Range) (catalog.Point, bool, error) {
	return kpiPoint(f, q, r)
}

func kpiPoint(f *frame.Frame, q *catalog.Query, r query.Range) (catalog.Point, bool, error) {
	v, ok, err := KPIValue(f)
	p := catalog.Point{Value: v, Days: r.Days()}
	if q == nil || !ok {
		return p, ok, err
	}
	p.Unit = q.Unit
	cell := func(name string) float64 {
		if i := f.Index(name); i >= 0 && len(f.Rows) > 0 {
			x, _ := frame.Float(f.Rows[0][i])
			return x
		}
		return 0
	}
	if q.Metric.Sample != "" {
		p.Sample = cell(q.Metric.Sample)
	}
	if q.Metric.Spread != "" {
		p.Spread = cell(q.Metric.Spread)
	}
	return p, ok, err
}

// KPIValue is the number a KPI query returns: its first row's "value"
// column, else its first numeric column.
func KPIValue(f *frame.Frame) (float64, bool, error) {
	i := f.FirstNumeric()
	if i < 0 {
		return 0, false, fmt.Errorf("no numeric column (has: %v)", f.Names())
	}
	if c := f.Columns[i]; !c.Type.Numeric() {
		// A text or date "value" is not shown as no data.
		return 0, false, fmt.Errorf("column %s is %s, not a number", c.Name, c.Type)
	}
	if len(f.Rows) == 0 {
		return 0, false, nil
	}
	v, ok := frame.Float(f.Rows[0][i])
	return v, ok, nil
}

// SliceValues reads a sliced frame (its first column a slice's first day)
// as one value per slice, oldest first; NaN for a slice without a value.
func SliceValues(f *frame.Frame, slices []query.Range) []float64 {
	out := make([]float64, len(slices))
	for i := range out {
		out[i] = math.NaN()
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
			if val, ok, _ := KPIValue(one); ok {
				out[i] = val
			}
			break
		}
	}
	return out
}

// SparkSlices splits the range into at most sparkPoints equal slices of
// whole days, oldest first. A range shorter than sparkPoints days is
// widened to end at the same day, so "yesterday" still has a trend.
func SparkSlices(r query.Range) []query.Range {
	if r.Days() < sparkPoints {
		r.From = r.To.AddDate(0, 0, -sparkPoints)
	}
	days := r.Days()
	n := min(days, sparkPoints)
	if n <= 1 {
		return []query.Range{r}
	}
	out := make([]query.Range, 0, n)
	for i := range n {
		from := r.From.AddDate(0, 0, i*days/n)
		to := r.From.AddDate(0, 0, (i+1)*days/n)
		out = append(out, query.Range{From: from, To: to})
	}
	return out
}

// checkColumnsInto records a missing column as the panel's error.
func checkColumnsInto(p catalog.Panel, pv *PanelView) error {
	if pv.Err == nil {
		pv.Err = checkColumns(p, pv.Frame)
	}
	return nil
}

// isTimeSeries reports whether a panel's x column holds dates or times.
func isTimeSeries(p catalog.Panel, f *frame.Frame) bool {
	i := f.Index(p.X)
	return p.X != "" && i >= 0 && (f.Columns[i].Type == frame.Date || f.Columns[i].Type == frame.Time)
}

// checkColumns makes sure the frame has every column the panel names.
func checkColumns(p catalog.Panel, f *frame.Frame) error {
	want := append([]string{}, p.Y...)
	for _, c := range []string{p.X, p.Series, p.Value} {
		if c != "" {
			want = append(want, c)
		}
	}
	want = append(want, p.Columns...)
	if missing := f.MissingColumns(want...); len(missing) > 0 {
		return apperr.Invalid("panel %q: query %s returned no column %q (it has: %v)", p.Title, p.Query, missing[0], f.Names())
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
