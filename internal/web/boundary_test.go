package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/web"
)

// Tests of what the server answers at its edges: sign-in limits, host
// names, bytes that are not text, every response's headers, caching.

// loopbackProxy trusts 127.0.0.1 as a proxy, so that a test sets the client
// address with X-Forwarded-For.
func loopbackProxy() *access.Proxy {
	return &access.Proxy{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
}

// signIn posts the sign-in form from client address ip and returns the status.
func signIn(t *testing.T, hs *httptest.Server, c *http.Client, tok, email, password, ip string) (int, *http.Response) {
	t.Helper()
	code, _, resp := fetch(t, c, "POST", hs.URL+"/login", url.Values{"csrf": {tok}, "email": {email}, "password": {password}}, "X-Forwarded-For", ip)
	return code, resp
}

func TestStrangersCannotLockOutAnAccount(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "owner@example.com", "viewer")
	otherPW := addUser(t, db, "other@example.com", "viewer")

	// wrong makes n wrong guesses at the owner's password, from addresses
	// 198.51.100.1 to .spread in turn, and returns the last one's status;
	// the others must be 401.
	wrong := func(hs *httptest.Server, n, spread int) int {
		t.Helper()
		var tok string
		stranger := newClientWithCSRF(t, hs, &tok)
		code := 0
		for i := range n {
			ip := "198.51.100." + strconv.Itoa(i%spread+1)
			if code, _ = signIn(t, hs, stranger, tok, "owner@example.com", "wrong-password", ip); code != http.StatusUnauthorized && i < n-1 {
				t.Fatalf("wrong guess %d from %s = %d, want 401", i+1, ip, code)
			}
		}
		return code
	}
	// fresh signs in with the right password from a browser that never
	// signed in, at address ip.
	fresh := func(hs *httptest.Server, ip string) int {
		t.Helper()
		var tok string
		c := newClientWithCSRF(t, hs, &tok)
		code, _ := signIn(t, hs, c, tok, "owner@example.com", password, ip)
		return code
	}

	t.Run("guesses from a few addresses", func(t *testing.T) {
		hs := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.Proxy = loopbackProxy() })
		if code := wrong(hs, 20, 4); code != http.StatusUnauthorized {
			t.Fatalf("20th wrong guess = %d, want 401", code)
		}
		if code := fresh(hs, "192.0.2.3"); code != http.StatusSeeOther {
			t.Errorf("a new browser at a new address, after 20 wrong guesses from 4 others = %d, want 303", code)
		}
	})

	t.Run("the owner's browser", func(t *testing.T) {
		hs := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.Proxy = loopbackProxy() })
		var ownerTok string
		owner := newClientWithCSRF(t, hs, &ownerTok)
		code, resp := signIn(t, hs, owner, ownerTok, "owner@example.com", password, "192.0.2.1")
		dc := cookieNamed(resp, access.DeviceCookie)
		if code != http.StatusSeeOther || dc == nil {
			t.Fatalf("first sign-in = %d with device cookie %v, want 303 and one", code, dc)
		}
		if !dc.HttpOnly || dc.SameSite != http.SameSiteLaxMode || dc.Secure || dc.MaxAge < 30*24*3600 {
			t.Errorf("device cookie HttpOnly=%v SameSite=%v Secure=%v MaxAge=%d; want HttpOnly, Lax, not Secure over http, long-lived",
				dc.HttpOnly, dc.SameSite, dc.Secure, dc.MaxAge)
		}
		// With the owner's sign-in, the 20th guess is the account's 21st
		// attempt in a minute: addresses that tried it are held back.
		if code := wrong(hs, 20, 4); code != http.StatusTooManyRequests {
			t.Errorf("the 20th wrong guess from one of 4 addresses, 21st attempt in all = %d, want 429", code)
		}
		if code, _ := signIn(t, hs, owner, ownerTok, "owner@example.com", password, "192.0.2.2"); code != http.StatusSeeOther {
			t.Errorf("the owner's browser, from a new address, after 20 wrong guesses from 4 others = %d, want 303", code)
		}
		if code := fresh(hs, "192.0.2.3"); code != http.StatusSeeOther {
			t.Errorf("a new browser at a new address, after 20 wrong guesses from 4 others = %d, want 303", code)
		}
	})

	t.Run("guesses from many addresses", func(t *testing.T) {
		hs := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.Proxy = loopbackProxy() })
		var ownerTok, otherTok string
		owner := newClientWithCSRF(t, hs, &ownerTok)
		if code, _ := signIn(t, hs, owner, ownerTok, "owner@example.com", password, "192.0.2.1"); code != http.StatusSeeOther {
			t.Fatalf("first sign-in = %d, want 303", code)
		}
		other := newClientWithCSRF(t, hs, &otherTok)
		if code, _ := signIn(t, hs, other, otherTok, "other@example.com", otherPW, "192.0.2.9"); code != http.StatusSeeOther {
			t.Fatalf("the other account's sign-in = %d, want 303", code)
		}

		// Guessing spread over many addresses is bounded for browsers that
		// never signed in to the account (20 attempts from 20 addresses)...
		wrong(hs, 19, 19)
		if code := fresh(hs, "192.0.2.3"); code != http.StatusTooManyRequests {
			t.Errorf("a new browser after 19 wrong guesses from 19 addresses = %d, want 429", code)
		}
		// (a device cookie of another account counts for nothing here)
		if code, _ := signIn(t, hs, other, otherTok, "owner@example.com", password, "192.0.2.4"); code != http.StatusTooManyRequests {
			t.Errorf("a browser that signed in to another account = %d, want 429", code)
		}
		var tok string
		forged := newClientWithCSRF(t, hs, &tok)
		u, _ := url.Parse(hs.URL)
		forged.Jar.SetCookies(u, []*http.Cookie{{Name: access.DeviceCookie, Value: "bm9uY2U.c2lnbmF0dXJl", Path: "/login"}})
		if code, _ := signIn(t, hs, forged, tok, "owner@example.com", password, "192.0.2.5"); code != http.StatusTooManyRequests {
			t.Errorf("a forged device cookie = %d, want 429", code)
		}
		// ...but not for the owner's.
		if code, _ := signIn(t, hs, owner, ownerTok, "owner@example.com", password, "192.0.2.2"); code != http.StatusSeeOther {
			t.Errorf("the owner's browser after 19 wrong guesses from 19 addresses = %d, want 303", code)
		}

		// A stolen device cookie buys 5 guesses a minute, from any addresses.
		for i := range 5 {
			ip := "203.0.113." + strconv.Itoa(i+1)
			if code, _ := signIn(t, hs, owner, ownerTok, "owner@example.com", "wrong-password", ip); code != http.StatusUnauthorized {
				t.Fatalf("wrong guess %d with the device cookie = %d, want 401", i+1, code)
			}
		}
		if code, _ := signIn(t, hs, owner, ownerTok, "owner@example.com", password, "203.0.113.6"); code != http.StatusTooManyRequests {
			t.Errorf("6th attempt in a minute with one device cookie = %d, want 429", code)
		}
	})
}

