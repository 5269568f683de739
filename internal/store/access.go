package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/pg"
)

// User is an account.
type User struct {
	ID           int64     `db:"id"`
	Email        string    `db:"email"`
	Role         string    `db:"role"`
	PasswordHash string    `db:"password_hash"`
	CreatedAt    time.Time `db:"created_at"`
	// Sessions counts the account's unexpired sessions (ListUsers only).
	Sessions int `db:"sessions"`
}

// CreateUser adds an account. The email must be normalized (lower case);
// an existing one is a conflict.
func (db *Store) CreateUser(ctx context.Context, email, role, passwordHash string) (*User, error) {
	var u User
	err := db.x.GetContext(ctx, &u, `
		INSERT INTO opsboard.users (email, role, password_hash) VALUES ($1, $2, $3)
		RETURNING id, email, role, password_hash, created_at, 0 AS sessions`, email, role, passwordHash)
	if pg.IsUniqueViolation(err) {
		return nil, apperr.New(apperr.ErrConflict, "there is already an account for %s", email)
	}
	if err != nil {
		return nil, fmt.Errorf("creating account %s: %w", email, err)
	}
	return &u, nil
}

// UserByEmail returns the account with that (normalized) email.
func (db *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	err := db.x.GetContext(ctx, &u, `
		SELECT id, email, role, password_hash, created_at, 0 AS sessions
		FROM opsboard.users WHERE email = $1`, email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("there is no account for %s", email)
	}
	return &u, err
}

// ListUsers returns every account, by email, with its live session count.
func (db *Store) ListUsers(ctx context.Context) ([]User, error) {
	var out []User
	err := db.x.SelectContext(ctx, &out, `
		SELECT u.id, u.email, u.role, u.password_hash, u.created_at,
		       count(s.token_hash) FILTER (WHERE s.expires_at > now()) AS sessions
		FROM opsboard.users u LEFT JOIN opsboard.sessions s ON s.user_id = u.id
		GROUP BY u.id ORDER BY u.email`)
	return out, err
}

// RemoveUser deletes an account and, with it, every session it has.
func (db *Store) RemoveUser(ctx context.Context, email string) error {
	return db.InTx(ctx, nil, func(tx *sqlx.Tx) error {
		var id int64
		err := tx.GetContext(ctx, &id, `DELETE FROM opsboard.users WHERE email = $1 RETURNING id`, email)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFound("there is no account for %s", email)
		}
		if err != nil {
			return err
		}
		// ON DELETE CASCADE does the same; saying it keeps the promise visible.
		_, err = tx.ExecContext(ctx, `DELETE FROM opsboard.sessions WHERE user_id = $1`, id)
		return err
	})
}

// HasUsers reports whether any account exists: then the server asks
// everyone to sign in.
func (db *Store) HasUsers(ctx context.Context) (bool, error) {
	var has bool
	err := db.x.GetContext(ctx, &has, `SELECT EXISTS (SELECT 1 FROM opsboard.users)`)
	return has, err
}

// Session is a signed-in browser, with its account.
type Session struct {
	UserID    int64     `db:"user_id"`
	Email     string    `db:"email"`
	Role      string    `db:"role"`
	CSRF      string    `db:"csrf"`
	ExpiresAt time.Time `db:"expires_at"`
}

// CreateSession records a login. Only the hash of the session's token is
// stored. Expired sessions are cleared on the way.
func (db *Store) CreateSession(ctx context.Context, tokenHash []byte, userID int64, csrf string, expires time.Time) error {
	return db.InTx(ctx, nil, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM opsboard.sessions WHERE expires_at <= now()`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO opsboard.sessions (token_hash, user_id, csrf, expires_at)
			VALUES ($1, $2, $3, $4)`, tokenHash, userID, csrf, expires)
		return err
	})
}

// SessionByHash returns the unexpired session with that token hash.
func (db *Store) SessionByHash(ctx context.Context, tokenHash []byte) (*Session, error) {
	var s Session
	err := db.x.GetContext(ctx, &s, `
		SELECT s.user_id, u.email, u.role, s.csrf, s.expires_at
		FROM opsboard.sessions s JOIN opsboard.users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > now()`, tokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("no such session")
	}
	return &s, err
}

// DeleteSession ends a session (logout). Deleting one that is gone is fine.
func (db *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	return db.exec(ctx, `DELETE FROM opsboard.sessions WHERE token_hash = $1`, tokenHash)
}

// Share link statuses.
const (
	ShareActive  = "active"
	ShareExpired = "expired"
	ShareRevoked = "revoked"
)

