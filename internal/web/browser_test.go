package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser"
	"github.com/opsboard/opsboard/internal/browser/browsertest"
)

// artifactDir is where tests leave screenshots for a person to look at:
// $OPSBOARD_ARTIFACTS, else artifacts/ at the repository root.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("OPSBOARD_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Every shipped dashboard, in real headless Chromium: no console errors, no
// failed or off-host requests, and every panel has drawn its chart.
func TestDashboardsInBrowser(t *testing.T) {
	b := browsertest.NeedBrowser(t)
	ts := startServer(t, demoDB(t), "../..")
	for _, name := range ts.srv.Catalog().DashboardNames() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var charts, drawn, empty int
			visit, err := b.Visit(ctx, ts.URL+"/d/"+name, 1400, func(ctx context.Context) error {
				if err := browser.Eval(ctx, `document.querySelectorAll('.chart').length`, &charts); err != nil {
					return err
				}
				if err := browser.Eval(ctx, `[...document.querySelectorAll('.chart[data-drawn="true"]')].filter(el => el.querySelector('svg, canvas')).length`, &drawn); err != nil {
					return err
				}
				return browser.Eval(ctx, `document.querySelectorAll('[data-error], [data-empty]').length`, &empty)
			})
			if err != nil {
				t.Fatalf("visiting /d/%s: %v", name, err)
			}
			for _, msg := range visit.ConsoleErrors {
				t.Errorf("console: %s", msg)
			}
			for _, r := range visit.FailedRequests {
				t.Errorf("failed request: %s", r)
			}
			for _, r := range visit.OffHostRequests {
				t.Errorf("request to another host: %s", r)
			}
			want := 0
			for _, p := range ts.srv.Catalog().Dashboards[name].Panels {
				if p.Chart != "table" {
					want++
				}
			}
			if charts != want || drawn != want {
				t.Errorf("%d chart elements, %d drawn; want %d drawn charts", charts, drawn, want)
			}
			if empty != 0 {
				t.Errorf("%d panels failed or empty", empty)
			}
			png, err := b.Screenshot(ctx, ts.URL+"/d/"+name, 1400, "")
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			out := filepath.Join(artifactDir(t), "dashboard-"+name+".png")
			if err := os.WriteFile(out, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", out)
		})
	}
}
