// Package query runs catalog queries: it resolves parameters (built-in range
// dates, declared defaults, values from a filter or the command line), binds
// them as arguments, runs the statement read-only in the business time zone
// and caches the resulting frame.
package query

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/warehouse"
)

// Options configure a Runner.
type Options struct {
	Location *time.Location // business time zone
	Timeout  time.Duration  // statement timeout
	MaxRows  int
	CacheTTL time.Duration // 0 disables the cache
	// CacheBytes bounds the memory of cached results; default 256 MiB.
	CacheBytes int64
	// MaxRangeDays is the longest range a view or a command asks for;
	// default 1096 (three years), negative: no limit.
	MaxRangeDays int
	// Limits bound the queries running at once.
	Limits Limits
	// AheadTimeout is the statement timeout of work done ahead of its
	// readers (a request with Until: the morning's precompute), which
	// nobody waits for; default 10 minutes, never below Timeout.
	AheadTimeout time.Duration
	// BackgroundWait is how long a page waits for the first result of a
	// query refreshed in the background before it is told the result is on
	// its way; default 10s.
	BackgroundWait time.Duration
	// Observe, when set, is told about every run (for metrics).
	Observe func(query string, took time.Duration, cached bool, err error)
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Results, when set, keeps results beyond this process (opsboard's
	// store): replicas share them, a restart starts warm, and a result
	// whose database has gone away can still be shown with its age.
	Results ResultStore
	// Days, when set, keeps the results of settled days of queries with a
	// settle window (opsboard's store): only their new and unsettled days
	// are computed (daily.go).
	Days DayStore
}

// ResultStore keeps encoded results (frame.Encode) by cache key.
// *store.Store is one.
type ResultStore interface {
	LoadResult(ctx context.Context, key string) (*store.StoredResult, error)
	SaveResult(ctx context.Context, key, query string, frame []byte, computed, expires time.Time) error
}

// Runner runs queries against the warehouse. One runner serves a whole
// process (the web, the reports, the scheduler), so its cache and its
// limits hold for all of them.
type Runner struct {
	db    *warehouse.Warehouse
	opts  Options
	cache *cache
	gate  *gate

	mu      sync.Mutex
	flights map[string]*flight
}

// NewRunner returns a runner over db.
func NewRunner(db *warehouse.Warehouse, opts Options) *Runner {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 256 << 20
	}
	if opts.MaxRangeDays == 0 {
		opts.MaxRangeDays = 1096
	}
	if opts.BackgroundWait <= 0 {
		opts.BackgroundWait = 10 * time.Second
	}
	if opts.AheadTimeout <= 0 {
		opts.AheadTimeout = 10 * time.Minute
	}
	if opts.Timeout > 0 && opts.AheadTimeout < opts.Timeout {
		opts.AheadTimeout = opts.Timeout
	}
	return &Runner{db: db, opts: opts, cache: newCache(opts.CacheBytes), gate: newGate(opts.Limits), flights: map[string]*flight{}}
}

// Request is one run of a query.
type Request struct {
	Range Range
	// Params are raw values by name (from a URL, a filter, -p k=v).
	Params map[string]string
	// Strict makes a value for a parameter the query does not declare an
	// error; dashboards pass their filters to every query and leave it off.
	Strict bool
	// Refresh bypasses the cache.
	Refresh bool
	// Explain runs EXPLAIN instead of the query (validation).
	Explain bool
	// Probe returns the result columns without rows (validation).
	Probe bool
	// Location overrides the runner's business time zone (a report with a
	// time zone of its own).
	Location *time.Location
	// MaxRows, when set below the runner's, keeps fewer rows (web pages).
	MaxRows int
	// Visitor names who asks (an account, an address, a share link), for
	// the per-visitor limit; "" for the scheduler and commands.
	Visitor string
	// Anonymous marks a share-link visitor: all of them together get only
	// Limits.Anonymous queries at once.
	Anonymous bool
	// Until, when set, keeps the result until then rather than for the
	// runner's time to live, and takes a cached result only when it is
	// kept as long: the morning's precomputed views last until the next
	// morning, and a query that several of them share is computed once.
	// Such work is done ahead of its readers: it waits for queries
	// refreshed in the background and runs under Options.AheadTimeout.
	Until time.Time
	// Slices computes the query once per slice (sub-ranges of Range), in
	// one round trip (catalog.Bound.Sliced): the frame's first column is
	// the slice's first day (its last day for a statement of :day alone).
	Slices []Range
}

