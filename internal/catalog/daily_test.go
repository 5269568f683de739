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
	d := q.Bound.Daily(2)
	if d == nil {
		t.Fatal("no daily form")
	}
	if strings.Join(d.Names, ",") != "opsboard_day_0,opsboard_next_0,opsboard_day_1,opsboard_next_1,channel" {
		t.Errorf("names %v, want two days' and then channel", d.Names)
	}
	for _, want := range []string{"SELECT ($1::date) AS opsboard_day", "placed_at >= ($1::date)", "placed_at < ($2::date)",
		"UNION ALL", "placed_at >= ($3::date)", "placed_at < ($4::date)", "($5::text) = 'all'", `'$1 :from'`} {
		if !strings.Contains(d.SQL, want) {
			t.Errorf("daily SQL lacks %q:\n%s", want, d.SQL)
		}
	}
	level, _ := ParseQuery("z", "sql/z.sql", []byte("-- title: Z\nSELECT count(*) AS value FROM orders WHERE placed_at < :day::date + 1"))
	if d := level.Bound.Daily(2); d == nil || strings.Join(d.Names, ",") != "opsboard_day_0,opsboard_day_1" {
		t.Errorf("a query of :day alone: %+v; want only the days as parameters (PostgreSQL cannot type an unused one)", d)
	}
	still, _ := ParseQuery("y", "sql/y.sql", []byte("-- title: Y\nSELECT count(*) AS value FROM customers"))
	if still.Bound.Daily(14) != nil {
		t.Errorf("a query that ignores the range got a daily form")
	}
}
