// Package query runs catalog queries: it resolves parameters (built-in range
// dates, declared defaults, values from a filter or the command line), binds
// them as arguments, runs the statement read-only in the business time zone
// and caches the resulting frame.
package query

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/warehouse"
)

// Options configure a Runner.
type Options struct {
	Location *time.Location // business time zone
	Timeout  time.Duration  // statement timeout
	MaxRows  int
	CacheTTL time.Duration // 0 disables the cache
	// Observe, when set, is told about every run (for metrics).
	Observe func(query string, took time.Duration, cached bool, err error)
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// Runner runs queries against one database.
type Runner struct {
	db    *warehouse.Warehouse
	opts  Options
	group singleflight.Group

	mu    sync.Mutex
	cache map[string]cacheEntry
}

type cacheEntry struct {
	frame   *frame.Frame
	expires time.Time
}

// NewRunner returns a runner over db.
func NewRunner(db *warehouse.Warehouse, opts Options) *Runner {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Runner{db: db, opts: opts, cache: map[string]cacheEntry{}}
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
}

// Result is a query's frame with how it was obtained.
type Result struct {
	Frame  *frame.Frame
	Args   map[string]any // the values bound, by parameter name
	Cached bool
	Took   time.Duration
	// Expires is when the cached copy of this result runs out; zero when
	// the result is not cached (caching off, Explain, Probe).
	Expires time.Time
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

// Run runs q for the request.
func (r *Runner) Run(ctx context.Context, q *catalog.Query, req Request) (*Result, error) {
	values, err := Values(q, req)
	if err != nil {
		return nil, err
	}
	args, err := q.Bound.Args(values)
	if err != nil {
		return nil, apperr.Invalid("%s: %v", q.Name, err)
	}
	loc := r.opts.Location
	if req.Location != nil {
		loc = req.Location
	}
	opts := warehouse.RunOptions{
		Timeout:  r.opts.Timeout,
		TimeZone: loc.String(),
		MaxRows:  r.opts.MaxRows,
		Explain:  req.Explain,
		Probe:    req.Probe,
	}
	if req.Explain || req.Probe || r.opts.CacheTTL <= 0 {
		start := time.Now()
		f, err := r.db.Query(ctx, q.Bound.SQL, args, opts)
		r.observe(q.Name, time.Since(start), false, err)
		if err != nil {
			return nil, queryError(q, err)
		}
		return &Result{Frame: f, Args: values, Took: time.Since(start)}, nil
	}

	key := cacheKey(q, args, loc)
	if !req.Refresh {
		if f, expires, ok := r.lookup(key); ok {
			r.observe(q.Name, 0, true, nil)
			return &Result{Frame: f, Args: values, Cached: true, Expires: expires}, nil
		}
	}
	start := time.Now()
	// Identical concurrent requests (a dashboard opened by ten people at
	// 9:00) share one database round trip.
	v, err, _ := r.group.Do(key, func() (any, error) {
		f, err := r.db.Query(ctx, q.Bound.SQL, args, opts)
		if err != nil {
			return nil, err
		}
		return cacheEntry{frame: f, expires: r.store(key, f, r.ttl(req.Range))}, nil
	})
	took := time.Since(start)
	r.observe(q.Name, took, false, err)
	if err != nil {
		return nil, queryError(q, err)
	}
	e := v.(cacheEntry)
	return &Result{Frame: e.frame, Args: values, Took: took, Expires: e.expires}, nil
}

// ttl keeps results of ranges that ended before today longer: those days
// are settled.
func (r *Runner) ttl(rng Range) time.Duration {
	if rng.To.Before(r.Today()) {
		return 12 * r.opts.CacheTTL
	}
	return r.opts.CacheTTL
}

func (r *Runner) lookup(key string) (*frame.Frame, time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cache[key]
	if !ok || r.opts.Now().After(e.expires) {
		return nil, time.Time{}, false
	}
	return e.frame, e.expires, true
}

// store keeps f for ttl and returns when it expires.
func (r *Runner) store(key string, f *frame.Frame, ttl time.Duration) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now()
	if len(r.cache) > 4096 {
		for k, e := range r.cache {
			if now.After(e.expires) {
				delete(r.cache, k)
			}
		}
	}
	expires := now.Add(ttl)
	r.cache[key] = cacheEntry{frame: f, expires: expires}
	return expires
}

// Purge empties the cache (after a definitions reload).
func (r *Runner) Purge() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.cache)
}

func (r *Runner) observe(name string, took time.Duration, cached bool, err error) {
	if r.opts.Observe != nil {
		r.opts.Observe(name, took, cached, err)
	}
}

func cacheKey(q *catalog.Query, args []any, loc *time.Location) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s", q.Name, q.Bound.SQL, loc)
	for _, a := range args {
		fmt.Fprintf(h, "\x00%T:%v", a, a)
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
