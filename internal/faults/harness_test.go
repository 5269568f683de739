package faults_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"github.com/opsboard/opsboard/internal/catalog/catalogtest"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/mail/mailtest"
	"github.com/opsboard/opsboard/internal/pg"
	"github.com/opsboard/opsboard/internal/store"
)

func TestMain(m *testing.M) {
	code := dbtest.Main(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	binErr    error
)

// opsboardBinary builds cmd/opsboard once for the package's tests and
// returns its path.
func opsboardBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "opsboard-faults-"); binErr != nil {
			return
		}
		goCmd, err := exec.LookPath("go")
		if err != nil {
			goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		cmd := exec.Command(goCmd, "build", "-o", filepath.Join(binDir, "opsboard"), "github.com/opsboard/opsboard/cmd/opsboard")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/opsboard: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "opsboard")
}

// The definitions the replicas serve: a depot's parcel scans, a shape the
// demo never had, in a daily report to two addresses and a cc.
var recipients = []string{"ana@depots.example", "ben@depots.example", "cy@depots.example"}

const reportName = "depot-daily"

// fixtureSQL (re)creates the scans table with the last two weeks.
const fixtureSQL = `
CREATE TABLE IF NOT EXISTS depot_scans (
	scanned_at timestamptz NOT NULL,
	depot      text NOT NULL,
	parcels    int NOT NULL,
	late       int NOT NULL
);
TRUNCATE depot_scans;
INSERT INTO depot_scans
SELECT d + interval '9 hours', depot, 100 + (extract(doy FROM d)::int * 7 + length(depot)) % 23, (extract(doy FROM d)::int + length(depot)) % 9
FROM generate_series(current_date - 14, current_date, interval '1 day') AS d,
     unnest(ARRAY['north', 'south', 'east']) AS depot;`

var loadFixture sync.Once

// packageData loads the scans into the package's database, once, and
// returns its URL as the read-only role.
func packageData(t *testing.T) string {
	t.Helper()
	var err error
	loadFixture.Do(func() { err = dbtest.Admin(t).Exec(context.Background(), fixtureSQL) })
	if err != nil {
		t.Fatalf("loading the scans: %v", err)
	}
	return dbtest.ReaderURL(t)
}

// definitions writes the report's files. The report is due at the start
// of the minute before now, in UTC, for the day before; slowPanel makes
// its panel's query take that long.
func definitions(t *testing.T, slowPanel time.Duration) (root string, date time.Time) {
	t.Helper()
	due := time.Now().UTC().Add(-time.Minute)
	date = time.Date(due.Year(), due.Month(), due.Day()-1, 0, 0, 0, 0, time.UTC)
	from := "depot_scans"
	if slowPanel > 0 {
		from = fmt.Sprintf("depot_scans, pg_sleep(%g)", slowPanel.Seconds())
	}
	root = catalogtest.Write(t, map[string]string{
		"sql/depots/parcels.sql": "-- title: Parcels scanned\n-- description: Parcels scanned at the depots.\n-- unit: count\n-- better: higher\n" +
			"SELECT coalesce(sum(parcels), 0)::bigint AS value FROM depot_scans WHERE scanned_at >= :from AND scanned_at < :to\n",
		"sql/depots/late_share.sql": "-- title: Late parcels\n-- description: Share of parcels scanned after their slot.\n-- unit: percent\n-- better: lower\n" +
			"SELECT (sum(late)::float8 / nullif(sum(parcels), 0)) AS value FROM depot_scans WHERE scanned_at >= :from AND scanned_at < :to\n",
		"sql/depots/by_depot.sql": "-- title: Parcels by depot\n-- description: Parcels scanned at each depot.\n" +
			"SELECT depot, sum(parcels)::bigint AS parcels FROM " + from + " WHERE scanned_at >= :from AND scanned_at < :to GROUP BY depot ORDER BY depot\n",
		"dashboards/depots.yaml": "title: Depot throughput\ndescription: Parcels through the depots, and how many were late.\nrange: yesterday\n" +
			"tiles:\n  - query: depots/parcels\n    label: Parcels\n  - query: depots/late_share\n    label: Late share\n" +
			"panels:\n  - title: Parcels by depot\n    query: depots/by_depot\n    chart: bar\n    x: depot\n    y: [parcels]\n",
		"reports/" + reportName + ".yaml": "title: Depot daily\ndashboard: depots\nperiod: yesterday\ntimezone: UTC\n" +
			fmt.Sprintf("schedule: \"%d %d * * *\"\n", due.Minute(), due.Hour()) +
			"to: [" + recipients[0] + ", " + recipients[1] + "]\ncc: [" + recipients[2] + "]\n" +
			"subject: \"Depot daily {{.Date}}\"\nattach: [pdf]\n",
	})
	return root, date
}

