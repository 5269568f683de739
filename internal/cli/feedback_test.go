package cli_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/cli"
	"github.com/opsboard/opsboard/internal/dbtest"
)

// writeRoot writes definition files (path → contents) into a fresh root.
func writeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// validate --db puts a database error where it is in the file: the line
// and column PostgreSQL points at, not counted in the "EXPLAIN " text it
// was sent, with PostgreSQL's own position left out of the message.
func TestValidateDBLocatesTheError(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"sql/typo.sql": "-- title: Typo\n-- description: a typo on line 3\nSELECT count(*) AS n FORM pg_class\n",
		"sql/later.sql": "-- title: Later\n-- params: channel text = 'all'\n" +
			"SELECT relname AS name\nFROM pg_class\nWHERE (:channel = 'all' OR relname = :channel)\n  ORDER BY nme\n",
	})
	code, _, stderr := run(t, "--dir", root, "validate", "--db")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	for _, want := range []string{
		filepath.Join(root, "sql/typo.sql") + `:3:22: EXPLAIN failed: syntax error at or near "FORM"` + "\n",
		filepath.Join(root, "sql/later.sql") + `:6:12: EXPLAIN failed: column "nme" does not exist` + "\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "at position") || strings.Contains(stderr, "at column") {
		t.Errorf("stderr still carries PostgreSQL's position in the text it was sent:\n%s", stderr)
	}
}

// A tile whose query returns text is refused by validate --db, at the
// tile's line, rather than shown as "no data" on the page.
func TestValidateDBRefusesATextTile(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"sql/plan.sql":         "-- title: Plan\nSELECT 'basic' AS value\n",
		"sql/count.sql":        "-- title: Count\nSELECT count(*) AS value FROM pg_class\n",
		"dashboards/subs.yaml": "title: Subscriptions\ntiles:\n  - query: count\n  - query: plan\n    label: Plan\n",
	})
	code, _, stderr := run(t, "--dir", root, "validate", "--db")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	want := filepath.Join(root, "dashboards/subs.yaml") + `:4: tile "Plan": query plan: column value is text, not a number`
	if !strings.Contains(stderr, want) || strings.Contains(stderr, "query count") {
		t.Errorf("stderr should name the text tile only, with %q:\n%s", want, stderr)
	}
}

// With a problem in the files, validate --db says that nothing was
// checked against the database, so its list is not taken for all there is.
func TestValidateDBSaysWhenItCouldNotCheck(t *testing.T) {
	root := writeRoot(t, map[string]string{
		"sql/unused.sql": "-- title: Unused\n-- params: plan text = 'all'\nSELECT 1 AS value\n",
		"sql/plan.sql":   "-- title: Plan\nSELECT 'basic' AS value\n",
	})
	code, _, stderr := run(t, "--dir", root, "validate", "--db")
	if code != 1 || !strings.Contains(stderr, `parameter "plan" is declared but never used`) ||
		!strings.Contains(stderr, "nothing was checked against the database") {
		t.Errorf("exit %d, want 1 with the unused parameter and a word that the database checks did not run:\n%s", code, stderr)
	}
}

// query --format table writes a percentage as the dashboards do; CSV keeps
// the raw fraction.
func TestQueryTableUsesColumnFormats(t *testing.T) {
	withDemo(t)
	code, out, errOut := run(t, "--dir", "../..", "query", "kpi/on_time_rate", "--format", "table")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !regexp.MustCompile(`\d+\.\d%`).MatchString(out) || regexp.MustCompile(`\b0\.\d{3,}`).MatchString(out) {
		t.Errorf("table does not write the on-time rate as a percentage:\n%s", out)
	}
	code, out, errOut = run(t, "--dir", "../..", "query", "kpi/on_time_rate", "--format", "csv")
	if code != 0 || strings.Contains(out, "%") || !regexp.MustCompile(`\n0\.\d+,`).MatchString(out) {
		t.Errorf("csv: exit %d, want the raw fraction:\n%s%s", code, out, errOut)
	}
}

