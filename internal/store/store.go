// Package store is opsboard's own database: the "opsboard" schema of report
// runs, deliveries, schedules, accounts, sessions and share links, migrated
// with goose. Only opsboard writes it. User queries never run here: they go
// to the warehouse (package warehouse), on a pool of their own, so a slow
// dashboard never stalls sign-in, /healthz or the scheduler's claims.
package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/pg"
)

// Store is a connection pool to opsboard's own schema.
type Store struct {
	x *sqlx.DB
}

// Options bound the store's connection pool.
type Options = pg.Options

// Open connects to the database holding (or about to hold) the opsboard
// schema.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	x, err := pg.Open(ctx, rawURL, opts)
	if err != nil {
		return nil, err
	}
	return &Store{x: x}, nil
}

// Close closes the pool.
func (db *Store) Close() error { return db.x.Close() }

// Ping checks that the database answers.
func (db *Store) Ping(ctx context.Context) error { return db.x.PingContext(ctx) }

// InTx runs fn in a transaction, committing when it returns nil.
func (db *Store) InTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *sqlx.Tx) error) error {
	return pg.InTx(ctx, db.x, opts, fn)
}

// exec runs a statement.
func (db *Store) exec(ctx context.Context, query string, args ...any) error {
	_, err := db.x.ExecContext(ctx, query, args...)
	return err
}

// get scans one row into dest; no row is apperr.ErrNotFound.
func (db *Store) get(ctx context.Context, dest any, query string, args ...any) error {
	err := db.x.GetContext(ctx, dest, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.ErrNotFound, "not found: %w", err)
	}
	return err
}
