package warehouse_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/warehouse"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// A user's own table named like one of opsboard's (users, sessions,
// deliveries) is what a query sees: opsboard's schema is never on the
// search_path, whatever the role is called.
func TestDataTablesShadowNothing(t *testing.T) {
	ctx := context.Background()
	admin := dbtest.Admin(t)
	if err := admin.Exec(ctx, `CREATE TABLE public.users (customer text, visits int);
		INSERT INTO public.users VALUES ('ada', 3)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(ctx, `DROP TABLE public.users`) })
	f, err := dbtest.Warehouse(t).Query(ctx, `SELECT * FROM users`, nil, warehouse.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range f.Columns {
		cols = append(cols, c.Name)
	}
	if strings.Join(cols, ",") != "customer,visits" || len(f.Rows) != 1 || f.Rows[0][0] != "ada" {
		t.Errorf("SELECT * FROM users gave columns %v rows %v; want the data table (customer, visits) with ada", cols, f.Rows)
	}
}

// Through the warehouse, opsboard's own tables, server programs and server
// files are out of reach, each with an error that says so.
func TestWarehouseCannotReachBeyondTheData(t *testing.T) {
	ctx := context.Background()
	wh := dbtest.Warehouse(t)
	for name, q := range map[string]string{
		"store table":     `SELECT email, password_hash FROM opsboard.users`,
		"store on path":   `SELECT set_config('search_path', 'opsboard', true), (SELECT count(*) FROM opsboard.sessions)`,
		"copy to program": `COPY (SELECT 1) TO PROGRAM 'touch /tmp/opsboard-pwned'`,
		"copy to file":    `COPY (SELECT 1) TO '/tmp/opsboard-pwned'`,
		"read file":       `SELECT pg_read_file('/etc/passwd')`,
		"list dir":        `SELECT pg_ls_dir('.')`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := wh.Query(ctx, q, nil, warehouse.RunOptions{})
			if err == nil {
				t.Fatalf("%s ran through the warehouse", q)
			}
			if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "may not") {
				t.Errorf("error %q is not a clear refusal", err)
			}
		})
	}
	if _, err := os.Stat("/tmp/opsboard-pwned"); err == nil {
		t.Error("a query wrote /tmp/opsboard-pwned")
	}
}

// Check is quiet for the read-only role and names the problem of a
// superuser (what DATABASE_URL often is) used as the data role.
func TestCheckNamesWhatTheRoleCanDoBeyondReading(t *testing.T) {
	ctx := context.Background()
	problems, err := dbtest.Warehouse(t).Check(ctx)
	if err != nil || len(problems) != 0 {
		t.Errorf("the read-only role: problems %q, %v; want none", problems, err)
	}
	owner, err := warehouse.Open(ctx, dbtest.URL(t), warehouse.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	problems, err = owner.Check(ctx)
	if err != nil || len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), "superuser") {
		t.Errorf("the owner as data role: problems %q, %v; want a superuser warning", problems, err)
	}
}

// A query that a standby cancels for a recovery conflict (SQLSTATE 40001)
// is run once more; twice is reported in words.
func TestRecoveryConflictIsRetriedOnce(t *testing.T) {
	ctx := context.Background()
	admin := dbtest.Admin(t)
	// conflict_once raises 40001 unless this session already holds advisory
	// lock 4242, which it takes on the way: the first attempt fails, the
	// next one on the same connection succeeds.
	if err := admin.Exec(ctx, `CREATE OR REPLACE FUNCTION public.conflict_once() RETURNS int LANGUAGE plpgsql AS $$
		BEGIN
			IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND pid = pg_backend_pid()) THEN
				PERFORM pg_advisory_lock(4242);
				RAISE EXCEPTION 'canceling statement due to conflict with recovery' USING ERRCODE = '40001';
			END IF;
			RETURN 1;
		END $$;
		CREATE OR REPLACE FUNCTION public.conflict_always() RETURNS int LANGUAGE plpgsql AS $$
		BEGIN
			RAISE EXCEPTION 'canceling statement due to conflict with recovery' USING ERRCODE = '40001';
		END $$`); err != nil {
		t.Fatal(err)
	}
	one, err := warehouse.Open(ctx, dbtest.ReaderURL(t), warehouse.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	f, err := one.Query(ctx, `SELECT conflict_once() AS v`, nil, warehouse.RunOptions{})
	if err != nil || len(f.Rows) != 1 || f.Rows[0][0] != int64(1) {
		t.Fatalf("one conflict: %v, %v; want the retry's row", f, err)
	}
	_, err = one.Query(ctx, `SELECT conflict_always() AS v`, nil, warehouse.RunOptions{})
	if !errors.Is(err, apperr.ErrUnavailable) || !strings.Contains(err.Error(), "standby") || !strings.Contains(err.Error(), "twice") {
		t.Errorf("two conflicts: %v; want an unavailable error that names the standby's conflict", err)
	}
}
