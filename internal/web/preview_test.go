package web_test

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/report"
	"github.com/opsboard/opsboard/internal/web"
)

// previewDefs are shareDefs with a scheduled report nobody has run yet.
func previewDefs() map[string]string {
	defs := maps.Clone(shareDefs)
	defs["reports/first-light.yaml"] = "title: First light\ndashboard: by-channel\nto: [ops@example.com]\nschedule: \"0 7 * * *\"\n"
	return defs
}

// withPreview makes the server preview reports through a real producer
// over its own definitions, as serve does, without mail.
func withPreview(t *testing.T, dir string) func(*web.Config) {
	return func(cfg *web.Config) {
		cat := cfg.Catalog
		p, err := report.NewProducer(report.Config{Catalog: func() *catalog.Catalog { return cat }, Runner: cfg.Runner, Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		cfg.Preview = func(ctx context.Context, name string, date time.Time) ([]byte, error) {
			o, err := p.Render(ctx, name, date)
			if err != nil {
				return nil, err
			}
			return o.HTML, nil
		}
		cfg.MailMissing = "OPSBOARD_SMTP_URL is not set"
	}
}

// Before a report's first run, /reports says when it comes and anyone
// signed in can preview it for a date: rendered, not archived, not sent.
// An editor is told what the server lacks to send it.
func TestPreviewBeforeTheFirstRun(t *testing.T) {
	db := demoDB(t)
	editorPW := addUser(t, db, "lead@example.com", "editor")
	viewerPW := addUser(t, db, "reader@example.com", "viewer")
	root := writeDefs(t, previewDefs())
	_, hs, _ := startWebServer(t, root, withPreview(t, root))
	editor, _ := login(t, hs, "lead@example.com", editorPW)
	viewer, _ := login(t, hs, "reader@example.com", viewerPW)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")

	code, page, _ := fetch(t, viewer, "GET", hs.URL+"/reports/first-light", nil)
	if code != http.StatusOK || !strings.Contains(page, `action="/reports/first-light/preview"`) ||
		!strings.Contains(page, `name="date" value="`+yesterday+`"`) {
		t.Fatalf("/reports/first-light = %d without a preview form for yesterday:\n%s", code, page)
	}
	if !strings.Contains(page, "No runs yet: the first scheduled one is First light, ") || !strings.Contains(page, "Next run: ") ||
		!strings.Contains(page, "Preview a report above to see it now.") {
		t.Errorf("/reports/first-light does not say when the first run comes and that it can be previewed")
	}
	if strings.Contains(page, "OPSBOARD_SMTP_URL") {
		t.Errorf("a viewer is told about mail settings")
	}
	_, page, _ = fetch(t, editor, "GET", hs.URL+"/reports/first-light", nil)
	if !strings.Contains(page, "Mail is not configured on this server (OPSBOARD_SMTP_URL is not set): reports cannot be sent from here.") {
		t.Errorf("an editor is not told what the server lacks to send reports")
	}

	for _, c := range []*http.Client{viewer, editor} {
		code, html, _ := fetch(t, c, "GET", hs.URL+"/reports/first-light/preview?date="+yesterday, nil)
		if code != http.StatusOK || !strings.Contains(html, "opsboard report") || !strings.Contains(html, "<h1>First light</h1>") {
			t.Errorf("preview = %d, not the report page:\n%.500s", code, html)
		}
	}
	if runs, err := db.ListRuns(context.Background(), "first-light", 10); err != nil || len(runs) != 0 {
		t.Errorf("previewing archived %d runs (%v), want none", len(runs), err)
	}

	for _, c := range []struct {
		path string
		code int
	}{
		{"/reports/first-light/preview?date=2026-13-01", http.StatusBadRequest},
		{"/reports/first-light/preview?date=" + time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02"), http.StatusBadRequest},
		{"/reports/nope/preview", http.StatusNotFound},
	} {
		if code, _, _ := fetch(t, viewer, "GET", hs.URL+c.path, nil); code != c.code {
			t.Errorf("GET %s = %d, want %d", c.path, code, c.code)
		}
	}
	if code, _, _ := fetch(t, newClient(hs), "GET", hs.URL+"/reports/first-light/preview", nil); code == http.StatusOK {
		t.Errorf("a visitor without an account can preview a report")
	}
}
