package cli

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/dbtest"
)

// TestMain (dbtest.Main) is in cli_test.go.

// runWith runs the command line against the package's database with extra
// environment variables, until it ends or ctx does.
func runWith(ctx context.Context, t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	vars := map[string]string{"DATABASE_URL": dbtest.URL(t), "OPSBOARD_TIMEZONE": "UTC"}
	for k, v := range env {
		vars[k] = v
	}
	var out, errb bytes.Buffer
	code = Main(ctx, args, &out, &errb, func(k string) string { return vars[k] })
	return code, out.String(), errb.String()
}

func TestCheckBind(t *testing.T) {
	cases := []struct {
		addr           string
		auth, insecure bool
		ok             bool
	}{
		{"127.0.0.1:8080", false, false, true},
		{"localhost:8080", false, false, true},
		{"[::1]:8080", false, false, true},
		{"0.0.0.0:8080", false, false, false},
		{":8080", false, false, false},
		{"192.0.2.10:8080", false, false, false},
		{"[::]:8080", false, false, false},
		{"0.0.0.0:8080", true, false, true},
		{":8080", true, false, true},
		{"0.0.0.0:8080", false, true, true},
	}
	for _, c := range cases {
		err := checkBind(c.addr, c.auth, c.insecure)
		if (err == nil) != c.ok {
			t.Errorf("checkBind(%q, auth=%v, insecure=%v) = %v, want ok=%v", c.addr, c.auth, c.insecure, err, c.ok)
		}
		var ue *usageError
		if err != nil && (!errors.As(err, &ue) || !strings.Contains(err.Error(), "--insecure-no-auth")) {
			t.Errorf("checkBind(%q) = %v, want a usage error that names --insecure-no-auth", c.addr, err)
		}
	}
}

// serve without auth refuses a non-loopback address (exit 2, nothing
// listens); with an account, it serves there.
func TestServeBindsBeyondLoopbackOnlyWithAuth(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Store(t)
	if has, _ := db.HasUsers(ctx); has {
		t.Fatal("the test database has accounts already")
	}
	code, _, errOut := runWith(ctx, t, nil, "--dir", "../..", "serve", "--addr", "0.0.0.0:0", "--scheduler=false")
	if code != 2 || !strings.Contains(errOut, "loopback only") {
		t.Errorf("serve on 0.0.0.0 without auth: exit %d, stderr %q; want 2 saying loopback only", code, errOut)
	}

	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	code, out, errOut := runWith(short, t, nil, "--dir", "../..", "serve", "--addr", "127.0.0.1:0", "--scheduler=false")
	if code != 0 || !strings.Contains(out, "loopback only") || !strings.Contains(out, "every visitor acts as admin") {
		t.Errorf("serve on loopback without auth: exit %d, stdout %q, stderr %q; want it to say it is loopback only", code, out, errOut)
	}

	short, cancel = context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	code, out, errOut = runWith(short, t, map[string]string{"OPSBOARD_AUTH_PROXY_HEADER": "X-Forwarded-Email", "OPSBOARD_AUTH_PROXY_TRUSTED": "10.0.0.1"},
		"--dir", "../..", "serve", "--addr", "0.0.0.0:0", "--scheduler=false")
	if code != 0 || !strings.Contains(out, "opsboard is serving") {
		t.Errorf("serve on 0.0.0.0 with an auth proxy: exit %d, stdout %q, stderr %q; want it to serve", code, out, errOut)
	}

	if code, _, errOut := runWith(ctx, t, map[string]string{"OPSBOARD_AUTH_PROXY_HEADER": "X-Forwarded-Email"}, "--dir", "../..", "serve"); code != 1 ||
		!strings.Contains(errOut, "OPSBOARD_AUTH_PROXY_TRUSTED") {
		t.Errorf("an auth-proxy header without trusted proxies: exit %d, stderr %q; want 1 naming OPSBOARD_AUTH_PROXY_TRUSTED", code, errOut)
	}

	orig := readPassword
	t.Cleanup(func() { readPassword = orig })
	readPassword = func() (string, error) { return "a-password-for-serve", nil }
	if code, _, errOut := runWith(ctx, t, nil, "user", "add", "admin@example.com", "--role", "admin"); code != 0 {
		t.Fatalf("user add: exit %d: %s", code, errOut)
	}
	t.Cleanup(func() { db.RemoveUser(ctx, "admin@example.com") })
	short, cancel = context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	code, out, errOut = runWith(short, t, nil, "--dir", "../..", "serve", "--addr", "0.0.0.0:0", "--scheduler=false")
	if code != 0 || !strings.Contains(out, "opsboard is serving") {
		t.Errorf("serve on 0.0.0.0 with an account: exit %d, stdout %q, stderr %q; want it to serve", code, out, errOut)
	}
}