// Without accounts, /metrics follows the host rule of every other page.
func TestMetricsAnswersOnlyLoopbackNamesWithoutAccounts(t *testing.T) {
	db := demoDB(t)
	mustHaveNoUsers(t, db)
	cases := []struct {
		name string
		opts func(*web.Config)
		host string
		want int
	}{
		{"loopback name", nil, "127.0.0.1", http.StatusOK},
		{"localhost", nil, "localhost", http.StatusOK},
		{"rebound name", nil, "rebind.attacker.example", http.StatusMisdirectedRequest},
		{"rebound name, metrics public", func(c *web.Config) { c.MetricsPublic = true }, "rebind.attacker.example", http.StatusMisdirectedRequest},
		{"any host allowed", func(c *web.Config) { c.AnyHost = true }, "ops.internal.example", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs := startAuthServer(t, db, "../..", false, tc.opts)
			if code, body, _ := fetch(t, newClient(hs), "GET", hs.URL+"/metrics", nil, "Host", tc.host); code != tc.want {
				t.Errorf("GET /metrics with Host %s = %d, want %d:\n%.200s", tc.host, code, tc.want, body)
			}
		})
	}
}

// syncBuffer is a log destination the server's goroutines can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A NUL byte or invalid UTF-8 in an address or a form is a 400 that says
// so, not a database error.
func TestBytesThatAreNotTextAreRefused(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "viewer@example.com", "viewer")
	var logs syncBuffer
	hs := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	c, _ := login(t, hs, "viewer@example.com", password)
	for _, path := range []string{
		"/reports/ops-daily%00/2026-11-27",
		"/reports/ops-daily%ff/2026-11-27",
		"/reports/ops-daily%00/2026-11-27.pdf",
		"/d/daily-ops%ff",
		"/reports/ops-daily/2026-11-27?run=1%00",
		"/d/daily-ops?channel=%ff",
		"/kpis?%00=x",
	} {
		code, body, _ := fetch(t, c, "GET", hs.URL+path, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, "not text") {
			t.Errorf("GET %s = %d, want 400 saying the address is not text:\n%.300s", path, code, body)
		}
	}
	var tok string
	anon := newClientWithCSRF(t, hs, &tok)
	for _, email := range []string{"viewer@example.com\x00", "viewer\xff@example.com"} {
		code, body, _ := fetch(t, anon, "POST", hs.URL+"/login", url.Values{"csrf": {tok}, "email": {email}, "password": {password}})
		if code != http.StatusBadRequest || !strings.Contains(body, "not text") {
			t.Errorf("POST /login with email %q = %d, want 400 saying the form is not text:\n%.300s", email, code, body)
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("refused requests were logged as server errors:\n%s", logs.String())
	}
}

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	db := demoDB(t)
	mustHaveNoUsers(t, db)
	hs := startAuthServer(t, db, "../..", false, nil)
	cases := []struct {
		method, path string
		want         int
	}{
		{"DELETE", "/kpis", http.StatusMethodNotAllowed},
		{"POST", "/healthz", http.StatusMethodNotAllowed},
		{"PUT", "/login", http.StatusMethodNotAllowed},
		{"GET", "//d/daily-ops", http.StatusMovedPermanently},
		{"GET", "/d/../d/x", http.StatusMovedPermanently},
		{"GET", "/no/such/page", http.StatusNotFound},
		{"GET", "/reports/x%00", http.StatusBadRequest},
	}
	for _, tc := range cases {
		code, body, resp := fetch(t, newClient(hs), tc.method, hs.URL+tc.path, nil)
		if code != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, code, tc.want)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s %s (%d) has no %s", tc.method, tc.path, code, h)
			}
		}
		if code == http.StatusMethodNotAllowed && (!strings.Contains(body, "<html") || resp.Header.Get("Allow") == "") {
			t.Errorf("%s %s: a 405 without a page or an Allow header (%q):\n%.300s", tc.method, tc.path, resp.Header.Get("Allow"), body)
		}
	}
	if _, _, resp := fetch(t, newClient(hs), "DELETE", hs.URL+"/login", nil); resp.Header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("DELETE /login: Allow %q, want GET, HEAD, POST", resp.Header.Get("Allow"))
	}
}

