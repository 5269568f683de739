package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/opsboard/opsboard/internal/config"
	"github.com/opsboard/opsboard/internal/embeddedpg"
	"github.com/opsboard/opsboard/internal/metrics"
	"github.com/opsboard/opsboard/internal/pg"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/warehouse"
)

// env is what a running command has: its configuration, output streams,
// logger, and the databases once opened.
type env struct {
	cfg    config.Config
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	now    func() time.Time

	db      *store.Store         // opsboard's own schema
	data    *warehouse.Warehouse // where user queries run, read-only
	queries *query.Runner        // see runner
	metrics *metrics.Metrics     // serve's; nil for one-shot commands
	cluster *embeddedpg.Cluster
	closers []func() error
}

// open connects to opsboard's store (migrating it when migrate is set) and
// to the warehouse. Call close when done.
func (e *env) open(ctx context.Context, migrate bool) error {
	if err := e.openStore(ctx, migrate); err != nil {
		return err
	}
	return e.openWarehouse(ctx)
}

// startCluster starts the embedded cluster when no DATABASE_URL is set, and
// makes sure it has the opsboard database and the read-only role.
func (e *env) startCluster(ctx context.Context) error {
	if e.cfg.DatabaseURL != "" || e.cluster != nil {
		return nil
	}
	c, err := embeddedpg.Start(ctx, e.cfg.DataDir, e.log)
	if err != nil {
		return err
	}
	e.cluster = c
	e.closers = append(e.closers, c.Stop)
	if err := pg.EnsureDatabase(ctx, c.URL("postgres"), "opsboard"); err != nil {
		return err
	}
	admin, err := pg.OpenAdmin(ctx, c.URL("opsboard"))
	if err != nil {
		return err
	}
	defer admin.Close()
	return admin.EnsureReader(ctx, embeddedpg.ReaderRole, c.ReaderPassword(), e.cfg.DataSchemas)
}

// storeURL is where opsboard's own schema lives.
func (e *env) storeURL(ctx context.Context) (string, error) {
	if err := e.startCluster(ctx); err != nil {
		return "", err
	}
	if e.cluster != nil {
		return e.cluster.URL("opsboard"), nil
	}
	return e.cfg.DatabaseURL, nil
}

// openStore connects to opsboard's own schema.
func (e *env) openStore(ctx context.Context, migrate bool) error {
	url, err := e.storeURL(ctx)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		return err
	}
	e.db = db
	e.closers = append(e.closers, db.Close)
	if migrate {
		return db.Migrate(ctx)
	}
	return nil
}

// openStoreIfReachable opens opsboard's database for the results kept
// there (the morning's views), when it answers within a few seconds;
// commands that need only the warehouse work without it.
func (e *env) openStoreIfReachable(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := e.openStore(ctx, false); err != nil {
		e.log.Debug("opsboard's database does not answer: computing every result", "err", err)
	}
}

// warehouseURL is where user queries run: OPSBOARD_DATA_URL, else the
// embedded cluster as its read-only role, else DATABASE_URL (whose role
// serve checks and warns about).
func (e *env) warehouseURL(ctx context.Context) (string, error) {
	if e.cfg.DataURL != "" {
		return e.cfg.DataURL, nil
	}
	if err := e.startCluster(ctx); err != nil {
		return "", err
	}
	if e.cluster != nil {
		return e.cluster.ReaderURL("opsboard"), nil
	}
	return e.cfg.DatabaseURL, nil
}

// openWarehouse connects to the data database, on a pool of its own.
func (e *env) openWarehouse(ctx context.Context) error {
	url, err := e.warehouseURL(ctx)
	if err != nil {
		return err
	}
	w, err := warehouse.Open(ctx, url, warehouse.Options{MaxOpenConns: e.cfg.DataPool, Schemas: e.cfg.DataSchemas})
	if err != nil {
		return err
	}
	e.data = w
	e.closers = append(e.closers, w.Close)
	return nil
}

// dataAdmin opens a writable connection to the data database, for loading
// the demo data: OPSBOARD_DATA_URL when set, else opsboard's database.
func (e *env) dataAdmin(ctx context.Context) (*pg.Admin, error) {
	url := e.cfg.DataURL
	if url == "" {
		var err error
		if url, err = e.storeURL(ctx); err != nil {
			return nil, err
		}
	}
	return pg.OpenAdmin(ctx, url)
}

// checkWarehouse logs, as warnings, what the warehouse's role can do beyond
// reading the data.
func (e *env) checkWarehouse(ctx context.Context) {
	problems, err := e.data.Check(ctx)
	if err != nil {
		e.log.Warn("could not check the data role's privileges", "err", err)
	}
	for _, p := range problems {
		e.log.Warn(p)
	}
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

// runner returns the process's one query runner over the warehouse, made on
// first use: the web, the report producer and the scheduler share its
// cache, its limits and its metrics (e.metrics, when set before).
func (e *env) runner() *query.Runner {
	if e.queries == nil {
		opts := query.Options{
			Location:     e.cfg.Location,
			Timeout:      e.cfg.QueryTimeout,
			MaxRows:      e.cfg.MaxRows,
			CacheTTL:     e.cfg.CacheTTL,
			CacheBytes:   e.cfg.CacheBytes,
			MaxRangeDays: e.cfg.MaxRangeDays,
			Limits:       query.Limits{Global: e.cfg.DataPool},
		}
		if e.metrics != nil {
			opts.Observe = e.metrics.ObserveQuery
		}
		if e.db != nil {
			// Shared with replicas and the next start: results, and the
			// settled days of daily-grain queries.
			opts.Results, opts.Days = e.db, e.db
		}
		e.queries = query.NewRunner(e.data, opts)
	}
	return e.queries
}
