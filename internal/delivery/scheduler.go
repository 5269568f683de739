package delivery

import (
	"context"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/periodic"
	"github.com/opsboard/opsboard/internal/query"
)

// Scheduler starts each report's runs at its cron times, in the report's
// own time zone, and keeps unfinished runs moving: renders that crashed
// half-way are redone and failed deliveries are retried when due. Runs
// missed while no scheduler was up are caught up within CatchUp, but never
// from before the report's schedule was first seen: a new, renamed or
// newly scheduled report does not mail the past days at once.
type Scheduler struct {
	Service *Service
	Catalog func() *catalog.Catalog
	// CatchUp is how far back missed runs are still made; default 3 days.
	CatchUp time.Duration
	// Interval is how often the scheduler looks; default 20s.
	Interval time.Duration

	beat periodic.Heartbeat
}

// Run ticks until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error { return periodic.Run(ctx, s.Interval, s.Tick) }

// Healthy reports an error when the scheduler has not completed a tick for
// a while, or when the run it works on overran that run's own deadline (the
// sum of its steps' deadlines). A long but legitimate tick is healthy.
func (s *Scheduler) Healthy() error {
	return s.beat.Check("the scheduler", s.Interval, s.Service.now())
}

// Tick claims every run that is due and works on every unfinished run.
// It is safe to call from several processes at once.
func (s *Scheduler) Tick(ctx context.Context) {
	log := s.Service.log()
	now := s.Service.now()
	c := s.Catalog()
	book := orDefault(s.Service.BookkeepingTimeout, DefaultBookkeepingTimeout)
	// Claims are two writes a report, and listing the runs one more.
	s.beat.Begin(now, now.Add(time.Duration(2*len(c.Reports)+1)*book))
	defer s.beat.End()
	for _, name := range c.ReportNames() {
		r := c.Reports[name]
		if r.Schedule == "" {
			continue
		}
		loc, err := s.Service.Producer.Location(r)
		if err != nil {
			log.Error("report not scheduled", "report", name, "err", err)
			continue
		}
		firstSeen, err := s.Service.DB.ScheduleFirstSeen(ctx, name, r.Schedule, loc.String(), now)
		if err != nil {
			log.Error("reading the report's schedule", "report", name, "err", err)
			continue
		}
		for _, date := range s.dueDates(r, loc, now, firstSeen) {
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
		s.beat.Expect(s.Service.now().Add(s.Service.runLimit(&runs[i])))
		// Runs of a report whose definition is gone are finished too: a
		// rendered one is delivered as archived, an unrendered one fails.
		if err := s.Service.Process(ctx, &runs[i]); err != nil {
			log.Warn("run not finished", "report", runs[i].Report, "run", runs[i].ID, "err", err)
		}
	}
	s.beat.Beat(s.Service.now())
}

// firstSeenGrace is how long before a schedule was first seen its runs
// still count: a scheduler that starts (or sees a report) at 07:00:30
// still makes the 07:00 run.
const firstSeenGrace = 15 * time.Minute

// dueDates lists the report dates whose scheduled time has come, within
// the catch-up window and not before the schedule was first seen (less a
// grace period). A run at local time T covers the day before T.
func (s *Scheduler) dueDates(r *catalog.Report, loc *time.Location, now, firstSeen time.Time) []time.Time {
	sched := r.Cron
	if sched == nil {
		return nil
	}
	window := s.CatchUp
	if window <= 0 {
		window = 72 * time.Hour
	}
	from := now.Add(-window)
	if seen := firstSeen.Add(-firstSeenGrace); seen.After(from) {
		from = seen
	}
	var dates []time.Time
	for t := sched.Next(from, loc); !t.IsZero() && !t.After(now); t = sched.Next(t, loc) {
		d := query.Today(t, loc).AddDate(0, 0, -1)
		if len(dates) == 0 || !dates[len(dates)-1].Equal(d) {
			dates = append(dates, d)
		}
	}
	return dates
}
