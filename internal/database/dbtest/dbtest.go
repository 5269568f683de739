// Package dbtest gives each test package a fresh PostgreSQL database:
// created and migrated before the package's tests run, dropped after.
// It uses the server named by OPSBOARD_TEST_DATABASE_URL when set, and
// otherwise starts opsboard's own embedded cluster in a temporary directory.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/database"
	"github.com/opsboard/opsboard/internal/embeddedpg"
)

var (
	shared    *database.DB
	sharedURL string
)

// Main sets up the package's database, runs the tests and drops the database.
// Use it from TestMain: func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }.
func Main(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	adminURL, stop, err := server(ctx)
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	defer stop()
	name := "opsboard_test_" + randomSuffix()
	if err := database.EnsureDatabase(ctx, adminURL, name); err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "dbtest: creating database:", err)
		return 1
	}
	defer database.DropDatabase(context.Background(), adminURL, name)
	sharedURL, _ = database.WithDatabase(adminURL, name)
	shared, err = database.Open(ctx, sharedURL, database.Options{MaxOpenConns: 8})
	if err == nil {
		err = shared.Migrate(ctx)
	}
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	code := m.Run()
	shared.Close()
	return code
}

// DB returns the package's database. It fails the test when Main did not run.
func DB(tb testing.TB) *database.DB {
	tb.Helper()
	if shared == nil {
		tb.Fatal("dbtest: no database; call dbtest.Main from TestMain")
	}
	return shared
}

// URL returns the connection URL of the package's database.
func URL(tb testing.TB) string {
	tb.Helper()
	DB(tb)
	return sharedURL
}

func server(ctx context.Context) (adminURL string, stop func(), err error) {
	if u := os.Getenv("OPSBOARD_TEST_DATABASE_URL"); u != "" {
		return u, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "opsboard-test-pg-")
	if err != nil {
		return "", nil, err
	}
	os.Chmod(dir, 0o755)
	c, err := embeddedpg.Start(ctx, filepath.Join(dir, "cluster"), nil)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return c.URL("postgres"), func() { c.Stop(); os.RemoveAll(dir) }, nil
}

func randomSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
