package catalog_test

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/opsboard/opsboard/internal/catalog"
)

// shippedStatements returns the statements of every shipped query file
// (sql/**/*.sql), parsed once, in name order.
func shippedStatements(b *testing.B) []*catalog.Query {
	b.Helper()
	qs, err := catalog.LoadQueries(filepath.Join("..", ".."))
	if err != nil {
		b.Fatal(err)
	}
	if len(qs) == 0 {
		b.Fatal("no shipped queries under ../../sql")
	}
	out := make([]*catalog.Query, 0, len(qs))
	for _, q := range qs {
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b *catalog.Query) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return out
}

// BenchmarkBind binds every shipped statement once per op (:name → $n,
// reading the SQL as PostgreSQL's lexer does). The baseline is the naive
// binder: one regexp replacing every :name with $n, which does not know
// strings, comments or :: casts (it would break them; sqlx.Named refuses
// several shipped statements outright), the cheapest thing that could be
// used instead.
func BenchmarkBind(b *testing.B) {
	qs := shippedStatements(b)
	var size int64
	for _, q := range qs {
		size += int64(len(q.SQL))
	}
	b.Run("opsboard", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(size)
		for b.Loop() {
			for _, q := range qs {
				if _, _, err := catalog.Bind(q.SQL); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("baseline-regexp", func(b *testing.B) {
		re := regexp.MustCompile(`:[A-Za-z_][A-Za-z0-9_]*`)
		b.ReportAllocs()
		b.SetBytes(size)
		for b.Loop() {
			for _, q := range qs {
				index := map[string]int{}
				re.ReplaceAllStringFunc(q.SQL, func(m string) string {
					n, ok := index[m]
					if !ok {
						n = len(index) + 1
						index[m] = n
					}
					return "$" + strconv.Itoa(n)
				})
			}
		}
	})
}

// BenchmarkBoundArgs is the per-run part of binding: the argument list
// for $1..$n from the resolved values, for every shipped statement.
func BenchmarkBoundArgs(b *testing.B) {
	qs := shippedStatements(b)
	values := map[string]any{"from": "2026-01-01", "to": "2026-01-29", "day": "2026-01-28", "channel": "all", "region": "all"}
	b.ReportAllocs()
	for b.Loop() {
		for _, q := range qs {
			if _, err := q.Bound.Args(values); err != nil {
				b.Fatal(err)
			}
		}
	}
}
