package delivery_test

import (
	"bytes"
	"context"
	"mime"
	"net"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/delivery"
	"github.com/opsboard/opsboard/internal/mail/mailtest"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/warehouse"
)

// threeRecipients is a definitions root whose ops-daily report goes at
// 07:00 New York time to two addresses and one cc.
func threeRecipients(t *testing.T) string {
	return defs(t, map[string]string{
		"reports/ops-daily.yaml": "title: Ops daily\ndashboard: daily-ops\nschedule: \"0 7 * * *\"\ntimezone: America/New_York\n" +
			"to: [lead@example.com, ana@example.com]\ncc: [team@example.com]\n",
		"reports/customer-weekly.yaml": "title: Weekly\ndashboard: customer-impact\nto: [m@example.com]\n",
	})
}

func deliveriesByRecipient(t *testing.T, db *store.Store, runID int64) map[string]store.Delivery {
	t.Helper()
	ds, err := db.Deliveries(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Delivery{}
	for _, d := range ds {
		out[d.Recipient] = d
	}
	return out
}

func scheduledRun(t *testing.T, db *store.Store, report string, y int, m time.Month, d int) *store.Run {
	t.Helper()
	run, err := db.ScheduledRun(context.Background(), report, time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("the scheduled run of %s for %d-%02d-%02d: %v", report, y, m, d, err)
	}
	return run
}

// A mail server that takes a second to accept each message, and
// bookkeeping writes with a second and a half each: every recipient gets
// exactly one message, and every delivery is recorded as sent at once.
// (With one deadline over the run's deliveries, recording the second one
// failed and the next tick sent it again.)
func TestSlowMailServerDeliversEachRecipientOnce(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	smtp := mailtest.Start(t, mailtest.Options{DataDelay: time.Second})
	at := time.Date(2026, 9, 1, 7, 1, 0, 0, newYork)
	e := newEnv(t, db, threeRecipients(t), smtp.URL(), func() time.Time { return at })
	e.svc.SMTPTimeout = 5 * time.Second
	e.svc.BookkeepingTimeout = 1500 * time.Millisecond
	e.sched.Tick(ctx)
	for range 2 {
		at = at.Add(time.Minute)
		e.sched.Tick(ctx)
	}
	got := recipientsOfMessages(smtp.Messages())
	for _, r := range []string{"lead@example.com", "ana@example.com", "team@example.com"} {
		if got[r] != 1 {
			t.Errorf("%s got %d messages, want 1 (all: %v)", r, got[r], got)
		}
	}
	if len(got) != 3 {
		t.Errorf("messages went to %v, want the three recipients only", got)
	}
	run := scheduledRun(t, db, "ops-daily", 2026, 8, 31)
	if run.Status != store.RunSent {
		t.Errorf("run status %q (errors %s), want sent", run.Status, run.Errors)
	}
	for r, d := range deliveriesByRecipient(t, db, run.ID) {
		if d.Status != "sent" || d.Attempts != 1 {
			t.Errorf("delivery to %s: %s after %d attempts (%s), want sent on the first", r, d.Status, d.Attempts, d.LastError)
		}
	}
}

// A mail server that stops answering at one recipient's RCPT: that
// attempt fails within the SMTP deadline, is recorded and waits for its
// backoff; the other recipients are delivered; after MaxAttempts (8) the
// delivery is given up and the run shows failed.
func TestHungRecipientIsRetriedThenGivenUp(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	smtp := mailtest.Start(t, mailtest.Options{HangRcpt: []string{"ana@example.com"}})
	at := time.Date(2026, 9, 2, 7, 1, 0, 0, newYork)
	e := newEnv(t, db, threeRecipients(t), smtp.URL(), func() time.Time { return at })
	e.svc.SMTPTimeout = 500 * time.Millisecond
	e.svc.Backoff = func(n int) time.Duration { return time.Duration(n) * time.Minute }

	start := time.Now()
	e.sched.Tick(ctx)
	run := scheduledRun(t, db, "ops-daily", 2026, 9, 1)
	ds := deliveriesByRecipient(t, db, run.ID)
	ana := ds["ana@example.com"]
	if ana.Status != "pending" || ana.Attempts != 1 || !ana.NextAttemptAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("the hung delivery after one tick: %s, %d attempts, next %v (%s); want pending after 1 attempt, next in 1m",
			ana.Status, ana.Attempts, ana.NextAttemptAt, ana.LastError)
	}
	if !strings.Contains(ana.LastError, "within 500ms") || strings.Contains(ana.LastError, "xxxxx") {
		t.Errorf("the hung delivery's error %q does not say the server did not answer within 500ms", ana.LastError)
	}
	for _, r := range []string{"lead@example.com", "team@example.com"} {
		if ds[r].Status != "sent" {
			t.Errorf("delivery to %s: %s (%s), want sent beside the hung one", r, ds[r].Status, ds[r].LastError)
		}
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the first tick took %v", took)
	}

	// Not due yet: a tick in the same minute does not try again.
	e.sched.Tick(ctx)
	if d := deliveriesByRecipient(t, db, run.ID)["ana@example.com"]; d.Attempts != 1 {
		t.Errorf("attempts %d after a tick before the backoff ran out, want 1", d.Attempts)
	}
	for range 12 {
		at = at.Add(10 * time.Minute)
		e.sched.Tick(ctx)
		if cur, _ := db.RunByID(ctx, run.ID); cur.Status != store.RunRendered {
			break
		}
	}
	run, _ = db.RunByID(ctx, run.ID)
	if run.Status != store.RunFailed {
		t.Errorf("run status %q after the give-up, want failed", run.Status)
	}
	if d := deliveriesByRecipient(t, db, run.ID)["ana@example.com"]; d.Status != "failed" || d.Attempts != 8 {
		t.Errorf("the hung delivery: %s after %d attempts, want given up after 8", d.Status, d.Attempts)
	}
	got := recipientsOfMessages(smtp.Messages())
	if got["lead@example.com"] != 1 || got["team@example.com"] != 1 || got["ana@example.com"] != 0 {
		t.Errorf("messages by recipient %v, want lead and team once, ana never", got)
	}
	runs, _ := db.ListRuns(ctx, "ops-daily", 10)
	for _, r := range runs {
		if r.ID == run.ID && (r.Failed != 1 || r.Sent != 2) {
			t.Errorf("the archive lists %d sent and %d failed, want 2 and 1", r.Sent, r.Failed)
		}
	}
}

