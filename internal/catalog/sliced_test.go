package catalog

import (
	"strings"
	"testing"
)

func TestSlicedRewritesTheRange(t *testing.T) {
	q, err := ParseQuery("x", "sql/x.sql", []byte(`-- title: X
-- params: channel text = 'all'
SELECT count(*) AS value FROM orders
WHERE placed_at >= :from AND placed_at < :to AND (:channel = 'all' OR channel = :channel)
  AND note <> '$1 :from'`))
	if err != nil {
		t.Fatal(err)
	}
	d := q.Bound.Sliced(2)
	if d == nil {
		t.Fatal("no sliced form")
	}
	if strings.Join(d.Names, ",") != "opsboard_from_0,opsboard_to_0,opsboard_from_1,opsboard_to_1,channel" {
		t.Errorf("names %v, want two slices' bounds and then channel", d.Names)
	}
	for _, want := range []string{"SELECT ($1::date) AS opsboard_slice", "placed_at >= ($1::date)", "placed_at < ($2::date)",
		"UNION ALL", "placed_at >= ($3::date)", "placed_at < ($4::date)", "($5::text) = 'all'", `'$1 :from'`} {
		if !strings.Contains(d.SQL, want) {
			t.Errorf("sliced SQL lacks %q:\n%s", want, d.SQL)
		}
	}
	level, _ := ParseQuery("z", "sql/z.sql", []byte("-- title: Z\nSELECT count(*) AS value FROM orders WHERE placed_at < :day::date + 1"))
	if d := level.Bound.Sliced(2); d == nil || strings.Join(d.Names, ",") != "opsboard_from_0,opsboard_day_0,opsboard_from_1,opsboard_day_1" {
		t.Errorf("a query of :day alone: %+v; want the days and the slices' first days, which label the rows, as parameters (PostgreSQL cannot type an unused one)", d)
	} else if !strings.Contains(d.SQL, "SELECT ($1::date) AS opsboard_slice") {
		t.Errorf("a query of :day alone: its rows are not labelled by the slice's first day:\n%s", d.SQL)
	}
	still, _ := ParseQuery("y", "sql/y.sql", []byte("-- title: Y\nSELECT count(*) AS value FROM customers"))
	if still.Bound.Sliced(14) != nil {
		t.Errorf("a query that ignores the range got a sliced form")
	}
}
