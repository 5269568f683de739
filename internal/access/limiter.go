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

// AccountLimiter counts sign-in attempts per account and client address,
// in memory, so that strangers cannot lock a person out of an account.
// Once an account has had limit attempts within the window, an address
// that tried it in that window is refused, but an address that did not
// (the owner, elsewhere) is refused only when the attempts came from
// spread addresses or more: guessing from a few addresses is already held
// by each address's own limit, and guessing from many is what the account
// limit is for. Either way an account takes at most about limit+spread
// attempts a window from addresses without a device cookie.
type AccountLimiter struct {
	limit, spread int
	window        time.Duration
	now           func() time.Time

	mu        sync.Mutex
	attempts  map[string]map[string][]time.Time // account → address → times, oldest first
	lastSweep time.Time
}

// NewAccountLimiter allows limit attempts per account within any window,
// and more from an address new to the account unless spread addresses
// have tried it.
func NewAccountLimiter(limit, spread int, window time.Duration) *AccountLimiter {
	return &AccountLimiter{limit: limit, spread: spread, window: window, now: time.Now, attempts: map[string]map[string][]time.Time{}}
}

// Allow records one attempt at account from address and reports whether
// it is within the limit. When it is not, nothing is recorded and retry
// says how long until the oldest attempt at the account leaves the window.
func (l *AccountLimiter) Allow(account, address string) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	byAddress := l.attempts[account]
	total, addresses := 0, 0
	var oldest time.Time
	for a, times := range byAddress {
		recent := l.recent(times, now)
		byAddress[a] = recent
		if len(recent) == 0 {
			continue
		}
		total, addresses = total+len(recent), addresses+1
		if oldest.IsZero() || recent[0].Before(oldest) {
			oldest = recent[0]
		}
	}
	tried := len(byAddress[address]) > 0
	if total >= l.limit && (tried || addresses >= l.spread) {
		return false, oldest.Add(l.window).Sub(now)
	}
	if byAddress == nil {
		byAddress = map[string][]time.Time{}
		l.attempts[account] = byAddress
	}
	byAddress[address] = append(byAddress[address], now)
	return true, 0
}

// recent returns the times still inside the window.
func (l *AccountLimiter) recent(times []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(times) && now.Sub(times[i]) >= l.window {
		i++
	}
	return times[i:]
}

// sweep forgets, once a window, the accounts and addresses with no attempt
// inside it.
func (l *AccountLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.window {
		return
	}
	l.lastSweep = now
	for account, byAddress := range l.attempts {
		for a, times := range byAddress {
			if len(l.recent(times, now)) == 0 {
				delete(byAddress, a)
			}
		}
		if len(byAddress) == 0 {
			delete(l.attempts, account)
		}
	}
}
