package delivery_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/delivery"
	"github.com/opsboard/opsboard/internal/demo"
	"github.com/opsboard/opsboard/internal/mail"
	"github.com/opsboard/opsboard/internal/mail/mailtest"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/warehouse"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

var (
	loadOnce sync.Once
	newYork  *time.Location
)

// demoDB loads a small demo dataset once, in New York time, ending yesterday.
func demoDB(t *testing.T) *store.Store {
	t.Helper()
	db := dbtest.Store(t)
	var err error
	loadOnce.Do(func() {
		newYork, _ = time.LoadLocation("America/New_York")
		_, err = demo.Load(context.Background(), dbtest.Admin(t), demo.Options{Scale: 0.3, Days: 120, Seed: 5, Location: newYork, Now: time.Now()})
	})
	if err != nil {
		t.Fatalf("loading demo data: %v", err)
	}
	return db
}

// env is one "process": a producer with its own Chromium and a service.
type env struct {
	svc   *delivery.Service
	sched *delivery.Scheduler
	cat   *catalog.Catalog
}

func newEnv(t *testing.T, db *store.Store, root string, smtpURL string, now func() time.Time) *env {
	t.Helper()
	return newEnvOn(t, db, dbtest.Warehouse(t), root, smtpURL, now)
}

// newEnvOn is newEnv with the data read from wh.
func newEnvOn(t *testing.T, db *store.Store, wh *warehouse.Warehouse, root string, smtpURL string, now func() time.Time) *env {
	t.Helper()
	// Each test has its own clock, some of them earlier than others': the
	// schedules seen by an earlier test would hide this one's runs.
	if err := dbtest.Admin(t).Exec(context.Background(), `DELETE FROM opsboard.report_schedules`); err != nil {
		t.Fatal(err)
	}
	chrome := browsertest.Need(t)
	cat, err := catalog.Load(root)
	if err != nil {
		t.Fatalf("definitions under %s: %v", root, err)
	}
	runner := query.NewRunner(wh, query.Options{Location: newYork, Timeout: 30 * time.Second, CacheTTL: time.Minute})
	p, err := report.NewProducer(report.Config{Catalog: func() *catalog.Catalog { return cat }, Runner: runner, Location: newYork, Chrome: chrome})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	svc := &delivery.Service{DB: db, Producer: p, From: "opsboard@example.com", BaseURL: "http://opsboard.example.com",
		Now: now, Backoff: func(int) time.Duration { return time.Millisecond }}
	if smtpURL != "" {
		sender, err := mail.NewSender(mail.Config{URL: smtpURL, From: "opsboard@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		svc.Transport = sender
	}
	// A short catch-up window keeps each test to the one run it is about.
	sched := &delivery.Scheduler{Service: svc, Catalog: func() *catalog.Catalog { return cat }, CatchUp: 30 * time.Minute}
	return &env{svc: svc, sched: sched, cat: cat}
}

// defs copies the shipped definitions into a fresh root, with extra files.
func defs(t *testing.T, extra map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for _, dir := range []string{"sql", "dashboards", "reports"} {
		src := filepath.Join("..", "..", dir)
		filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join("..", ".."), p)
			body, _ := os.ReadFile(p)
			os.MkdirAll(filepath.Join(root, filepath.Dir(rel)), 0o755)
			return os.WriteFile(filepath.Join(root, rel), body, 0o644)
		})
	}
	for name, body := range extra {
		os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func yesterday() time.Time { return query.Today(time.Now(), newYork).AddDate(0, 0, -1) }

// part is one leaf of a parsed MIME tree.
type part struct {
	ctype, cid, disposition string
	body                    []byte
}

func walk(t *testing.T, ctype string, body io.Reader, out *[]part, tree *[]string) {
	t.Helper()
	media, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatalf("bad content type %q: %v", ctype, err)
	}
	*tree = append(*tree, media)
	if !strings.HasPrefix(media, "multipart/") {
		return
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			r = base64.NewDecoder(base64.StdEncoding, p)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("reading part %s: %v", p.Header.Get("Content-Type"), err)
		}
		pt := p.Header.Get("Content-Type")
		if strings.HasPrefix(pt, "multipart/") {
			walk(t, pt, bytes.NewReader(data), out, tree)
			continue
		}
		*tree = append(*tree, pt)
		*out = append(*out, part{ctype: pt, cid: p.Header.Get("Content-Id"), disposition: p.Header.Get("Content-Disposition"), body: data})
	}
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "r.pdf")
	os.WriteFile(f, pdf, 0o644)
	out, err := exec.Command("pdftotext", "-layout", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v (install poppler-utils)", err)
	}
	return string(out)
}

