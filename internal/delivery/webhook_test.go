package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/delivery"
	"github.com/opsboard/opsboard/internal/mail/mailtest"
	"github.com/opsboard/opsboard/internal/store"
)

// A report with a webhook is posted to the chat channel once, its subject,
// highlights and the link to the run, after a refusal (500) is retried;
// the mail goes out as before.
func TestReportPostedToAWebhook(t *testing.T) {
	db := demoDB(t)
	var mu sync.Mutex
	var bodies []map[string]string
	calls := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		var b map[string]string
		raw, _ := io.ReadAll(r.Body)
		json.Unmarshal(raw, &b)
		bodies = append(bodies, b)
	}))
	defer hook.Close()
	root := defs(t, map[string]string{
		"reports/ops-daily.yaml": "title: Ops daily\ndashboard: daily-ops\nto: [lead@example.com]\nwebhooks:\n  - url_env: OPS_CHANNEL\n    format: slack\n",
	})
	smtp := mailtest.Start(t, mailtest.Options{})
	e := newEnv(t, db, root, smtp.URL(), nil)
	e.svc.Getenv = func(name string) string {
		if name == "OPS_CHANNEL" {
			return hook.URL + "/services/T000/B000/secret"
		}
		return ""
	}
	ctx := context.Background()
	run, err := e.svc.Send(ctx, "ops-daily", yesterday(), delivery.SendOptions{})
	if run == nil {
		t.Fatalf("send: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for run.Status != store.RunSent && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // the backoff is a millisecond
		if err := e.svc.Process(ctx, run); err != nil {
			t.Logf("process: %v", err)
		}
		run, _ = db.RunByID(ctx, run.ID)
	}
	if run.Status != store.RunSent {
		t.Fatalf("run status %q, want sent after the webhook's retry", run.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 || len(bodies) != 1 {
		t.Fatalf("the webhook got %d calls and %d accepted posts; want a refusal then one post", calls, len(bodies))
	}
	text := bodies[0]["text"]
	for _, want := range []string{run.Subject, "http://opsboard.example.com/reports/ops-daily/"} {
		if !strings.Contains(text, want) {
			t.Errorf("the post lacks %q:\n%s", want, text)
		}
	}
	if run.Summary != "" && !strings.Contains(text, strings.Split(run.Summary, "\n")[0]) {
		t.Errorf("the post lacks the first highlight %q:\n%s", strings.Split(run.Summary, "\n")[0], text)
	}
	if got := smtp.WaitFor(1, 10*time.Second); len(got) != 1 {
		t.Errorf("%d mails, want the one to lead@", len(got))
	}
	deliveries, _ := db.Deliveries(ctx, run.ID)
	for _, d := range deliveries {
		if strings.Contains(d.Recipient, "secret") || strings.Contains(d.Recipient, "127.0.0.1") {
			t.Errorf("the archive shows the webhook's address: %q", d.Recipient)
		}
	}
}

// A run whose render keeps dying before it can record anything (a crash)
// is failed in the end, not rendered again for ever.
func TestRenderThatKeepsCrashingFailsInTheEnd(t *testing.T) {
	db := demoDB(t)
	smtp := mailtest.Start(t, mailtest.Options{})
	e := newEnv(t, db, defs(t, nil), smtp.URL(), nil)
	ctx := context.Background()
	run, claimed, err := db.ClaimScheduledRun(ctx, "ops-daily", time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC), "America/New_York", nil)
	if err != nil || !claimed {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	// Ten renders started and none recorded an outcome.
	if err := dbtest.Admin(t).Exec(ctx, `UPDATE opsboard.report_runs SET render_starts = 10 WHERE id = $1`, run.ID); err != nil {
		t.Fatal(err)
	}
	e.svc.Process(ctx, run)
	got, _ := db.RunByID(ctx, run.ID)
	if got.Status != store.RunFailed || !strings.Contains(strings.Join(got.ErrorList(), " "), "started 10 times without finishing") {
		t.Errorf("run %s %v; want failed, saying its renders never finished", got.Status, got.ErrorList())
	}
	if n := len(smtp.Messages()); n != 0 {
		t.Errorf("%d messages sent for a run that never rendered", n)
	}
}
