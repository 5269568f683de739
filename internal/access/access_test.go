package access

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
)

func TestRoles(t *testing.T) {
	for _, name := range Roles() {
		r, err := ParseRole(strings.ToUpper(name))
		if err != nil || r.String() != name {
			t.Errorf("ParseRole(%q) = %v, %v", name, r, err)
		}
	}
	if _, err := ParseRole("owner"); !errors.Is(err, apperr.ErrInvalid) {
		t.Errorf("ParseRole(owner) = %v, want an invalid error", err)
	}
	cases := []struct {
		have, need Role
		want       bool
	}{
		{Viewer, Viewer, true}, {Viewer, Editor, false}, {Editor, Viewer, true}, {Editor, Admin, false},
		{Admin, Editor, true}, {NoRole, Viewer, false}, {Admin, NoRole, false},
	}
	for _, c := range cases {
		if got := c.have.Allows(c.need); got != c.want {
			t.Errorf("%v.Allows(%v) = %v, want %v", c.have, c.need, got, c.want)
		}
	}
}

func TestCheckEmail(t *testing.T) {
	if got, err := CheckEmail("  Lead@Example.COM "); err != nil || got != "lead@example.com" {
		t.Errorf("CheckEmail = %q, %v", got, err)
	}
	for _, bad := range []string{"", "lead", "Lead <lead@example.com>", "a@b@c"} {
		if _, err := CheckEmail(bad); err == nil {
			t.Errorf("CheckEmail(%q) accepted", bad)
		}
	}
}

func TestTokens(t *testing.T) {
	a, hashA := NewToken()
	b, _ := NewToken()
	if len(a) != 43 || a == b || strings.ContainsAny(a, "+/=") {
		t.Fatalf("tokens %q, %q: want two different 43-character base64url strings", a, b)
	}
	if sum := sha256.Sum256([]byte(a)); string(hashA) != string(sum[:]) {
		t.Errorf("the stored hash is not the SHA-256 of the token")
	}
	if !TokenEqual(a, a) || TokenEqual(b, a) || TokenEqual("", "") || TokenEqual(a[:42], a) {
		t.Errorf("TokenEqual does not compare tokens exactly")
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if cost, _ := bcrypt.Cost([]byte(h)); cost < 10 {
		t.Errorf("bcrypt cost %d, want at least 10", cost)
	}
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "correct horse batterY") || CheckPassword("", "") {
		t.Errorf("CheckPassword does not tell right from wrong")
	}
	for _, bad := range []string{"short", strings.Repeat("x", 73)} {
		if _, err := HashPassword(bad); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("HashPassword(%d chars) = %v, want invalid", len(bad), err)
		}
	}
	if p := GeneratePassword(); len(p) < MinPasswordLength {
		t.Errorf("generated password %q is too short", p)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	l := NewLimiter(3, time.Minute)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow("ip:1", "email:a"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		now = now.Add(10 * time.Second)
	}
	ok, retry := l.Allow("ip:1", "email:b")
	if ok || retry != 30*time.Second {
		t.Errorf("4th attempt from the same IP: ok=%v retry=%v, want refused, retry in 30s", ok, retry)
	}
	if ok, _ := l.Allow("ip:2", "email:a"); ok {
		t.Errorf("4th attempt for the same email from another IP was allowed")
	}
	if ok, _ := l.Allow("ip:2", "email:c"); !ok {
		t.Errorf("a fresh IP and email were refused")
	}
	now = now.Add(41 * time.Second)
	if ok, _ := l.Allow("ip:1", "email:a"); !ok {
		t.Errorf("an attempt after the window was refused")
	}
}

