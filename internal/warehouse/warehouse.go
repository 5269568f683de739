// Package warehouse runs user queries against the user's data: read-only
// transactions with a statement timeout, the business time zone and a
// search_path pinned to the configured data schemas (never opsboard's own),
// on a connection pool of its own, into frames. It has no method that
// writes. By default it connects as a read-only role that is not a
// superuser (the embedded cluster creates one); Check says when the role it
// was given can do more than read.
package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/pg"
)

// StoreSchema is opsboard's own schema, which no data schema may name.
const StoreSchema = "opsboard"

// Warehouse is the connection pool user queries run on.
type Warehouse struct {
	x          *sqlx.DB
	schemas    []string
	searchPath string // the schemas, quoted, for SET LOCAL search_path
}

// Options configure the warehouse.
type Options struct {
	MaxOpenConns int      // default 10
	Schemas      []string // the data schemas, in search order; default public
}

// Open connects to the data database.
func Open(ctx context.Context, rawURL string, opts Options) (*Warehouse, error) {
	if len(opts.Schemas) == 0 {
		opts.Schemas = []string{"public"}
	}
	quoted := make([]string, len(opts.Schemas))
	for i, s := range opts.Schemas {
		if s == StoreSchema || s == "" {
			return nil, apperr.Invalid("data schema %q: user queries never see opsboard's own schema; name the schemas of your data", s)
		}
		quoted[i] = pg.QuoteIdent(s)
	}
	x, err := pg.Open(ctx, rawURL, pg.Options{MaxOpenConns: opts.MaxOpenConns})
	if err != nil {
		return nil, err
	}
	return &Warehouse{x: x, schemas: opts.Schemas, searchPath: strings.Join(quoted, ", ")}, nil
}

// Close closes the pool.
func (w *Warehouse) Close() error { return w.x.Close() }

// Ping checks that the database answers. With every connection of the pool
// busy running queries it answers at once: those connections are the
// proof, and a health check must not queue behind a slow dashboard.
func (w *Warehouse) Ping(ctx context.Context) error {
	if st := w.x.Stats(); st.MaxOpenConnections > 0 && st.InUse >= st.MaxOpenConnections {
		return nil
	}
	return w.x.PingContext(ctx)
}

// Schemas are the data schemas queries see, in search order.
func (w *Warehouse) Schemas() []string { return w.schemas }

// Check returns what the warehouse's role can do beyond reading the data
// schemas, in words, one problem a line; none is what a read-only role
// gives. serve logs them as warnings at start.
func (w *Warehouse) Check(ctx context.Context) ([]string, error) {
	var c struct {
		Role      string `db:"role"`
		Super     bool   `db:"super"`
		CreateDB  bool   `db:"create_db"`
		Writable  string `db:"writable"`
		StoreRead bool   `db:"store_read"`
		Standby   bool   `db:"standby"`
	}
	err := w.x.GetContext(ctx, &c, `
		SELECT current_user AS role,
		       r.rolsuper AS super,
		       has_database_privilege(current_database(), 'CREATE') AS create_db,
		       coalesce((SELECT string_agg(n.nspname || '.' || c.relname, ', ' ORDER BY n.nspname, c.relname)
		                 FROM (SELECT * FROM pg_class c WHERE c.relkind IN ('r', 'p')) c
		                 JOIN pg_namespace n ON n.oid = c.relnamespace
		                 WHERE n.nspname = ANY($1)
		                   AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')), '') AS writable,
		       coalesce((SELECT has_schema_privilege(n.oid, 'USAGE') FROM pg_namespace n WHERE n.nspname = $2), false) AS store_read,
		       pg_is_in_recovery() AS standby
		FROM pg_roles r WHERE r.rolname = current_user`, pq.Array(w.schemas), StoreSchema)
	if err != nil {
		return nil, err
	}
	var problems []string
	if c.Super {
		problems = append(problems, fmt.Sprintf("the data role %s is a superuser: user queries could run COPY … TO PROGRAM or read server files; "+
			"connect the warehouse as a read-only role (OPSBOARD_DATA_URL, see the README)", c.Role))
	}
	if c.Writable != "" && !c.Standby {
		if len(c.Writable) > 120 {
			c.Writable = c.Writable[:120] + "…"
		}
		problems = append(problems, fmt.Sprintf("the data role %s can write tables (%s); queries still run read-only, but a role with only SELECT is safer", c.Role, c.Writable))
	}
	if c.StoreRead && !c.Super {
		problems = append(problems, fmt.Sprintf("the data role %s can read opsboard's own schema (accounts, share links): revoke its USAGE on schema %s", c.Role, StoreSchema))
	}
	return problems, nil
}