// Result is a query's frame with how it was obtained.
type Result struct {
	Frame  *frame.Frame
	Args   map[string]any // the values bound, by parameter name
	Cached bool
	Took   time.Duration
	// Expires is when the cached copy of this result runs out; zero when
	// the result is not cached (caching off, Explain, Probe, too large).
	Expires time.Time
	// ComputedAt is when the result was computed; Stale says it is an
	// expired result shown past its life: of a query refreshed in the
	// background while a new one is computed, or (Unreachable) because the
	// data database cannot be reached now.
	ComputedAt  time.Time
	Stale       bool
	Unreachable bool
}

// Now is the runner's clock (time.Now unless a test sets Options.Now).
func (r *Runner) Now() time.Time { return r.opts.Now() }

// Today is the current business date.
func (r *Runner) Today() time.Time { return Today(r.opts.Now(), r.opts.Location) }

// Location is the business time zone.
func (r *Runner) Location() *time.Location { return r.opts.Location }

// Values resolves the parameter values a request binds for q: built-ins,
// then declared parameters from the request or their defaults.
func Values(q *catalog.Query, req Request) (map[string]any, error) {
	values := map[string]any{
		"from": req.Range.From,
		"to":   req.Range.To,
		"day":  req.Range.Day(),
	}
	for _, p := range q.Params {
		values[p.Name] = p.Default
		if raw, ok := req.Params[p.Name]; ok {
			v, err := p.Parse(raw)
			if err != nil {
				return nil, apperr.Invalid("%s: %v", q.Name, err)
			}
			values[p.Name] = v
		}
	}
	if req.Strict {
		for name := range req.Params {
			if _, ok := values[name]; !ok || isBuiltin(name) {
				return nil, apperr.Invalid("%s has no parameter %q (it has: %s)", q.Name, name, paramNames(q))
			}
		}
	}
	return values, nil
}

// CheckRange refuses a range longer than the runner allows, in words.
// Whoever turns a visitor's or a definition's range spec into a Range
// calls it (dashboards, reports, the query command); Run does not, so
// that a filter's options can still be read over all time.
func (r *Runner) CheckRange(rng Range) error {
	if max := r.opts.MaxRangeDays; max > 0 && rng.Days() > max {
		return apperr.Invalid("the range %s is %d days long; opsboard answers ranges of at most %d days (about %d years)",
			rng, rng.Days(), max, max/365)
	}
	return nil
}

// Run runs q for the request.
func (r *Runner) Run(ctx context.Context, q *catalog.Query, req Request) (*Result, error) {
	req.Range = req.Range.dates()
	req.Slices = datesOf(req.Slices)
	values, err := Values(q, req)
	if err != nil {
		return nil, err
	}
	bound, err := boundFor(q, req, values)
	if err != nil {
		return nil, err
	}
	args, err := bound.Args(values)
	if err != nil {
		return nil, apperr.Invalid("%s: %v", q.Name, err)
	}
	loc := r.opts.Location
	if req.Location != nil {
		loc = req.Location
	}
	opts := warehouse.RunOptions{
		Timeout:  r.timeout(req),
		TimeZone: loc.String(),
		MaxRows:  r.opts.MaxRows,
		Explain:  req.Explain,
		Probe:    req.Probe,
	}
	if req.MaxRows > 0 && (opts.MaxRows <= 0 || req.MaxRows < opts.MaxRows) {
		opts.MaxRows = req.MaxRows
	}
	run := func(ctx context.Context) (*frame.Frame, error) {
		if r.daily(q, req) {
			f, err := r.runDaily(ctx, q, req, values, opts.MaxRows)
			if !errors.Is(err, errCold) {
				return f, err
			}
		}
		release, err := r.gate.enter(ctx, req.Visitor, req.Anonymous)
		if err != nil {
			return nil, err
		}
		defer release()
		f, err := r.db.Query(ctx, bound.SQL, args, opts)
		if err == nil {
			if len(req.Slices) > 0 && !req.Explain {
				// UNION ALL's branches may come back in any order, even
				// interleaved (PostgreSQL runs them in parallel), but
				// each branch keeps its own rows' order.
				slices.SortStableFunc(f.Rows, func(a, b []any) int {
					x, _ := a[0].(time.Time)
					y, _ := b[0].(time.Time)
					return x.Compare(y)
				})
			}
			describe(f, q)
		}
		return f, err
	}
	if req.Explain || req.Probe || r.opts.CacheTTL <= 0 {
		start := time.Now()
		f, err := run(ctx)
		r.observe(q.Name, time.Since(start), false, err)
		if err != nil {
			return nil, queryError(q, err)
		}
		return &Result{Frame: f, Args: values, Took: time.Since(start)}, nil
	}

	key := cacheKey(q, bound.SQL, args, loc, opts.MaxRows)
	if !req.Refresh {
		r.recall(ctx, key)
		if f, expires, computed, ok := r.cache.get(key, r.opts.Now()); ok && (req.Until.IsZero() || !expires.Before(req.Until)) {
			r.observe(q.Name, 0, true, nil)
			return &Result{Frame: f, Args: values, Cached: true, Expires: expires, ComputedAt: computed}, nil
		}
	}
	// Identical concurrent requests (a dashboard opened by ten people at
	// 9:00) share one database round trip.
	compute := func(ctx context.Context) (*frame.Frame, time.Time, error) {
		f, err := run(ctx)
		if err != nil {
			return nil, time.Time{}, err
		}
		now := r.opts.Now()
		expires := now.Add(r.ttl(q, req.Range))
		if !req.Until.IsZero() {
			expires = req.Until
		}
		if !r.cache.put(key, f, expires, now) {
			return f, time.Time{}, nil
		}
		r.keep(ctx, key, q.Name, f, now, expires)
		return f, expires, nil
	}
	if q.Background && !req.Refresh && req.Until.IsZero() {
		res, err := r.background(ctx, q, key, values, compute)
		if err != nil {
			return r.lastKnown(ctx, q, key, values, err)
		}
		return res, nil
	}
	start := time.Now()
	f, expires, err := r.share(ctx, key, req.Refresh, compute)
	took := time.Since(start)
	r.observe(q.Name, took, false, err)
	if err != nil {
		if !req.Until.IsZero() {
			// Work done ahead of readers fails rather than keeping an
			// old result for another day.
			return nil, queryError(q, err)
		}
		return r.lastKnown(ctx, q, key, values, err)
	}
	now := r.opts.Now()
	if !req.Until.IsZero() && !expires.IsZero() && expires.Before(req.Until) {
		// Joined a page's run of the same query, kept for the page's time
		// to live: kept until the morning's time instead.
		if r.cache.put(key, f, req.Until, now) {
			expires = req.Until
			r.keep(ctx, key, q.Name, f, now, expires)
		}
	}
	return &Result{Frame: f, Args: values, Took: took, Expires: expires, ComputedAt: now}, nil
}

