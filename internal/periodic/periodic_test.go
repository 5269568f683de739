package periodic

import (
	"context"
	"strings"
	"testing"
	"time"
)

// /healthz turns red for a job that has not run, or stopped running.
func TestHeartbeat(t *testing.T) {
	var h Heartbeat
	now := time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)
	if err := h.Check("the scheduler", 0, now); err == nil || !strings.Contains(err.Error(), "has not run yet") {
		t.Errorf("before a run: %v", err)
	}
	h.Beat(now)
	if err := h.Check("the scheduler", 0, now.Add(90*time.Second)); err != nil {
		t.Errorf("90 s after a run: %v", err)
	}
	if err := h.Check("the scheduler", 0, now.Add(3*time.Minute)); err == nil || !strings.Contains(err.Error(), "the scheduler stalled") {
		t.Errorf("3 min after the last run of a 20 s job: %v; want stalled", err)
	}
}

func TestRunTicksUntilTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	done := make(chan error)
	go func() {
		done <- Run(ctx, 10*time.Millisecond, func(context.Context) {
			if n++; n == 3 {
				cancel()
			}
		})
	}()
	select {
	case err := <-done:
		if err != nil || n != 3 {
			t.Errorf("Run returned %v after %d ticks; want nil after 3", err, n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
}

// A tick in progress counts as alive while its current step is within
// its deadline, however long the tick: one long but legitimate run (a
// slow mail server, a long render) keeps /healthz green; a step past its
// deadline turns it red, and so does a loop whose ticks keep failing
// before they complete.
func TestHeartbeatDuringALongTick(t *testing.T) {
	now := time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)
	check := func(h *Heartbeat, at time.Duration) error { return h.Check("the scheduler", 0, now.Add(at)) }

	t.Run("long tick within its steps' deadlines", func(t *testing.T) {
		var h Heartbeat
		h.Begin(now, now.Add(10*time.Second))
		if err := check(&h, time.Second); err != nil {
			t.Errorf("1 s into the first tick: %v", err)
		}
		h.Expect(now.Add(10 * time.Minute)) // a run with a slow render and slow mail
		for _, at := range []time.Duration{2 * time.Minute, 5 * time.Minute, 9 * time.Minute} {
			if err := check(&h, at); err != nil {
				t.Errorf("%v into a tick whose step is due by 10m: %v; want alive", at, err)
			}
		}
		h.Beat(now.Add(9 * time.Minute))
		h.End()
		if err := check(&h, 10*time.Minute); err != nil {
			t.Errorf("after the long tick completed: %v", err)
		}
	})

	t.Run("step past its deadline", func(t *testing.T) {
		var h Heartbeat
		h.Beat(now)
		h.Begin(now.Add(20*time.Second), now.Add(50*time.Second))
		err := check(&h, 80*time.Second)
		if err == nil || !strings.Contains(err.Error(), "the scheduler stuck") {
			t.Errorf("30 s past the step's deadline: %v; want stuck", err)
		}
	})

	t.Run("ticks that never complete", func(t *testing.T) {
		var h Heartbeat
		// The store is down: every tick begins and returns early.
		for at := time.Duration(0); at <= 3*time.Minute; at += 20 * time.Second {
			h.Begin(now.Add(at), now.Add(at+10*time.Second))
			h.End()
		}
		err := check(&h, 3*time.Minute+time.Second)
		if err == nil || !strings.Contains(err.Error(), "stalled: no run completed") {
			t.Errorf("3 min of ticks that never completed: %v; want stalled", err)
		}
		// Within a tick too: the loop was not alive when it began.
		h.Begin(now.Add(3*time.Minute+20*time.Second), now.Add(time.Hour))
		if err := check(&h, 3*time.Minute+21*time.Second); err == nil {
			t.Errorf("inside a tick after 3 min of failed ones: alive; want stalled")
		}
	})
}
