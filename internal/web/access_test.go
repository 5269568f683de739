package web_test

import (
	"context"
	"github.com/opsboard/opsboard/internal/dbtest"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/web"
)

// startAuthServer serves the definitions under dir from db, with the access
// settings opts makes (nil: none), over TLS when secure is set.
func startAuthServer(t *testing.T, db *store.Store, dir string, secure bool, opts func(*web.Config)) *httptest.Server {
	t.Helper()
	cat, err := catalog.Load(dir)
	if err != nil {
		t.Fatalf("loading definitions from %s: %v", dir, err)
	}
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: time.UTC, Timeout: 20 * time.Second, CacheTTL: time.Minute})
	cfg := web.Config{DB: db, Data: dbtest.Warehouse(t), Runner: runner, Catalog: cat}
	if opts != nil {
		opts(&cfg)
	}
	srv, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var hs *httptest.Server
	if secure {
		hs = httptest.NewTLSServer(srv.Handler())
	} else {
		hs = httptest.NewServer(srv.Handler())
	}
	t.Cleanup(hs.Close)
	return hs
}

// addUser creates an account for the test and removes it afterwards (the
// package's other tests expect a server without accounts). It returns the
// password.
func addUser(t *testing.T, db *store.Store, email, role string) string {
	t.Helper()
	password := "pw-" + strings.Repeat("x", 12) + "-" + role
	hash, err := access.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(context.Background(), email, role, hash); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.RemoveUser(context.Background(), email) })
	return password
}

// mustHaveNoUsers fails when an earlier test left an account behind.
func mustHaveNoUsers(t *testing.T, db *store.Store) {
	t.Helper()
	if has, err := db.HasUsers(context.Background()); err != nil || has {
		t.Fatalf("the test database has accounts already (%v): an earlier test did not clean up", err)
	}
}

// newClient is a browser-like client: it keeps cookies and does not follow
// redirects, so tests see them.
func newClient(hs *httptest.Server) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := *hs.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// fetch makes a request: a POST of form when form is not nil; headers
// come in name, value pairs.
func fetch(t *testing.T, c *http.Client, method, target string, form url.Values, headers ...string) (int, string, *http.Response) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOn returns the CSRF token of the first form on the page at path.
func csrfOn(t *testing.T, c *http.Client, hs *httptest.Server, path string) string {
	t.Helper()
	code, body, _ := fetch(t, c, "GET", hs.URL+path, nil)
	m := csrfRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("GET %s = %d without a CSRF field:\n%s", path, code, body)
	}
	return m[1]
}

// login signs in through the form and returns the signed-in client and
// the response to the POST.
func login(t *testing.T, hs *httptest.Server, email, password string) (*http.Client, *http.Response) {
	t.Helper()
	c := newClient(hs)
	tok := csrfOn(t, c, hs, "/login")
	code, body, resp := fetch(t, c, "POST", hs.URL+"/login", url.Values{"csrf": {tok}, "email": {email}, "password": {password}})
	if code != http.StatusSeeOther {
		t.Fatalf("signing in as %s = %d, want 303:\n%s", email, code, body)
	}
	return c, resp
}

