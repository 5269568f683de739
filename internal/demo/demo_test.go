package demo

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/pg"
	"github.com/opsboard/opsboard/internal/warehouse"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

const testZone = "America/New_York"

// testOptions is a small dataset whose 180 days cover both incidents, a
// Black Friday and a change of the clocks (8 March 2026).
func testOptions(tb testing.TB) Options {
	tb.Helper()
	loc, err := time.LoadLocation(testZone)
	if err != nil {
		tb.Skipf("no time zone data: %v", err)
	}
	return Options{
		Scale:    0.4,
		Days:     180,
		Seed:     7,
		Location: loc,
		Now:      time.Date(2026, 3, 15, 9, 30, 0, 0, time.UTC), // 05:30 in New York
	}
}

func mustLoad(tb testing.TB, db *pg.Admin, opts Options) Stats {
	tb.Helper()
	st, err := Load(context.Background(), db, opts)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return st
}

// mustRow runs a query in the business time zone and returns its one row
// as numbers; a NULL fails the test.
func mustRow(tb testing.TB, db *warehouse.Warehouse, query string, args ...any) []float64 {
	tb.Helper()
	f, err := db.Query(context.Background(), query, args, warehouse.RunOptions{TimeZone: testZone})
	if err != nil {
		tb.Fatalf("query failed: %v\n%s", err, query)
	}
	if len(f.Rows) != 1 {
		tb.Fatalf("query returned %d rows, want 1\n%s", len(f.Rows), query)
	}
	out := make([]float64, len(f.Rows[0]))
	for i, v := range f.Rows[0] {
		x, ok := frame.Float(v)
		if !ok {
			tb.Fatalf("column %s is %v, want a number\n%s", f.Columns[i].Name, v, query)
		}
		out[i] = x
	}
	return out
}

