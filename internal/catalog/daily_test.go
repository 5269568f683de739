package catalog

import (
	"strings"
	"testing"
)

func TestDailyRewritesTheRange(t *testing.T) {
	q, err := ParseQuery("x", "sql/x.sql", []byte(`-- title: X
-- params: channel text = 'all'
SELECT count(*) AS value FROM orders
WHERE placed_at >= :from AND placed_at < :to AND (:channel = 'all' OR channel = :channel)
  AND note <> '$1 :from'`))
	if err != nil {
		t.Fatal(err)
	}
	d := q.Bound.Daily()
	if d == nil {
		t.Fatal("no daily form")
	}
	if strings.Join(d.Names, ",") != "from,to,channel" {
		t.Errorf("names %v, want from, to, channel", d.Names)
	}
	for _, want := range []string{"placed_at >= (d.opsboard_day::date)", "placed_at < ((d.opsboard_day + 1)::date)", "($3::text) = 'all'", `'$1 :from'`, "generate_series($1::date, $2::date - 1"} {
		if !strings.Contains(d.SQL, want) {
			t.Errorf("daily SQL lacks %q:\n%s", want, d.SQL)
		}
	}
	still, _ := ParseQuery("y", "sql/y.sql", []byte("-- title: Y\nSELECT count(*) AS value FROM customers"))
	if still.Bound.Daily() != nil {
		t.Errorf("a query that ignores the range got a daily form")
	}
}