// cookieNamed is the cookie of that name a response sets, or nil.
func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestWithoutAccountsEveryRequestIsTheLocalAdmin(t *testing.T) {
	db := demoDB(t)
	mustHaveNoUsers(t, db)
	hs := startAuthServer(t, db, "../..", false, nil)
	c := newClient(hs)
	for _, path := range []string{"/kpis", "/shares", "/reports"} {
		if code, body, _ := fetch(t, c, "GET", hs.URL+path, nil); code != http.StatusOK {
			t.Errorf("GET %s without accounts = %d, want 200:\n%.300s", path, code, body)
		}
	}
	if _, body, _ := fetch(t, c, "GET", hs.URL+"/login", nil); !strings.Contains(body, "no accounts") {
		t.Errorf("the sign-in page does not say that no accounts exist")
	}
	// Even the local admin's forms need the CSRF token.
	if code, _, _ := fetch(t, c, "POST", hs.URL+"/shares", url.Values{"kind": {"dashboard"}, "target": {"daily-ops"}}); code != http.StatusForbidden {
		t.Errorf("POST /shares without CSRF = %d, want 403", code)
	}

	// A fresh browser's first visit to /shares gets one CSRF cookie, and
	// the forms carry its token: the first link it creates works.
	fresh := newClient(hs)
	code, body, resp := fetch(t, fresh, "GET", hs.URL+"/shares", nil)
	var set []string
	for _, line := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, access.CSRFCookie+"=") {
			set = append(set, line)
		}
	}
	m := csrfRE.FindStringSubmatch(body)
	if code != http.StatusOK || len(set) != 1 || m == nil || !strings.HasPrefix(set[0], access.CSRFCookie+"="+m[1]+";") {
		t.Fatalf("first /shares: %d, CSRF cookies %q; want one, matching the forms' token", code, set)
	}
	if code, _, _ := fetch(t, fresh, "POST", hs.URL+"/shares", url.Values{"csrf": {m[1]}, "kind": {"dashboard"}, "target": {"daily-ops"}, "expires": {"7d"}}); code != http.StatusOK {
		t.Errorf("first share link from a fresh browser = %d, want 200", code)
	}

	// The local admin exists only for requests addressed to this machine:
	// a site whose name is rebound to 127.0.0.1 gets nothing.
	for _, path := range []string{"/kpis", "/d/daily-ops/panels/p1.csv", "/shares"} {
		if code, _, _ := fetch(t, newClient(hs), "GET", hs.URL+path, nil, "Host", "rebind.attacker.example"); code != http.StatusMisdirectedRequest {
			t.Errorf("GET %s with Host rebind.attacker.example = %d, want 421", path, code)
		}
	}
	anyHost := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.AnyHost = true })
	if code, _, _ := fetch(t, newClient(anyHost), "GET", anyHost.URL+"/kpis", nil, "Host", "ops.internal.example"); code != http.StatusOK {
		t.Errorf("with --insecure-no-auth, another host name = %d, want 200", code)
	}

	// A server that listens beyond loopback never falls back to that.
	closed := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.DenyWithoutAuth = true })
	if code, _, _ := fetch(t, newClient(closed), "GET", closed.URL+"/kpis", nil); code != http.StatusServiceUnavailable {
		t.Errorf("without accounts and with DenyWithoutAuth, /kpis = %d, want 503", code)
	}
}

