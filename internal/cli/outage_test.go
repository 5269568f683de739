package cli_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/dbtest"
)

// proxy forwards TCP connections from a loopback port to target: the
// database, as seen at another address that can be opened later.
type proxy struct {
	l     net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

// startProxy listens on addr and forwards every connection to target
// until the test ends.
func startProxy(t *testing.T, addr, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the proxy cannot listen on %s: %v", addr, err)
	}
	p := &proxy{l: l}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); io.Copy(out, in); out.Close() }()
			go func() { defer p.wg.Done(); io.Copy(in, out); in.Close() }()
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) close() {
	p.l.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

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

	startProxy(t, addr, real.Host)
	waitFor(t, "serve recovers once the database answers", base+"/healthz", 30*time.Second, func(code int, body string) bool {
		return code == http.StatusOK
	})
	code, body := getBody(base + "/d/daily-ops")
	if code != http.StatusOK || strings.Contains(body, `data-error="true"`) || !strings.Contains(body, `class="tile`) {
		t.Errorf("after the database came back, /d/daily-ops = %d, with failed panels or no tiles", code)
	}
}
