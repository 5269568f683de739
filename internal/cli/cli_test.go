package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/cli"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/demo"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

var loadOnce sync.Once

// run runs the command line against the package's database.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runWith(t, nil, args...)
}

// runWith is run with more environment variables.
func runWith(t *testing.T, more map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	url := dbtest.URL(t)
	env := map[string]string{"DATABASE_URL": url, "OPSBOARD_TIMEZONE": "America/New_York"}
	for k, v := range more {
		env[k] = v
	}
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func withDemo(t *testing.T) {
	t.Helper()
	var err error
	loadOnce.Do(func() {
		loc, _ := time.LoadLocation("America/New_York")
		_, err = demo.Load(context.Background(), dbtest.Admin(t), demo.Options{Scale: 0.3, Days: 400, Seed: 11, Location: loc, Now: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every shipped query runs on the demo data and returns rows.
func TestEveryShippedQueryRuns(t *testing.T) {
	withDemo(t)
	cat, err := catalog.Load("../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Queries) < 14 {
		t.Errorf("%d shipped queries, want at least 14", len(cat.Queries))
	}
	for _, name := range cat.QueryNames() {
		t.Run(name, func(t *testing.T) {
			q := cat.Queries[name]
			if q.Title == "" || q.Description == "" {
				t.Errorf("%s lacks a title or description", q.File)
			}
			code, out, errOut := run(t, "--dir", "../..", "query", name, "--range", "last_90_days", "--format", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var res struct {
				Columns []struct{ Name string } `json:"columns"`
				Rows    []map[string]any        `json:"rows"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("bad JSON: %v\n%s", err, out)
			}
			if len(res.Rows) == 0 {
				t.Errorf("no rows over the last 90 days of demo data")
			}
			for _, c := range res.Columns {
				if _, ok := res.Rows[0][c.Name]; !ok && len(res.Rows) > 0 {
					t.Errorf("column %s missing from rows", c.Name)
				}
			}
		})
	}
}

func TestValidateWithDatabase(t *testing.T) {
	withDemo(t)
	code, out, errOut := run(t, "--dir", "../..", "validate", "--db")
	if code != 0 || !strings.HasPrefix(out, "ok:") {
		t.Fatalf("validate --db exit %d:\n%s%s", code, out, errOut)
	}
	// The NPS tile does not follow the channel filter: valid, but said.
	if !strings.Contains(errOut, `warning: dashboards/daily-ops.yaml:`) || !strings.Contains(errOut, `(query kpi/nps) does not take filter "channel"`) {
		t.Errorf("validate warns of no tile that ignores a filter:\n%s", errOut)
	}
}

func TestQueryTableOutput(t *testing.T) {
	withDemo(t)
	code, out, errOut := run(t, "--dir", "../..", "query", "kpi/csat", "--range", "last_7_days")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"kpi/csat", "value", "America/New_York", "(1 rows)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table output lacks %q:\n%s", want, out)
		}
	}
}

func TestExitCodes(t *testing.T) {
	broken := t.TempDir()
	os.MkdirAll(filepath.Join(broken, "sql"), 0o755)
	os.WriteFile(filepath.Join(broken, "sql", "bad.sql"), []byte("-- title: Bad\n-- params: n int = many\nSELECT :n AS n, :nope AS x\n"), 0o644)
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"bad flag", []string{"query", "--nope"}, 2, "flag provided but not defined"},
		{"bad format", []string{"--dir", "../..", "query", "kpi/csat", "--format", "xml"}, 2, "--format"},
		{"unknown query", []string{"--dir", "../..", "query", "kpi/nothing"}, 1, `no query "kpi/nothing"`},
		{"unknown parameter", []string{"--dir", "../..", "query", "kpi/csat", "-p", "colour=red"}, 2, `no parameter "colour"`},
		{"bad range", []string{"--dir", "../..", "query", "kpi/csat", "--range", "fortnight"}, 2, `unknown range "fortnight"`},
		{"bad time zone before the command", []string{"--timezone", "Mars/Base", "validate"}, 2, `unknown time zone "Mars/Base"`},
		{"broken definitions", []string{"--dir", broken, "validate"}, 1, filepath.Join(broken, "sql", "bad.sql") + ":2"},
		{"unknown placeholder line", []string{"--dir", broken, "validate"}, 1, filepath.Join(broken, "sql", "bad.sql") + ":3:"},
		{"help", []string{"query", "--help"}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr: %s)", code, tc.code, errOut)
			}
			if !strings.Contains(errOut, tc.inStderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tc.inStderr)
			}
		})
	}
	// --help prints the usage once, on stdout.
	code, out, errOut := run(t, "migrate", "--help")
	if code != 0 || strings.Count(out, "usage: opsboard migrate") != 1 || errOut != "" {
		t.Errorf("migrate --help: exit %d, stdout %q, stderr %q; want the usage once on stdout", code, out, errOut)
	}
}

// Global flags work before the command's name too.
func TestGlobalFlagsBeforeTheCommand(t *testing.T) {
	withDemo(t)
	code, out, errOut := run(t, "--timezone", "Asia/Tokyo", "--dir", "../..", "query", "kpi/orders", "--range", "yesterday")
	if code != 0 || !strings.Contains(out, "Asia/Tokyo") {
		t.Errorf("--timezone before the command: exit %d, stdout %q (stderr %s); want the query run in Asia/Tokyo", code, out, errOut)
	}
}
