package cli_test

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/dbtest"
)

// serve starts while its database is down (the URL points at a port
// nobody listens on): it answers every page with a notice and /healthz
// with 503, naming no host or port; once the database answers there (a
// proxy to it is started), it serves the dashboards without a restart.
func TestServeStartsWithTheDatabaseDownAndRecovers(t *testing.T) {
	withDemo(t)
	real, err := url.Parse(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	down := *real
	down.Host = addr
	_, port, _ := net.SplitHostPort(addr)

	base := startServe(t, map[string]string{"DATABASE_URL": down.String(), "OPSBOARD_TIMEZONE": "America/New_York"}, "../..")
	health := waitFor(t, "serve listens with its database down", base+"/healthz", 20*time.Second, func(code int, body string) bool {
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(health, `"database":"failing"`) || !strings.Contains(health, `"status":"degraded"`) {
		t.Errorf("/healthz with the database down: %s", health)
	}
	for _, path := range []string{"/", "/d/daily-ops", "/reports", "/kpis"} {
		code, body := getBody(base + path)
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be reached") {
			t.Errorf("GET %s with the database down = %d, want 503 saying the data cannot be reached:\n%.600s", path, code, body)
		}
		if strings.Contains(body, port) || strings.Contains(body, "127.0.0.1") || strings.Contains(body, "refused") {
			t.Errorf("GET %s names the database's address or the network error:\n%s", path, body)
		}
	}

	dbtest.StartProxyAt(t, addr, real.Host)
	waitFor(t, "serve recovers once the database answers", base+"/healthz", 30*time.Second, func(code int, body string) bool {
		return code == http.StatusOK
	})
	code, body := getBody(base + "/d/daily-ops")
	if code != http.StatusOK || strings.Contains(body, `data-error="true"`) || !strings.Contains(body, `class="tile`) {
		t.Errorf("after the database came back, /d/daily-ops = %d, with failed panels or no tiles", code)
	}
}
