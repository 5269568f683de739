package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
		"sql/typo.sql": "-- title: Typo\n-- params: channel text = 'all'\nSELECT count(*) AS n FORM pg_class\n",
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
