package web_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/demo"
	"github.com/opsboard/opsboard/internal/embeddedpg"
	"github.com/opsboard/opsboard/internal/pg"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/warehouse"
)

// replica is a primary with a streaming hot standby: the store on the
// primary, the warehouse on the standby as the read-only role.
type replica struct {
	primary, standby *embeddedpg.Cluster
	store            *store.Store
	admin            *pg.Admin // the primary's database, as its owner
	warehouse        *warehouse.Warehouse
	reader           *sqlx.DB // the standby, as the read-only role, for the test's own checks
}

// startReplica starts an embedded primary of its own (whatever
// OPSBOARD_TEST_DATABASE_URL says) with a migrated store, the read-only
// role and demo data ending a week ago, then a standby of it.
func startReplica(t *testing.T, ctx context.Context) *replica {
	t.Helper()
	parent, err := os.MkdirTemp("", "opsboard-standby-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	os.Chmod(parent, 0o755) // the postgres user must reach it when tests run as root

	r := &replica{}
	if r.primary, err = embeddedpg.Start(ctx, filepath.Join(parent, "primary"), nil); err != nil {
		t.Fatalf("starting the primary: %v", err)
	}
	t.Cleanup(func() {
		if err := r.primary.Stop(); err != nil { // the standby first
			t.Errorf("stopping the clusters: %v", err)
		}
	})
	if err := pg.EnsureDatabase(ctx, r.primary.URL("postgres"), "opsboard"); err != nil {
		t.Fatal(err)
	}
	if r.store, err = store.Open(ctx, r.primary.URL("opsboard"), store.Options{MaxOpenConns: 4}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	if err := r.store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if r.admin, err = pg.OpenAdmin(ctx, r.primary.URL("opsboard")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.admin.Close() })
	if err := r.admin.EnsureReader(ctx, embeddedpg.ReaderRole, r.primary.ReaderPassword(), []string{"public"}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, r.admin, demoOptions(time.Now().AddDate(0, 0, -7))); err != nil {
		t.Fatalf("loading demo data into the primary: %v", err)
	}

	if r.standby, err = r.primary.StartStandby(ctx, filepath.Join(parent, "standby")); err != nil {
		t.Fatalf("starting the standby: %v", err)
	}
	if r.warehouse, err = warehouse.Open(ctx, r.standby.ReaderURL("opsboard"), warehouse.Options{MaxOpenConns: 4}); err != nil {
		t.Fatalf("opening the warehouse on the standby: %v", err)
	}
	t.Cleanup(func() { r.warehouse.Close() })
	if r.reader, err = pg.Open(ctx, r.standby.ReaderURL("opsboard"), pg.Options{MaxOpenConns: 1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.reader.Close() })
	return r
}

func demoOptions(now time.Time) demo.Options {
	return demo.Options{Scale: 0.3, Days: 120, Seed: 11, Location: time.UTC, Now: now}
}

// waitForReplay waits until the standby has replayed everything the
// primary has written so far.
func (r *replica) waitForReplay(t *testing.T, ctx context.Context) {
	t.Helper()
	var lsn string
	if err := r.admin.Get(ctx, &lsn, `SELECT pg_current_wal_lsn()::text`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var replayed bool
		err := r.reader.GetContext(ctx, &replayed, `SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)`, lsn)
		switch {
		case err != nil:
			t.Fatalf("asking the standby how far it replayed: %v", err)
		case replayed:
			return
		case time.Now().After(deadline):
			t.Fatalf("the standby did not replay the primary's WAL up to %s within 30s", lsn)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The read-replica way to scale out: the store on a primary, the warehouse
// on a streaming hot standby of it. Data written on the primary after the
// standby started reaches it, the shipped dashboards and the daily report
// render from it, and the demo loader refuses it in words.
func TestStandbyServesDashboardsAndReport(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := startReplica(t, ctx)

	// The demo data ends a week ago on the standby until the load below,
	// made on the primary, replays there: the report's day is yesterday.
	now := time.Now()
	if _, err := demo.Load(ctx, r.admin, demoOptions(now)); err != nil {
		t.Fatalf("loading demo data into the primary: %v", err)
	}
	r.waitForReplay(t, ctx)
	yesterday := query.Today(now, time.UTC).AddDate(0, 0, -1)

	t.Run("replicated", func(t *testing.T) {
		const q = `SELECT count(*) AS orders, max(placed_at)::date::text AS last_day FROM orders`
		type counts struct {
			Orders  int64  `db:"orders"`
			LastDay string `db:"last_day"`
		}
		var onPrimary, onStandby counts
		if err := r.admin.Get(ctx, &onPrimary, q); err != nil {
			t.Fatal(err)
		}
		if err := r.reader.GetContext(ctx, &onStandby, q); err != nil {
			t.Fatal(err)
		}
		if onStandby != onPrimary {
			t.Errorf("the standby has %+v, want the primary's %+v", onStandby, onPrimary)
		}
		if want := yesterday.Format(query.DateLayout); onStandby.LastDay != want {
			t.Errorf("the standby's last order day is %s, want %s (the load made after it started)", onStandby.LastDay, want)
		}
	})

	t.Run("warehouse is the standby", func(t *testing.T) {
		f, err := r.warehouse.Query(ctx, `SELECT pg_is_in_recovery() AS standby, current_user::text AS role`, nil, warehouse.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Rows) != 1 || f.Rows[0][0] != true || f.Rows[0][1] != embeddedpg.ReaderRole {
			t.Errorf("the warehouse's connection reports (pg_is_in_recovery, current_user) = %v, want [true %s]", f.Rows, embeddedpg.ReaderRole)
		}
		var primaryInRecovery bool
		if err := r.admin.Get(ctx, &primaryInRecovery, `SELECT pg_is_in_recovery()`); err != nil || primaryInRecovery {
			t.Errorf("the primary reports pg_is_in_recovery() = %t (%v), want false", primaryInRecovery, err)
		}
		problems, err := r.warehouse.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) > 0 {
			t.Errorf("Check on the standby as the read-only role: %q, want no problems", problems)
		}
	})

	t.Run("dashboards", func(t *testing.T) {
		ts := startServerOn(t, r.store, r.warehouse, "../..")
		for _, name := range []string{"daily-ops", "customer-impact"} {
			d := ts.srv.Catalog().Dashboards[name]
			if d == nil {
				t.Fatalf("no shipped dashboard %s", name)
			}
			code, body, _ := get(t, ts.URL+"/d/"+name)
			if code != http.StatusOK {
				t.Fatalf("GET /d/%s = %d, want 200:\n%s", name, code, body)
			}
			if n := len(panelRE.FindAllString(body, -1)); n != len(d.Panels) {
				t.Errorf("%s: page has %d panels, want %d", name, n, len(d.Panels))
			}
			for _, failed := range []string{`data-error="true"`, `class="tile error"`, `data-empty="true"`} {
				if i := strings.Index(body, failed); i >= 0 {
					t.Errorf("%s: %s on the standby: %s", name, failed, body[i:min(len(body), i+600)])
				}
			}
		}
	})

	t.Run("report", func(t *testing.T) {
		chrome := browsertest.Need(t)
		cat, err := catalog.Load(filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		runner := query.NewRunner(r.warehouse, query.Options{Location: time.UTC, Timeout: 30 * time.Second})
		p, err := report.NewProducer(report.Config{Catalog: func() *catalog.Catalog { return cat }, Runner: runner,
			Location: time.UTC, Chrome: chrome})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		o, err := p.Render(ctx, "ops-daily", yesterday)
		if err != nil {
			t.Fatalf("rendering ops-daily from the standby: %v", err)
		}
		if o.Partial() {
			t.Errorf("ops-daily from the standby has failures: %q", o.Failures)
		}
		pdf, err := p.PDF(ctx, o)
		if err != nil {
			t.Fatalf("printing ops-daily: %v", err)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Fatalf("PDF starts with %q, want %%PDF", pdf[:min(len(pdf), 8)])
		}
		if _, err := exec.LookPath("pdftotext"); err != nil {
			t.Logf("pdftotext not found, the PDF's text is not checked: %v", err)
			return
		}
		cmd := exec.CommandContext(ctx, "pdftotext", "-layout", "-", "-")
		cmd.Stdin = bytes.NewReader(pdf)
		text, err := cmd.Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		for _, want := range []string{o.Subject, "On-time delivery", "CSAT"} {
			if !strings.Contains(string(text), want) {
				t.Errorf("the PDF's text lacks %q:\n%s", want, text)
			}
		}
		// The highlights tie an ops number to a customer one (the
		// lateness panel's contrast): a late bucket's CSAT against on time.
		tie := regexp.MustCompile(`CSAT\s+was\s+[0-9.]+\s+for\s+[^\n]*?late\s+against\s+[0-9.]+\s+for\s+on\s+time`)
		if !tie.Match(text) {
			t.Errorf("the PDF's highlights have no sentence tying lateness to CSAT:\n%s", text)
		}
	})

	t.Run("demo load refused", func(t *testing.T) {
		admin, err := pg.OpenAdmin(ctx, r.standby.URL("opsboard"))
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		_, err = demo.Load(ctx, admin, demoOptions(now))
		if err == nil || !strings.Contains(err.Error(), "read-only standby") || !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("loading demo data into the standby: got %v, want an invalid-kind error saying it is a read-only standby", err)
		}
		u, _ := url.Parse(r.standby.URL("opsboard"))
		if pw, _ := u.User.Password(); err != nil && strings.Contains(err.Error(), pw) {
			t.Errorf("the error shows the password: %v", err)
		}
	})
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}
