package delivery

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/query"
)

// Scheduler starts each report's runs at its cron times, in the report's
// own time zone, and keeps unfinished runs moving: renders that crashed
// half-way are redone and failed deliveries are retried when due. Runs
// missed while no scheduler was up are caught up within CatchUp.
type Scheduler struct {
	Service *Service
	Catalog func() *catalog.Catalog
	// CatchUp is how far back missed runs are still made; default 3 days.
	CatchUp time.Duration
	// Interval is how often the scheduler looks; default 20s.
	Interval time.Duration

	lastTick atomic.Int64 // unix nanoseconds of the last completed tick
}

// Run ticks until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	interval := s.Interval
	if interval <= 0 {
		interval = 20 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Healthy reports an error when the scheduler has not completed a tick for
// a while.
func (s *Scheduler) Healthy() error {
	last := s.lastTick.Load()
	if last == 0 {
		return errors.New("scheduler has not run yet")
	}
	limit := 3 * max(s.Interval, 20*time.Second)
	if age := s.Service.now().Sub(time.Unix(0, last)); age > limit+time.Minute {
		return errors.New("scheduler stalled: last tick " + age.Round(time.Second).String() + " ago")
	}
	return nil
}

// Tick claims every run that is due and works on every unfinished run.
// It is safe to call from several processes at once.
func (s *Scheduler) Tick(ctx context.Context) {
	log := s.Service.log()
	now := s.Service.now()
	c := s.Catalog()
	for _, name := range c.ReportNames() {
		r := c.Reports[name]
		if r.Schedule == "" {
			continue
		}
		for _, date := range s.dueDates(r, now) {
			loc, err := s.Service.Producer.Location(r)
			if err != nil {
				log.Error("report not scheduled", "report", name, "err", err)
				break
			}
			if _, claimed, err := s.Service.DB.ClaimScheduledRun(ctx, name, date, loc.String(), r.Params); err != nil {
				log.Error("claiming run", "report", name, "date", date.Format(query.DateLayout), "err", err)
			} else if claimed {
				log.Info("run claimed", "report", name, "date", date.Format(query.DateLayout))
			}
		}
	}
	runs, err := s.Service.DB.UnfinishedRuns(ctx)
	if err != nil {
		log.Error("listing unfinished runs", "err", err)
		return
	}
	for i := range runs {
		if ctx.Err() != nil {
			return
		}
		if _, ok := c.Reports[runs[i].Report]; !ok {
			continue
		}
		if err := s.Service.Process(ctx, &runs[i]); err != nil {
			log.Warn("run not finished", "report", runs[i].Report, "run", runs[i].ID, "err", err)
		}
	}
	s.lastTick.Store(s.Service.now().UnixNano())
}

// dueDates lists the report dates whose scheduled time has come, within
// the catch-up window. A run at local time T covers the day before T.
func (s *Scheduler) dueDates(r *catalog.Report, now time.Time) []time.Time {
	sched, err := catalog.ParseSchedule(r.Schedule)
	if err != nil {
		return nil
	}
	loc, err := s.Service.Producer.Location(r)
	if err != nil {
		return nil
	}
	window := s.CatchUp
	if window <= 0 {
		window = 72 * time.Hour
	}
	var dates []time.Time
	for t := sched.Next(now.Add(-window), loc); !t.IsZero() && !t.After(now); t = sched.Next(t, loc) {
		dates = append(dates, query.Today(t, loc).AddDate(0, 0, -1))
	}
	return dates
}
