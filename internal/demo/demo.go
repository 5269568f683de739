// Package demo generates and loads the demo dataset: two years of a
// direct-to-consumer retailer's orders, deliveries, returns, support tickets
// and customer surveys (CSAT, NPS), in which the customer numbers follow the
// operations. Late deliveries lower delivery CSAT and the chance of a next
// order, slow support answers lower support CSAT, and two incidents — a
// carrier outage about five months before the end and a warehouse backlog
// about six weeks before it — show up in both. The shipped queries under
// sql/ run on it.
//
// The data ends yesterday in the business time zone, so loading it again
// moves it forward. It is deterministic for a seed and streamed into COPY.
package demo

import (
	"context"
	"math"
	"runtime/debug"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/pg"
)

// Options shape the dataset. The zero value of each field means its default.
type Options struct {
	Scale    float64        // volume: 1 ≈ 250 orders a day; default 1
	Days     int            // days of data; default 730
	Seed     int64          // random seed; default 1
	Location *time.Location // business time zone; default UTC
	Now      time.Time      // data ends the day before Now's date in Location; default time.Now()
	// Replace lets Load drop tables with the demo's names that it did not
	// create itself (someone's own orders table). Off, Load refuses.
	Replace bool
}

// tableNames are the demo's tables, in the public schema.
var tableNames = []string{"customers", "orders", "support_tickets", "csat_responses", "nps_responses", "returns"}

// Foreign lists the tables in the public schema that have a demo table's
// name but were not created by Load (their comment does not start with
// "Demo:"): loading the demo data would drop them.
func Foreign(ctx context.Context, db *pg.Admin) ([]string, error) {
	var names []string
	err := db.Select(ctx, &names, `
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relname = ANY($1)
		  AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'Demo:%'
		ORDER BY 1`, pq.Array(tableNames))
	return names, err
}

// Stats describe a load.
type Stats struct {
	Rows     map[string]int64 // rows loaded per table
	From, To time.Time        // first and last day of data (midnight, business time zone)
	Took     time.Duration
}

// Limits on Options, to keep a typo from filling the disk.
const (
	MaxScale = 100
	MaxDays  = 3650
)

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Scale < 0 || o.Scale > MaxScale:
		return o, apperr.Invalid("demo data: scale %g is outside 0–%d", o.Scale, MaxScale)
	case o.Days < 0 || o.Days > MaxDays:
		return o, apperr.Invalid("demo data: days %d is outside 1–%d", o.Days, MaxDays)
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	if o.Days == 0 {
		o.Days = 730
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o, nil
}

// Load drops and recreates the demo tables in the public schema and loads
// them, all in one transaction: a failed load leaves the previous data.
// Tables of the same names that Load did not create make it refuse, unless
// opts.Replace. A read-only standby makes it refuse too.
func Load(ctx context.Context, db *pg.Admin, opts Options) (Stats, error) {
	start := time.Now()
	o, err := opts.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	// Asked rather than read from the error: a standby refuses lib/pq's
	// BEGIN READ WRITE with feature_not_supported, before any write.
	var standby bool
	if err := db.Get(ctx, &standby, `SELECT pg_is_in_recovery()`); err != nil {
		return Stats{}, err
	}
	if standby {
		return Stats{}, apperr.Invalid("demo data: this database is a read-only standby: load the data into its primary, " +
			"and it will reach the standby by replication")
	}
	if !o.Replace {
		foreign, err := Foreign(ctx, db)
		if err != nil {
			return Stats{}, err
		}
		if len(foreign) > 0 {
			return Stats{}, apperr.Invalid("this database already has tables named %s that the demo did not create; "+
				"loading the demo data would drop them. Use an empty database for the demo (or pass --replace to drop them)",
				strings.Join(foreign, ", "))
		}
	}
	if debug.SetMemoryLimit(-1) == math.MaxInt64 { // none set (GOMEMLIMIT wins)
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(memoryLimit(o.Scale)))
	}
	// One simulation feeds every table, in rounds of a few days (rows.go);
	// pg.Admin.Load's own counts are per COPY, so the rounds count rows.
	// The rows are copied frozen, which also sets the visibility map (as a
	// VACUUM would), so that index-only scans need not visit the tables;
	// finish's ANALYZE tells the planner so.
	rows := make(map[string]int64, len(tableNames))
	if _, err := db.Load(ctx, "public", schema, newSim(o).tables(rows), finish); err != nil {
		return Stats{}, err
	}
	y, m, d := o.Now.In(o.Location).Date()
	return Stats{
		Rows: rows,
		From: time.Date(y, m, d-o.Days, 0, 0, 0, 0, o.Location),
		To:   time.Date(y, m, d-1, 0, 0, 0, 0, o.Location),
		Took: time.Since(start),
	}, nil
}