// A mail server that never greets: every recipient's attempt is recorded
// (the deadline of the conversation is not the deadline of the record)
// and the deliveries are given up after MaxAttempts.
func TestSilentMailServerAttemptsCount(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	smtp := mailtest.Start(t, mailtest.Options{Silent: true})
	at := time.Date(2026, 9, 3, 7, 1, 0, 0, newYork)
	e := newEnv(t, db, threeRecipients(t), smtp.URL(), func() time.Time { return at })
	e.svc.SMTPTimeout = 300 * time.Millisecond
	e.svc.MaxAttempts = 3
	e.sched.Tick(ctx)
	run := scheduledRun(t, db, "ops-daily", 2026, 9, 2)
	for r, d := range deliveriesByRecipient(t, db, run.ID) {
		if d.Status != "pending" || d.Attempts != 1 || !strings.Contains(d.LastError, "greeting") {
			t.Errorf("delivery to %s after one tick: %s, %d attempts (%s); want pending after 1 attempt at the greeting", r, d.Status, d.Attempts, d.LastError)
		}
	}
	for range 4 {
		at = at.Add(10 * time.Minute)
		e.sched.Tick(ctx)
	}
	run, _ = db.RunByID(ctx, run.ID)
	if run.Status != store.RunFailed {
		t.Errorf("run status %q, want failed once every delivery gave up", run.Status)
	}
	for r, d := range deliveriesByRecipient(t, db, run.ID) {
		if d.Status != "failed" || d.Attempts != 3 {
			t.Errorf("delivery to %s: %s after %d attempts, want given up after 3", r, d.Status, d.Attempts)
		}
	}
	if n := len(smtp.Messages()); n != 0 {
		t.Errorf("a silent server accepted %d messages", n)
	}
}

