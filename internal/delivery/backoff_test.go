package delivery_test

import (
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/delivery"
)

// OPSBOARD_RETRY_BACKOFF is the first wait; each failure doubles it, up to
// an hour.
func TestDoublingBackoff(t *testing.T) {
	for _, c := range []struct {
		first   time.Duration
		attempt int
		want    time.Duration
	}{
		{time.Minute, 1, time.Minute},
		{time.Minute, 2, 2 * time.Minute},
		{time.Minute, 6, 32 * time.Minute},
		{time.Minute, 7, time.Hour},
		{time.Minute, 100, time.Hour},
		{0, 3, 4 * time.Minute},
		{200 * time.Millisecond, 4, 1600 * time.Millisecond},
		{48 * time.Hour, 1, time.Hour},
	} {
		if got := delivery.DoublingBackoff(c.first)(c.attempt); got != c.want {
			t.Errorf("DoublingBackoff(%v)(%d) = %v, want %v", c.first, c.attempt, got, c.want)
		}
	}
}
