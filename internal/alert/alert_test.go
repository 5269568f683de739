package alert_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/alert"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/mail"
	"github.com/opsboard/opsboard/internal/mail/mailtest"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// clock is a settable time shared by the "replicas" of a test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// hooks is a loopback HTTP server for webhooks: each path answers with
// the statuses of its script, then 200, and keeps every body it got.
type hooks struct {
	*httptest.Server
	mu      sync.Mutex
	scripts map[string][]int
	got     map[string][]string
}

func startHooks(t *testing.T, scripts map[string][]int) *hooks {
	h := &hooks{scripts: scripts, got: map[string][]string{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.got[r.URL.Path] = append(h.got[r.URL.Path], string(body))
		status := http.StatusOK
		if s := h.scripts[r.URL.Path]; len(s) > 0 {
			status, h.scripts[r.URL.Path] = s[0], s[1:]
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hooks) bodies(path string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got[path]...)
}

// writeDefs writes a definitions root: a metric read from the test's
// table, a dashboard showing it and the given alert rules.
func writeDefs(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	base := map[string]string{
		"sql/kpi/level.sql": `-- title: Level
-- unit: count
-- params: channel text = 'all'
SELECT sum(value)::float8 AS value FROM alert_metric
WHERE day >= :from AND day < :to AND (:channel = 'all' OR channel = :channel)
`,
		"sql/kpi/orders.sql": `-- title: Orders
-- aggregate: sum
-- better: higher
-- params: channel text = 'all'
SELECT sum(value)::float8 AS value FROM alert_metric
WHERE day >= :from AND day < :to AND (:channel = 'all' OR channel = :channel)
`,
		"dashboards/ops.yaml": `title: Ops
filters:
  - param: channel
    options: [all, web, app, calm]
tiles:
  - query: kpi/level
    label: Level
    target: 10
  - query: kpi/orders
    label: Orders
`,
	}
	for k, v := range files {
		base[k] = v
	}
	for name, body := range base {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// setMetric replaces the test table's rows of a channel: day → value.
func setMetric(t *testing.T, channel string, values map[time.Time]float64) {
	t.Helper()
	ctx := context.Background()
	admin := dbtest.Admin(t)
	if err := admin.Exec(ctx, `CREATE TABLE IF NOT EXISTS alert_metric (day date NOT NULL, channel text NOT NULL, value float8 NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if err := admin.Exec(ctx, `DELETE FROM alert_metric WHERE channel = $1`, channel); err != nil {
		t.Fatal(err)
	}
	for day, v := range values {
		if err := admin.Exec(ctx, `INSERT INTO alert_metric (day, channel, value) VALUES ($1::date, $2, $3)`, day.Format(query.DateLayout), channel, v); err != nil {
			t.Fatal(err)
		}
	}
}

// replica is one opsboard process's alert service.
func replica(t *testing.T, root string, clk *clock, smtpURL string, env map[string]string) *alert.Service {
	t.Helper()
	// Each test starts with no checks or firings: -count=N reruns a test
	// on the same database with the same times.
	if err := dbtest.Admin(t).Exec(context.Background(), `DELETE FROM opsboard.alert_checks; DELETE FROM opsboard.alert_firings`); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(root)
	if err != nil {
		t.Fatalf("definitions: %v", err)
	}
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: time.UTC, Timeout: 20 * time.Second, Now: clk.Now})
	svc := &alert.Service{
		DB: dbtest.Store(t), Runner: runner, Catalog: func() *catalog.Catalog { return cat },
		From: "opsboard@example.com", BaseURL: "https://opsboard.example.com", Now: clk.Now,
		Backoff: func(int) time.Duration { return 30 * time.Second },
		Getenv:  func(k string) string { return env[k] },
	}
	if smtpURL != "" {
		sender, err := mail.NewSender(mail.Config{URL: smtpURL, From: "opsboard@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		svc.Mail = sender
	}
	return svc
}

// tickAll ticks every replica at once.
func tickAll(replicas ...*alert.Service) {
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Go(func() { r.Tick(context.Background()) })
	}
	wg.Wait()
}

func notices(t *testing.T, rule string) (firings []store.AlertFiring, byFiring map[int64][]store.AlertNotice) {
	t.Helper()
	db := dbtest.Store(t)
	firings, err := db.ListAlertFirings(context.Background(), store.AlertFiringFilter{Rule: rule})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, f := range firings {
		ids = append(ids, f.ID)
	}
	byFiring, err = db.AlertNoticesOf(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return firings, byFiring
}

func TestAlertFiresOnceRetriesAndRecovers(t *testing.T) {
	today := query.Today(time.Now(), time.UTC)
	yesterday := today.AddDate(0, 0, -1)
	setMetric(t, "web", map[time.Time]float64{yesterday: 5})
	smtp := mailtest.Start(t, mailtest.Options{})
	hk := startHooks(t, map[string][]int{"/generic/s3cr3t": {500}, "/gone": {404}})
	root := writeDefs(t, map[string]string{"alerts/level-low.yaml": `title: Level low on the web
dashboard: ops
tile: kpi/level
params: {channel: web}
condition: below
range: yesterday
schedule: "*/5 * * * *"
email: [ops@example.com, lead@example.com]
webhooks:
  - url: ` + hk.URL + `/generic/s3cr3t
    format: generic
  - url_env: TEST_SLACK_WEBHOOK
  - url: ` + hk.URL + `/gone
`})
	env := map[string]string{"TEST_SLACK_WEBHOOK": hk.URL + "/slack"}
	clk := &clock{now: today.Add(8*time.Hour + 30*time.Second)}
	a := replica(t, root, clk, smtp.URL(), env)
	b := replica(t, root, clk, smtp.URL(), env)

	// Two replicas check the 08:00 schedule at once: one fires.
	tickAll(a, b)
	firings, byFiring := notices(t, "level-low")
	if len(firings) != 1 {
		t.Fatalf("%d firings after the first check, want 1: %+v", len(firings), firings)
	}
	f := firings[0]
	if f.Period != yesterday.Format(query.DateLayout) || f.Value != 5 || !f.Threshold.Valid || f.Threshold.Float64 != 10 {
		t.Errorf("firing %+v, want period yesterday, value 5, threshold 10 (the tile's target)", f)
	}
	// The rule's params are part of the number: the dashboard's default
	// view (all channels) shows another.
	if want := "Level (channel web) is 5 for " + yesterday.Format("Mon 2 Jan 2006") + ", below the threshold of 10."; f.Message != want {
		t.Errorf("message %q, want %q", f.Message, want)
	}
	if got := len(byFiring[f.ID]); got != 5 {
		t.Fatalf("%d notices, want 5 (2 emails, 3 webhooks): %+v", got, byFiring[f.ID])
	}
	msgs := smtp.WaitFor(2, 10*time.Second)
	if len(msgs) != 2 || !strings.Contains(string(msgs[0].Data), "Subject: [opsboard] Alert: Level low on the web") {
		t.Errorf("got %d emails, want one to each address with the alert's subject", len(msgs))
	}
	if len(msgs) > 0 {
		// The body parts are quoted-printable; the headers pass through.
		text, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(msgs[0].Data)))
		// The link pins the day the notice speaks of: opened tomorrow,
		// "yesterday" would show another day's number.
		day := yesterday.Format(query.DateLayout)
		for _, want := range []string{"Level (channel web) is 5 for", "Dashboard: https://opsboard.example.com/d/ops?channel=web&from=" + day + "&range=custom&to=" + day} {
			if !strings.Contains(string(text), want) {
				t.Errorf("email lacks %q:\n%s", want, text)
			}
		}
	}
	if got := hk.bodies("/slack"); len(got) != 1 || !strings.HasPrefix(got[0], `{"text":"*Alert: Level low on the web*\nLevel (channel web) is 5 for`) {
		t.Errorf("slack webhook got %q, want one {\"text\": …} naming the alert", got)
	}
	if got := hk.bodies("/generic/s3cr3t"); len(got) != 1 {
		t.Errorf("generic webhook got %d posts, want 1 (answered 500)", len(got))
	}
	byTarget := func() map[string]store.AlertNotice {
		_, byFiring := notices(t, "level-low")
		m := map[string]store.AlertNotice{}
		for _, n := range byFiring[f.ID] {
			m[n.Kind+" "+n.Target] = n
		}
		return m
	}
	generic := "fired url:" + hk.URL + "/generic/s3cr3t"
	if n := byTarget()[generic]; n.Status != "pending" || n.Attempts != 1 || !strings.Contains(n.LastError, "answered 500") || strings.Contains(n.LastError, "s3cr3t") {
		t.Errorf("generic notice after a 500: %s, %d attempts, %q; want pending, 1, the status without the secret path", n.Status, n.Attempts, n.LastError)
	}
	if n := byTarget()["fired url:"+hk.URL+"/gone"]; n.Status != "failed" || n.Attempts != 1 {
		t.Errorf("notice to a webhook answering 404: %s after %d attempts, want failed after 1", n.Status, n.Attempts)
	}

	// The retry is due after the backoff: the webhook now answers 200.
	clk.Set(clk.Now().Add(time.Minute))
	tickAll(a, b)
	if got := hk.bodies("/generic/s3cr3t"); len(got) != 2 {
		t.Fatalf("generic webhook got %d posts, want 2 (the retry)", len(got))
	} else {
		var body struct {
			Kind   string
			Fields map[string]any
		}
		json.Unmarshal([]byte(got[1]), &body)
		if body.Kind != "alert.fired" || body.Fields["rule"] != "level-low" || body.Fields["value"] != 5.0 || body.Fields["threshold"] != 10.0 {
			t.Errorf("generic body %s lacks the alert's fields", got[1])
		}
		if p, _ := body.Fields["params"].(map[string]any); p["channel"] != "web" {
			t.Errorf("generic body %s does not carry the rule's params", got[1])
		}
		if got[0] != got[1] {
			t.Errorf("the retry sent other bytes than the first attempt")
		}
	}
	if n := byTarget()[generic]; n.Status != "sent" || n.Attempts != 2 {
		t.Errorf("generic notice: %s after %d attempts, want sent after 2", n.Status, n.Attempts)
	}

	// Still in breach at 08:05: the period fired already.
	clk.Set(today.Add(8*time.Hour + 5*time.Minute + 10*time.Second))
	tickAll(a, b)
	if firings, _ := notices(t, "level-low"); len(firings) != 1 {
		t.Errorf("%d firings after a second check of the same period, want 1", len(firings))
	}

	// Back above the threshold at 08:10: one recovery notice per target.
	setMetric(t, "web", map[time.Time]float64{yesterday: 50})
	clk.Set(today.Add(8*time.Hour + 10*time.Minute + 10*time.Second))
	tickAll(a, b)
	clk.Set(today.Add(8*time.Hour + 15*time.Minute + 10*time.Second))
	tickAll(a, b)
	firings, _ = notices(t, "level-low")
	if len(firings) != 1 || !firings[0].RecoveredAt.Valid || firings[0].RecoveredValue.Float64 != 50 {
		t.Fatalf("firing after recovery: %+v, want recovered at 50", firings)
	}
	recovered := 0
	for key, n := range byTarget() {
		if strings.HasPrefix(key, "recovered ") {
			recovered++
			if n.Status != "sent" && !strings.HasSuffix(key, "/gone") {
				t.Errorf("recovery notice %s: %s (%s)", key, n.Status, n.LastError)
			}
		}
	}
	if recovered != 5 {
		t.Errorf("%d recovery notices, want 5", recovered)
	}
	msgs = smtp.WaitFor(4, 10*time.Second)
	if len(msgs) != 4 || !strings.Contains(string(msgs[3].Data), "Subject: [opsboard] Recovered: Level low on the web") {
		t.Errorf("got %d emails, want 4: the alert and one recovery to each address", len(msgs))
	}
	for _, path := range []string{"/slack", "/generic/s3cr3t"} {
		got := hk.bodies(path)
		n := 0
		for _, b := range got {
			if strings.Contains(b, "Recovered: Level low on the web") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s got %d recovery posts, want 1: %q", path, n, got)
		}
	}

	// Checked as of its last scheduled time; one check per time across replicas.
	last, err := dbtest.Store(t).LatestAlertChecks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := last["level-low"]; c.Status != store.CheckOK || !c.DueAt.Equal(today.Add(8*time.Hour+15*time.Minute)) {
		t.Errorf("latest check %+v, want ok for 08:15", c)
	}
}

func TestChangeLargerThanNormalVariation(t *testing.T) {
	today := query.Today(time.Now(), time.UTC)
	y := today.AddDate(0, 0, -1)
	rule := func(name, channel string) (string, string) {
		return "alerts/" + name + ".yaml", `dashboard: ops
tile: kpi/orders
params: {channel: ` + channel + `}
condition: change
direction: up
range: yesterday
schedule: "0 8 * * *"
webhooks: [https://hooks.example.com/x]
`
	}
	files := map[string]string{}
	for _, r := range [][2]string{{"jump", "app"}, {"wobble", "calm"}} {
		name, body := rule(r[0], r[1])
		files[name] = body
	}
	setMetric(t, "app", map[time.Time]float64{y: 300, y.AddDate(0, 0, -1): 100})
	setMetric(t, "calm", map[time.Time]float64{y: 105, y.AddDate(0, 0, -1): 100})
	clk := &clock{now: today.Add(9 * time.Hour)}
	svc := replica(t, writeDefs(t, files), clk, "", nil)
	for _, c := range []struct {
		rule, status string
	}{
		{"jump", store.CheckFiring}, // 300 vs 100: far beyond Poisson noise
		{"wobble", store.CheckOK},   // 105 vs 100: within it
	} {
		o, err := svc.Evaluate(context.Background(), svc.Catalog().Alerts[c.rule], clk.Now())
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		if o.Status != c.status {
			t.Errorf("%s: %s (%s), want %s", c.rule, o.Status, o.Message, c.status)
		}
		if c.status == store.CheckFiring && !strings.Contains(o.Message, "larger than its normal variation") {
			t.Errorf("%s: message %q does not say the change is unusual", c.rule, o.Message)
		}
	}
}

func TestCheckNow(t *testing.T) {
	today := query.Today(time.Now(), time.UTC)
	setMetric(t, "web", map[time.Time]float64{today.AddDate(0, 0, -1): 3})
	hk := startHooks(t, nil)
	root := writeDefs(t, map[string]string{"alerts/low.yaml": `dashboard: ops
tile: kpi/level
params: {channel: web}
condition: below
threshold: 4
schedule: "0 8 * * *"
webhooks: [` + hk.URL + `/hook]
`})
	clk := &clock{now: today.Add(15 * time.Hour)}
	svc := replica(t, root, clk, "", nil)
	check, err := svc.CheckNow(context.Background(), "low")
	if err != nil {
		t.Fatal(err)
	}
	if check == nil {
		t.Fatal("CheckNow claimed no check")
	}
	if firings, _ := notices(t, "low"); len(firings) != 1 || firings[0].Value != 3 {
		t.Errorf("firings after CheckNow: %+v, want one at 3", firings)
	}
	// Without a title, the rule is named after the tile and its params.
	if got := hk.bodies("/hook"); len(got) != 1 || !strings.HasPrefix(got[0], `{"text":"*Alert: Level (channel web) below target*\nLevel (channel web) is 3 for`) {
		t.Errorf("webhook got %q, want one post naming the tile with its channel", got)
	}
	if _, err := svc.CheckNow(context.Background(), "nope"); err == nil {
		t.Errorf("CheckNow of an unknown rule succeeded")
	}
}