// startServe runs 'opsboard serve' on a free loopback port with the given
// environment and definitions root until the test ends, and returns its
// base URL.
func startServe(t *testing.T, env map[string]string, root string, extra ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var logs syncBuffer
	args := append([]string{"--dir", root, "serve", "--addr", addr, "--scheduler=false"}, extra...)
	go func() {
		done <- cli.Main(ctx, args, io.Discard, &logs, func(k string) string { return env[k] })
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, logs.String())
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", logs.String())
		}
	})
	return "http://" + addr
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
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

// getBody GETs url; a refused connection is status 0.
func getBody(url string) (int, string) {
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls url until ok accepts its answer, or fails the test.
func waitFor(t *testing.T, what, url string, within time.Duration, ok func(code int, body string) bool) string {
	t.Helper()
	var code int
	var body string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if code, body = getBody(url); ok(code, body) {
			return body
		}
	}
	t.Fatalf("%s: %s answered %d within %s:\n%.1500s", what, url, code, within, body)
	return ""
}

// A reload is checked as validate --db checks: a query the database
// refuses, then a YAML typo, each keep the last good set served and show
// their problem (file:line:col) on every page until the files are fixed;
// /healthz and /metrics follow.
func TestServeReloadKeepsTheLastGoodSetAndSaysWhy(t *testing.T) {
	good := map[string]string{
		"sql/tables.sql":       "-- title: Tables\n-- unit: count\nSELECT count(*) AS value FROM pg_class\n",
		"dashboards/ops.yaml":  "title: Ops v1\ntiles:\n  - query: tables\n",
		"reports/ops-day.yaml": "dashboard: ops\nto: ops@example.com\n",
	}
	root := writeRoot(t, good)
	base := startServe(t, map[string]string{"DATABASE_URL": dbtest.URL(t)}, root)
	waitFor(t, "serve starts", base+"/healthz", 20*time.Second, func(code int, body string) bool { return code == http.StatusOK })
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	banner := func(code int, body string) bool { return strings.Contains(body, "data-reload-problems") }

	write("sql/tables.sql", "-- title: Tables\n-- unit: count\nSELECT count(*) AS value FROM pg_class WHERE relnam <> ''\n")
	body := waitFor(t, "a query the database refuses", base+"/", 20*time.Second, banner)
	if !strings.Contains(body, `sql/tables.sql:3:46: EXPLAIN failed: column &#34;relnam&#34; does not exist`) {
		t.Errorf("the banner does not locate the database's error in the file:\n%s", body)
	}
	if _, page := getBody(base + "/d/ops"); !strings.Contains(page, "Ops v1") || !banner(0, page) {
		t.Errorf("/d/ops does not show the last good version with the banner")
	}
	if _, health := getBody(base + "/healthz"); !strings.Contains(health, `"definitions":"failing"`) {
		t.Errorf("/healthz during a failed reload: %s", health)
	}

	write("sql/tables.sql", good["sql/tables.sql"])
	write("dashboards/ops.yaml", "title: Ops v2\ntiles:\n  - query: tables\n    lable: Tables\n")
	body = waitFor(t, "a YAML typo", base+"/", 20*time.Second, func(code int, body string) bool {
		return strings.Contains(body, "dashboards/ops.yaml:4:")
	})
	if strings.Contains(body, "unknown dashboard") || strings.Contains(body, "sql/tables.sql") {
		t.Errorf("the banner has more than the typo:\n%s", body)
	}

	write("dashboards/ops.yaml", "title: Ops v2\ntiles:\n  - query: tables\n    label: Tables\n")
	waitFor(t, "the fixed files", base+"/d/ops", 20*time.Second, func(code int, body string) bool {
		return strings.Contains(body, "Ops v2") && !banner(code, body)
	})
	if _, health := getBody(base + "/healthz"); !strings.Contains(health, `"definitions":"ok"`) {
		t.Errorf("/healthz after a reload that worked: %s", health)
	}
	_, m := getBody(base + "/metrics")
	for _, want := range []string{`opsboard_definition_reloads_total{result="failed"} 2`, `opsboard_definition_reloads_total{result="ok"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
