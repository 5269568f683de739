// Package database owns every connection opsboard makes to PostgreSQL: its
// own tables (migrations, runs, share links, users) and the read-only
// execution of user queries. Nothing outside this package holds a *sql.DB.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
)

// DB is a pool of connections to one PostgreSQL database.
type DB struct {
	x *sqlx.DB
}

// Options bound the connection pool.
type Options struct {
	MaxOpenConns int // default 10
}

// Open connects to the database at url and checks that it answers.
// A URL without sslmode gets sslmode=disable when it points at a local host,
// since lib/pq would otherwise insist on TLS.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	if strings.Contains(rawURL, "://") {
		// The parser's message quotes the whole URL, password included.
		if _, err := url.Parse(rawURL); err != nil {
			return nil, apperr.Invalid("the database URL %s cannot be read: characters such as @ : / ? # %% or spaces in the user name or password must be percent-encoded", Redact(rawURL))
		}
	}
	dsn := withLocalSSLDefault(rawURL)
	x, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, apperr.Invalid("database URL %s: %s", Redact(rawURL), strings.ReplaceAll(err.Error(), rawURL, Redact(rawURL)))
	}
	if opts.MaxOpenConns <= 0 {
		opts.MaxOpenConns = 10
	}
	x.SetMaxOpenConns(opts.MaxOpenConns)
	x.SetMaxIdleConns(opts.MaxOpenConns)
	x.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := x.PingContext(pingCtx); err != nil {
		x.Close()
		return nil, apperr.Unavailable("cannot reach PostgreSQL at %s: %v", Redact(rawURL), err)
	}
	return &DB{x: x}, nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.x.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.x.PingContext(ctx) }

// dsnPassword finds the password of a key=value connection string.
var dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// Redact returns the connection string with its password replaced, safe to
// log or print: the URL's user password and password= query parameter, or
// password= of a key=value string.
func Redact(rawURL string) string {
	if !strings.Contains(rawURL, "://") {
		return dsnPassword.ReplaceAllString(rawURL, "${1}xxxxx")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unreadable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func withLocalSSLDefault(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return rawURL
	}
	q := u.Query()
	if q.Get("sslmode") != "" {
		return rawURL
	}
	host := u.Hostname()
	if host == "" || host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1" || strings.HasPrefix(q.Get("host"), "/") {
		q.Set("sslmode", "disable")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return rawURL
}

// InTx runs fn in a transaction, committing when it returns nil and rolling
// back when it returns an error or panics.
func (db *DB) InTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := db.x.BeginTxx(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
			return
		}
		err = tx.Commit()
	}()
	return fn(tx)
}

// Exec runs a statement (or a script of several, without arguments).
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := db.x.ExecContext(ctx, query, args...)
	return err
}

// Get scans one row into dest (a struct or a scalar pointer).
func (db *DB) Get(ctx context.Context, dest any, query string, args ...any) error {
	err := db.x.GetContext(ctx, dest, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.ErrNotFound, "not found: %w", err)
	}
	return err
}

// Select scans all rows into dest, a pointer to a slice.
func (db *DB) Select(ctx context.Context, dest any, query string, args ...any) error {
	return db.x.SelectContext(ctx, dest, query, args...)
}

// Table describes rows to bulk-load with COPY.
type Table struct {
	Name    string
	Columns []string
	// Rows calls emit once per row, in column order; it stops early when emit
	// returns an error and returns that error.
	Rows func(emit func(values ...any) error) error
}

// Load runs setup (DDL, one script) and then COPYs every table, all in one
// transaction, so a failed load leaves the previous data in place.
// It returns the number of rows loaded per table.
func (db *DB) Load(ctx context.Context, setup string, tables []Table, after string) (map[string]int64, error) {
	counts := make(map[string]int64, len(tables))
	err := db.InTx(ctx, nil, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, setup); err != nil {
			return fmt.Errorf("setting up tables: %w", err)
		}
		for _, t := range tables {
			n, err := copyTable(ctx, tx, t)
			if err != nil {
				return fmt.Errorf("loading %s: %w", t.Name, err)
			}
			counts[t.Name] = n
		}
		if after != "" {
			if _, err := tx.ExecContext(ctx, after); err != nil {
				return fmt.Errorf("finishing load: %w", err)
			}
		}
		return nil
	})
	return counts, err
}

func copyTable(ctx context.Context, tx *sqlx.Tx, t Table) (int64, error) {
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(t.Name, t.Columns...))
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	var n int64
	err = t.Rows(func(values ...any) error {
		n++
		_, err := stmt.ExecContext(ctx, values...)
		return err
	})
	if err != nil {
		return 0, err
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return 0, err
	}
	return n, nil
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code)
	}
	return ""
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool { return pgCode(err) == "23505" }

// EnsureDatabase creates the named database on the server at adminURL if it
// does not exist yet.
func EnsureDatabase(ctx context.Context, adminURL, name string) error {
	admin, err := Open(ctx, adminURL, Options{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer admin.Close()
	var exists bool
	if err := admin.Get(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return err
	}
	if exists {
		return nil
	}
	err = admin.Exec(ctx, `CREATE DATABASE `+QuoteIdent(name))
	if pgCode(err) == "42P04" { // duplicate_database: created meanwhile
		return nil
	}
	return err
}

// DropDatabase drops the named database on the server at adminURL,
// disconnecting anyone still using it.
func DropDatabase(ctx context.Context, adminURL, name string) error {
	admin, err := Open(ctx, adminURL, Options{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer admin.Close()
	return admin.Exec(ctx, `DROP DATABASE IF EXISTS `+QuoteIdent(name)+` WITH (FORCE)`)
}

// WithDatabase returns rawURL pointing at another database on the same server.
func WithDatabase(rawURL, name string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}