// RunOptions control one read-only query run.
type RunOptions struct {
	Timeout  time.Duration // statement_timeout; default 30s
	TimeZone string        // SET LOCAL TIME ZONE; default UTC
	MaxRows  int           // rows kept; further rows set Frame.Truncated; default 100000
	Explain  bool          // run EXPLAIN on the statement instead of the statement
	Probe    bool          // return no rows, only the result columns
}

// Query runs a user query in a READ ONLY transaction with a statement
// timeout, the business time zone and the pinned search_path, and returns
// its result as a frame. The SQL must already use $n placeholders; args are
// bound, never spliced. A standby that cancels the query for a recovery
// conflict gets it once more.
func (w *Warehouse) Query(ctx context.Context, query string, args []any, opts RunOptions) (*frame.Frame, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.TimeZone == "" {
		opts.TimeZone = "UTC"
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = 100000
	}
	switch {
	case opts.Explain:
		query = "EXPLAIN " + query
	case opts.Probe:
		query = "SELECT * FROM (" + query + "\n) AS opsboard_probe LIMIT 0"
	}
	// One simple-protocol statement without arguments is one round trip; a
	// parameterised set_config took two. The values are literals made here:
	// a number, a quoted zone name and quoted schema names.
	settings := "SET LOCAL statement_timeout = " + strconv.FormatInt(opts.Timeout.Milliseconds(), 10) +
		"; SET LOCAL TIME ZONE " + pq.QuoteLiteral(opts.TimeZone) +
		"; SET LOCAL search_path TO " + w.searchPath + "; SET LOCAL jit = off"
	var f *frame.Frame
	run := func() error {
		return pg.InTx(ctx, w.x, &sql.TxOptions{ReadOnly: true}, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, settings); err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, query, args...)
			if err != nil {
				return err
			}
			f, err = scanFrame(rows, opts.MaxRows)
			return err
		})
	}
	err := run()
	if pg.Code(err) == pg.SerializationFailure && ctx.Err() == nil {
		err = run()
	}
	if err != nil {
		return nil, explainQueryError(err, opts.Timeout)
	}
	return f, nil
}

// explainQueryError turns the PostgreSQL errors a user query can hit into
// messages that say what happened.
func explainQueryError(err error, timeout time.Duration) error {
	switch pg.Code(err) {
	case pg.ReadOnlyTransaction:
		return apperr.Invalid("queries run read-only and this one tries to write: %w", err)
	case pg.QueryCanceled: // statement_timeout or cancellation
		if errors.Is(err, context.Canceled) {
			return err
		}
		return apperr.Unavailable("query stopped after the %s statement timeout: %w", timeout, err)
	case pg.SerializationFailure:
		return apperr.Unavailable("the data database is a standby that cancelled this query twice to apply replication "+
			"(a recovery conflict); try again, or raise max_standby_streaming_delay on the standby: %w", err)
	case pg.InsufficientPrivilege:
		return apperr.Invalid("the data role may not do this: queries read the data schemas only, never opsboard's own tables, "+
			"and cannot run server programs or read server files: %w", err)
	case "42601", "42703", "42P01", "42883", "22P02", "42804", "22007", "22008":
		return apperr.Invalid("%w", err)
	}
	return err
}

// scanFrame reads all rows (up to max), always closes them and returns rows.Err().
func scanFrame(rows *sql.Rows, max int) (f *frame.Frame, err error) {
	defer func() {
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	f = &frame.Frame{Columns: make([]frame.Column, len(cts)), Rows: [][]any{}}
	for i, ct := range cts {
		f.Columns[i] = frame.Column{Name: ct.Name(), Type: columnType(ct.DatabaseTypeName())}
	}
	raw := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if len(f.Rows) >= max {
			f.Truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(raw))
		for i, v := range raw {
			row[i] = convert(v, f.Columns[i].Type)
		}
		f.Rows = append(f.Rows, row)
	}
	return f, rows.Err()
}

func columnType(pgType string) frame.Type {
	switch pgType {
	case "INT2", "INT4", "INT8", "OID":
		return frame.Integer
	case "FLOAT4", "FLOAT8", "NUMERIC", "MONEY":
		return frame.Number
	case "BOOL":
		return frame.Bool
	case "DATE":
		return frame.Date
	case "TIMESTAMP", "TIMESTAMPTZ":
		return frame.Time
	}
	return frame.Text
}

func convert(v any, t frame.Type) any {
	if v == nil {
		return nil
	}
	switch t {
	case frame.Number:
		switch x := v.(type) {
		case []byte:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil {
				return nil // NaN / infinity spelled oddly: treat as missing
			}
			return f
		case int64:
			return float64(x)
		}
	case frame.Date:
		if tm, ok := v.(time.Time); ok {
			y, m, d := tm.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
	}
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}