// background serves a query declared "-- refresh: background" (cohorts,
// churn over the whole history): an expired result is shown at once, with
// its age, while a fresh one is computed; with no result yet, the caller
// waits at most Options.BackgroundWait and the computation goes on
// without it.
func (r *Runner) background(ctx context.Context, q *catalog.Query, key string, values map[string]any,
	compute func(context.Context) (*frame.Frame, time.Time, error)) (*Result, error) {
	if f, expires, computed, ok := r.cache.stale(key); ok {
		// A flight of its own, detached from this request: nobody waits.
		go r.share(context.WithoutCancel(ctx), key, false, compute)
		r.observe(q.Name, 0, true, nil)
		return &Result{Frame: f, Args: values, Cached: true, Stale: true, ComputedAt: computed, Expires: expires}, nil
	}
	start := time.Now()
	wait, cancel := context.WithTimeout(ctx, r.opts.BackgroundWait)
	defer cancel()
	go r.share(context.WithoutCancel(ctx), key, false, compute) // goes on when this caller stops waiting
	f, expires, err := r.share(wait, key, false, compute)
	r.observe(q.Name, time.Since(start), false, err)
	switch {
	case err == nil:
		return &Result{Frame: f, Args: values, Took: time.Since(start), Expires: expires, ComputedAt: r.opts.Now()}, nil
	case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		return nil, apperr.Unavailable("it reads the whole history and is still being computed; it will show when you reload in a moment")
	}
	return nil, err
}

// boundFor is the statement a request runs: the query's, or its sliced
// form (catalog.Bound.Sliced) with each slice's dates added to values.
func boundFor(q *catalog.Query, req Request, values map[string]any) (*catalog.Bound, error) {
	if len(req.Slices) == 0 {
		return q.Bound, nil
	}
	bound := q.Bound.Sliced(len(req.Slices))
	if bound == nil {
		return nil, apperr.Invalid("%s does not use the range, so it has no value per slice", q.Name)
	}
	for i, s := range req.Slices {
		values[catalog.SliceFrom(i)], values[catalog.SliceTo(i)], values[catalog.SliceDay(i)] = s.From, s.To, s.Day()
	}
	return bound, nil
}

// BoundFor is the statement and arguments a request runs (tools measure
// the same SQL the runner sends).
func BoundFor(q *catalog.Query, req Request) (*catalog.Bound, []any, error) {
	req.Range = req.Range.dates()
	req.Slices = datesOf(req.Slices)
	values, err := Values(q, req)
	if err != nil {
		return nil, nil, err
	}
	bound, err := boundFor(q, req, values)
	if err != nil {
		return nil, nil, err
	}
	args, err := bound.Args(values)
	return bound, args, err
}

