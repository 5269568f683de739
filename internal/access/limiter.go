package access

import (
	"sync"
	"time"
)

// Limiter counts attempts per key (an IP address, an email address) in a
// sliding window, in memory. Each replica counts its own attempts, which
// bounds guessing well enough for a login form.
type Limiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu        sync.Mutex
	attempts  map[string][]time.Time
	lastSweep time.Time
}

// NewLimiter allows limit attempts per key within any window.
func NewLimiter(limit int, window time.Duration) *Limiter {
	return &Limiter{limit: limit, window: window, now: time.Now, attempts: map[string][]time.Time{}}
}

// Allow records one attempt under every key and reports whether all of them
// are within the limit. When one is not, nothing is recorded and retry says
// how long until an attempt would be allowed again.
func (l *Limiter) Allow(keys ...string) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	for _, k := range keys {
		recent := l.recent(k, now)
		if len(recent) >= l.limit {
			if wait := recent[0].Add(l.window).Sub(now); wait > retry {
				retry = wait
			}
		}
	}
	if retry > 0 {
		return false, retry
	}
	for _, k := range keys {
		l.attempts[k] = append(l.recent(k, now), now)
	}
	return true, 0
}

// recent returns the attempts under k still inside the window, oldest first.
func (l *Limiter) recent(k string, now time.Time) []time.Time {
	times := l.attempts[k]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= l.window {
		i++
	}
	return times[i:]
}

// sweep forgets keys with no attempt inside the window, once a window, so
// the map does not grow with every address ever seen.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.window {
		return
	}
	l.lastSweep = now
	for k := range l.attempts {
		if len(l.recent(k, now)) == 0 {
			delete(l.attempts, k)
		}
	}
}
