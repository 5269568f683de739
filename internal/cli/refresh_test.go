package cli_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"github.com/opsboard/opsboard/internal/dbtest"
)

// `opsboard refresh` computes every shipped dashboard's morning, records
// it in the store and says what it did; `--since` first forgets the
// settled days kept from that day on, and a bad date is a usage error.
func TestRefreshComputesTheMornings(t *testing.T) {
	withDemo(t)
	day := time.Now().Format("2006-01-02")
	code, out, errOut := run(t, "--dir", "../..", "refresh", "--date", day)
	if code != 0 {
		t.Fatalf("refresh exited %d:\n%s\n%s", code, out, errOut)
	}
	line := regexp.MustCompile(`(?m)^(customer-impact|daily-ops): (\d+) views for ` + day + ` in [\d.]+ s$`)
	if got := line.FindAllStringSubmatch(out, -1); len(got) != 2 {
		t.Fatalf("refresh said:\n%s\nwant a line for each of the two dashboards", out)
	}
	st := dbtest.Store(t)
	done, err := st.LatestPrecomputes(context.Background(), time.Now().AddDate(0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"customer-impact", "daily-ops"} {
		p := done[name]
		// The default view and one per filter value: customer-impact has 4
		// regions and 3 channels besides "all".
		if p.Day.Format("2006-01-02") != day || p.Views < 8 || p.Failures != 0 {
			t.Errorf("%s: the store recorded %+v; want %s with at least 8 views and no failures", name, p, day)
		}
	}

	// The morning printed the reports due today: `opsboard report` reads
	// the PDF back, and needs no Chromium (there is none to find); a fresh
	// print does.
	browsertest.Need(t)
	yesterday := time.Now().AddDate(0, 0, -1).Format("2006-01-02")
	dir := t.TempDir()
	none := map[string]string{"OPSBOARD_CHROME": filepath.Join(dir, "no-chromium")}
	kept := filepath.Join(dir, "kept.pdf")
	if code, out, errOut := runWith(t, none, "--dir", "../..", "report", "ops-daily", "--date", yesterday, "--out", kept); code != 0 {
		t.Fatalf("report after the morning exited %d:\n%s\n%s", code, out, errOut)
	}
	text, err := exec.Command("pdftotext", kept, "-").Output()
	if err != nil || !strings.Contains(string(text), "Ops daily") {
		t.Errorf("the kept print is not the report (%v):\n%s", err, text)
	}
	code, _, errOut = runWith(t, none, "--dir", "../..", "report", "ops-daily", "--date", yesterday, "--fresh", "--out", filepath.Join(dir, "fresh.pdf"))
	if code == 0 || !strings.Contains(errOut, "Chromium not found") {
		t.Errorf("report --fresh without Chromium exited %d: %s; want it to print, so to need Chromium", code, errOut)
	}

	since := time.Now().AddDate(0, 0, -30).Format("2006-01-02")
	code, out, errOut = run(t, "--dir", "../..", "refresh", "--date", day, "--since", since)
	if code != 0 || !strings.Contains(out, "forgot the settled days kept from "+since) {
		t.Errorf("refresh --since exited %d:\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := run(t, "refresh", "--since", "last week"); code != 2 || !strings.Contains(errOut, `--since must be YYYY-MM-DD, not "last week"`) {
		t.Errorf("refresh --since 'last week' exited %d: %s", code, errOut)
	}
}