// When opsboard's own database fails, a server that started with accounts
// keeps asking for a sign-in: it never falls back to the local admin.
func TestSignInSurvivesADatabaseFailure(t *testing.T) {
	data := demoDB(t)
	dead, err := store.Open(context.Background(), dbtest.URL(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dead.Close()
	accounts := true
	hs := startAuthServer(t, data, "../..", false, func(c *web.Config) { c.DB, c.Accounts = dead, &accounts })
	for _, path := range []string{"/d/daily-ops", "/d/daily-ops/panels/p1.csv", "/kpis"} {
		if code, _, _ := fetch(t, newClient(hs), "GET", hs.URL+path, nil); code == http.StatusOK {
			t.Errorf("GET %s with opsboard's database down = 200 to an anonymous visitor", path)
		}
	}
}

func TestSignInRequiredOnceAnAccountExists(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "viewer@example.com", "viewer")
	hs := startAuthServer(t, db, "../..", false, nil)
	anon := newClient(hs)

	redirects := map[string]string{
		"/":                            "/login?next=%2F",
		"/kpis":                        "/login?next=%2Fkpis",
		"/d/daily-ops?range=yesterday": "/login?next=%2Fd%2Fdaily-ops%3Frange%3Dyesterday",
		"/reports/ops-daily":           "/login?next=%2Freports%2Fops-daily",
		"/shares":                      "/login?next=%2Fshares",
	}
	for path, want := range redirects {
		code, _, resp := fetch(t, anon, "GET", hs.URL+path, nil)
		if code != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("anonymous GET %s = %d to %q, want 303 to %q", path, code, resp.Header.Get("Location"), want)
		}
	}
	for _, path := range []string{"/d/daily-ops/panels/p1.csv", "/d/daily-ops/panels/p1.json"} {
		if code, _, _ := fetch(t, anon, "GET", hs.URL+path, nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s = %d, want 401", path, code)
		}
	}
	for _, path := range []string{"/shares", "/reports/ops-daily/2026-01-05/send"} {
		if code, _, _ := fetch(t, anon, "POST", hs.URL+path, url.Values{}); code != http.StatusUnauthorized {
			t.Errorf("anonymous POST %s = %d, want 401", path, code)
		}
	}
	for _, path := range []string{"/healthz", "/login", "/assets/app.css"} {
		if code, _, _ := fetch(t, anon, "GET", hs.URL+path, nil); code != http.StatusOK {
			t.Errorf("anonymous GET %s = %d, want 200", path, code)
		}
	}
	code, _, resp := fetch(t, anon, "GET", hs.URL+"/no/such/page", nil)
	if code != http.StatusNotFound || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("GET /no/such/page = %d with CSP %q, want 404 with security headers", code, resp.Header.Get("Content-Security-Policy"))
	}

	// /metrics: open to a scraper on this machine, not to what a proxy relays.
	if code, _, _ := fetch(t, anon, "GET", hs.URL+"/metrics", nil); code != http.StatusOK {
		t.Errorf("GET /metrics from loopback = %d, want 200", code)
	}
	if code, _, _ := fetch(t, anon, "GET", hs.URL+"/metrics", nil, "X-Forwarded-For", "198.51.100.7"); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics relayed by a proxy = %d, want 401", code)
	}
	public := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.MetricsPublic = true })
	if code, _, _ := fetch(t, newClient(public), "GET", public.URL+"/metrics", nil, "X-Forwarded-For", "198.51.100.7"); code != http.StatusOK {
		t.Errorf("GET /metrics with MetricsPublic = %d, want 200", code)
	}

	// Signed in, the page the sign-in was for comes next.
	c := newClient(hs)
	tok := csrfOn(t, c, hs, "/login?next=%2Fkpis")
	code, _, resp = fetch(t, c, "POST", hs.URL+"/login", url.Values{"csrf": {tok}, "email": {"Viewer@Example.com"}, "password": {password}, "next": {"/kpis"}})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/kpis" {
		t.Fatalf("sign-in = %d to %q, want 303 to /kpis", code, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/kpis", "/reports", "/d/daily-ops/panels/p1.json"} {
		if code, body, _ := fetch(t, c, "GET", hs.URL+path, nil); code != http.StatusOK {
			t.Errorf("signed-in GET %s = %d:\n%.300s", path, code, body)
		}
	}
	// The destination after sign-in is always on this site.
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example"} {
		c := newClient(hs)
		tok := csrfOn(t, c, hs, "/login")
		_, _, resp := fetch(t, c, "POST", hs.URL+"/login", url.Values{"csrf": {tok}, "email": {"viewer@example.com"}, "password": {password}, "next": {next}})
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("sign-in with next=%q goes to %q, want /", next, loc)
		}
	}
}