// sleepyRoot has a report whose one panel takes 1.5 s to compute.
func sleepyRoot(t *testing.T) string {
	return defs(t, map[string]string{
		"sql/sleepy.sql":               "-- title: Sleepy\nSELECT :day AS day, 1 AS n FROM pg_sleep(1.5)",
		"dashboards/sleepy.yaml":       "title: Sleepy\ntiles:\n  - query: kpi/orders\n    label: Orders\npanels:\n  - {title: Slow panel, query: sleepy, chart: bar, x: day, y: n}\n",
		"reports/sleepy.yaml":          "title: Sleepy\ndashboard: sleepy\nschedule: \"0 7 * * *\"\ntimezone: America/New_York\nto: [lead@example.com]\n",
		"reports/ops-daily.yaml":       "title: Ops daily\ndashboard: daily-ops\nto: [lead@example.com]\n",
		"reports/customer-weekly.yaml": "title: Weekly\ndashboard: customer-impact\nto: [m@example.com]\n",
	})
}

// A render slower than the render deadline is an attempt like any other:
// recorded, retried, and given up after the last attempt; never a run
// left running and rendered again on every tick.
func TestSlowRenderIsRetriedNotStuck(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()

	t.Run("given up", func(t *testing.T) {
		smtp := mailtest.Start(t, mailtest.Options{})
		at := time.Date(2026, 9, 9, 7, 1, 0, 0, newYork)
		e := newEnv(t, db, sleepyRoot(t), smtp.URL(), func() time.Time { return at })
		e.svc.RenderTimeout = 700 * time.Millisecond
		e.sched.Tick(ctx)
		run := scheduledRun(t, db, "sleepy", 2026, 9, 8)
		if run.Status != store.RunRunning || run.RenderAttempts != 1 || !strings.Contains(string(run.Errors), "rendering took longer than 700ms") {
			t.Fatalf("after one slow render: %s after %d attempts (%s); want running after 1 attempt, saying it took too long",
				run.Status, run.RenderAttempts, run.Errors)
		}
		for range 8 {
			at = at.Add(time.Hour)
			e.sched.Tick(ctx)
			if run, _ = db.RunByID(ctx, run.ID); run.Status != store.RunRunning {
				break
			}
		}
		if run.Status != store.RunFailed || !strings.Contains(string(run.Errors), "rendering took longer than 700ms") {
			t.Errorf("after the last attempt: %s after %d attempts (%s), want failed saying it took too long", run.Status, run.RenderAttempts, run.Errors)
		}
		if n := len(smtp.Messages()); n != 0 {
			t.Errorf("%d messages for a report that never rendered", n)
		}
	})

	t.Run("sent once it renders in time", func(t *testing.T) {
		smtp := mailtest.Start(t, mailtest.Options{})
		at := time.Date(2026, 9, 10, 7, 1, 0, 0, newYork)
		e := newEnv(t, db, sleepyRoot(t), smtp.URL(), func() time.Time { return at })
		e.svc.RenderTimeout = 700 * time.Millisecond
		e.sched.Tick(ctx)
		run := scheduledRun(t, db, "sleepy", 2026, 9, 9)
		if run.Status != store.RunRunning || run.RenderAttempts != 1 {
			t.Fatalf("after one slow render: %s after %d attempts, want running after 1", run.Status, run.RenderAttempts)
		}
		e.svc.RenderTimeout = time.Minute
		at = at.Add(time.Minute)
		e.sched.Tick(ctx)
		if run, _ = db.RunByID(ctx, run.ID); run.Status != store.RunSent {
			t.Errorf("with time enough: %s (%s), want sent", run.Status, run.Errors)
		}
		if got := recipientsOfMessages(smtp.Messages()); got["lead@example.com"] != 1 || len(got) != 1 {
			t.Errorf("messages by recipient %v, want lead once", got)
		}
	})
}

