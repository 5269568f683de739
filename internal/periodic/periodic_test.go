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