// newStore makes a fresh, migrated store database for one test on the
// package's server and returns it with its URL; it is dropped when the
// test ends.
func newStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	ctx := context.Background()
	server := dbtest.ServerURL(t)
	name := "opsboard_faults_" + randomHex(4)
	if err := pg.EnsureDatabase(ctx, server, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.DropDatabase(context.Background(), server, name); err != nil {
			t.Logf("dropping %s: %v", name, err)
		}
	})
	u, err := pg.WithDatabase(server, name)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, u, store.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db, u
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// rig is one test's world: a store, the definitions, one SMTP server and
// the replicas serving them.
type rig struct {
	t        *testing.T
	db       *store.Store
	env      map[string]string
	root     string
	date     time.Time
	smtp     *mailtest.Server
	replicas []*replica
	began    time.Time
}

// rigOptions are what a test changes.
type rigOptions struct {
	SMTP mailtest.Options
	// SMTPTimeout bounds each step of an SMTP conversation (the SMTP URL's
	// timeout=); default 5s.
	SMTPTimeout time.Duration
	// Backoff is OPSBOARD_RETRY_BACKOFF; default 200ms.
	Backoff time.Duration
	// DataURL is where the queries run; default the package database.
	DataURL string
	// SlowPanel makes the panel's query take that long.
	SlowPanel time.Duration
}

// newRig sets up a store, the definitions and the SMTP server; replicas
// are started with start.
func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	chrome := browsertest.Need(t)
	opsboardBinary(t)
	if o.SMTPTimeout == 0 {
		o.SMTPTimeout = 5 * time.Second
	}
	if o.Backoff == 0 {
		o.Backoff = 200 * time.Millisecond
	}
	if o.DataURL == "" {
		o.DataURL = packageData(t)
	}
	r := &rig{t: t, began: time.Now()}
	var storeURL string
	r.db, storeURL = newStore(t)
	r.root, r.date = definitions(t, o.SlowPanel)
	r.smtp = mailtest.Start(t, o.SMTP)
	r.env = map[string]string{
		"DATABASE_URL":                storeURL,
		"OPSBOARD_DATA_URL":           o.DataURL,
		"OPSBOARD_SMTP_URL":           r.smtp.URL() + "?timeout=" + o.SMTPTimeout.String(),
		"OPSBOARD_FROM":               "opsboard@depots.example",
		"OPSBOARD_BASE_URL":           "http://opsboard.depots.example",
		"OPSBOARD_CHROME":             chrome,
		"OPSBOARD_TIMEZONE":           "UTC",
		"OPSBOARD_CACHE_TTL":          "0",
		"OPSBOARD_SCHEDULER_INTERVAL": "250ms",
		"OPSBOARD_RETRY_BACKOFF":      o.Backoff.String(),
		"OPSBOARD_LOG_LEVEL":          "debug",
	}
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, p := range r.replicas {
			wg.Add(1)
			go func() { defer wg.Done(); p.stop() }()
		}
		wg.Wait()
		if t.Failed() {
			for _, p := range r.replicas {
				t.Logf("replica %s's log (last 6000 bytes):\n%s", p.name, p.logTail(6000))
			}
		}
	})
	return r
}

// replica is one `opsboard serve` process.
type replica struct {
	name   string
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port
	logf   string
	exited chan struct{}
}

// start starts replicas, all at once, and waits until each answers
// /healthz with 200 (its scheduler has ticked).
func (r *rig) start(names ...string) []*replica {
	r.t.Helper()
	var ps []*replica
	for _, name := range names {
		ps = append(ps, r.launch(name))
	}
	defer func() { r.t.Logf("%s: replicas %v healthy", time.Since(r.began).Round(time.Millisecond), names) }()
	for _, p := range ps {
		waitFor(r.t, "replica "+p.name+" is healthy", 2*time.Minute, func() (bool, string) {
			code, body := get(p.base + "/healthz")
			return code == http.StatusOK, fmt.Sprintf("/healthz = %d %s", code, body)
		})
	}
	return ps
}

// launch starts one `opsboard serve` process.
func (r *rig) launch(name string) *replica {
	t := r.t
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logf := filepath.Join(t.TempDir(), name+".log")
	out, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(opsboardBinary(t), "--dir", r.root, "serve", "--addr", addr)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range r.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, ended with it (Chromium, its child, too),
	// and killed should the test binary die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &replica{name: name, cmd: cmd, base: "http://" + addr, logf: logf, exited: make(chan struct{})}
	go func() { cmd.Wait(); out.Close(); close(p.exited) }()
	r.replicas = append(r.replicas, p)
	return p
}