var shareURLRE = regexp.MustCompile(`^(.*)/s/([A-Za-z0-9_-]{43})\n$`)

func TestShareCommands(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Store(t)

	code, out, errOut := runWith(ctx, t, map[string]string{"OPSBOARD_BASE_URL": "https://ops.example.com/"},
		"--dir", "../..", "share", "create", "--dashboard", "customer-impact", "--param", "channel=web", "-p", "region=north", "--label", "Marketing weekly", "--expires", "7d")
	m := shareURLRE.FindStringSubmatch(out)
	if code != 0 || m == nil || m[1] != "https://ops.example.com" {
		t.Fatalf("share create: exit %d, stdout %q (stderr %s); want one line https://ops.example.com/s/TOKEN", code, out, errOut)
	}
	if !strings.Contains(errOut, "only time") {
		t.Errorf("share create does not say the address is shown once: %s", errOut)
	}
	link, err := db.UseShareLink(ctx, access.HashToken(m[2]))
	if err != nil {
		t.Fatalf("the printed token does not open the stored link: %v", err)
	}
	if link.Kind != "dashboard" || link.Target != "customer-impact" || link.Params["channel"] != "web" || link.Params["region"] != "north" ||
		link.Label != "Marketing weekly" || link.ExpiresAt.Sub(time.Now()) > 7*24*time.Hour || link.ExpiresAt.Sub(time.Now()) < 7*24*time.Hour-time.Minute {
		t.Errorf("stored link %+v", link)
	}

	if link.ShowSQL || !strings.Contains(errOut, "without the SQL") || !strings.Contains(errOut, "below OPSBOARD_BASE_URL (https://ops.example.com/)") {
		t.Errorf("share create without --show-sql: ShowSQL %v, stderr %q; want the SQL hidden and the base named", link.ShowSQL, errOut)
	}

	code, out, errOut = runWith(ctx, t, nil, "--dir", "../..", "share", "create", "--report", "ops-daily", "--show-sql")
	m2 := shareURLRE.FindStringSubmatch(out)
	if code != 0 || m2 == nil || m2[1] != "http://127.0.0.1:8080" {
		t.Fatalf("share create without OPSBOARD_BASE_URL: exit %d, %q; want a full address below serve's default http://127.0.0.1:8080", code, out)
	}
	if !strings.Contains(errOut, "OPSBOARD_BASE_URL is not set") || !strings.Contains(errOut, "where 'opsboard serve' listens by default") {
		t.Errorf("share create without OPSBOARD_BASE_URL does not say which address it used: %s", errOut)
	}
	if link, err := db.UseShareLink(ctx, access.HashToken(m2[2])); err != nil || !link.ShowSQL {
		t.Errorf("share create --show-sql stored %+v (%v), want ShowSQL", link, err)
	}

	code, out, _ = runWith(ctx, t, nil, "share", "list")
	for _, want := range []string{"ID", "LAST USED", "customer-impact", "channel=web, region=north", "Marketing weekly", "ops-daily", "active"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("share list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, m[2]) {
		t.Errorf("share list shows a token")
	}

	id := strings.Fields(strings.Split(out, "\n")[2])[0] // the older link: customer-impact
	if code, out, errOut := runWith(ctx, t, nil, "share", "revoke", id); code != 0 || !strings.Contains(out, "revoked share link "+id) {
		t.Errorf("share revoke %s: exit %d, %q %q", id, code, out, errOut)
	}
	if l, _ := db.UseShareLink(ctx, access.HashToken(m[2])); l == nil || l.Status != "revoked" {
		t.Errorf("after share revoke, the link is %+v", l)
	}

	for _, tc := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"share"}, 2, "create, list or revoke"},
		{[]string{"share", "create"}, 2, "--dashboard NAME or --report NAME"},
		{[]string{"share", "create", "--dashboard", "customer-impact", "--report", "ops-daily"}, 2, "not both"},
		{[]string{"share", "create", "--dashboard", "nope"}, 1, `no dashboard called "nope"`},
		{[]string{"share", "create", "--dashboard", "customer-impact", "--param", "channel=tv"}, 2, `no option "tv"`},
		{[]string{"share", "create", "--dashboard", "customer-impact", "--param", "colour=red"}, 2, `no filter "colour"`},
		{[]string{"share", "create", "--report", "ops-daily", "--param", "channel=web"}, 2, "no parameters"},
		{[]string{"share", "create", "--dashboard", "customer-impact", "--expires", "2y"}, 2, "--expires"},
		{[]string{"share", "list", "--label", "x"}, 2, "only goes with create"},
		{[]string{"share", "revoke", "abc"}, 2, "not a link ID"},
		{[]string{"share", "revoke", "999999"}, 1, "no share link 999999"},
	} {
		code, _, errOut := runWith(ctx, t, nil, append([]string{"--dir", "../.."}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.inStderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", tc.args, code, errOut, tc.code, tc.inStderr)
		}
	}
}