// schema creates the tables bare; keys and indexes come after the COPY,
// which is faster than maintaining them row by row.
const schema = `
SET LOCAL search_path TO public;
DROP TABLE IF EXISTS returns, csat_responses, nps_responses, support_tickets, orders, customers CASCADE;

CREATE TABLE customers (
	customer_id bigint NOT NULL,
	created_at  timestamptz NOT NULL,
	region      text NOT NULL,
	channel     text NOT NULL,
	segment     text NOT NULL
);
COMMENT ON TABLE customers IS 'Demo: one row per customer; created_at is their first order (customers created before the first order day are the existing base).';
COMMENT ON COLUMN customers.channel IS 'How the customer was acquired: organic, paid_search, paid_social, referral, marketplace, affiliate.';
COMMENT ON COLUMN customers.segment IS 'value, core or premium.';

CREATE TABLE orders (
	order_id     bigint NOT NULL,
	customer_id  bigint NOT NULL,
	placed_at    timestamptz NOT NULL,
	promised_at  timestamptz NOT NULL,
	shipped_at   timestamptz,
	delivered_at timestamptz,
	channel      text NOT NULL CHECK (channel IN ('web', 'app', 'marketplace')),
	region       text NOT NULL CHECK (region IN ('north', 'south', 'east', 'west')),
	warehouse    text NOT NULL,
	carrier      text,
	amount       numeric(10,2) NOT NULL CHECK (amount >= 0),
	items        integer NOT NULL CHECK (items > 0),
	status       text NOT NULL CHECK (status IN ('delivered', 'in_transit', 'cancelled', 'returned'))
);
COMMENT ON TABLE orders IS 'Demo: one row per order. An order is on time when delivered_at <= promised_at (the end of the promised day).';
COMMENT ON COLUMN orders.shipped_at IS 'NULL while the order waits in the warehouse, and for cancelled orders.';
COMMENT ON COLUMN orders.delivered_at IS 'NULL while in transit, and for cancelled orders.';
COMMENT ON COLUMN orders.carrier IS 'NULL for orders cancelled before shipping.';

CREATE TABLE support_tickets (
	ticket_id         bigint NOT NULL,
	customer_id       bigint NOT NULL,
	order_id          bigint,
	opened_at         timestamptz NOT NULL,
	first_response_at timestamptz,
	resolved_at       timestamptz,
	category          text NOT NULL,
	channel           text NOT NULL CHECK (channel IN ('email', 'chat', 'phone')),
	reopened          boolean NOT NULL
);
COMMENT ON TABLE support_tickets IS 'Demo: one row per support ticket; first_response_at and resolved_at are NULL while pending.';

CREATE TABLE csat_responses (
	response_id  bigint NOT NULL,
	customer_id  bigint NOT NULL,
	order_id     bigint,
	ticket_id    bigint,
	touchpoint   text NOT NULL CHECK (touchpoint IN ('delivery', 'support')),
	responded_at timestamptz NOT NULL,
	score        smallint NOT NULL CHECK (score BETWEEN 1 AND 5)
);
COMMENT ON TABLE csat_responses IS 'Demo: answers to "How satisfied were you?" (1–5) after a delivery or a support ticket.';

CREATE TABLE nps_responses (
	response_id  bigint NOT NULL,
	customer_id  bigint NOT NULL,
	responded_at timestamptz NOT NULL,
	score        smallint NOT NULL CHECK (score BETWEEN 0 AND 10)
);
COMMENT ON TABLE nps_responses IS 'Demo: answers to "How likely are you to recommend us?" (0–10).';

CREATE TABLE returns (
	return_id     bigint NOT NULL,
	order_id      bigint NOT NULL,
	requested_at  timestamptz NOT NULL,
	reason        text NOT NULL CHECK (reason IN ('damaged', 'late', 'wrong_item', 'changed_mind', 'not_as_described')),
	refund_amount numeric(10,2) NOT NULL
);
COMMENT ON TABLE returns IS 'Demo: one row per return request.';
`