// The data database down at render time is a passing failure for both
// on_error settings: nothing is mailed, nothing names its address, and
// once it is back the runs are rendered and sent as whole reports. A
// person's send meanwhile fails at once and says so.
func TestDataDatabaseDownAtRender(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	proxy, dataURL := dbtest.StartProxy(t, dbtest.ReaderURL(t))
	wh, err := warehouse.Open(ctx, dataURL, warehouse.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close() })
	_, port, _ := net.SplitHostPort(proxy.Addr())

	smtp := mailtest.Start(t, mailtest.Options{})
	at := time.Date(2026, 9, 15, 7, 1, 0, 0, newYork)
	e := newEnvOn(t, db, wh, defs(t, map[string]string{
		"reports/ops-daily.yaml": "title: Ops daily\ndashboard: daily-ops\nschedule: \"0 7 * * *\"\ntimezone: America/New_York\n" +
			"to: [lead@example.com]\non_error: fail\n",
		"reports/customer-weekly.yaml": "title: Weekly\ndashboard: customer-impact\nschedule: \"0 7 * * *\"\ntimezone: America/New_York\n" +
			"to: [m@example.com]\non_error: send_partial\n",
	}), smtp.URL(), func() time.Time { return at })

	proxy.Down()
	e.sched.Tick(ctx)
	leaks := []string{"127.0.0.1", ":" + port, "connection refused", "dial tcp"}
	for _, name := range []string{"ops-daily", "customer-weekly"} {
		run := scheduledRun(t, db, name, 2026, 9, 14)
		errs := string(run.Errors)
		if run.Status != store.RunRunning || run.RenderAttempts != 1 || !strings.Contains(errs, "the data database cannot be reached") {
			t.Errorf("%s with the data database down: %s after %d attempts (%s); want running after 1 attempt, saying the database cannot be reached",
				name, run.Status, run.RenderAttempts, errs)
		}
		for _, leak := range leaks {
			if strings.Contains(errs, leak) {
				t.Errorf("%s: the archived errors name %q: %s", name, leak, errs)
			}
		}
		if run.HTML.Valid {
			t.Errorf("%s: a page of error messages was archived", name)
		}
	}

	// A person's send meanwhile: fails at once, says why, mails nothing.
	run, err := e.svc.Send(ctx, "ops-daily", time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC), delivery.SendOptions{To: []string{"me@example.com"}})
	if err == nil || run == nil {
		t.Fatalf("a send with the data database down: err %v, run %v; want an error and the run", err, run)
	}
	if run.Status != store.RunFailed {
		t.Errorf("Send returned the run as %q, want failed", run.Status)
	}
	for _, leak := range leaks {
		if strings.Contains(err.Error(), leak) || strings.Contains(string(run.Errors), leak) {
			t.Errorf("the failed send names %q: %v / %s", leak, err, run.Errors)
		}
	}
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("%d messages sent with the data database down", n)
	}

	proxy.Up()
	at = at.Add(time.Minute)
	e.sched.Tick(ctx)
	for _, name := range []string{"ops-daily", "customer-weekly"} {
		if run := scheduledRun(t, db, name, 2026, 9, 14); run.Status != store.RunSent {
			t.Errorf("%s once the database is back: %s (%s), want sent", name, run.Status, run.Errors)
		}
	}
	msgs := smtp.Messages()
	got := recipientsOfMessages(msgs)
	if got["lead@example.com"] != 1 || got["m@example.com"] != 1 || len(got) != 2 {
		t.Errorf("messages by recipient %v, want lead and m once each", got)
	}
	for _, m := range msgs {
		mm, err := netmail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := new(mime.WordDecoder).DecodeHeader(mm.Header.Get("Subject")); strings.Contains(s, "partial") {
			t.Errorf("subject %q: a report rendered whole is marked partial", s)
		}
	}
}

// A send_partial report in which nothing could be computed is no partial
// report: it fails and is not mailed.
func TestNothingRenderedIsNotSentAsPartial(t *testing.T) {
	db := demoDB(t)
	smtp := mailtest.Start(t, mailtest.Options{})
	e := newEnv(t, db, defs(t, map[string]string{
		"sql/broken.sql":           "-- title: Broken\nSELECT :day AS day, 1/0 AS n",
		"dashboards/hopeless.yaml": "title: Hopeless\ntiles:\n  - query: broken\n    label: Broken\npanels:\n  - {title: Broken panel, query: broken, chart: bar, x: day, y: n}\n",
		"reports/hopeless.yaml":    "title: Hopeless\ndashboard: hopeless\nto: [lead@example.com]\non_error: send_partial\n",
	}), smtp.URL(), nil)
	run, err := e.svc.Send(context.Background(), "hopeless", yesterday(), delivery.SendOptions{})
	if err == nil || run == nil || run.Status != store.RunFailed {
		t.Fatalf("send of a report with nothing computed: err %v, run %+v; want it failed", err, run)
	}
	if !strings.Contains(string(run.Errors), "division by zero") {
		t.Errorf("errors %s do not say what failed", run.Errors)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(smtp.Messages()); n != 0 {
		t.Errorf("%d messages for a report in which nothing was computed", n)
	}
}
