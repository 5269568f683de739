package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/opsboard/opsboard/internal/config"
	"github.com/opsboard/opsboard/internal/database"
	"github.com/opsboard/opsboard/internal/embeddedpg"
	"github.com/opsboard/opsboard/internal/query"
)

// env is what a running command has: its configuration, output streams,
// logger, and the databases once opened.
type env struct {
	cfg    config.Config
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	now    func() time.Time

	db      *database.DB // opsboard's own tables
	data    *database.DB // where user queries run (db unless OPSBOARD_DATA_URL)
	cluster *embeddedpg.Cluster
	closers []func() error
}

// open connects to opsboard's database (starting the embedded cluster when
// no DATABASE_URL is set) and to the data database. migrate applies
// opsboard's migrations. Call close when done.
func (e *env) open(ctx context.Context, migrate bool) error {
	url := e.cfg.DatabaseURL
	if url == "" {
		c, err := embeddedpg.Start(ctx, e.cfg.DataDir, e.log)
		if err != nil {
			return err
		}
		e.cluster = c
		e.closers = append(e.closers, c.Stop)
		if err := database.EnsureDatabase(ctx, c.URL("postgres"), "opsboard"); err != nil {
			return err
		}
		url = c.URL("opsboard")
	}
	db, err := database.Open(ctx, url, database.Options{})
	if err != nil {
		return err
	}
	e.db, e.data = db, db
	e.closers = append(e.closers, db.Close)
	if e.cfg.DataURL != "" {
		data, err := database.Open(ctx, e.cfg.DataURL, database.Options{})
		if err != nil {
			return err
		}
		e.data = data
		e.closers = append(e.closers, data.Close)
	}
	if migrate {
		return e.db.Migrate(ctx)
	}
	return nil
}

// close releases everything open opened, newest first.
func (e *env) close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i]())
	}
	e.closers = nil
	return errors.Join(errs...)
}

// runner returns a query runner over the data database.
func (e *env) runner(cacheTTL bool) *query.Runner {
	opts := query.Options{
		Location: e.cfg.Location,
		Timeout:  e.cfg.QueryTimeout,
		MaxRows:  e.cfg.MaxRows,
	}
	if cacheTTL {
		opts.CacheTTL = e.cfg.CacheTTL
	}
	return query.NewRunner(e.data, opts)
}