// describe writes what the query declares about its columns into the
// frame, before anyone shares it: each "-- column:" line's unit, label and
// format, and the query's unit for the measured value (the "value" column,
// else the first numeric one) when that column declares none. Other
// columns never inherit the query's unit.
func describe(f *frame.Frame, q *catalog.Query) {
	for _, c := range q.Columns {
		if i := f.Index(c.Name); i >= 0 {
			f.Columns[i].Unit, f.Columns[i].Label, f.Columns[i].Format = c.Unit, c.Label, c.Format
		}
	}
	if i := f.FirstNumeric(); i >= 0 && f.Columns[i].Unit == "" {
		f.Columns[i].Unit = q.Unit
	}
}

// flight is one database run that identical requests wait for together.
// It runs on a context of its own, cancelled only when every caller
// waiting for it has gone: one caller's closed tab fails nobody else.
type flight struct {
	done    chan struct{}
	frame   *frame.Frame
	expires time.Time
	err     error
	waiters int
	cancel  context.CancelFunc
}

// share runs fn once for all concurrent callers of key. A refresh never
// joins a run that started before it asked.
func (r *Runner) share(ctx context.Context, key string, refresh bool,
	fn func(context.Context) (*frame.Frame, time.Time, error)) (*frame.Frame, time.Time, error) {
	r.mu.Lock()
	fl, ok := r.flights[key]
	if !ok || refresh {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		fl = &flight{done: make(chan struct{}), cancel: cancel}
		r.flights[key] = fl
		go func() {
			defer cancel()
			f, expires, err := fn(fctx)
			r.mu.Lock()
			if r.flights[key] == fl {
				delete(r.flights, key)
			}
			r.mu.Unlock()
			fl.frame, fl.expires, fl.err = f, expires, err
			close(fl.done)
		}()
	}
	fl.waiters++
	r.mu.Unlock()
	select {
	case <-fl.done:
		return fl.frame, fl.expires, fl.err
	case <-ctx.Done():
		r.mu.Lock()
		if fl.waiters--; fl.waiters == 0 {
			fl.cancel()
			if r.flights[key] == fl {
				delete(r.flights, key)
			}
		}
		r.mu.Unlock()
		return nil, time.Time{}, ctx.Err()
	}
}

// ttl keeps results of ranges that ended before today longer: those days
// are settled. Only a query whose end is bound (:to or :day) is over a past
// range; one that ignores the range has one cache entry for every range,
// and today's data in it.
func (r *Runner) ttl(q *catalog.Query, rng Range) time.Duration {
	if rng.To.Before(r.Today()) && (slices.Contains(q.Bound.Names, "to") || slices.Contains(q.Bound.Names, "day")) {
		return 12 * r.opts.CacheTTL
	}
	return r.opts.CacheTTL
}

// timeout is the statement timeout of a request.
func (r *Runner) timeout(req Request) time.Duration {
	if !req.Until.IsZero() && r.opts.Timeout > 0 {
		return r.opts.AheadTimeout
	}
	return r.opts.Timeout
}

// CacheBytes is the memory the cached results take now (an estimate).
func (r *Runner) CacheBytes() int64 { return r.cache.size() }

// Purge empties the cache (after a definitions reload).
func (r *Runner) Purge() { r.cache.purge() }

func (r *Runner) observe(name string, took time.Duration, cached bool, err error) {
	if r.opts.Observe != nil {
		r.opts.Observe(name, took, cached, err)
	}
}

// keyVersion changes when what a kept result holds changes (frame
// encoding, what describe writes), so that results kept by an older
// opsboard are not read back.
const keyVersion = 1

// cacheKey names a result: the query's statement and arguments, the time
// zone and row limit, and what the query declares about its numbers (unit,
// metric model, columns, settle window and key), so that a result kept before the
// definitions changed, in memory or in the store, is not shown after.
func cacheKey(q *catalog.Query, sql string, args []any, loc *time.Location, maxRows int) string {
	h := sha256.New()
	fmt.Fprintf(h, "v%d\x00%q\x00%q\x00%s\x00%d", keyVersion, q.Name, sql, loc, maxRows)
	fmt.Fprintf(h, "\x00%q\x00%#v\x00%#v", q.Unit, q.Metric, q.Columns)
	if q.Settle != nil {
		fmt.Fprintf(h, "\x00%#v\x00%q", *q.Settle, q.Key)
	}
	for _, a := range args {
		fmt.Fprintf(h, "\x00%T:%#v", a, a)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func queryError(q *catalog.Query, err error) error {
	return fmt.Errorf("%s (%s): %w", q.Name, q.File, err)
}

func isBuiltin(name string) bool { return name == "from" || name == "to" || name == "day" }

func paramNames(q *catalog.Query) string {
	var names []string
	for _, p := range q.Params {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "no declared parameters"
	}
	return strings.Join(names, ", ")
}