// Params are a share link's locked parameters, stored as a JSON object.
type Params map[string]string

// Value implements driver.Valuer.
func (p Params) Value() (driver.Value, error) {
	if p == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]string(p))
}

// Scan implements sql.Scanner.
func (p *Params) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	case nil:
		*p = Params{}
		return nil
	default:
		return fmt.Errorf("params: cannot scan %T", src)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	*p = m
	return nil
}

// ShareLink is a link that shows one dashboard (with locked parameters) or
// one report's archive to anyone who has it, until it expires or is
// revoked. Its token is not stored, only the token's hash.
type ShareLink struct {
	ID         int64        `db:"id"`
	Kind       string       `db:"kind"` // dashboard | report
	Target     string       `db:"target"`
	Params     Params       `db:"params"`
	Label      string       `db:"label"`
	CreatedBy  string       `db:"created_by"`
	CreatedAt  time.Time    `db:"created_at"`
	ExpiresAt  time.Time    `db:"expires_at"`
	RevokedAt  sql.NullTime `db:"revoked_at"`
	LastUsedAt sql.NullTime `db:"last_used_at"`
	UseCount   int64        `db:"use_count"`
	// ShowSQL shows the SQL of the queries in the shared page's glossary;
	// without it the glossary says what each number means in words only.
	ShowSQL bool `db:"show_sql"`
	// Status is ShareActive, ShareExpired or ShareRevoked, as of the
	// database's clock when read.
	Status string `db:"status"`
}

const shareColumns = `id, kind, target, params, label, created_by, created_at, expires_at, revoked_at, last_used_at, use_count, show_sql,
	CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at <= now() THEN 'expired' ELSE 'active' END AS status`

// CreateShareLink stores a new link under the hash of its token and
// returns it with its id. Kind, Target, Params, Label, CreatedBy,
// ExpiresAt and ShowSQL are taken from l.
func (db *Store) CreateShareLink(ctx context.Context, tokenHash []byte, l ShareLink) (*ShareLink, error) {
	var out ShareLink
	err := db.x.GetContext(ctx, &out, `
		INSERT INTO opsboard.share_links (token_hash, kind, target, params, label, created_by, expires_at, show_sql)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING `+shareColumns, tokenHash, l.Kind, l.Target, l.Params, l.Label, l.CreatedBy, l.ExpiresAt, l.ShowSQL)
	if err != nil {
		return nil, fmt.Errorf("creating share link: %w", err)
	}
	return &out, nil
}

// ListShareLinks returns every share link, newest first.
func (db *Store) ListShareLinks(ctx context.Context) ([]ShareLink, error) {
	var out []ShareLink
	err := db.x.SelectContext(ctx, &out, `SELECT `+shareColumns+` FROM opsboard.share_links ORDER BY id DESC`)
	return out, err
}

// RevokeShareLink ends a link now. Revoking a revoked link changes nothing.
func (db *Store) RevokeShareLink(ctx context.Context, id int64) error {
	var found int64
	err := db.x.GetContext(ctx, &found, `
		UPDATE opsboard.share_links SET revoked_at = coalesce(revoked_at, now())
		WHERE id = $1 RETURNING id`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFound("there is no share link %d", id)
	}
	return err
}

// UseShareLink looks a link up by the hash of its token and, when it is
// active, records the use (last_used_at, use_count). Unknown hashes are
// ErrNotFound; expired and revoked links come back with their Status.
// Either way the work is one lookup in the unique index on token_hash, so
// the answer takes as long for a link that never existed as for a dead
// one.
func (db *Store) UseShareLink(ctx context.Context, tokenHash []byte) (*ShareLink, error) {
	var l ShareLink
	err := db.x.GetContext(ctx, &l, `
		WITH link AS (
			SELECT `+shareColumns+` FROM opsboard.share_links WHERE token_hash = $1
		), used AS (
			UPDATE opsboard.share_links s SET last_used_at = now(), use_count = s.use_count + 1
			FROM link WHERE s.id = link.id AND link.status = 'active'
			RETURNING s.last_used_at, s.use_count
		)
		SELECT link.id, link.kind, link.target, link.params, link.label, link.created_by, link.created_at,
		       link.expires_at, link.revoked_at,
		       coalesce(used.last_used_at, link.last_used_at) AS last_used_at,
		       coalesce(used.use_count, link.use_count) AS use_count, link.show_sql, link.status
		FROM link LEFT JOIN used ON true`, tokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("no such share link")
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}