func TestUserCommands(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Store(t)
	orig := readPassword
	t.Cleanup(func() {
		readPassword = orig
		for _, e := range []string{"lead@example.com", "viewer@example.com"} {
			db.RemoveUser(ctx, e)
		}
	})

	readPassword = func() (string, error) { return "piped-in password", nil }
	code, out, errOut := runWith(ctx, t, nil, "user", "add", "Lead@Example.com", "--role", "editor")
	if code != 0 || !strings.Contains(out, "added lead@example.com (editor)") || strings.Contains(out, "password") {
		t.Fatalf("user add with a piped password: exit %d, %q %q", code, out, errOut)
	}
	u, err := db.UserByEmail(ctx, "lead@example.com")
	if err != nil || u.Role != "editor" || !access.CheckPassword(u.PasswordHash, "piped-in password") || strings.Contains(u.PasswordHash, "piped") {
		t.Errorf("stored account %+v, %v: want the password bcrypt-hashed", u, err)
	}

	readPassword = func() (string, error) { return "", nil }
	code, out, _ = runWith(ctx, t, nil, "user", "add", "viewer@example.com")
	m := regexp.MustCompile(`password: (\S+)\n`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("user add without a piped password: exit %d, %q; want a generated password printed", code, out)
	}
	if u, err := db.UserByEmail(ctx, "viewer@example.com"); err != nil || u.Role != "viewer" || !access.CheckPassword(u.PasswordHash, m[1]) {
		t.Errorf("the printed password does not match the stored account (%v)", err)
	}

	_, hash := access.NewToken()
	if err := db.CreateSession(ctx, hash, u.ID, "csrf", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runWith(ctx, t, nil, "user", "list")
	if code != 0 || !regexp.MustCompile(`lead@example.com\s+editor\s+\S+ \S+\s+1\n`).MatchString(out) || !strings.Contains(out, "viewer@example.com") {
		t.Errorf("user list:\n%s", out)
	}
	if code, out, _ := runWith(ctx, t, nil, "user", "remove", "LEAD@example.com"); code != 0 || !strings.Contains(out, "removed lead@example.com") {
		t.Errorf("user remove: exit %d, %q", code, out)
	}
	if _, err := db.SessionByHash(ctx, hash); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("a removed account's session survives: %v", err)
	}

	readPassword = func() (string, error) { return "short", nil }
	for _, tc := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"user", "add", "viewer@example.com"}, 1, "too short"},
		{[]string{"user", "add", "not-an-email"}, 2, "not an email address"},
		{[]string{"user", "add", "x@example.com", "--role", "owner"}, 2, "unknown role"},
		{[]string{"user", "remove", "nobody@example.com"}, 1, "no account for nobody@example.com"},
		{[]string{"user", "list", "--role", "admin"}, 2, "only goes with add"},
		{[]string{"user"}, 2, "add, list or remove"},
	} {
		code, _, errOut := runWith(ctx, t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.inStderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", tc.args, code, errOut, tc.code, tc.inStderr)
		}
	}
	readPassword = func() (string, error) { return "another long password", nil }
	if code, _, errOut := runWith(ctx, t, nil, "user", "add", "viewer@example.com"); code != 1 || !strings.Contains(errOut, "already an account") {
		t.Errorf("adding an existing account: exit %d, %q", code, errOut)
	}
}