func TestSessionCookie(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "lead@example.com", "editor")
	addUser(t, db, "other@example.com", "viewer")

	cases := []struct {
		name       string
		tls        bool
		proxy      *access.Proxy
		headers    []string
		wantSecure bool
	}{
		{name: "http", wantSecure: false},
		{name: "https", tls: true, wantSecure: true},
		{name: "https at a trusted proxy", proxy: &access.Proxy{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
			headers: []string{"X-Forwarded-Proto", "https"}, wantSecure: true},
		{name: "https claimed by an untrusted peer", proxy: &access.Proxy{Trusted: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}},
			headers: []string{"X-Forwarded-Proto", "https"}, wantSecure: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs := startAuthServer(t, db, "../..", tc.tls, func(c *web.Config) { c.Proxy = tc.proxy })
			c := newClient(hs)
			tok := csrfOn(t, c, hs, "/login")
			_, _, resp := fetch(t, c, "POST", hs.URL+"/login", url.Values{"csrf": {tok}, "email": {"lead@example.com"}, "password": {password}}, tc.headers...)
			sc := cookieNamed(resp, access.SessionCookie)
			if sc == nil {
				t.Fatalf("no %s cookie after signing in (status %d)", access.SessionCookie, resp.StatusCode)
			}
			if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure != tc.wantSecure || sc.Path != "/" {
				t.Errorf("cookie HttpOnly=%v SameSite=%v Secure=%v Path=%q; want HttpOnly, Lax, Secure=%v, /",
					sc.HttpOnly, sc.SameSite, sc.Secure, sc.Path, tc.wantSecure)
			}
			if len(sc.Value) < 43 || sc.Expires.Before(time.Now().Add(11*time.Hour)) || sc.Expires.After(time.Now().Add(13*time.Hour)) {
				t.Errorf("session token %d characters, expires %v; want 43+ characters and 12 h", len(sc.Value), sc.Expires)
			}
			if _, err := db.SessionByHash(context.Background(), []byte(sc.Value)); err == nil {
				t.Errorf("the session token itself is stored, not its hash")
			}
		})
	}

	t.Run("logout revokes", func(t *testing.T) {
		hs := startAuthServer(t, db, "../..", false, nil)
		c, resp := login(t, hs, "lead@example.com", password)
		stolen := cookieNamed(resp, access.SessionCookie)
		tok := csrfOn(t, c, hs, "/login") // the signed-in page has the sign-out form
		if code, _, _ := fetch(t, c, "POST", hs.URL+"/logout", url.Values{}); code != http.StatusForbidden {
			t.Errorf("POST /logout without CSRF = %d, want 403", code)
		}
		code, _, resp := fetch(t, c, "POST", hs.URL+"/logout", url.Values{"csrf": {tok}})
		if code != http.StatusSeeOther || cookieNamed(resp, access.SessionCookie) == nil || cookieNamed(resp, access.SessionCookie).MaxAge >= 0 {
			t.Errorf("POST /logout = %d, want 303 clearing the cookie", code)
		}
		// The old cookie, replayed, no longer works.
		replay := newClient(hs)
		u, _ := url.Parse(hs.URL)
		replay.Jar.SetCookies(u, []*http.Cookie{stolen})
		if code, _, _ := fetch(t, replay, "GET", hs.URL+"/kpis", nil); code != http.StatusSeeOther {
			t.Errorf("a logged-out session still opens /kpis (%d)", code)
		}
	})

	t.Run("sessions expire", func(t *testing.T) {
		hs := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.SessionTTL = time.Second })
		c, resp := login(t, hs, "lead@example.com", password)
		if code, _, _ := fetch(t, c, "GET", hs.URL+"/kpis", nil); code != http.StatusOK {
			t.Fatalf("fresh session: /kpis = %d", code)
		}
		time.Sleep(1100 * time.Millisecond)
		// A browser would drop the cookie by now; the server must not rely on that.
		replay := newClient(hs)
		u, _ := url.Parse(hs.URL)
		replay.Jar.SetCookies(u, []*http.Cookie{{Name: access.SessionCookie, Value: cookieNamed(resp, access.SessionCookie).Value}})
		if code, _, _ := fetch(t, replay, "GET", hs.URL+"/kpis", nil); code != http.StatusSeeOther {
			t.Errorf("an expired session still opens /kpis (%d)", code)
		}
	})

	t.Run("removing the account ends its sessions", func(t *testing.T) {
		hs := startAuthServer(t, db, "../..", false, nil)
		pw := addUser(t, db, "leaving@example.com", "viewer")
		c, _ := login(t, hs, "leaving@example.com", pw)
		if code, _, _ := fetch(t, c, "GET", hs.URL+"/kpis", nil); code != http.StatusOK {
			t.Fatalf("/kpis = %d", code)
		}
		if err := db.RemoveUser(context.Background(), "leaving@example.com"); err != nil {
			t.Fatal(err)
		}
		if code, _, _ := fetch(t, c, "GET", hs.URL+"/kpis", nil); code != http.StatusSeeOther {
			t.Errorf("a removed account's session still opens /kpis (%d)", code)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "viewer@example.com", "viewer")
	// 127.0.0.1 is a trusted proxy here, so X-Forwarded-For sets the client.
	proxy := &access.Proxy{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	attempt := func(hs *httptest.Server, c *http.Client, tok, email, pw, ip string) (int, *http.Response) {
		code, _, resp := fetch(t, c, "POST", hs.URL+"/login", url.Values{"csrf": {tok}, "email": {email}, "password": {pw}}, "X-Forwarded-For", ip)
		return code, resp
	}

	t.Run("per address", func(t *testing.T) {
		hs := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.Proxy = proxy })
		c := newClient(hs)
		tok := csrfOn(t, c, hs, "/login")
		for i := range 5 {
			if code, _ := attempt(hs, c, tok, "guess"+string(rune('a'+i))+"@example.com", "wrong-password", "198.51.100.1"); code != http.StatusUnauthorized {
				t.Fatalf("wrong attempt %d = %d, want 401", i+1, code)
			}
		}
		code, resp := attempt(hs, c, tok, "viewer@example.com", password, "198.51.100.1")
		if code != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("6th attempt from one address = %d (Retry-After %q), want 429 even with the right password", code, resp.Header.Get("Retry-After"))
		}
		if code, _ := attempt(hs, c, tok, "viewer@example.com", password, "198.51.100.2"); code != http.StatusSeeOther {
			t.Errorf("the right password from another address = %d, want 303", code)
		}
	})

	t.Run("per email", func(t *testing.T) {
		hs := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.Proxy = proxy })
		c := newClient(hs)
		tok := csrfOn(t, c, hs, "/login")
		wrong := func(from, to int) {
			t.Helper()
			for i := from; i < to; i++ {
				ip := "203.0.113." + strconv.Itoa(i+1)
				if code, _ := attempt(hs, c, tok, "viewer@example.com", "wrong-password", ip); code != http.StatusUnauthorized {
					t.Fatalf("wrong attempt %d = %d, want 401", i+1, code)
				}
			}
		}
		// A few guesses from elsewhere do not lock the owner out...
		wrong(0, 5)
		var ownerTok string
		owner := newClientWithCSRF(t, hs, &ownerTok)
		if code, _ := attempt(hs, owner, ownerTok, "viewer@example.com", password, "203.0.113.200"); code != http.StatusSeeOther {
			t.Errorf("the owner after 5 wrong guesses from other addresses = %d, want 303", code)
		}
		// ...but many, from many addresses, stop everyone for a while.
		wrong(5, 19)
		if code, _ := attempt(hs, c, tok, "VIEWER@example.com", password, "203.0.113.99"); code != http.StatusTooManyRequests {
			t.Errorf("21st attempt for one account from a new address = %d, want 429", code)
		}
	})
}

