// Package pg holds what opsboard's two databases have in common: opening a
// connection pool with sane defaults, one transaction helper, PostgreSQL
// error codes, redaction of connection strings, and the administrative work
// of setting a database up (creating databases and the read-only role,
// bulk-loading tables). The store (opsboard's own schema) and the warehouse
// (read-only user queries) are built on it; nothing else opens a pool.
package pg

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Options bound a connection pool.
type Options struct {
	MaxOpenConns int // default 10
}

// Open connects to the database at rawURL and checks that it answers. A URL
// without sslmode gets sslmode=disable when it points at a local host, since
// lib/pq would otherwise insist on TLS. The pool is for the store and the
// warehouse packages, which keep it to themselves.
func Open(ctx context.Context, rawURL string, opts Options) (*sqlx.DB, error) {
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
	return x, nil
}

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

// InTx runs fn in a transaction of x, committing when it returns nil and
// rolling back when it returns an error or panics.
func InTx(ctx context.Context, x *sqlx.DB, opts *sql.TxOptions, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := x.BeginTxx(ctx, opts)
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

// Code returns the SQLSTATE of a PostgreSQL error, or "".
func Code(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code)
	}
	return ""
}

// SQLSTATEs opsboard acts on.
const (
	UniqueViolation       = "23505"
	DuplicateDatabase     = "42P04"
	DuplicateObject       = "42710"
	ReadOnlyTransaction   = "25006"
	QueryCanceled         = "57014"
	SerializationFailure  = "40001" // also a standby's recovery conflict
	InsufficientPrivilege = "42501"
	FeatureNotSupported   = "0A000"
	UndefinedTable        = "42P01"
)

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool { return Code(err) == UniqueViolation }

// InRecovery reports whether err says the server is a standby that refuses
// to write (or to start a read-write transaction).
func InRecovery(err error) bool {
	var pqErr *pq.Error
	// A write is refused with 25006; lib/pq's BEGIN READ WRITE with 0A000.
	return errors.As(err, &pqErr) && (Code(err) == ReadOnlyTransaction || Code(err) == FeatureNotSupported) &&
		strings.Contains(pqErr.Message, "recovery")
}

// QuoteIdent quotes a PostgreSQL identifier.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
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

// WithUser returns rawURL connecting as another role with its password.
func WithUser(rawURL, user, password string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", apperr.Invalid("the database URL %s cannot be read", Redact(rawURL))
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String(), nil
}