// kill ends the replica's process at once with SIGKILL, as a crash would
// (its Chromium is left for stop to end).
func (p *replica) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL %s: %v", p.name, err)
	}
	<-p.exited
}

// stop ends the replica with SIGTERM (SIGKILL after 15 s) and then
// whatever is left of its process group.
func (p *replica) stop() {
	pid := p.cmd.Process.Pid
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.exited
		}
	}
	syscall.Kill(-pid, syscall.SIGKILL)
}

func (p *replica) logTail(n int) string {
	b, _ := os.ReadFile(p.logf)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func get(u string) (int, string) {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls cond until it holds, or fails the test with cond's last
// word.
func waitFor(t *testing.T, what string, within time.Duration, cond func() (bool, string)) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
	}
	t.Fatalf("%s: not within %s: %s", what, within, last)
}

// run is the report's scheduled run for the rig's date; nil before it is
// claimed.
func (r *rig) run() *store.Run {
	r.t.Helper()
	run, err := r.db.ScheduledRun(context.Background(), reportName, r.date)
	if err != nil {
		return nil
	}
	return run
}

// deliveries are the run's deliveries by recipient.
func (r *rig) deliveries(run *store.Run) map[string]store.Delivery {
	r.t.Helper()
	ds, err := r.db.Deliveries(context.Background(), run.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]store.Delivery{}
	for _, d := range ds {
		out[d.Recipient] = d
	}
	return out
}

// waitFinished waits until the run is finished (sent, partial or
// failed) and returns it.
func (r *rig) waitFinished(within time.Duration) *store.Run {
	r.t.Helper()
	var run *store.Run
	waitFor(r.t, "the run finishes", within, func() (bool, string) {
		if run = r.run(); run == nil {
			return false, "not claimed yet"
		}
		switch run.Status {
		case store.RunSent, store.RunPartial, store.RunFailed:
			return true, ""
		}
		return false, fmt.Sprintf("run %d is %s (errors %s), deliveries %v", run.ID, run.Status, run.Errors, r.deliveries(run))
	})
	r.t.Logf("%s: run %s", time.Since(r.began).Round(time.Millisecond), run.Status)
	return run
}

// received is what the SMTP server accepted: per recipient, the
// Message-IDs of the messages it got, after checking every message is a
// whole report (its subject, no page of error messages).
func (r *rig) received() map[string][]string {
	r.t.Helper()
	out := map[string][]string{}
	for _, m := range r.smtp.Messages() {
		msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			r.t.Fatalf("a message the server accepted does not parse: %v", err)
		}
		subject := msg.Header.Get("Subject")
		if want := "Depot daily " + r.date.Format("2006-01-02"); subject != want {
			r.t.Errorf("a message's subject is %q, want %q", subject, want)
		}
		for _, bad := range []string{"cannot be reached", "connection refused", "127.0.0.1"} {
			if bytes.Contains(m.Data, []byte(bad)) {
				r.t.Errorf("a message says %q", bad)
			}
		}
		for _, to := range m.To {
			out[to] = append(out[to], msg.Header.Get("Message-Id"))
		}
	}
	return out
}

// onceEach checks that every recipient got exactly one message, all with
// the one Message-ID of the run, and nobody else got any.
func (r *rig) onceEach(got map[string][]string) {
	r.t.Helper()
	ids := map[string]bool{}
	for _, to := range recipients {
		if len(got[to]) != 1 {
			r.t.Errorf("%s got %d messages, want 1 (all: %v)", to, len(got[to]), got)
		}
		for _, id := range got[to] {
			ids[id] = true
		}
	}
	if len(got) != len(recipients) {
		r.t.Errorf("messages went to %v, want %v only", got, recipients)
	}
	if len(ids) != 1 {
		r.t.Errorf("Message-IDs %v, want the run's one", ids)
	}
}

// logged reports whether some replica's log has a line with every one of
// subs.
func (r *rig) logged(subs ...string) bool {
	for _, p := range r.replicas {
		if r.loggedBy(p, subs...) {
			return true
		}
	}
	return false
}

// loggedBy reports whether p's log has a line with every one of subs.
func (r *rig) loggedBy(p *replica, subs ...string) bool {
	b, _ := os.ReadFile(p.logf)
	for _, line := range strings.Split(string(b), "\n") {
		if contains(line, subs...) {
			return true
		}
	}
	return false
}

// archive is the /reports page of a replica: what a person sees of the
// runs.
func (p *replica) archive(t *testing.T) string {
	t.Helper()
	code, body := get(p.base + "/reports/" + reportName)
	if code != http.StatusOK {
		t.Fatalf("GET /reports/%s = %d:\n%.800s", reportName, code, body)
	}
	return body
}

// contains reports whether s has every one of subs.
func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