// finish adds keys and the indexes the shipped queries use, then refreshes
// the planner's statistics.
const finish = `
ALTER TABLE customers ADD PRIMARY KEY (customer_id);
ALTER TABLE orders ADD PRIMARY KEY (order_id),
	ADD FOREIGN KEY (customer_id) REFERENCES customers;
ALTER TABLE support_tickets ADD PRIMARY KEY (ticket_id),
	ADD FOREIGN KEY (customer_id) REFERENCES customers,
	ADD FOREIGN KEY (order_id) REFERENCES orders;
ALTER TABLE csat_responses ADD PRIMARY KEY (response_id),
	ADD FOREIGN KEY (customer_id) REFERENCES customers,
	ADD FOREIGN KEY (order_id) REFERENCES orders,
	ADD FOREIGN KEY (ticket_id) REFERENCES support_tickets;
ALTER TABLE nps_responses ADD PRIMARY KEY (response_id),
	ADD FOREIGN KEY (customer_id) REFERENCES customers;
ALTER TABLE returns ADD PRIMARY KEY (return_id),
	ADD FOREIGN KEY (order_id) REFERENCES orders;

CREATE INDEX ON customers (created_at);
CREATE INDEX ON orders (placed_at);
CREATE INDEX ON orders (promised_at);
CREATE INDEX ON orders (shipped_at);
-- The open backlog (kpi/backlog, the opening backlog of orders/daily and
-- warehouses/backlog_daily): "shipped_at IS NULL" would otherwise also
-- match every cancelled order, spread over the whole table.
CREATE INDEX ON orders (shipped_at) WHERE status <> 'cancelled';
CREATE INDEX ON orders (delivered_at);
CREATE INDEX ON orders (customer_id, placed_at);
CREATE INDEX ON support_tickets (opened_at);
CREATE INDEX ON support_tickets (order_id);
CREATE INDEX ON csat_responses (responded_at);
CREATE INDEX ON csat_responses (order_id);
CREATE INDEX ON csat_responses (ticket_id);
CREATE INDEX ON nps_responses (responded_at);
CREATE INDEX ON returns (order_id);
CREATE INDEX ON returns (requested_at);

ANALYZE customers, orders, support_tickets, csat_responses, nps_responses, returns;
`

// memoryLimit is the Go runtime's soft memory limit during a load (a
// GOMEMLIMIT set by the user wins). What the load holds is the customers
// with an order or a survey pending, which grows with the scale, and one
// round of rows: after a collection about 7 MB are live at scale 10 and
// 14 MB at scale 30 (GODEBUG=gctrace=1); left to itself the collector
// lets the heap grow to twice that before the next. Under the limit it
// runs sooner, so a load takes about the same memory up to scale 50 (the
// bench: 38 MB at scale 10, 43 MB at scale 30, at the same speed), and
// proportionally more above, where what is pending alone comes near it.
func memoryLimit(scale float64) int64 {
	const base = 28 << 20
	return int64(base * max(1, scale/50))
}
