// Package periodic runs a job at an interval until its context ends, and
// tells whether it still runs: the report scheduler and the alert checks
// are both such jobs, watched by /healthz.
package periodic

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// DefaultInterval is how often a job runs when its interval is not set.
const DefaultInterval = 20 * time.Second

// Run calls tick at once and then every interval (DefaultInterval when
// not positive) until ctx ends.
func Run(ctx context.Context, interval time.Duration, tick func(context.Context)) error {
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		tick(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Heartbeat records when a job last completed a run.
type Heartbeat struct {
	last atomic.Int64 // unix nanoseconds
}

// Beat records a completed run at now.
func (h *Heartbeat) Beat(now time.Time) { h.last.Store(now.UnixNano()) }

// Check reports an error, naming the job, when it has not completed a run
// for three intervals and a minute.
func (h *Heartbeat) Check(name string, interval time.Duration, now time.Time) error {
	last := h.last.Load()
	if last == 0 {
		return errors.New(name + " has not run yet")
	}
	limit := 3*max(interval, DefaultInterval) + time.Minute
	if age := now.Sub(time.Unix(0, last)); age > limit {
		return errors.New(name + " stalled: last run " + age.Round(time.Second).String() + " ago")
	}
	return nil
}
