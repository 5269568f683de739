// Package dbtest gives each test package a fresh PostgreSQL database:
// created and migrated before the package's tests run, dropped after, with
// a read-only role of its own for the warehouse, as opsboard sets up the
// embedded cluster. It uses the server named by OPSBOARD_TEST_DATABASE_URL
// when set, and otherwise starts opsboard's own embedded cluster in a
// temporary directory.
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

	"github.com/opsboard/opsboard/internal/embeddedpg"
	"github.com/opsboard/opsboard/internal/pg"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/warehouse"
)

var pkg struct {
	store     *store.Store
	warehouse *warehouse.Warehouse
	admin     *pg.Admin
	url       string // the database, as its owner
	readerURL string // the database, as the read-only role
	serverURL string // the server's maintenance database, as a superuser
}

// Main sets up the package's database, runs the tests and drops the database.
// Use it from TestMain: func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }.
func Main(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	serverURL, stop, err := server(ctx)
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	defer stop()
	suffix := randomSuffix()
	name, reader := "opsboard_test_"+suffix, "opsboard_reader_"+suffix
	if err := pg.EnsureDatabase(ctx, serverURL, name); err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "dbtest: creating database:", err)
		return 1
	}
	defer pg.DropRole(context.Background(), serverURL, reader)
	defer pg.DropDatabase(context.Background(), serverURL, name)
	err = setUp(ctx, serverURL, name, reader)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	code := m.Run()
	pkg.warehouse.Close()
	pkg.admin.Close()
	pkg.store.Close()
	return code
}

func setUp(ctx context.Context, serverURL, name, reader string) (err error) {
	pkg.serverURL = serverURL
	if pkg.url, err = pg.WithDatabase(serverURL, name); err != nil {
		return err
	}
	if pkg.store, err = store.Open(ctx, pkg.url, store.Options{MaxOpenConns: 8}); err != nil {
		return err
	}
	if err := pkg.store.Migrate(ctx); err != nil {
		return err
	}
	if pkg.admin, err = pg.OpenAdmin(ctx, pkg.url); err != nil {
		return err
	}
	password := randomSuffix() + randomSuffix()
	if err := pkg.admin.EnsureReader(ctx, reader, password, []string{"public"}); err != nil {
		return err
	}
	if pkg.readerURL, err = pg.WithUser(pkg.url, reader, password); err != nil {
		return err
	}
	pkg.warehouse, err = warehouse.Open(ctx, pkg.readerURL, warehouse.Options{MaxOpenConns: 8})
	return err
}

func check(tb testing.TB) {
	tb.Helper()
	if pkg.store == nil {
		tb.Fatal("dbtest: no database; call dbtest.Main from TestMain")
	}
}

// Store returns the package's opsboard store (migrated).
func Store(tb testing.TB) *store.Store {
	tb.Helper()
	check(tb)
	return pkg.store
}

// Warehouse returns the package's warehouse: the same database, as the
// read-only role.
func Warehouse(tb testing.TB) *warehouse.Warehouse {
	tb.Helper()
	check(tb)
	return pkg.warehouse
}

// Admin returns a writable connection to the package's database, for
// loading fixtures.
func Admin(tb testing.TB) *pg.Admin {
	tb.Helper()
	check(tb)
	return pkg.admin
}

// URL returns the connection URL of the package's database, as its owner.
func URL(tb testing.TB) string {
	tb.Helper()
	check(tb)
	return pkg.url
}

// ReaderURL returns the package database's URL as the read-only role.
func ReaderURL(tb testing.TB) string {
	tb.Helper()
	check(tb)
	return pkg.readerURL
}

// ServerURL returns the URL of the server's maintenance database as a
// superuser, for tests that make databases or roles of their own.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	check(tb)
	return pkg.serverURL
}

// Embedded reports whether the tests run on an embedded cluster of their own
// (OPSBOARD_TEST_DATABASE_URL unset).
func Embedded() bool { return os.Getenv("OPSBOARD_TEST_DATABASE_URL") == "" }

func server(ctx context.Context) (serverURL string, stop func(), err error) {
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
