package embeddedpg_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/embeddedpg"
	"github.com/opsboard/opsboard/internal/pg"
)

// The embedded default starts a cluster, keeps its data across a restart,
// reuses a running cluster without stopping it, and stops.
func TestClusterLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	parent, err := os.MkdirTemp("", "opsboard-embedded-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(parent)
	os.Chmod(parent, 0o755) // the postgres user must reach it when tests run as root
	dir := filepath.Join(parent, "cluster")

	c, err := embeddedpg.Start(ctx, dir, nil)
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	defer c.Stop()
	if err := pg.EnsureDatabase(ctx, c.URL("postgres"), "opsboard"); err != nil {
		t.Fatalf("creating database: %v", err)
	}
	db, err := pg.OpenAdmin(ctx, c.URL("opsboard"))
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	if err := db.Exec(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A second Start while running reuses the cluster and must not stop it.
	again, err := embeddedpg.Start(ctx, dir, nil)
	if err != nil {
		t.Fatalf("start while running: %v", err)
	}
	if again.URL("x") != c.URL("x") {
		t.Errorf("second start got %s, want the running cluster %s", again.URL("x"), c.URL("x"))
	}
	if err := again.Stop(); err != nil {
		t.Fatal(err)
	}
	if !answers(c) {
		t.Fatal("cluster stopped by a process that did not start it")
	}

	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if answers(c) {
		t.Fatal("cluster still answers after Stop")
	}

	restarted, err := embeddedpg.Start(ctx, dir, nil)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer restarted.Stop()
	db, err = pg.OpenAdmin(ctx, restarted.URL("opsboard"))
	if err != nil {
		t.Fatalf("connecting after restart: %v", err)
	}
	defer db.Close()
	var got string
	if err := db.Get(ctx, &got, `SELECT v FROM kept`); err != nil {
		t.Fatalf("reading after restart: %v", err)
	}
	if got != "still here" {
		t.Errorf("after restart got %q, want %q", got, "still here")
	}
}

func answers(c *embeddedpg.Cluster) bool {
	u := c.URL("postgres")
	db, err := pg.OpenAdmin(context.Background(), u)
	if err != nil {
		return false
	}
	db.Close()
	return true
}

func TestMissingBinariesSaysHowToInstall(t *testing.T) {
	t.Setenv("OPSBOARD_PG_BIN", t.TempDir())
	_, err := embeddedpg.Start(context.Background(), t.TempDir(), nil)
	if err == nil {
		t.Fatal("Start without binaries succeeded")
	}
	for _, want := range []string{"apt-get install postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestRootNeedsAReachableDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("applies only when opsboard runs as root")
	}
	dir := filepath.Join(t.TempDir(), "cluster") // t.TempDir's parent is private to root
	_, err := embeddedpg.Start(context.Background(), dir, nil)
	if err == nil || !strings.Contains(err.Error(), "OPSBOARD_DATA_DIR") {
		t.Fatalf("got %v, want an error telling to set OPSBOARD_DATA_DIR", err)
	}
}

// A standby of a running cluster answers as the same roles, is in
// recovery, replays the primary's writes, refuses a second standby in the
// same directory, and stops with its primary.
func TestStandby(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	parent, err := os.MkdirTemp("", "opsboard-embedded-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(parent)
	os.Chmod(parent, 0o755) // the postgres user must reach it when tests run as root

	primary, err := embeddedpg.Start(ctx, filepath.Join(parent, "primary"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Stop()
	standby, err := primary.StartStandby(ctx, filepath.Join(parent, "standby"))
	if err != nil {
		t.Fatalf("starting a standby: %v", err)
	}
	if standby.URL("x") == primary.URL("x") {
		t.Fatalf("the standby has the primary's URL %s", standby.URL("x"))
	}

	p, err := pg.OpenAdmin(ctx, primary.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Exec(ctx, `CREATE TABLE written_later (v text); INSERT INTO written_later VALUES ('replayed')`); err != nil {
		t.Fatal(err)
	}
	s, err := pg.OpenAdmin(ctx, standby.URL("postgres"))
	if err != nil {
		t.Fatalf("connecting to the standby with the primary's password: %v", err)
	}
	defer s.Close()
	var inRecovery bool
	if err := s.Get(ctx, &inRecovery, `SELECT pg_is_in_recovery()`); err != nil || !inRecovery {
		t.Errorf("the standby reports pg_is_in_recovery() = %t (%v), want true", inRecovery, err)
	}
	var got string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		err := s.Get(ctx, &got, `SELECT v FROM written_later`)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the primary's write did not reach the standby within 20s: %v", err)
		}
	}
	if got != "replayed" {
		t.Errorf("the standby has %q, want %q", got, "replayed")
	}

	if _, err := primary.StartStandby(ctx, filepath.Join(parent, "standby")); err == nil {
		t.Error("a second standby in the same directory started, want a refusal")
	}
	s.Close()
	if err := primary.Stop(); err != nil {
		t.Fatal(err)
	}
	if answers(standby) {
		t.Error("the standby still answers after its primary stopped")
	}
}