func TestHSTSOnlyOverHTTPS(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "viewer@example.com", "viewer")
	cases := []struct {
		name    string
		tls     bool
		proxy   *access.Proxy
		headers []string
		want    string
	}{
		{name: "http"},
		{name: "https", tls: true, want: "max-age=31536000"},
		{name: "https at a trusted proxy", proxy: loopbackProxy(), headers: []string{"X-Forwarded-Proto", "https"}, want: "max-age=31536000"},
		{name: "https claimed by an untrusted peer", proxy: &access.Proxy{Trusted: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}},
			headers: []string{"X-Forwarded-Proto", "https"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs := startAuthServer(t, db, "../..", tc.tls, func(c *web.Config) { c.Proxy = tc.proxy })
			for _, path := range []string{"/login", "/kpis", "/no/such/page"} {
				_, _, resp := fetch(t, newClient(hs), "GET", hs.URL+path, nil, tc.headers...)
				if got := resp.Header.Get("Strict-Transport-Security"); got != tc.want {
					t.Errorf("GET %s: Strict-Transport-Security %q, want %q", path, got, tc.want)
				}
			}
			if !tc.tls {
				return
			}
			c := newClient(hs)
			tok := csrfOn(t, c, hs, "/login")
			_, _, resp := fetch(t, c, "POST", hs.URL+"/login", url.Values{"csrf": {tok}, "email": {"viewer@example.com"}, "password": {password}})
			if dc := cookieNamed(resp, access.DeviceCookie); dc == nil || !dc.Secure {
				t.Errorf("over https, device cookie %v, want a Secure one", dc)
			}
		})
	}
}

// An archived run's page and PDF stay out of the browser's cache, so that
// they are gone from it after sign-out.
func TestArchivedRunsAreNotCached(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "viewer@example.com", "viewer")
	ctx := context.Background()
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	run, err := db.CreateRun(ctx, "ops-daily", day, "command", "UTC", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRendered(ctx, run.ID, "subject", "<p>archived marker</p>", []byte("%PDF-1.4 archived"), nil, nil, false, nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, run.ID, store.RunSent); err != nil {
		t.Fatal(err)
	}
	hs := startAuthServer(t, db, "../..", false, nil)
	c, _ := login(t, hs, "viewer@example.com", password)
	for _, path := range []string{"/reports/ops-daily/2026-11-27", "/reports/ops-daily/2026-11-27.pdf", "/reports/ops-daily/2026-11-27?run=" + strconv.FormatInt(run.ID, 10)} {
		code, body, resp := fetch(t, c, "GET", hs.URL+path, nil)
		if code != http.StatusOK || !strings.Contains(body, "archived") {
			t.Fatalf("GET %s = %d:\n%.300s", path, code, body)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", path, got)
		}
	}
}
