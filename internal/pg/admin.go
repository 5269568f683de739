package pg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Admin is a writable connection for setting a database up: the demo
// loader, the read-only role, test fixtures. Dashboards and reports never
// get one.
type Admin struct {
	x   *sqlx.DB
	url string
}

// OpenAdmin connects to the database at rawURL for administrative work,
// with search_path set to public: a role named like a schema (the embedded
// cluster's "opsboard") would otherwise resolve unqualified names there.
func OpenAdmin(ctx context.Context, rawURL string) (*Admin, error) {
	x, err := Open(ctx, withSearchPath(rawURL, "public"), Options{MaxOpenConns: 2})
	if err != nil {
		return nil, err
	}
	return &Admin{x: x, url: rawURL}, nil
}

// Close closes the connection.
func (a *Admin) Close() error { return a.x.Close() }

// Exec runs a statement (or a script of several, without arguments).
func (a *Admin) Exec(ctx context.Context, query string, args ...any) error {
	_, err := a.x.ExecContext(ctx, query, args...)
	return err
}

// Get scans one row into dest (a struct or a scalar pointer).
func (a *Admin) Get(ctx context.Context, dest any, query string, args ...any) error {
	err := a.x.GetContext(ctx, dest, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.ErrNotFound, "not found: %w", err)
	}
	return err
}

// Select scans all rows into dest, a pointer to a slice.
func (a *Admin) Select(ctx context.Context, dest any, query string, args ...any) error {
	return a.x.SelectContext(ctx, dest, query, args...)
}

// withSearchPath sets the search_path run-time parameter of a connection
// string, unless it sets one already.
func withSearchPath(rawURL, path string) string {
	if !strings.Contains(rawURL, "://") {
		if strings.Contains(rawURL, "search_path") {
			return rawURL
		}
		return rawURL + " search_path=" + path
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL // Open says what is wrong with it
	}
	q := u.Query()
	if q.Has("search_path") {
		return rawURL
	}
	q.Set("search_path", path)
	u.RawQuery = q.Encode()
	return u.String()
}

// Table describes rows to bulk-load with COPY.
type Table struct {
	Name    string
	Columns []string
	// Rows calls emit once per row, in column order; it stops early when emit
	// returns an error and returns that error.
	Rows func(emit func(values ...any) error) error
	// Frozen writes the rows already frozen and all-visible (COPY FREEZE),
	// so that no VACUUM has to visit them. Load's setup must have created
	// (or truncated) the table.
	Frozen bool
}

// Load runs setup (DDL, one script) and then COPYs every table, all in one
// transaction with search_path set to schema alone, so a failed load leaves
// the previous data in place and unqualified names mean that schema's
// tables, whoever connects. It returns the number of rows loaded per table.
func (a *Admin) Load(ctx context.Context, schema, setup string, tables []Table, after string) (map[string]int64, error) {
	counts := make(map[string]int64, len(tables))
	err := InTx(ctx, a.x, nil, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL search_path TO `+QuoteIdent(schema)); err != nil {
			return err
		}
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
	if InRecovery(err) {
		return nil, apperr.Invalid("%s is a read-only standby: load the data into its primary, and it will reach the standby by replication", Redact(a.url))
	}
	return counts, err
}

func copyTable(ctx context.Context, tx *sqlx.Tx, t Table) (int64, error) {
	// lib/pq runs any statement that starts with COPY as a COPY FROM STDIN.
	query := pq.CopyIn(t.Name, t.Columns...)
	if t.Frozen {
		query += " WITH (FREEZE)"
	}
	stmt, err := tx.PrepareContext(ctx, query)
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

// EnsureReader creates (or updates) the login role that the warehouse
// connects as: not a superuser, unable to create anything, read-only by
// default, and allowed to read the tables of the given schemas of this
// database only: present ones and, through default privileges, those this
// connection's role creates later (the demo's). It never gets opsboard's
// own schema. A role that exists gets the password again.
func (a *Admin) EnsureReader(ctx context.Context, role, password string, schemas []string) error {
	r := QuoteIdent(role)
	create := fmt.Sprintf(`DO $$ BEGIN
		CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %s;
	EXCEPTION WHEN duplicate_object OR unique_violation THEN
		ALTER ROLE %[1]s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %[2]s;
	END $$`, r, pq.QuoteLiteral(password))
	if err := a.Exec(ctx, create); err != nil {
		return fmt.Errorf("creating the read-only role %s: %w", role, err)
	}
	var db string
	if err := a.Get(ctx, &db, `SELECT current_database()`); err != nil {
		return err
	}
	stmts := []string{
		`ALTER ROLE ` + r + ` SET default_transaction_read_only = on`,
		`GRANT CONNECT ON DATABASE ` + QuoteIdent(db) + ` TO ` + r,
	}
	for _, s := range schemas {
		var exists bool
		if err := a.Get(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, s); err != nil {
			return err
		}
		if !exists {
			continue
		}
		q := QuoteIdent(s)
		stmts = append(stmts,
			`GRANT USAGE ON SCHEMA `+q+` TO `+r,
			`GRANT SELECT ON ALL TABLES IN SCHEMA `+q+` TO `+r,
			`ALTER DEFAULT PRIVILEGES IN SCHEMA `+q+` GRANT SELECT ON TABLES TO `+r)
	}
	if err := a.Exec(ctx, strings.Join(stmts, ";\n")); err != nil {
		return fmt.Errorf("granting the read-only role %s: %w", role, err)
	}
	return nil
}

// EnsureDatabase creates the named database on the server at adminURL if it
// does not exist yet.
func EnsureDatabase(ctx context.Context, adminURL, name string) error {
	admin, err := OpenAdmin(ctx, adminURL)
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
	if Code(err) == DuplicateDatabase { // created meanwhile
		return nil
	}
	return err
}

// DropDatabase drops the named database on the server at adminURL,
// disconnecting anyone still using it.
func DropDatabase(ctx context.Context, adminURL, name string) error {
	admin, err := OpenAdmin(ctx, adminURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	return admin.Exec(ctx, `DROP DATABASE IF EXISTS `+QuoteIdent(name)+` WITH (FORCE)`)
}

// DropRole drops a role made for one test database (after that database).
func DropRole(ctx context.Context, adminURL, role string) error {
	admin, err := OpenAdmin(ctx, adminURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	return admin.Exec(ctx, `DROP ROLE IF EXISTS `+QuoteIdent(role))
}