func TestSendDeliversReadableReport(t *testing.T) {
	db := demoDB(t)
	smtp := mailtest.Start(t, mailtest.Options{})
	e := newEnv(t, db, "../..", smtp.URL(), nil)
	date := yesterday()
	run, err := e.svc.Send(context.Background(), "ops-daily", date, delivery.SendOptions{})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if run.Status != store.RunSent {
		t.Errorf("run status %q, want sent", run.Status)
	}
	rep := e.cat.Reports["ops-daily"]
	msgs := smtp.WaitFor(len(rep.To)+len(rep.Cc), 10*time.Second)
	var rcpts []string
	for _, m := range msgs {
		rcpts = append(rcpts, m.To...)
	}
	sort.Strings(rcpts)
	want := append(append([]string{}, rep.To...), rep.Cc...)
	sort.Strings(want)
	if strings.Join(rcpts, ",") != strings.Join(want, ",") {
		t.Fatalf("delivered to %v, want each of %v once", rcpts, want)
	}

	m, err := netmail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if !strings.Contains(subject, date.Format(query.DateLayout)) {
		t.Errorf("subject %q lacks the date", subject)
	}
	var parts []part
	var tree []string
	walk(t, m.Header.Get("Content-Type"), m.Body, &parts, &tree)
	var html string
	var pdf []byte
	cids := map[string]bool{}
	for _, p := range parts {
		switch {
		case strings.HasPrefix(p.ctype, "text/html"):
			html = string(p.body)
		case strings.HasPrefix(p.ctype, "application/pdf"):
			pdf = p.body
		case strings.HasPrefix(p.ctype, "image/png"):
			cids[strings.Trim(p.cid, "<>")] = true
		}
	}
	if html == "" || pdf == nil {
		t.Fatalf("message lacks an HTML body or the PDF; tree: %v", tree)
	}
	refs := regexp.MustCompile(`cid:([^"']+)`).FindAllStringSubmatch(html, -1)
	if len(refs) == 0 {
		t.Errorf("the HTML body shows no chart images")
	}
	for _, r := range refs {
		if !cids[r[1]] {
			t.Errorf("HTML references cid:%s but no inline image has that Content-ID (have %v)", r[1], cids)
		}
	}
	if !strings.Contains(html, "http://opsboard.example.com/reports/ops-daily/") {
		t.Errorf("the HTML body has no link to the archived copy")
	}

	text := pdfText(t, pdf)
	// Labels are upper-cased by the page's CSS; the words are what matter.
	flat := strings.ToLower(strings.Join(strings.Fields(text), " "))
	for _, want := range []string{rep.Title, "Highlights", date.Format("2 Jan 2006")} {
		if !strings.Contains(flat, strings.ToLower(want)) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	out, err := e.svc.Producer.Render(context.Background(), "ops-daily", date)
	if err != nil {
		t.Fatal(err)
	}
	data := page.Report(out.View, rep.Title, rep.Description)
	for _, tile := range data.Tiles {
		if !strings.Contains(flat, strings.ToLower(tile.Label)) {
			t.Errorf("PDF text lacks tile label %q", tile.Label)
		}
		if !strings.Contains(flat, strings.ToLower(tile.Value)) {
			t.Errorf("PDF text lacks tile %q's value %q", tile.Label, tile.Value)
		}
	}
	archived, err := db.LatestRun(context.Background(), "ops-daily", date)
	if err != nil || len(archived.PDF) == 0 || archived.HTML.String == "" {
		t.Errorf("the run is not archived with its HTML and PDF (%v)", err)
	}
}

// Two schedulers on one database at the same minute: one message per recipient.
func TestTwoSchedulersDeliverOnce(t *testing.T) {
	db := demoDB(t)
	smtp := mailtest.Start(t, mailtest.Options{})
	at := time.Date(2026, 6, 2, 7, 0, 30, 0, newYork) // a Tuesday, 07:00:30 New York
	now := func() time.Time { return at }
	root := defs(t, nil)
	a := newEnv(t, db, root, smtp.URL(), now)
	b := newEnv(t, db, root, smtp.URL(), now)
	var wg sync.WaitGroup
	for _, e := range []*env{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); e.sched.Tick(context.Background()) }()
	}
	wg.Wait()
	a.sched.Tick(context.Background())
	b.sched.Tick(context.Background())
	rep := a.cat.Reports["ops-daily"]
	time.Sleep(200 * time.Millisecond)
	count := map[string]int{}
	for _, m := range smtp.Messages() {
		for _, r := range m.To {
			count[r]++
		}
	}
	for _, r := range append(append([]string{}, rep.To...), rep.Cc...) {
		if count[r] != 1 {
			t.Errorf("%s got %d messages, want 1 (all: %v)", r, count[r], count)
		}
	}
	run, err := db.ScheduledRun(context.Background(), "ops-daily", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || run.Status != store.RunSent {
		t.Errorf("scheduled run for 2026-06-01: err %v, want it sent", err)
		if run != nil {
			t.Errorf("run status %q errors %s", run.Status, run.Errors)
		}
	}
}

