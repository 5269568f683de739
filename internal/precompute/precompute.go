// Package precompute computes the mornings: once a day, after the data's
// daily load, every dashboard's default view, the view of each single
// filter value, and the views of the reports due that day, with their
// results kept in opsboard's store until the next morning. One replica
// does it (claimed like report runs); the others, a restarted process and
// the reports read the kept results, so the first visitor of the day does
// not wait for the whole history to be read.
package precompute

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
	"github.com/opsboard/opsboard/internal/store"
)

// Defaults for a dashboard without a precompute key: shortly before the
// earliest report of the day, else at six in the morning.
const (
	beforeReports  = 30 * time.Minute
	defaultMorning = 6 * time.Hour
)

// How long a claimed morning may stay unfinished before another replica
// takes it over (its process died), and how soon one that had failures
// (the data database was down) is tried again.
const (
	staleClaim = 30 * time.Minute
	retryAfter = 10 * time.Minute
)

// Service computes the mornings.
type Service struct {
	Store   *store.Store
	Runner  *query.Runner
	Catalog func() *catalog.Catalog // the current definitions
	// Reports, when set, also has each report due that day computed.
	Reports *report.Producer
	// PageRows is the web's row limit, so that kept results match what
	// pages ask for (it is part of a result's key).
	PageRows int
	Log      *slog.Logger
	// Owner names this process in claims (host and pid).
	Owner string
	// Now is the clock; default the runner's.
	Now func() time.Time
	// Forget, when set, drops what this process holds in memory (results,
	// rendered pages); it is called when a morning computed elsewhere (a
	// replica, `opsboard refresh`) has kept newer results in the store.
	Forget func()

	pruned time.Time // when expired results were last deleted
	seen   time.Time // the latest morning finished elsewhere, when last looked
}

// keepExpired is how long an expired result stays in the store: long
// enough to be shown, marked stale, while the data database is down.
const keepExpired = 7 * 24 * time.Hour

// keepUnusedDays is how long the settled days of a query and key stay
// once no day is added to them (query.DayStore).
const keepUnusedDays = 30 * 24 * time.Hour

// keptBytes bounds the results kept in the store: past it, those that
// expire first go (a morning's views take a few megabytes; ranges picked
// by visitors add more).
const keptBytes = 512 << 20

// Outcome is what one dashboard's morning computed.
type Outcome struct {
	Dashboard string
	Views     int      // dashboard and report views computed
	Failures  []string // tiles and panels that failed, by view
	Took      time.Duration
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return s.Runner.Now()
}

// Morning is when dashboard d's views are computed on day (a business
// date, in loc), and false when its precompute is off.
func Morning(c *catalog.Catalog, d *catalog.Dashboard, day time.Time, loc *time.Location) (time.Time, bool) {
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	switch d.Precompute {
	case "off":
		return time.Time{}, false
	case "":
	default:
		h, m, _ := catalog.ParseClock(d.Precompute)
		return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc), true
	}
	end := start.AddDate(0, 0, 1)
	var first time.Time
	for _, r := range c.Reports {
		if r.Cron == nil {
			continue
		}
		rloc := loc
		if r.TimeZone != "" {
			if l, err := time.LoadLocation(r.TimeZone); err == nil {
				rloc = l
			}
		}
		next := r.Cron.Next(start.Add(-time.Second), rloc)
		if next.Before(end) && (first.IsZero() || next.Before(first)) {
			first = next
		}
	}
	if first.IsZero() {
		return time.Date(day.Year(), day.Month(), day.Day(), int(defaultMorning.Hours()), 0, 0, 0, loc), true
	}
	if at := first.Add(-beforeReports); at.After(start) {
		return at, true
	}
	return start, true
}

