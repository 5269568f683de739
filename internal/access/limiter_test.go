package access

import (
	"strconv"
	"testing"
	"time"
)

func TestAccountLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	l := NewAccountLimiter(4, 3, time.Minute)
	l.now = func() time.Time { return now }
	allow := func(account, address string) bool {
		ok, _ := l.Allow(account, address)
		return ok
	}
	// Four attempts from two addresses fill the account's limit for them,
	// not for an address that has not tried it.
	for i := range 4 {
		if !allow("a@example.com", "10.0.0."+strconv.Itoa(i%2+1)) {
			t.Fatalf("attempt %d refused, want allowed", i+1)
		}
	}
	if ok, retry := l.Allow("a@example.com", "10.0.0.1"); ok || retry != time.Minute {
		t.Errorf("5th attempt from an address that tried: ok=%v retry=%v, want refused for a minute", ok, retry)
	}
	if !allow("a@example.com", "10.0.0.3") {
		t.Errorf("an address new to the account, two others having tried it, was refused")
	}
	if !allow("b@example.com", "10.0.0.1") {
		t.Errorf("another account was refused")
	}
	// Three addresses have tried it now: new ones are held back too.
	if allow("a@example.com", "10.0.0.4") {
		t.Errorf("a new address, three others having tried the account 5 times, was allowed")
	}
	now = now.Add(time.Minute)
	if !allow("a@example.com", "10.0.0.1") {
		t.Errorf("an attempt a window later was refused")
	}
}

func TestDevices(t *testing.T) {
	d := NewDevices()
	c := d.Issue("Owner@Example.com")
	if nonce, ok := d.Check(c, "owner@example.com"); !ok || nonce == "" {
		t.Errorf("a device cookie for the account does not check")
	}
	for name, value := range map[string]string{
		"another account": d.Issue("other@example.com"),
		"another process": NewDevices().Issue("owner@example.com"),
		"no signature":    "bm9uY2U",
		"empty":           "",
		"tampered":        c[:len(c)-1] + map[bool]string{true: "B", false: "A"}[c[len(c)-1] == 'A'],
	} {
		if _, ok := d.Check(value, "owner@example.com"); ok {
			t.Errorf("a device cookie from %s checks", name)
		}
	}
}