// newClientWithCSRF is a fresh client with the sign-in form's token in *tok.
func newClientWithCSRF(t *testing.T, hs *httptest.Server, tok *string) *http.Client {
	c := newClient(hs)
	*tok = csrfOn(t, c, hs, "/login")
	return c
}

func TestCSRF(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "lead@example.com", "editor")
	hs := startAuthServer(t, db, "../..", false, nil)

	anon := newClient(hs)
	loginTok := csrfOn(t, anon, hs, "/login")
	if code, _, _ := fetch(t, newClient(hs), "POST", hs.URL+"/login", url.Values{"email": {"lead@example.com"}, "password": {password}}); code != http.StatusForbidden {
		t.Errorf("POST /login without CSRF = %d, want 403", code)
	}

	c, _ := login(t, hs, "lead@example.com", password)
	tok := csrfOn(t, c, hs, "/shares")
	form := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "kind": {"dashboard"}, "target": {"daily-ops"}, "expires": {"1d"}}
	}
	before, _ := db.ListShareLinks(context.Background())
	refused := []struct {
		name    string
		form    url.Values
		headers []string
	}{
		{"no token", form(""), nil},
		{"wrong token", form(strings.Repeat("A", 43)), nil},
		{"the sign-in form's token", form(loginTok), nil},
		{"other origin", form(tok), []string{"Origin", "http://evil.example"}},
		{"cross-site fetch", form(tok), []string{"Sec-Fetch-Site", "cross-site"}},
		{"other referer", form(tok), []string{"Referer", "http://evil.example/page"}},
	}
	for _, r := range refused {
		if code, body, _ := fetch(t, c, "POST", hs.URL+"/shares", r.form, r.headers...); code != http.StatusForbidden {
			t.Errorf("%s: POST /shares = %d, want 403:\n%.300s", r.name, code, body)
		}
	}
	if after, _ := db.ListShareLinks(context.Background()); len(after) != len(before) {
		t.Fatalf("refused requests made %d links", len(after)-len(before))
	}
	if code, body, _ := fetch(t, c, "POST", hs.URL+"/shares", form(tok), "Origin", hs.URL, "Sec-Fetch-Site", "same-origin"); code != http.StatusOK || !strings.Contains(body, "/s/") {
		t.Errorf("POST /shares with the token from this site = %d, want 200 with the new link:\n%.300s", code, body)
	}
	// The token can also come in a header, for scripts.
	if code, _, _ := fetch(t, c, "POST", hs.URL+"/shares", url.Values{"kind": {"dashboard"}, "target": {"daily-ops"}}, access.CSRFHeader, tok); code != http.StatusOK {
		t.Errorf("POST /shares with %s = %d, want 200", access.CSRFHeader, code)
	}
}