// Tick computes the mornings that are due and not claimed yet: those
// whose time has passed today (at once, for a process started later).
// Once an hour it also deletes results that expired a week ago, the
// earliest to expire past keptBytes, and settled days unused for 30 days.
func (s *Service) Tick(ctx context.Context) {
	c := s.Catalog()
	now := s.now()
	if now.Sub(s.pruned) >= time.Hour {
		n, err := s.Store.PruneResults(ctx, now.Add(-keepExpired), keptBytes)
		var days int64
		if err == nil {
			days, err = s.Store.PruneQueryDays(ctx, now.Add(-keepUnusedDays))
		}
		if err != nil {
			s.Log.Warn("precompute: cannot delete expired results", "err", err)
		} else {
			s.pruned = now
			if n > 0 || days > 0 {
				s.Log.Info("precompute: deleted expired results", "results", n, "days", days)
			}
		}
	}
	loc := s.Runner.Location()
	today := query.Today(now, loc)
	s.forgetIfNewer(ctx, today)
	for _, name := range c.DashboardNames() {
		d := c.Dashboards[name]
		at, on := Morning(c, d, today, loc)
		if !on || now.Before(at) {
			continue
		}
		now := s.now()
		claimed, err := s.Store.ClaimPrecompute(ctx, name, today, s.Owner, now, staleClaim, now.Add(-retryAfter))
		if err != nil {
			s.Log.Warn("precompute: cannot claim the morning", "dashboard", name, "err", err)
			continue
		}
		if !claimed {
			continue
		}
		out, err := s.Dashboard(ctx, c, d, today)
		text := strings.Join(out.Failures, "; ")
		if err != nil {
			text = err.Error()
		}
		failures := len(out.Failures)
		if err != nil {
			failures++
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if ferr := s.Store.FinishPrecompute(fctx, name, today, s.Owner, out.Views, failures, text, s.now()); ferr != nil {
			s.Log.Warn("precompute: cannot record the morning", "dashboard", name, "err", ferr)
		}
		cancel()
		if err != nil || failures > 0 {
			s.Log.Warn("precompute: morning computed with failures; it is tried again", "dashboard", name, "views", out.Views,
				"failures", failures, "err", text, "retry_in", retryAfter)
			continue
		}
		s.Log.Info("precompute: morning computed", "dashboard", name, "day", today.Format(query.DateLayout),
			"views", out.Views, "took", out.Took.Round(time.Millisecond))
	}
}

// forgetIfNewer drops this process's memory when a morning of day was
// finished elsewhere since it last looked: the store holds newer results
// than memory may (a corrected history, a morning computed by a replica).
func (s *Service) forgetIfNewer(ctx context.Context, day time.Time) {
	if s.Forget == nil {
		return
	}
	done, err := s.Store.LatestPrecomputes(ctx, day)
	if err != nil {
		return
	}
	var latest time.Time
	for _, p := range done {
		if p.ClaimedBy != s.Owner && p.FinishedAt.Valid && p.FinishedAt.Time.After(latest) {
			latest = p.FinishedAt.Time
		}
	}
	if latest.After(s.seen) {
		if !s.seen.IsZero() {
			s.Forget()
		}
		s.seen = latest
	}
}

// Dashboard computes dashboard d's views for day (its default view, the
// view of each single filter value, and the views of the reports on it due
// that day), keeping every result until the next morning.
func (s *Service) Dashboard(ctx context.Context, c *catalog.Catalog, d *catalog.Dashboard, day time.Time) (Outcome, error) {
	start := time.Now()
	out := Outcome{Dashboard: d.Name}
	loc := s.Runner.Location()
	until, on := Morning(c, d, day.AddDate(0, 0, 1), loc)
	if !on {
		until = time.Date(day.Year(), day.Month(), day.Day()+1, int(defaultMorning.Hours()), 0, 0, 0, loc)
	}
	b := &dashboard.Builder{Catalog: c, Runner: s.Runner}
	build := func(what string, params map[string]string) (*dashboard.View, error) {
		// The request a page makes for the view (dashboards.go), so that
		// the kept results are the ones it looks up.
		v, err := b.Build(ctx, d, dashboard.Request{Params: params, Today: day, Until: until,
			MaxRows: s.PageRows, Trend: true, Location: loc})
		if err != nil {
			return nil, err
		}
		s.touch(ctx, d.Name, day)
		out.Views++
		for _, f := range viewFailures(v) {
			out.Failures = append(out.Failures, what+": "+f)
		}
		return v, nil
	}
	v, err := build(d.Name, nil)
	if err != nil {
		out.Took = time.Since(start)
		return out, err
	}
	for _, f := range v.Filters {
		if f.Err != nil {
			continue
		}
		for _, o := range f.Options {
			if o == f.Value {
				continue
			}
			if _, err := build(fmt.Sprintf("%s?%s=%s", d.Name, f.Param, o), map[string]string{f.Param: o}); err != nil {
				out.Failures = append(out.Failures, fmt.Sprintf("%s?%s=%s: %v", d.Name, f.Param, o, err))
			}
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
		}
	}
	if s.Reports != nil {
		for _, name := range c.ReportNames() {
			r := c.Reports[name]
			if r.Dashboard != d.Name || !dueOn(r, day, loc) {
				continue
			}
			fails, err := s.Reports.Precompute(ctx, name, day.AddDate(0, 0, -1), until)
			if err != nil {
				out.Failures = append(out.Failures, fmt.Sprintf("report %s: %v", name, err))
				continue
			}
			s.touch(ctx, d.Name, day)
			out.Views++
			for _, f := range fails {
				out.Failures = append(out.Failures, "report "+name+": "+f)
			}
		}
	}
	out.Took = time.Since(start)
	return out, ctx.Err()
}

// touch keeps a claimed morning this process computes from being taken
// over by another replica while it lasts.
func (s *Service) touch(ctx context.Context, dashboard string, day time.Time) {
	if err := s.Store.TouchPrecompute(ctx, dashboard, day, s.Owner, s.now()); err != nil {
		s.Log.Warn("precompute: cannot renew the claim", "dashboard", dashboard, "err", err)
	}
}

// All computes the views for day of every dashboard whose precompute is
// not off, now, whatever the time and the claims (`opsboard refresh`), and
// records each as that day's morning.
func (s *Service) All(ctx context.Context, day time.Time) ([]Outcome, error) {
	c := s.Catalog()
	var outs []Outcome
	for _, name := range c.DashboardNames() {
		if c.Dashboards[name].Precompute == "off" {
			continue
		}
		started := s.now()
		out, err := s.Dashboard(ctx, c, c.Dashboards[name], day)
		if err != nil {
			return outs, fmt.Errorf("%s: %w", name, err)
		}
		outs = append(outs, out)
		if err := s.Store.RecordPrecompute(ctx, name, day, s.Owner, out.Views, len(out.Failures), strings.Join(out.Failures, "; "), started, s.now()); err != nil {
			return outs, err
		}
	}
	return outs, nil
}

// Status says how today's mornings went, for /healthz: "ok" when every
// dashboard whose morning time has passed has it computed without
// failures, "computing" while one is, "failing: NAMES" when one failed or
// has not started within half an hour of its time.
func (s *Service) Status(ctx context.Context) string {
	c := s.Catalog()
	now := s.now()
	loc := s.Runner.Location()
	today := query.Today(now, loc)
	done, err := s.Store.LatestPrecomputes(ctx, today)
	if err != nil {
		return "unknown: the store cannot be read"
	}
	var failing []string
	computing := false
	for _, name := range c.DashboardNames() {
		at, on := Morning(c, c.Dashboards[name], today, loc)
		if !on || now.Before(at) {
			continue
		}
		p, ok := done[name]
		switch {
		case !ok || !p.Day.Equal(today):
			// Replicas compute the mornings one after another: one not
			// started is late only once a claim would be taken over.
			if now.Sub(at) > staleClaim {
				failing = append(failing, name)
			}
		case !p.FinishedAt.Valid:
			computing = true
		case p.Failures > 0:
			failing = append(failing, name)
		}
	}
	switch {
	case len(failing) > 0:
		return "failing: " + strings.Join(failing, ", ")
	case computing:
		return "computing"
	}
	return "ok"
}

// dueOn says whether report r is scheduled to run on day (in loc).
func dueOn(r *catalog.Report, day time.Time, loc *time.Location) bool {
	if r.Cron == nil {
		return false
	}
	rloc := loc
	if r.TimeZone != "" {
		if l, err := time.LoadLocation(r.TimeZone); err == nil {
			rloc = l
		}
	}
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, rloc)
	return r.Cron.Next(start.Add(-time.Second), rloc).Before(start.AddDate(0, 0, 1))
}

// viewFailures names the filters, tiles and panels of v that failed, and
// says when some result is an old one shown because the data database is
// not answering: such a morning is tried again.
func viewFailures(v *dashboard.View) []string {
	var out []string
	if v.Unreachable() {
		out = append(out, "the data database is not answering: some results are older ones")
	}
	for _, f := range v.Filters {
		if f.Err != nil {
			out = append(out, fmt.Sprintf("filter %s: %v", f.Param, f.Err))
		}
	}
	for _, t := range v.Tiles {
		if t.Err != nil {
			out = append(out, fmt.Sprintf("tile %s: %v", t.Tile.Query, t.Err))
		}
	}
	for _, p := range v.Panels {
		if p.Err != nil {
			out = append(out, fmt.Sprintf("panel %q: %v", p.Panel.Title, p.Err))
		}
	}
	sort.Strings(out)
	return out
}