func TestRefusedDeliveryIsRetried(t *testing.T) {
	db := demoDB(t)
	smtp := mailtest.Start(t, mailtest.Options{FailFirst: 2, FailCode: 451})
	at := time.Date(2026, 6, 9, 7, 1, 0, 0, newYork)
	clock := at
	e := newEnv(t, db, defs(t, map[string]string{
		"reports/ops-daily.yaml":       "title: Ops daily\ndashboard: daily-ops\nschedule: \"0 7 * * *\"\ntimezone: America/New_York\nto: [lead@example.com]\n",
		"reports/customer-weekly.yaml": "title: Weekly\ndashboard: customer-impact\nto: [m@example.com]\n",
	}), smtp.URL(), func() time.Time { return clock })
	e.sched.Tick(context.Background()) // refused
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("%d messages after a refusal", n)
	}
	for range 3 {
		clock = clock.Add(time.Minute)
		e.sched.Tick(context.Background())
	}
	msgs := smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages after retries, want exactly 1", len(msgs))
	}
	run, _ := db.ScheduledRun(context.Background(), "ops-daily", time.Date(2026, 6, 8, 0, 0, 0, 0, time.UTC))
	ds, _ := db.Deliveries(context.Background(), run.ID)
	if len(ds) != 1 || ds[0].Status != "sent" || ds[0].Attempts != 3 {
		t.Errorf("delivery %+v, want sent on the 3rd attempt", ds)
	}
}