func TestLoad(t *testing.T) {
	db, wh := dbtest.Admin(t), dbtest.Warehouse(t)
	opts := testOptions(t)
	st := mustLoad(t, db, opts)
	ny := opts.Location

	t.Run("every table has rows", func(t *testing.T) {
		for _, name := range []string{"customers", "orders", "support_tickets", "csat_responses", "nps_responses", "returns"} {
			got := st.Rows[name]
			if got <= 0 {
				t.Errorf("Stats.Rows[%q] = %d, want > 0", name, got)
			}
			n := mustRow(t, wh, `SELECT count(*) FROM `+name)[0]
			if int64(n) != got {
				t.Errorf("%s has %v rows, Stats says %d", name, n, got)
			}
		}
		if o := st.Rows["orders"]; o < 10000 || o > 25000 {
			t.Errorf("orders = %d, want about 250 × 0.4 × 180 = 18000", o)
		}
	})

	t.Run("data ends yesterday in the business time zone", func(t *testing.T) {
		wantTo := time.Date(2026, 3, 14, 0, 0, 0, 0, ny)
		wantFrom := time.Date(2025, 9, 16, 0, 0, 0, 0, ny)
		if !st.To.Equal(wantTo) || !st.From.Equal(wantFrom) {
			t.Errorf("Stats From, To = %v, %v; want %v, %v", st.From, st.To, wantFrom, wantTo)
		}
		r := mustRow(t, wh, `SELECT (max(placed_at)::date - DATE '2026-03-14'), (min(placed_at)::date - DATE '2025-09-16') FROM orders`)
		if r[0] != 0 || r[1] != 0 {
			t.Errorf("orders span first day %+v, last day %+v days off 2025-09-16..2026-03-14", r[1], r[0])
		}
		// Nothing is known after midnight in New York.
		cutoff := time.Date(2026, 3, 15, 0, 0, 0, 0, ny)
		r = mustRow(t, wh, `SELECT
			(SELECT count(*) FROM orders WHERE greatest(placed_at, shipped_at, delivered_at) >= $1)
			+ (SELECT count(*) FROM support_tickets WHERE greatest(opened_at, first_response_at, resolved_at) >= $1)
			+ (SELECT count(*) FROM csat_responses WHERE responded_at >= $1)
			+ (SELECT count(*) FROM nps_responses WHERE responded_at >= $1)
			+ (SELECT count(*) FROM returns WHERE requested_at >= $1)`, cutoff)
		if r[0] != 0 {
			t.Errorf("%v rows have times after the cut-off %v", r[0], cutoff)
		}
		r = mustRow(t, wh, `SELECT count(*) FILTER (WHERE status = 'in_transit'),
			count(*) FILTER (WHERE status = 'in_transit' AND placed_at < DATE '2026-03-01')
			FROM orders`)
		if r[0] == 0 || r[1] != 0 {
			t.Errorf("%v orders in transit (%v placed before March), want some, all recent", r[0], r[1])
		}
	})

	t.Run("rows are consistent", func(t *testing.T) {
		checks := []struct{ what, query string }{
			{"orders shipped before placed or delivered before shipped",
				`SELECT count(*) FROM orders WHERE shipped_at < placed_at OR delivered_at < shipped_at OR promised_at < placed_at`},
			{"orders whose status disagrees with their times",
				`SELECT count(*) FROM orders WHERE (status IN ('delivered', 'returned')) <> (delivered_at IS NOT NULL)
				   OR (status = 'cancelled' AND (shipped_at IS NOT NULL OR carrier IS NOT NULL))`},
			{"returned orders without a return",
				`SELECT count(*) FROM orders o WHERE status = 'returned' AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.order_id = o.order_id)`},
			{"returns before delivery or refunding more than paid",
				`SELECT count(*) FROM returns r JOIN orders o USING (order_id) WHERE r.requested_at < o.delivered_at OR r.refund_amount > o.amount`},
			{"tickets answered before opened or resolved before answered",
				`SELECT count(*) FROM support_tickets WHERE first_response_at < opened_at OR resolved_at < first_response_at
				   OR (resolved_at IS NOT NULL AND first_response_at IS NULL)`},
			{"delivery surveys before delivery",
				`SELECT count(*) FROM csat_responses r JOIN orders o USING (order_id) WHERE r.touchpoint = 'delivery' AND (r.responded_at < o.delivered_at OR o.delivered_at IS NULL)`},
			{"support surveys without a resolved ticket",
				`SELECT count(*) FROM csat_responses r LEFT JOIN support_tickets t USING (ticket_id) WHERE r.touchpoint = 'support' AND (t.resolved_at IS NULL OR r.responded_at < t.resolved_at)`},
			{"orders before their customer was created",
				`SELECT count(*) FROM orders o JOIN customers c USING (customer_id) WHERE o.placed_at < c.created_at`},
		}
		for _, c := range checks {
			if n := mustRow(t, wh, c.query)[0]; n != 0 {
				t.Errorf("%v %s", n, c.what)
			}
		}
	})

	t.Run("late deliveries lower delivery CSAT", func(t *testing.T) {
		r := mustRow(t, wh, `SELECT avg(r.score) FILTER (WHERE o.delivered_at <= o.promised_at),
			avg(r.score) FILTER (WHERE o.delivered_at > o.promised_at),
			avg(r.score) FILTER (WHERE o.delivered_at::date - o.promised_at::date >= 4)
			FROM csat_responses r JOIN orders o USING (order_id) WHERE r.touchpoint = 'delivery'`)
		onTime, late, veryLate := r[0], r[1], r[2]
		if !(onTime > 4.3 && late < onTime-0.5 && veryLate < late) {
			t.Errorf("delivery CSAT on time %.2f, late %.2f, 4+ days late %.2f; want on time > 4.3 > late + 0.5 > 4+ days late", onTime, late, veryLate)
		}
	})

	t.Run("late first orders lower the 60-day repeat rate", func(t *testing.T) {
		r := mustRow(t, wh, `WITH f AS (
				SELECT DISTINCT ON (o.customer_id) o.customer_id, o.placed_at, o.delivered_at > o.promised_at AS late
				FROM orders o JOIN customers c USING (customer_id)
				WHERE c.created_at >= $1 AND o.delivered_at IS NOT NULL
				ORDER BY o.customer_id, o.placed_at),
			x AS (
				SELECT late, EXISTS (SELECT 1 FROM orders n WHERE n.customer_id = f.customer_id
					AND n.placed_at > f.placed_at AND n.placed_at <= f.placed_at + interval '60 days') AS repeated
				FROM f WHERE placed_at < $2)
			SELECT avg(repeated::int) FILTER (WHERE NOT late), avg(repeated::int) FILTER (WHERE late), count(*) FILTER (WHERE late)
			FROM x`, st.From, st.To.AddDate(0, 0, -59))
		onTime, late, n := r[0], r[1], r[2]
		if n < 100 || !(late < onTime-0.05) {
			t.Errorf("60-day repeat rate after an on-time first order %.3f, after a late one %.3f (%v customers); want late lower by 5 points", onTime, late, n)
		}
	})

	t.Run("slow first responses lower support CSAT", func(t *testing.T) {
		r := mustRow(t, wh, `SELECT avg(r.score) FILTER (WHERE t.first_response_at - t.opened_at < interval '4 hours'),
			avg(r.score) FILTER (WHERE t.first_response_at - t.opened_at > interval '24 hours'),
			count(*) FILTER (WHERE t.first_response_at - t.opened_at > interval '24 hours')
			FROM csat_responses r JOIN support_tickets t USING (ticket_id)`)
		fast, slow, n := r[0], r[1], r[2]
		if n < 10 || !(slow < fast-0.5) {
			t.Errorf("support CSAT answered within 4h %.2f, after 24h %.2f (%v answers); want slower lower by 0.5", fast, slow, n)
		}
	})

	t.Run("late deliveries raise where-is-my-order tickets", func(t *testing.T) {
		r := mustRow(t, wh, `SELECT avg(w::int) FILTER (WHERE late), avg(w::int) FILTER (WHERE NOT late)
			FROM (SELECT o.delivered_at > o.promised_at AS late,
				EXISTS (SELECT 1 FROM support_tickets t WHERE t.order_id = o.order_id AND t.category = 'where_is_my_order') AS w
				FROM orders o WHERE o.delivered_at IS NOT NULL) x`)
		late, onTime := r[0], r[1]
		if !(late > 5*onTime) {
			t.Errorf("where-is-my-order tickets per late order %.3f, per on-time order %.3f; want 5 times more", late, onTime)
		}
	})

	t.Run("NPS follows the customer's experience", func(t *testing.T) {
		r := mustRow(t, wh, `SELECT avg(n.score) FILTER (WHERE NOT bad), avg(n.score) FILTER (WHERE bad), count(*) FILTER (WHERE bad)
			FROM (SELECT n.score, EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = n.customer_id
				AND o.delivered_at > o.promised_at + interval '1 day'
				AND o.delivered_at BETWEEN n.responded_at - interval '45 days' AND n.responded_at) AS bad
				FROM nps_responses n) n`)
		good, bad, count := r[0], r[1], r[2]
		if count < 20 || !(bad < good-0.4) {
			t.Errorf("NPS score after a good experience %.2f, after a delivery 2+ days late %.2f (%v answers); want lower by 0.4", good, bad, count)
		}
	})

	t.Run("weekly and holiday seasonality", func(t *testing.T) {
		r := mustRow(t, wh, `WITH d AS (SELECT placed_at::date AS day, count(*) AS n FROM orders GROUP BY 1)
			SELECT avg(n) FILTER (WHERE extract(dow FROM day) = 0), avg(n) FILTER (WHERE extract(dow FROM day) = 6),
			       max(n) FILTER (WHERE day = DATE '2025-11-28'),
			       avg(n) FILTER (WHERE day BETWEEN DATE '2025-10-24' AND DATE '2025-11-13')
			FROM d`)
		sunday, saturday, blackFriday, before := r[0], r[1], r[2], r[3]
		if !(sunday > 1.1*saturday) {
			t.Errorf("orders on an average Sunday %.0f, Saturday %.0f; want Sunday 10%% higher", sunday, saturday)
		}
		if !(blackFriday > 1.8*before) {
			t.Errorf("orders on Black Friday %.0f, on an average day before %.0f; want 1.8 times", blackFriday, before)
		}
	})

	t.Run("carrier outage", func(t *testing.T) {
		from := st.To.AddDate(0, 0, -outageStartBeforeEnd)
		to := from.AddDate(0, 0, outageDays)
		r := mustRow(t, wh, `SELECT
			avg((delivered_at > promised_at)::int) FILTER (WHERE carrier = $3 AND shipped_at >= $1 AND shipped_at < $2),
			avg((delivered_at > promised_at)::int) FILTER (WHERE carrier <> $3 AND shipped_at >= $1 AND shipped_at < $2),
			avg((delivered_at > promised_at)::int) FILTER (WHERE carrier = $3 AND shipped_at >= $1::date - 28 AND shipped_at < $1::date - 2)
			FROM orders WHERE delivered_at IS NOT NULL`, from, to, carriers[outageCarrier])
		if !(r[0] > 0.8 && r[1] < 0.3 && r[2] < 0.2) {
			t.Errorf("late share of %s shipped in the outage %.2f, of other carriers %.2f, of %s before %.2f; want > 0.8, < 0.3, < 0.2",
				carriers[outageCarrier], r[0], r[1], carriers[outageCarrier], r[2])
		}
		r = mustRow(t, wh, `SELECT
			count(*) FILTER (WHERE opened_at >= $1 AND opened_at < $1::date + 14) / 14.0,
			count(*) FILTER (WHERE opened_at >= $1::date - 28 AND opened_at < $1) / 28.0
			FROM support_tickets WHERE category = 'where_is_my_order'`, from)
		if !(r[0] > 2*r[1]) {
			t.Errorf("where-is-my-order tickets a day in the two weeks from the outage %.1f, in the four weeks before %.1f; want twice", r[0], r[1])
		}
		r = mustRow(t, wh, `SELECT
			avg(score) FILTER (WHERE responded_at >= $1::date + 4 AND responded_at < $1::date + 14),
			avg(score) FILTER (WHERE responded_at >= $1::date - 28 AND responded_at < $1)
			FROM csat_responses WHERE touchpoint = 'delivery'`, from)
		if !(r[0] < r[1]-0.15) {
			t.Errorf("delivery CSAT after the outage %.2f, before %.2f; want lower by 0.15", r[0], r[1])
		}
	})

	t.Run("warehouse backlog", func(t *testing.T) {
		from := st.To.AddDate(0, 0, -backlogStartBeforeEnd)
		to := from.AddDate(0, 0, backlogDays)
		r := mustRow(t, wh, `SELECT
			avg(extract(epoch FROM shipped_at - placed_at) / 3600) FILTER (WHERE warehouse = $3 AND placed_at >= $1::date + 3 AND placed_at < $2),
			avg(extract(epoch FROM shipped_at - placed_at) / 3600) FILTER (WHERE warehouse <> $3 AND placed_at >= $1::date + 3 AND placed_at < $2),
			avg(extract(epoch FROM shipped_at - placed_at) / 3600) FILTER (WHERE warehouse = $3 AND placed_at >= $1::date - 28 AND placed_at < $1),
			avg((status = 'cancelled')::int) FILTER (WHERE warehouse = $3 AND placed_at >= $1 AND placed_at < $2),
			avg((status = 'cancelled')::int) FILTER (WHERE warehouse = $3 AND placed_at >= $1::date - 28 AND placed_at < $1)
			FROM orders`, from, to, warehouses[backlogWarehouse])
		during, others, before, cancelDuring, cancelBefore := r[0], r[1], r[2], r[3], r[4]
		if !(during > 72 && others < 36 && before < 36) {
			t.Errorf("hours from checkout to shipping at %s in the backlog %.0f, elsewhere %.0f, before %.0f; want > 72, < 36, < 36",
				warehouses[backlogWarehouse], during, others, before)
		}
		if !(cancelDuring > 2*cancelBefore) {
			t.Errorf("cancelled share at %s in the backlog %.3f, before %.3f; want twice", warehouses[backlogWarehouse], cancelDuring, cancelBefore)
		}
	})
}

