package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies opsboard's own numbered, embedded migrations, each in its
// own transaction. They touch only the "opsboard" schema, never user data.
// A session lock makes concurrent replicas take turns.
func (db *Store) Migrate(ctx context.Context) error {
	if err := db.exec(ctx, `CREATE SCHEMA IF NOT EXISTS opsboard`); err != nil {
		return fmt.Errorf("creating schema opsboard: %w", err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.x.DB, fsys,
		goose.WithTableName("opsboard.schema_migrations"),
		goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("loading migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	return nil
}