// A run claimed by a process that died before rendering, and one that died
// after rendering but before delivering, are both finished by the next
// scheduler, once.
func TestCrashedRunsAreResumed(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	smtp := mailtest.Start(t, mailtest.Options{})
	root := defs(t, map[string]string{
		"reports/ops-daily.yaml":       "title: Ops daily\ndashboard: daily-ops\nschedule: \"0 7 * * *\"\ntimezone: America/New_York\nto: [lead@example.com]\n",
		"reports/customer-weekly.yaml": "title: Weekly\ndashboard: customer-impact\nto: [m@example.com]\n",
	})
	at := time.Date(2026, 7, 1, 9, 0, 0, 0, newYork)
	e := newEnv(t, db, root, smtp.URL(), func() time.Time { return at })
	// Crash 1: claimed, never rendered.
	d1 := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	if _, claimed, err := db.ClaimScheduledRun(ctx, "ops-daily", d1, "America/New_York", nil); err != nil || !claimed {
		t.Fatal(err)
	}
	// Crash 2: rendered, nothing delivered.
	d2 := time.Date(2026, 6, 29, 0, 0, 0, 0, time.UTC)
	run2, _, err := db.ClaimScheduledRun(ctx, "ops-daily", d2, "America/New_York", nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := mail.Build(&mail.Message{From: "opsboard@example.com", To: []string{"lead@example.com"}, Subject: "Ops daily 2026-06-29", Text: "resumed"})
	if err := db.SaveRendered(ctx, run2.ID, "Ops daily 2026-06-29", "<html></html>", []byte("%PDF"), msg, nil, false, map[string]string{"lead@example.com": "to"}, ""); err != nil {
		t.Fatal(err)
	}
	e.sched.Tick(ctx)
	e.sched.Tick(ctx)
	subjects := map[string]int{}
	for _, m := range smtp.Messages() {
		mm, _ := netmail.ReadMessage(bytes.NewReader(m.Data))
		s, _ := new(mime.WordDecoder).DecodeHeader(mm.Header.Get("Subject"))
		subjects[s]++
	}
	for _, want := range []string{"Ops daily 2026-06-30", "Ops daily 2026-06-29"} {
		n := 0
		for s, c := range subjects {
			if strings.Contains(s, strings.TrimPrefix(want, "Ops daily ")) {
				n += c
			}
		}
		if n != 1 {
			t.Errorf("report %q delivered %d times, want once (got %v)", want, n, subjects)
		}
	}
}

// A New York report at 07:00 runs once on the days clocks change, and not
// before 07:00 local.
func TestScheduleAcrossDaylightSaving(t *testing.T) {
	db := demoDB(t)
	smtp := mailtest.Start(t, mailtest.Options{})
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, zone := range []struct {
		loc  *time.Location
		days []time.Time // spring forward, fall back
	}{
		{newYork, []time.Time{time.Date(2026, 3, 8, 0, 0, 0, 0, newYork), time.Date(2026, 11, 1, 0, 0, 0, 0, newYork)}},
		{berlin, []time.Time{time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), time.Date(2026, 10, 25, 0, 0, 0, 0, berlin)}},
	} {
		root := defs(t, map[string]string{
			"reports/ops-daily.yaml":       "title: Ops daily\ndashboard: daily-ops\nschedule: \"0 7 * * *\"\ntimezone: " + zone.loc.String() + "\nto: [lead@example.com]\n",
			"reports/customer-weekly.yaml": "title: Weekly\ndashboard: customer-impact\nto: [m@example.com]\n",
		})
		for _, day := range zone.days {
			t.Run(zone.loc.String()+"/"+day.Format(query.DateLayout), func(t *testing.T) {
				var clock time.Time
				e := newEnv(t, db, root, smtp.URL(), func() time.Time { return clock })
				e.sched.CatchUp = 6 * time.Hour
				reportDate := time.Date(day.Year(), day.Month(), day.Day()-1, 0, 0, 0, 0, time.UTC)
				for clock = day; clock.Before(day.Add(25 * time.Hour)); clock = clock.Add(30 * time.Minute) {
					e.sched.Tick(context.Background())
					_, err := db.ScheduledRun(context.Background(), "ops-daily", reportDate)
					local := clock.In(zone.loc)
					due := local.Hour() >= 7 || local.Day() != day.Day()
					if (err == nil) != due {
						t.Fatalf("at %s local: run exists=%v, want %v", local.Format("15:04 MST"), err == nil, due)
					}
				}
				runs, _ := db.ListRuns(context.Background(), "ops-daily", 100)
				n := 0
				for _, r := range runs {
					if r.ReportDate.Equal(reportDate) && r.Trigger == "schedule" {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%d scheduled runs for %s, want 1", n, reportDate.Format(query.DateLayout))
				}
			})
		}
	}
}

func TestFailedPanel(t *testing.T) {
	db := demoDB(t)
	broken := map[string]string{
		"sql/broken.sql":          "-- title: Broken\nSELECT :day AS day, 1/0 AS n",
		"dashboards/brittle.yaml": "title: Brittle\ntiles:\n  - query: kpi/orders\n    label: Orders\npanels:\n  - {title: Broken panel, query: broken, chart: bar, x: day, y: n}\n",
	}
	for _, onError := range []string{"fail", "send_partial"} {
		t.Run(onError, func(t *testing.T) {
			smtp := mailtest.Start(t, mailtest.Options{})
			files := map[string]string{}
			for k, v := range broken {
				files[k] = v
			}
			files["reports/brittle.yaml"] = "title: Brittle\ndashboard: brittle\nto: [lead@example.com]\non_error: " + onError + "\n"
			e := newEnv(t, db, defs(t, files), smtp.URL(), nil)
			run, err := e.svc.Send(context.Background(), "brittle", yesterday(), delivery.SendOptions{})
			if onError == "fail" {
				if err == nil || run == nil {
					t.Fatalf("send of a report with a failed panel succeeded")
				}
				got, _ := db.RunByID(context.Background(), run.ID)
				if got.Status != store.RunFailed || !strings.Contains(string(got.Errors), "division by zero") {
					t.Errorf("archived run status %q errors %s, want failed with the panel's error", got.Status, got.Errors)
				}
				time.Sleep(100 * time.Millisecond)
				if n := len(smtp.Messages()); n != 0 {
					t.Errorf("%d messages sent for a failed report", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("send_partial: %v", err)
			}
			msgs := smtp.WaitFor(1, 10*time.Second)
			mm, _ := netmail.ReadMessage(bytes.NewReader(msgs[0].Data))
			s, _ := new(mime.WordDecoder).DecodeHeader(mm.Header.Get("Subject"))
			if !strings.Contains(s, "partial") {
				t.Errorf("subject %q does not say partial", s)
			}
			got, _ := db.RunByID(context.Background(), run.ID)
			if got.Status != store.RunPartial {
				t.Errorf("run status %q, want partial", got.Status)
			}
		})
	}
}

// A run scheduled while mail is not configured (no OPSBOARD_SMTP_URL, no
// OPSBOARD_FROM) is rendered and archived with its deliveries pending; once
// mail is configured it goes out, from the configured sender.
func TestRunsWaitForMailToBeConfigured(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	at := time.Date(2026, 6, 16, 7, 1, 0, 0, newYork)
	e := newEnv(t, db, defs(t, map[string]string{
		"reports/ops-daily.yaml":       "title: Ops daily\ndashboard: daily-ops\nschedule: \"0 7 * * *\"\ntimezone: America/New_York\nto: [lead@example.com]\n",
		"reports/customer-weekly.yaml": "title: Weekly\ndashboard: customer-impact\nto: [m@example.com]\n",
	}), "", func() time.Time { return at })
	e.svc.From = ""
	e.sched.Tick(ctx)
	run, err := db.ScheduledRun(ctx, "ops-daily", time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.RunRendered || len(run.PDF) == 0 || !run.HTML.Valid {
		t.Fatalf("without mail: run status %q errors %s, want rendered and archived, waiting for mail", run.Status, run.Errors)
	}

	smtp := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.NewSender(mail.Config{URL: smtp.URL(), From: "reports@shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Transport, e.svc.From = sender, "reports@shop.example"
	at = at.Add(time.Minute)
	e.sched.Tick(ctx)
	msgs := smtp.WaitFor(1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d messages once mail is configured, want 1", len(msgs))
	}
	m, err := netmail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if from := m.Header.Get("From"); !strings.Contains(from, "reports@shop.example") || msgs[0].From != "reports@shop.example" {
		t.Errorf("From header %q, envelope %q: want the configured sender", from, msgs[0].From)
	}
	if run, _ = db.RunByID(ctx, run.ID); run.Status != store.RunSent {
		t.Errorf("run status %q after delivery, want sent", run.Status)
	}
}

// opsDailyOnly is a definitions root whose ops-daily report is scheduled at
// 07:00 New York time for one recipient.
func opsDailyOnly(t *testing.T) string {
	return defs(t, map[string]string{
		"reports/ops-daily.yaml":       "title: Ops daily\ndashboard: daily-ops\nschedule: \"0 7 * * *\"\ntimezone: America/New_York\nto: [lead@example.com]\ncc: [team@example.com]\n",
		"reports/customer-weekly.yaml": "title: Weekly\ndashboard: customer-impact\nto: [m@example.com]\n",
	})
}

// recipientsOfMessages counts the envelope recipients of what arrived.
func recipientsOfMessages(msgs []mailtest.Received) map[string]int {
	got := map[string]int{}
	for _, m := range msgs {
		for _, r := range m.To {
			got[r]++
		}
	}
	return got
}

// A send to chosen recipients that stopped before it rendered (Ctrl-C, a
// crash) is finished by the scheduler for those recipients only.
func TestInterruptedSendKeepsItsRecipients(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	smtp := mailtest.Start(t, mailtest.Options{})
	at := time.Date(2026, 7, 8, 9, 0, 0, 0, newYork)
	e := newEnv(t, db, opsDailyOnly(t), smtp.URL(), func() time.Time { return at })
	// What `opsboard send ops-daily --to me@example.com` leaves behind when
	// it is stopped right after creating its run.
	if _, err := db.CreateRun(ctx, "ops-daily", time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC), "command", "America/New_York", nil,
		map[string]string{"me@example.com": "to"}); err != nil {
		t.Fatal(err)
	}
	e.sched.Tick(ctx)
	got := recipientsOfMessages(smtp.WaitFor(1, 10*time.Second))
	if got["me@example.com"] != 1 || len(got) != 1 {
		t.Errorf("the interrupted send went to %v, want me@example.com only", got)
	}
}

// A rendered run of a report whose definition was then removed is still
// delivered as archived; an unrendered one fails, visibly.
func TestRunsOfARemovedReport(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	at := time.Date(2026, 7, 15, 7, 1, 0, 0, newYork)
	before := newEnv(t, db, opsDailyOnly(t), "", func() time.Time { return at })
	before.sched.Tick(ctx) // renders 2026-07-14; no mail configured
	rendered, err := db.ScheduledRun(ctx, "ops-daily", time.Date(2026, 7, 14, 0, 0, 0, 0, time.UTC))
	if err != nil || rendered.Status != store.RunRendered {
		t.Fatalf("the run before the removal: %v %+v", err, rendered)
	}
	unrendered, _, err := db.ClaimScheduledRun(ctx, "ops-daily", time.Date(2026, 7, 13, 0, 0, 0, 0, time.UTC), "America/New_York", nil)
	if err != nil {
		t.Fatal(err)
	}

	smtp := mailtest.Start(t, mailtest.Options{})
	after := newEnv(t, db, defs(t, map[string]string{
		"reports/ops-daily.yaml":       "title: Renamed\ndashboard: daily-ops\nto: [x@example.com]\n",
		"reports/customer-weekly.yaml": "title: Weekly\ndashboard: customer-impact\nto: [m@example.com]\n",
	}), smtp.URL(), func() time.Time { return at })
	// The report is renamed away: its runs now name a report that does not
	// exist (and ops-daily, unscheduled now, claims nothing new).
	if err := dbtest.Admin(t).Exec(ctx, `UPDATE opsboard.report_runs SET report = 'ops-daily-old' WHERE id IN ($1, $2)`, rendered.ID, unrendered.ID); err != nil {
		t.Fatal(err)
	}
	after.sched.Tick(ctx)
	got := recipientsOfMessages(smtp.WaitFor(2, 10*time.Second))
	if got["lead@example.com"] != 1 || got["team@example.com"] != 1 {
		t.Errorf("the archived run of the removed report went to %v, want lead and team once", got)
	}
	if r, _ := db.RunByID(ctx, rendered.ID); r.Status != store.RunSent {
		t.Errorf("rendered run of the removed report: %q, want sent", r.Status)
	}
	if r, _ := db.RunByID(ctx, unrendered.ID); r.Status != store.RunFailed || !strings.Contains(string(r.Errors), "definition is gone") {
		t.Errorf("unrendered run of the removed report: %q %s, want failed saying the definition is gone", r.Status, r.Errors)
	}
}

// A report seen for the first time does not mail the past days; after a
// downtime, the days missed since it was first seen are caught up.
func TestCatchUpStartsWhenTheScheduleWasFirstSeen(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	smtp := mailtest.Start(t, mailtest.Options{})
	at := time.Date(2026, 8, 3, 10, 0, 0, 0, newYork) // first seen at 10:00, three hours after today's run time
	e := newEnv(t, db, opsDailyOnly(t), smtp.URL(), func() time.Time { return at })
	e.sched.CatchUp = 72 * time.Hour
	e.sched.Tick(ctx)
	runs, _ := db.ListRuns(ctx, "ops-daily", 100)
	for _, r := range runs {
		if r.Trigger == "schedule" && !r.ReportDate.Before(time.Date(2026, 7, 30, 0, 0, 0, 0, time.UTC)) &&
			r.ReportDate.Before(time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("a new report claimed the past day %s", r.ReportDate.Format(query.DateLayout))
		}
	}
	// Down from the 3rd at 10:00 to the 5th at 09:00: the runs of the 4th
	// and the 5th (dates 3rd and 4th) are made, once each.
	at = time.Date(2026, 8, 5, 9, 0, 0, 0, newYork)
	e.sched.Tick(ctx)
	for _, d := range []int{3, 4} {
		run, err := db.ScheduledRun(ctx, "ops-daily", time.Date(2026, 8, d, 0, 0, 0, 0, time.UTC))
		if err != nil || run.Status != store.RunSent {
			t.Errorf("the missed run for 2026-08-%02d: %v, want it sent", d, err)
		}
	}
	if _, err := db.ScheduledRun(ctx, "ops-daily", time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Errorf("the run due before the schedule was first seen was made")
	}
}

// A scheduled run whose render fails for a passing reason (here: no
// Chromium) is tried again, not given up.
func TestFailedRenderIsRetried(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	smtp := mailtest.Start(t, mailtest.Options{})
	at := time.Date(2026, 8, 12, 7, 1, 0, 0, newYork)
	e := newEnv(t, db, opsDailyOnly(t), smtp.URL(), func() time.Time { return at })
	good := e.svc.Producer
	broken, err := report.NewProducer(report.Config{Catalog: func() *catalog.Catalog { return e.cat },
		Runner: query.NewRunner(dbtest.Warehouse(t), query.Options{Location: newYork, Timeout: 30 * time.Second}), Location: newYork, Chrome: "/nonexistent/chromium"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { broken.Close() })
	e.svc.Producer = broken
	e.sched.Tick(ctx)
	date := time.Date(2026, 8, 11, 0, 0, 0, 0, time.UTC)
	run, err := db.ScheduledRun(ctx, "ops-daily", date)
	if err != nil || run.Status != store.RunRunning || run.RenderAttempts != 1 {
		t.Fatalf("after a render without Chromium: %v %+v; want the run still running after 1 attempt", err, run)
	}
	e.svc.Producer = good
	at = at.Add(time.Minute)
	e.sched.Tick(ctx)
	if run, _ = db.RunByID(ctx, run.ID); run.Status != store.RunSent {
		t.Errorf("after Chromium came back: %q %s, want sent", run.Status, run.Errors)
	}
}

// Run ids past 2^31 still get their lock.
func TestRunLockTakesLargeIDs(t *testing.T) {
	db := demoDB(t)
	ran := false
	locked, err := db.WithRunLock(context.Background(), 1<<31+5, func() error { ran = true; return nil })
	if err != nil || !locked || !ran {
		t.Errorf("WithRunLock(2^31+5) = %v, %v (ran %v)", locked, err, ran)
	}
}

// cancelAfterSend cancels its context once the SMTP server has accepted a
// message: serve stopping, or a browser tab closed on "send now", just then.
type cancelAfterSend struct {
	mail.Transport
	cancel context.CancelFunc
}

func (c cancelAfterSend) SendRaw(ctx context.Context, from string, rcpt []string, raw []byte) error {
	err := c.Transport.SendRaw(ctx, from, rcpt, raw)
	c.cancel()
	return err
}

// A message the SMTP server accepted is recorded as sent even when the
// work is cancelled right then: nobody gets it twice.
func TestCancelledAfterAcceptanceIsNotSentAgain(t *testing.T) {
	db := demoDB(t)
	smtp := mailtest.Start(t, mailtest.Options{})
	at := time.Date(2026, 8, 20, 9, 0, 0, 0, newYork)
	e := newEnv(t, db, opsDailyOnly(t), smtp.URL(), func() time.Time { return at })
	sender := e.svc.Transport
	ctx, cancel := context.WithCancel(context.Background())
	e.svc.Transport = cancelAfterSend{Transport: sender, cancel: cancel}
	run, _ := e.svc.Send(ctx, "ops-daily", time.Date(2026, 8, 19, 0, 0, 0, 0, time.UTC), delivery.SendOptions{})
	if run == nil {
		t.Fatal("no run")
	}
	e.svc.Transport = sender
	for range 3 {
		at = at.Add(time.Minute)
		e.sched.Tick(context.Background())
	}
	time.Sleep(200 * time.Millisecond)
	got := recipientsOfMessages(smtp.Messages())
	if got["lead@example.com"] != 1 || got["team@example.com"] != 1 {
		t.Errorf("deliveries after a cancellation: %v, want lead and team once each", got)
	}
	if r, _ := db.RunByID(context.Background(), run.ID); r.Status != store.RunSent {
		t.Errorf("run %q, want sent", r.Status)
	}
}