func TestLoadIsDeterministic(t *testing.T) {
	db := dbtest.Admin(t)
	opts := testOptions(t)
	opts.Days = 60
	opts.Scale = 0.2

	fingerprint := func() []string {
		t.Helper()
		var out []string
		for _, q := range []string{
			`SELECT md5(string_agg(c::text, ',' ORDER BY customer_id)) FROM public.customers c`,
			`SELECT md5(string_agg(o::text, ',' ORDER BY order_id)) FROM public.orders o`,
			`SELECT md5(string_agg(t::text, ',' ORDER BY ticket_id)) FROM public.support_tickets t`,
			`SELECT md5(string_agg(r::text, ',' ORDER BY response_id)) FROM public.csat_responses r`,
			`SELECT md5(string_agg(n::text, ',' ORDER BY response_id)) FROM public.nps_responses n`,
			`SELECT md5(string_agg(r::text, ',' ORDER BY return_id)) FROM public.returns r`,
		} {
			var s string
			if err := db.Get(context.Background(), &s, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			out = append(out, s)
		}
		return out
	}
	mustLoad(t, db, opts)
	first := fingerprint()
	mustLoad(t, db, opts)
	again := fingerprint()
	opts.Seed = 8
	mustLoad(t, db, opts)
	other := fingerprint()

	tables := []string{"customers", "orders", "support_tickets", "csat_responses", "nps_responses", "returns"}
	for i, name := range tables {
		if first[i] != again[i] {
			t.Errorf("%s differs between two loads with the same seed", name)
		}
		if first[i] == other[i] {
			t.Errorf("%s is the same with seeds 7 and 8", name)
		}
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, o := range []Options{{Scale: -1}, {Scale: MaxScale + 1}, {Days: -1}, {Days: MaxDays + 1}} {
		_, err := Load(context.Background(), nil, o)
		if !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("Load(%+v) = %v, want an invalid-input error", o, err)
		}
	}
}

// The demo never drops a table it did not create, unless told to.
func TestLoadKeepsSomeoneElsesTables(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Admin(t)
	opts := testOptions(t)
	opts.Days, opts.Scale = 20, 0.1
	mustLoad(t, db, opts)
	if foreign, err := Foreign(ctx, db); err != nil || len(foreign) != 0 {
		t.Fatalf("after a demo load, Foreign = %v, %v; want none", foreign, err)
	}
	if err := db.Exec(ctx, `DROP TABLE public.returns CASCADE; CREATE TABLE public.returns (id int, note text); INSERT INTO public.returns VALUES (1, 'ours')`); err != nil {
		t.Fatal(err)
	}
	_, err := Load(ctx, db, opts)
	if err == nil || !strings.Contains(err.Error(), "returns") || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("Load over someone's returns table = %v, want a refusal naming it and --replace", err)
	}
	var note string
	if err := db.Get(ctx, &note, `SELECT note FROM public.returns WHERE id = 1`); err != nil || note != "ours" {
		t.Fatalf("the refused load touched the table: %q, %v", note, err)
	}
	opts.Replace = true
	mustLoad(t, db, opts)
	if foreign, _ := Foreign(ctx, db); len(foreign) != 0 {
		t.Errorf("after --replace, Foreign = %v", foreign)
	}
}
