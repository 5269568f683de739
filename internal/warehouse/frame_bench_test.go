package warehouse_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	_ "github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/warehouse"
)

// generated returns rows×6 columns of the types user queries return
// (date, bigint, float8, numeric, text, bool), computed by PostgreSQL.
func generated(rows int) string {
	return fmt.Sprintf(`SELECT (date '2026-01-01' + i)::date AS day, i::bigint AS n, (i / 7.0)::float8 AS rate,
	       (i * 1.25)::numeric(12,2) AS amount, 'warehouse_' || (i %% 5) AS label, i %% 2 = 0 AS flag
	FROM generate_series(1, %d) AS i`, rows)
}

// BenchmarkQueryFrame is db.Query on a generated result: the read-only
// transaction, statement_timeout and time zone, the statement, and the
// frame built from its rows (scanFrame: typed columns, values converted).
// The baseline is the same statement through plain database/sql on its own
// connection pool, scanned into []any and discarded: what any Go program
// pays to read the rows.
func BenchmarkQueryFrame(b *testing.B) {
	ctx := context.Background()
	db := dbtest.Warehouse(b)
	raw, err := sql.Open("postgres", dbtest.ReaderURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for _, rows := range []int{1, 100, 10000} {
		q := generated(rows)
		b.Run(fmt.Sprintf("rows=%d/opsboard", rows), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f, err := db.Query(ctx, q, nil, warehouse.RunOptions{TimeZone: "UTC"})
				if err != nil {
					b.Fatal(err)
				}
				if len(f.Rows) != rows {
					b.Fatalf("%d rows, want %d", len(f.Rows), rows)
				}
			}
		})
		b.Run(fmt.Sprintf("rows=%d/baseline-database-sql", rows), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rs, err := raw.QueryContext(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				cols, _ := rs.Columns()
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				n := 0
				for rs.Next() {
					if err := rs.Scan(ptrs...); err != nil {
						b.Fatal(err)
					}
					n++
				}
				if err := rs.Close(); err != nil || n != rows {
					b.Fatalf("%d rows, %v", n, err)
				}
			}
		})
	}
}