// resendRecorder is a Resend hook that records its calls.
type resendRecorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *resendRecorder) resend(ctx context.Context, report string, date time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, report+" "+date.Format(query.DateLayout))
	return nil
}

func (r *resendRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func TestRoles(t *testing.T) {
	db := demoDB(t)
	viewerPW := addUser(t, db, "viewer@example.com", "viewer")
	editorPW := addUser(t, db, "editor@example.com", "editor")
	adminPW := addUser(t, db, "admin@example.com", "admin")
	rec := &resendRecorder{}
	hs := startAuthServer(t, db, "../..", false, func(c *web.Config) { c.Resend = rec.resend })
	send := "/reports/ops-daily/2026-01-05/send"

	viewer, _ := login(t, hs, "viewer@example.com", viewerPW)
	vtok := csrfOn(t, viewer, hs, "/login")
	if code, _, _ := fetch(t, viewer, "POST", hs.URL+send, url.Values{"csrf": {vtok}}); code != http.StatusForbidden {
		t.Errorf("viewer re-sends a report: %d, want 403", code)
	}
	if code, _, _ := fetch(t, viewer, "POST", hs.URL+"/shares", url.Values{"csrf": {vtok}, "kind": {"dashboard"}, "target": {"daily-ops"}}); code != http.StatusForbidden {
		t.Errorf("viewer creates a share link: %d, want 403", code)
	}
	if code, _, _ := fetch(t, viewer, "POST", hs.URL+"/shares/1/revoke", url.Values{"csrf": {vtok}}); code != http.StatusForbidden {
		t.Errorf("viewer revokes a share link: %d, want 403", code)
	}
	if code, _, _ := fetch(t, viewer, "GET", hs.URL+"/shares", nil); code != http.StatusForbidden {
		t.Errorf("viewer lists share links: %d, want 403", code)
	}
	if rec.count() != 0 {
		t.Fatalf("a refused request re-sent a report: %v", rec.calls)
	}
	_, vpage, _ := fetch(t, viewer, "GET", hs.URL+"/reports", nil)
	if strings.Contains(vpage, "Send now") || strings.Contains(vpage, `href="/shares"`) || !strings.Contains(vpage, "Sign out") {
		t.Errorf("a viewer's /reports: want Sign out and neither Send now nor the share links")
	}

	for _, who := range []struct{ email, pw string }{{"editor@example.com", editorPW}, {"admin@example.com", adminPW}} {
		c, _ := login(t, hs, who.email, who.pw)
		tok := csrfOn(t, c, hs, "/shares")
		_, page, _ := fetch(t, c, "GET", hs.URL+"/reports/ops-daily", nil)
		if !strings.Contains(page, `action="/reports/ops-daily/send"`) || !strings.Contains(page, `href="/shares"`) || !strings.Contains(page, who.email) {
			t.Errorf("%s's /reports/ops-daily: want the Send now form, the share links and who is signed in", who.email)
		}
		if code, _, resp := fetch(t, c, "POST", hs.URL+"/reports/ops-daily/send", url.Values{"csrf": {tok}, "date": {"2026-01-06"}}); code != http.StatusSeeOther {
			t.Errorf("%s sends now: %d (%v), want 303", who.email, code, resp.Header.Get("Location"))
		}
		if code, _, _ := fetch(t, c, "POST", hs.URL+"/reports/ops-daily/send", url.Values{"csrf": {tok}, "date": {"yesterday"}}); code != http.StatusBadRequest {
			t.Errorf("%s sends now with a bad date: %d, want 400", who.email, code)
		}
		code, _, resp := fetch(t, c, "POST", hs.URL+send, url.Values{"csrf": {tok}})
		if code != http.StatusSeeOther || resp.Header.Get("Location") != "/reports/ops-daily" {
			t.Errorf("%s re-sends a report: %d to %q, want 303 to the archive", who.email, code, resp.Header.Get("Location"))
		}
		if code, _, _ := fetch(t, c, "POST", hs.URL+"/reports/no-such-report/2026-01-05/send", url.Values{"csrf": {tok}}); code != http.StatusNotFound {
			t.Errorf("re-sending an unknown report: %d, want 404", code)
		}
	}
	if want := []string{"ops-daily 2026-01-06", "ops-daily 2026-01-05", "ops-daily 2026-01-06", "ops-daily 2026-01-05"}; strings.Join(rec.calls, ",") != strings.Join(want, ",") {
		t.Errorf("Resend calls %v, want %v", rec.calls, want)
	}

	noHook := startAuthServer(t, db, "../..", false, nil)
	c, _ := login(t, noHook, "editor@example.com", editorPW)
	tok := csrfOn(t, c, noHook, "/shares")
	if code, _, _ := fetch(t, c, "POST", noHook.URL+send, url.Values{"csrf": {tok}}); code != http.StatusServiceUnavailable {
		t.Errorf("re-send without a delivery service: %d, want 503", code)
	}
	if _, page, _ := fetch(t, c, "GET", noHook.URL+"/reports", nil); strings.Contains(page, "Send now") || !strings.Contains(page, "Mail is not configured") {
		t.Errorf("/reports on a server that cannot mail: want no Send now button and a note saying mail is not configured")
	}
}

func TestAuthProxy(t *testing.T) {
	db := demoDB(t)
	mustHaveNoUsers(t, db)
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	rec := &resendRecorder{}
	hs := startAuthServer(t, db, "../..", false, func(c *web.Config) {
		c.Proxy = &access.Proxy{Header: "X-Forwarded-Email", Trusted: loopback, DefaultRole: access.Viewer}
		c.Resend = rec.resend
	})

	// The proxy alone turns sign-in on, with no account at all.
	if code, _, _ := fetch(t, newClient(hs), "GET", hs.URL+"/kpis", nil); code != http.StatusSeeOther {
		t.Errorf("no proxy header: /kpis = %d, want 303 to the sign-in", code)
	}
	someone := newClient(hs)
	if code, _, _ := fetch(t, someone, "GET", hs.URL+"/kpis", nil, "X-Forwarded-Email", "someone@example.com"); code != http.StatusOK {
		t.Errorf("proxy user without an account: /kpis = %d, want 200 (default role viewer)", code)
	}
	if code, _, _ := fetch(t, someone, "GET", hs.URL+"/shares", nil, "X-Forwarded-Email", "someone@example.com"); code != http.StatusForbidden {
		t.Errorf("proxy user without an account: /shares = %d, want 403", code)
	}

	// With an account, the account's role applies.
	addUser(t, db, "editor@example.com", "editor")
	ed := newClient(hs)
	code, body, _ := fetch(t, ed, "GET", hs.URL+"/shares", nil, "X-Forwarded-Email", "Editor@Example.com")
	m := csrfRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("proxy editor: /shares = %d", code)
	}
	code, _, _ = fetch(t, ed, "POST", hs.URL+"/reports/ops-daily/2026-01-05/send", url.Values{"csrf": {m[1]}}, "X-Forwarded-Email", "editor@example.com")
	if code != http.StatusSeeOther || rec.count() != 1 {
		t.Errorf("proxy editor re-sends: %d, %d calls; want 303 and one call", code, rec.count())
	}

	// From an address that is not a trusted proxy, the header means nothing.
	elsewhere := startAuthServer(t, db, "../..", false, func(c *web.Config) {
		c.Proxy = &access.Proxy{Header: "X-Forwarded-Email", Trusted: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, DefaultRole: access.Admin}
	})
	if code, _, _ := fetch(t, newClient(elsewhere), "GET", elsewhere.URL+"/kpis", nil, "X-Forwarded-Email", "editor@example.com"); code != http.StatusSeeOther {
		t.Errorf("proxy header from an untrusted address: /kpis = %d, want 303 to the sign-in", code)
	}
}
