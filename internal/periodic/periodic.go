// Package periodic runs a job at an interval until its context ends, and
// tells whether it still runs: the report scheduler and the alert checks
// are both such jobs, watched by /healthz.
package periodic

import (
	"context"
	"errors"
	"sync"
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

// Heartbeat tells whether a job still runs. A job's tick calls Begin when
// it starts, Expect before each step whose length it knows (a report run,
// an alert check), Beat when it has done its work and End when it returns.
// A tick in progress counts as alive while its current step is within its
// deadline, however long the tick as a whole: one slow but legitimate run
// does not turn /healthz red, a step that overruns its deadline does. A
// job counts as stalled when no tick completed its work for three
// intervals and a minute (measured, during a tick, up to the tick's start),
// so a loop whose every tick fails early is not alive either.
type Heartbeat struct {
	mu        sync.Mutex
	first     time.Time // the first tick's start
	completed time.Time // the last Beat
	began     time.Time // the tick in progress's start; zero between ticks
	deadline  time.Time // when the tick's current step is due to end
}

// Begin records that a tick began at now and expects its first step to
// end by deadline.
func (h *Heartbeat) Begin(now, deadline time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.first.IsZero() {
		h.first = now
	}
	h.began, h.deadline = now, deadline
}

// Expect records that the tick in progress began a step due to end by
// deadline.
func (h *Heartbeat) Expect(deadline time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.deadline = deadline
}

// Beat records that a tick completed its work at now.
func (h *Heartbeat) Beat(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.first.IsZero() {
		h.first = now
	}
	h.completed = now
}

// End records that the tick in progress returned, whether or not it
// completed its work.
func (h *Heartbeat) End() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.began, h.deadline = time.Time{}, time.Time{}
}

// Check reports an error, naming the job, when it has not run yet, when
// the step of the tick in progress overran its deadline, or when no tick
// completed its work for three intervals and a minute.
func (h *Heartbeat) Check(name string, interval time.Duration, now time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.first.IsZero() {
		return errors.New(name + " has not run yet")
	}
	inTick := !h.began.IsZero()
	if inTick && now.After(h.deadline) {
		return errors.New(name + " stuck: its current run began " + ago(now, h.began) +
			" and should have finished its step " + ago(now, h.deadline))
	}
	// During a tick the question is whether the loop was alive when the
	// tick began; the tick itself is judged by its deadline.
	at := now
	if inTick {
		at = h.began
	}
	since, what := h.completed, "last run "
	if since.IsZero() {
		since, what = h.first, "no run completed since it started "
	}
	limit := 3*max(interval, DefaultInterval) + time.Minute
	if age := at.Sub(since); age > limit {
		return errors.New(name + " stalled: " + what + ago(now, since))
	}
	return nil
}

func ago(now, t time.Time) string { return now.Sub(t).Round(time.Second).String() + " ago" }
