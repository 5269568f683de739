package cli_test

import (
	"os"
	"path/filepath"
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