func TestProxy(t *testing.T) {
	nets, err := ParseNetworks(" 10.0.0.0/8, 192.0.2.7 ,::1")
	if err != nil || len(nets) != 3 {
		t.Fatalf("ParseNetworks = %v, %v", nets, err)
	}
	if _, err := ParseNetworks("10.0.0.0/33"); err == nil {
		t.Errorf("a bad prefix was accepted")
	}
	p := &Proxy{Header: "X-Forwarded-Email", Trusted: nets, DefaultRole: Viewer}
	req := func(remote string, headers ...string) *http.Request {
		r := httptest.NewRequest("GET", "http://ops.example.com/", nil)
		r.RemoteAddr = remote
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		return r
	}
	trusted := req("10.1.2.3:5555", "X-Forwarded-Email", "Lead@Example.com", "X-Forwarded-For", "198.51.100.9, 10.9.9.9",
		"X-Forwarded-Proto", "https", "X-Forwarded-Host", "ops.example.org")
	if got := p.User(trusted); got != "lead@example.com" {
		t.Errorf("User from a trusted proxy = %q", got)
	}
	if got := p.ClientIP(trusted); got != "198.51.100.9" {
		t.Errorf("ClientIP behind a trusted proxy = %q, want the first untrusted hop", got)
	}
	if !p.IsHTTPS(trusted) || p.Host(trusted) != "ops.example.org" {
		t.Errorf("forwarded proto/host from a trusted proxy not believed")
	}
	other := req("203.0.113.5:4444", "X-Forwarded-Email", "admin@example.com", "X-Forwarded-For", "10.0.0.1",
		"X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example")
	if p.User(other) != "" || p.ClientIP(other) != "203.0.113.5" || p.IsHTTPS(other) || p.Host(other) != "ops.example.com" {
		t.Errorf("headers from an untrusted address were believed")
	}
	tlsReq := req("203.0.113.5:4444")
	tlsReq.TLS = &tls.ConnectionState{}
	if !p.IsHTTPS(tlsReq) {
		t.Errorf("a TLS request is not HTTPS")
	}
	if (&Proxy{Trusted: nets}).User(trusted) != "" {
		t.Errorf("without a header name, auth-proxy mode is off")
	}
	v6 := req("[::1]:80", "X-Forwarded-Email", "a@example.com")
	if p.User(v6) != "a@example.com" {
		t.Errorf("IPv6 loopback proxy not trusted")
	}
	direct := &Proxy{}
	if !direct.IsLoopback(req("127.0.0.1:1")) || direct.IsLoopback(req("127.0.0.1:1", "X-Forwarded-For", "198.51.100.1")) ||
		direct.IsLoopback(req("127.0.0.1:1", "X-Real-IP", "198.51.100.1")) || direct.IsLoopback(req("192.0.2.1:1")) {
		t.Errorf("IsLoopback wrong")
	}
	if p.IsLoopback(req("[::1]:80")) {
		t.Errorf("a configured proxy on loopback counts as a program on this machine")
	}
	twice := req("10.1.2.3:5555", "X-Forwarded-Email", "viewer@example.com")
	twice.Header.Add("X-Forwarded-Email", "admin@example.com")
	if got := p.User(twice); got != "" {
		t.Errorf("User with the header twice = %q, want nobody", got)
	}
	if got := p.User(req("10.1.2.3:5555", "X-Forwarded-Email", "admin@example.com, viewer@example.com")); got != "" {
		t.Errorf("User with two addresses in the header = %q, want nobody", got)
	}
	for host, want := range map[string]bool{"127.0.0.1:8080": true, "localhost:8080": true, "LOCALHOST": true, "[::1]:80": true,
		"app.localhost:1": true, "127.1.2.3": true, "rebind.attacker.example:8080": false, "10.0.0.1:8080": false, "": false} {
		if LoopbackHost(host) != want {
			t.Errorf("LoopbackHost(%q) = %v, want %v", host, !want, want)
		}
	}
	mapped := req("[::ffff:10.0.0.1]:80", "X-Forwarded-Email", "b@example.com")
	if p.User(mapped) != "b@example.com" {
		t.Errorf("an IPv4-mapped IPv6 peer is not matched against IPv4 prefixes")
	}
}

func TestSameOrigin(t *testing.T) {
	cases := []struct {
		name    string
		headers map[string]string
		ok      bool
	}{
		{"no browser headers", nil, true},
		{"same-origin fetch", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"typed address", map[string]string{"Sec-Fetch-Site": "none"}, true},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://ops.example.com"}, false},
		{"same-site fetch", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"same origin", map[string]string{"Origin": "http://ops.example.com"}, true},
		{"other origin", map[string]string{"Origin": "http://evil.example"}, false},
		{"null origin", map[string]string{"Origin": "null"}, true},
		{"other referer", map[string]string{"Referer": "http://evil.example/page"}, false},
		{"same referer", map[string]string{"Referer": "http://ops.example.com/shares"}, true},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "http://ops.example.com/shares", nil)
		for k, v := range c.headers {
			r.Header.Set(k, v)
		}
		err := SameOrigin(r, r.Host)
		if (err == nil) != c.ok {
			t.Errorf("%s: SameOrigin = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrCrossSite) {
			t.Errorf("%s: error %v is not ErrCrossSite", c.name, err)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	cases := map[string]time.Duration{
		"": DefaultShareExpiry, "30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute,
	}
	for in, want := range cases {
		if got, err := ParseExpiry(in); err != nil || got != want {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"0d", "-1d", "soon", "400d", "d"} {
		if _, err := ParseExpiry(bad); err == nil {
			t.Errorf("ParseExpiry(%q) accepted", bad)
		}
	}
}

func TestCheckShare(t *testing.T) {
	c, err := catalog.Load("../..")
	if err != nil {
		t.Fatal(err)
	}
	ok := []struct {
		kind, target string
		params       map[string]string
	}{
		{ShareDashboard, "customer-impact", nil},
		{ShareDashboard, "customer-impact", map[string]string{"channel": "web", "region": "north"}},
		{ShareReport, "ops-daily", nil},
	}
	for _, s := range ok {
		if err := CheckShare(c, s.kind, s.target, s.params); err != nil {
			t.Errorf("CheckShare(%s %s %v) = %v", s.kind, s.target, s.params, err)
		}
	}
	bad := []struct {
		kind, target string
		params       map[string]string
		want         string
	}{
		{ShareDashboard, "nope", nil, "no dashboard"},
		{ShareDashboard, "customer-impact", map[string]string{"channel": "tv"}, `no option "tv"`},
		{ShareDashboard, "customer-impact", map[string]string{"warehouse": "x"}, `no filter "warehouse"`},
		{ShareReport, "nope", nil, "no report"},
		{ShareReport, "ops-daily", map[string]string{"channel": "web"}, "no parameters"},
		{"query", "kpi/csat", nil, "not \"query\""},
	}
	for _, s := range bad {
		err := CheckShare(c, s.kind, s.target, s.params)
		if err == nil || !strings.Contains(err.Error(), s.want) {
			t.Errorf("CheckShare(%s %s %v) = %v, want an error saying %q", s.kind, s.target, s.params, err, s.want)
		}
	}
	if got := ShareURL("https://ops.example.com/", "abc"); got != "https://ops.example.com/s/abc" {
		t.Errorf("ShareURL = %q", got)
	}
	if got := ShareURL("", "abc"); got != "/s/abc" {
		t.Errorf("ShareURL without a base = %q", got)
	}
}
