package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
)

const onTime = `-- title: On-time delivery rate
-- description: Share of orders delivered on or before
-- description: the promised date.
-- unit: percent
-- better: higher
-- Note: "Note" is capitalised, so this is prose, and so is -- see https://x
-- params: channel text = 'all', region text = 'it''s, here', min_orders int = 5
-- params: since date = '2024-01-01', flag bool = true, ratio numeric = 0.5

/* the statement starts after this comment */
SELECT date_trunc('day', delivered_at)::date AS day,
       avg((delivered_at <= promised_at)::int)::float8 AS on_time_rate
FROM orders
WHERE delivered_at >= :from AND delivered_at < :to
  AND (:channel = 'all' OR channel = :channel)
  AND (:region = 'all' OR region = :region) AND :flag AND delivered_at >= :since
GROUP BY 1 HAVING count(*) >= :min_orders AND avg(late::int) < :ratio ORDER BY 1;  -- done

-- trailing comment
`

func TestParseQuery(t *testing.T) {
	q, err := ParseQuery("ops/on_time", "sql/ops/on_time.sql", []byte(onTime))
	if err != nil {
		t.Fatalf("ParseQuery: %v", err)
	}
	for _, c := range []struct{ field, got, want string }{
		{"Name", q.Name, "ops/on_time"},
		{"File", q.File, "sql/ops/on_time.sql"},
		{"Title", q.Title, "On-time delivery rate"},
		{"Description", q.Description, "Share of orders delivered on or before the promised date."},
		{"Unit", q.Unit, "percent"},
		{"Better", q.Better, "higher"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	wantSQL := `SELECT date_trunc('day', delivered_at)::date AS day,
       avg((delivered_at <= promised_at)::int)::float8 AS on_time_rate
FROM orders
WHERE delivered_at >= :from AND delivered_at < :to
  AND (:channel = 'all' OR channel = :channel)
  AND (:region = 'all' OR region = :region) AND :flag AND delivered_at >= :since
GROUP BY 1 HAVING count(*) >= :min_orders AND avg(late::int) < :ratio ORDER BY 1`
	if q.SQL != wantSQL {
		t.Errorf("SQL = %q, want %q", q.SQL, wantSQL)
	}
	if got, want := q.Line, 11; got != want {
		t.Errorf("Line = %d, want %d", got, want)
	}
	if got, want := q.Bound.Names, []string{"from", "to", "channel", "region", "flag", "since", "min_orders", "ratio"}; !slices.Equal(got, want) {
		t.Errorf("Bound.Names = %q, want %q", got, want)
	}
	if !strings.Contains(q.Bound.SQL, "(($3::text) = 'all' OR channel = ($3::text))") {
		t.Errorf("Bound.SQL = %q, want channel bound as $3 twice, cast to its declared type", q.Bound.SQL)
	}
	if !strings.Contains(q.Bound.SQL, "delivered_at >= ($1::date)") {
		t.Errorf("Bound.SQL = %q, want the built-in from bound as a date", q.Bound.SQL)
	}

	want := []Param{
		{Name: "channel", Type: Text, Default: "all", DefaultText: "all", Line: 7},
		{Name: "region", Type: Text, Default: "it's, here", DefaultText: "it's, here", Line: 7},
		{Name: "min_orders", Type: Int, Default: int64(5), DefaultText: "5", Line: 7},
		{Name: "since", Type: Date, Default: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), DefaultText: "2024-01-01", Line: 8},
		{Name: "flag", Type: Bool, Default: true, DefaultText: "true", Line: 8},
		{Name: "ratio", Type: Numeric, Default: 0.5, DefaultText: "0.5", Line: 8},
	}
	if len(q.Params) != len(want) {
		t.Fatalf("Params = %+v, want %+v", q.Params, want)
	}
	for i := range want {
		if q.Params[i] != want[i] {
			t.Errorf("Params[%d] = %+v, want %+v", i, q.Params[i], want[i])
		}
	}

	if p, ok := q.Param("min_orders"); !ok || p.Type != Int {
		t.Errorf(`Param("min_orders") = %+v, %v; want the int parameter`, p, ok)
	}
	if p, ok := q.Param("day"); !ok || p.Type != Date {
		t.Errorf(`Param("day") = %+v, %v; want the built-in date`, p, ok)
	}
	if p, ok := q.Param("nope"); ok {
		t.Errorf(`Param("nope") = %+v, true; want not found`, p)
	}
}

func TestParseQueryMinimal(t *testing.T) {
	src := "\ufeff-- title: Orders\r\n\r\nselect count(*) from orders\r\n"
	q, err := ParseQuery("orders", "sql/orders.sql", []byte(src))
	if err != nil {
		t.Fatalf("ParseQuery: %v", err)
	}
	if q.SQL != "select count(*) from orders" || q.Line != 3 || q.Unit != "" || len(q.Params) != 0 {
		t.Errorf("got SQL %q at line %d, unit %q, params %v; want the count at line 3, no unit, no params", q.SQL, q.Line, q.Unit, q.Params)
	}
}

func TestParseQueryErrors(t *testing.T) {
	const body = "\nSELECT 1\n"
	tests := []struct {
		name string
		src  string
		want []string // every error, without the file name
	}{
		{"unknown header key", "-- title: T\n-- titel: x" + body,
			[]string{`2: unknown header key "titel" (known: title, description, unit, better, params, aggregate, sample, spread, min_sample, column, refresh, settle, key)`}},
		{"missing title", "-- unit: count" + body,
			[]string{`1: missing title (start the file with -- title: ...)`}},
		{"empty title", "-- title:" + body,
			[]string{`1: title is empty`}},
		{"title twice", "-- title: a\n-- title: b" + body,
			[]string{`2: title is set twice`}},
		{"bad unit", "-- title: T\n-- unit: percentage" + body,
			[]string{`2: unknown unit "percentage" (known: count, percent, ratio, score, currency, hours, days)`}},
		{"bad better", "-- title: T\n\n-- better: up" + body,
			[]string{`3: unknown better "up" (known: higher, lower)`}},
		{"missing default", "-- title: T\n-- params: channel text = 'all', region text\nSELECT :channel, :region",
			[]string{`2: parameter "region" has no default`}},
		{"empty default", "-- title: T\n-- params: n int =" + body,
			[]string{`2: parameter "n" has no default`}},
		{"missing type", "-- title: T\n-- params: n = 5" + body,
			[]string{`2: parameter "n" has no type (known: text, int, numeric, date, bool)`}},
		{"bad type", "-- title: T\n-- params: region txt = 'all'" + body,
			[]string{`2: unknown parameter type "txt" for "region" (known: text, int, numeric, date, bool)`}},
		{"bad int default", "-- title: T\n-- params: n int = abc" + body,
			[]string{`2: bad default for parameter "n" (int): "abc"`}},
		{"bad date default", "-- title: T\n-- params: d date = '2024-13-01'" + body,
			[]string{`2: bad default for parameter "d" (date): "2024-13-01"`}},
		{"unquoted text default", "-- title: T\n-- params: c text = all" + body,
			[]string{`2: bad default for parameter "c" (text): all (text is single-quoted: 'all')`}},
		{"unterminated text default", "-- title: T\n-- params: c text = 'all, d int = 1" + body,
			[]string{`2: bad default for parameter "c" (text): 'all, d int = 1 (text is single-quoted: 'all')`}},
		{"bad name", "-- title: T\n-- params: 1n int = 1" + body,
			[]string{`2: bad parameter name "1n" (letters, digits and _, not starting with a digit)`}},
		{"bad declaration", "-- title: T\n-- params: a b c = 1, " + body,
			[]string{`2: bad parameter declaration "a b c = 1" (want: name type = default)`, `2: bad parameter declaration "" (want: name type = default)`}},
		{"duplicate param", "-- title: T\n-- params: n int = 1\n-- params: n int = 2\nSELECT :n",
			[]string{`3: duplicate parameter "n" (first declared on line 2)`}},
		{"redeclared builtin", "-- title: T\n-- params: from date = '2024-01-01'" + body,
			[]string{`2: parameter "from" is built in and cannot be declared`}},
		{"empty body", "-- title: T\n-- unit: count\n\n",
			[]string{`4:1: no SQL statement`}},
		{"only comments and semicolons", "-- title: T\n/* nothing */ ;\n",
			[]string{`3:1: no SQL statement`}},
		{"two statements", "-- title: T\nSELECT 1;\n  -- between\n  SELECT 2;\n",
			[]string{`4:3: more than one statement`}},
		{"leading semicolon, then two statements", "-- title: T\n; SELECT 1 ; SELECT 2",
			[]string{`2:14: more than one statement`}},
		{"unknown parameter", "-- title: T\n-- params: channel text = 'all'\nSELECT *\nFROM t WHERE c = :chanel OR d = :chanel",
			[]string{`4:18: unknown parameter ":chanel" (known: channel, from, to, day)`}},
		{"unknown parameter after wide characters", "-- title: T\nSELECT 'día', :x",
			[]string{`2:15: unknown parameter ":x" (known: from, to, day)`}},
		{"positional parameter", "-- title: T\n\nSELECT * FROM t WHERE a = $1",
			[]string{`3:27: use :name parameters, not $1`}},
		{"unterminated string", "-- title: T\nSELECT 'abc",
			[]string{`2:8: unterminated quoted string`}},
		{"declared, never used", "-- title: T\n-- params: channel text = 'all'\n-- params: plan text = 'all', n int = 1\nSELECT count(*) FROM t WHERE :channel IN ('all', c) AND n > 0",
			[]string{
				`3: parameter "plan" is declared but never used by the statement (write :plan where it should filter, or remove it from params)`,
				`3: parameter "n" is declared but never used by the statement (write :n where it should filter, or remove it from params)`,
			}},
		{"used only in a comment or a string", "-- title: T\n-- params: plan text = 'all'\nSELECT ':plan' AS x -- :plan\n",
			[]string{`2: parameter "plan" is declared but never used by the statement (write :plan where it should filter, or remove it from params)`}},
		{"broken declaration still declares", "-- title: T\n-- params: n int = x\nSELECT :n",
			[]string{`2: bad default for parameter "n" (int): "x"`}},
		{"bad currency code", "-- title: T\n-- unit: currency euro\nSELECT 1",
			[]string{`2: unit currency: "euro" is not an ISO 4217 code such as EUR or GBP`}},
		{"copy to program", "-- title: T\n\nCOPY (SELECT 1) TO PROGRAM 'id'",
			[]string{`3:1: a query file holds one query (SELECT, WITH, VALUES or TABLE), not COPY`}},
		{"server file", "-- title: T\nSELECT length(PG_READ_FILE('/etc/passwd'))",
			[]string{`2:15: pg_read_file reaches the database server's files or other servers; queries read data only`}},
		{"set role", "-- title: T\nSET ROLE postgres",
			[]string{`2:1: a query file holds one query (SELECT, WITH, VALUES or TABLE), not SET`}},
		{"several problems", "-- titel: T\n-- unit: kg\nSELECT :a; SELECT 2",
			[]string{
				`1: unknown header key "titel" (known: title, description, unit, better, params, aggregate, sample, spread, min_sample, column, refresh, settle, key)`,
				`1: missing title (start the file with -- title: ...)`,
				`2: unknown unit "kg" (known: count, percent, ratio, score, currency, hours, days)`,
				`3:12: more than one statement`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuery("x", "sql/x.sql", []byte(tt.src))
			if err == nil {
				t.Fatalf("ParseQuery succeeded (%+v), want errors %q", q, tt.want)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T %q is not Errors", err, err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, strings.TrimPrefix(e.Error(), "sql/x.sql:"))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Errorf("error is not apperr.ErrInvalid")
			}
		})
	}
}

func TestLoadQueries(t *testing.T) {
	root := t.TempDir()
	write := func(path, src string) {
		t.Helper()
		path = filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	queries, err := LoadQueries(root)
	if err != nil || len(queries) != 0 {
		t.Fatalf("LoadQueries without sql/ = %v, %v; want an empty map and no error", queries, err)
	}

	write("sql/kpi/csat.sql", "-- title: CSAT\nSELECT 4.5")
	write("sql/orders.sql", "-- title: Orders\nSELECT 1")
	write("sql/README.md", "not a query")
	write("sql/.draft.sql", "broken")
	write("sql/.git/x.sql", "broken")
	queries, err = LoadQueries(root)
	if err != nil {
		t.Fatalf("LoadQueries: %v", err)
	}
	var names []string
	for name, q := range queries {
		names = append(names, name)
		if want := "sql/" + name + ".sql"; q.File != want {
			t.Errorf("query %s has File %q, want %q", name, q.File, want)
		}
	}
	slices.Sort(names)
	if want := []string{"kpi/csat", "orders"}; !slices.Equal(names, want) {
		t.Errorf("query names = %q, want %q", names, want)
	}

	write("sql/kpi/broken.sql", "-- title: B\n-- unit: kg\nSELECT :x")
	write("sql/a.sql", "SELECT 1")
	queries, err = LoadQueries(root)
	want := `sql/a.sql:1: missing title (start the file with -- title: ...)
sql/kpi/broken.sql:2: unknown unit "kg" (known: count, percent, ratio, score, currency, hours, days)
sql/kpi/broken.sql:3:8: unknown parameter ":x" (known: from, to, day)`
	if err == nil || err.Error() != want {
		t.Errorf("LoadQueries error:\n%v\nwant:\n%s", err, want)
	}
	if _, ok := queries["orders"]; !ok || len(queries) != 2 {
		t.Errorf("LoadQueries with errors kept %d queries, want the 2 that parse", len(queries))
	}
}

func TestErrors(t *testing.T) {
	errs := Errors{
		{File: "sql/b.sql", Line: 2, Msg: "b2"},
		{File: "sql/a.sql", Line: 3, Col: 7, Msg: "a3"},
		{File: "sql/a.sql", Line: 1, Msg: "a1"},
		{File: "sql/a.sql", Msg: "a0"},
	}
	want := "sql/a.sql: a0\nsql/a.sql:1: a1\nsql/a.sql:3:7: a3\nsql/b.sql:2: b2"
	if got := errs.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant:\n%s", got, want)
	}
	if got := errs.Err().(Errors)[0].Msg; got != "a0" {
		t.Errorf("Err()[0] = %q, want the sorted first, a0", got)
	}
	if err := (Errors{}).Err(); err != nil {
		t.Errorf("empty Errors.Err() = %v, want nil", err)
	}
	var e *Error
	if !errors.As(errs.Err(), &e) {
		t.Errorf("errors.As(Errors, *Error) failed")
	}
}

func TestParseQueryStatement(t *testing.T) {
	tests := []struct {
		body string
		sql  string
		line int
	}{
		{"SELECT 1", "SELECT 1", 2},
		{"\n\n  SELECT 1;\n", "SELECT 1", 4},
		{"SELECT 1;; -- end\n/* end */", "SELECT 1", 2},
		{"; SELECT 1", "SELECT 1", 2},
		{"SELECT 1 -- no semicolon", "SELECT 1", 2},
		{"SELECT ';' AS a, $$;$$ AS b, \";\" /* ; */;", `SELECT ';' AS a, $$;$$ AS b, ";"`, 2},
		{"SELECT 1\n-- inside\n+ 2;", "SELECT 1\n-- inside\n+ 2", 2},
	}
	for _, tt := range tests {
		q, err := ParseQuery("x", "sql/x.sql", []byte("-- title: T\n"+tt.body))
		if err != nil {
			t.Errorf("ParseQuery with body %q: %v", tt.body, err)
			continue
		}
		if q.SQL != tt.sql || q.Line != tt.line {
			t.Errorf("body %q: SQL %q at line %d, want %q at line %d", tt.body, q.SQL, q.Line, tt.sql, tt.line)
		}
	}
}
