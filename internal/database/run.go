package database

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/frame"
)

// RunOptions control one read-only query run.
type RunOptions struct {
	Timeout  time.Duration // statement_timeout; default 30s
	TimeZone string        // SET LOCAL TIME ZONE; default UTC
	MaxRows  int           // rows kept; further rows set Frame.Truncated; default 100000
	Explain  bool          // run EXPLAIN on the statement instead of the statement
	Probe    bool          // return no rows, only the result columns
}

// Query runs a user query in a READ ONLY transaction with a statement timeout
// and the business time zone, and returns its result as a frame. The SQL must
// already use $n placeholders; args are bound, never spliced.
func (db *DB) Query(ctx context.Context, query string, args []any, opts RunOptions) (*frame.Frame, error) {
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
	var f *frame.Frame
	err := db.InTx(ctx, &sql.TxOptions{ReadOnly: true}, func(tx *sqlx.Tx) error {
		// One simple-protocol statement without arguments is one round
		// trip; a parameterised set_config took two. Both values are
		// literals made here: a number, and a quoted zone name.
		settings := "SET LOCAL statement_timeout = " + strconv.FormatInt(opts.Timeout.Milliseconds(), 10) +
			"; SET LOCAL TIME ZONE " + pq.QuoteLiteral(opts.TimeZone) + "; SET LOCAL jit = off"
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
	if err != nil {
		return nil, explainQueryError(err, opts.Timeout)
	}
	return f, nil
}

// explainQueryError turns the PostgreSQL errors a user query can hit into
// messages that say what happened.
func explainQueryError(err error, timeout time.Duration) error {
	switch pgCode(err) {
	case "25006": // read_only_sql_transaction
		return apperr.Invalid("queries run read-only and this one tries to write: %w", err)
	case "57014": // query_canceled: statement_timeout or cancellation
		if errors.Is(err, context.Canceled) {
			return err
		}
		return apperr.Unavailable("query stopped after the %s statement timeout: %w", timeout, err)
	case "42601", "42703", "42P01", "42883", "22P02", "42804", "22007", "22008":
		return apperr.Invalid("%w", err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
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

// QuoteIdent quotes a PostgreSQL identifier.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
