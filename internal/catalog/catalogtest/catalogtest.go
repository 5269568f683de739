// Package catalogtest writes definitions for tests: query files,
// dashboards and reports of a schema the demo never had.
package catalogtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opsboard/opsboard/internal/catalog"
)

// Write writes files (path below the root → content) into a fresh root
// and returns it.
func Write(tb testing.TB, files map[string]string) string {
	tb.Helper()
	root := tb.TempDir()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

// Load writes files as Write does and loads them; a definition that does
// not load fails the test.
func Load(tb testing.TB, files map[string]string) *catalog.Catalog {
	tb.Helper()
	c, err := catalog.Load(Write(tb, files))
	if err != nil {
		tb.Fatalf("loading the test's definitions: %v", err)
	}
	return c
}
