// Package browsertest finds Chromium for tests: a missing one skips the test,
// except under CI=true, where it fails.
package browsertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser"
)

// Need returns the Chromium executable for a test that needs one (found as
// browser.Find(os.Getenv("OPSBOARD_CHROME")) does). Without Chromium the test is
// skipped, except under CI=true, where it fails: CI must not pass by skipping.
func Need(tb testing.TB) string {
	tb.Helper()
	path, err := browser.Find(os.Getenv("OPSBOARD_CHROME"))
	switch {
	case err == nil:
		return path
	case os.Getenv("CI") == "true":
		tb.Fatalf("CI=true: %v", err)
	default:
		tb.Skip(err)
	}
	return ""
}

// NeedBrowser starts a Browser for a test (see Need about a missing
// Chromium) and closes it when the test and its subtests end.
func NeedBrowser(tb testing.TB) *browser.Browser {
	tb.Helper()
	path := Need(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := browser.Start(ctx, path)
	if err != nil {
		tb.Fatalf("starting Chromium: %v", err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("closing Chromium: %v", err)
		}
	})
	return b
}
