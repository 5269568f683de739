package demo

import (
	"fmt"

	"github.com/opsboard/opsboard/internal/pg"
)

// The simulation produces the rows of all six tables at once, but one
// connection copies one table at a time. So the load goes in rounds: a
// round simulates a span of days into a batch, then copies the batch out
// with one COPY per table and empties it. A round's span is sized for
// about batchRows rows, so what is held at once does not grow with the
// scale or the history (a span is at least one day: above scale ~60 a
// round is one day, and holds more).

// batchRows is about how many rows a round holds.
const batchRows = 32 << 10

// rowsPerDay is about how many rows the last day of data adds at scale 1,
// all tables together; earlier days add less, as the shop grows. A day of
// warm-up adds only its new customers.
const rowsPerDay = 620

// round is a span of simulated days [from, to) whose rows are copied
// together, and the tables that can have rows in it.
type round struct {
	from, to int
	tables   []table
}

// rounds cuts the simulated days into rounds. The warm-up, before the
// first day of data, writes only customers.
func (s *sim) rounds() []round {
	var out []round
	from, rows := 0, 0.0
	cut := func(to int) {
		if to > from {
			r := round{from: from, to: to, tables: allTables}
			if to <= s.first {
				r.tables = []table{tabCustomers}
			}
			out = append(out, r)
		}
		from, rows = to, 0
	}
	for d := range s.days {
		if d == s.first {
			cut(d)
		}
		perDay := float64(rowsPerDay)
		if d < s.first {
			perDay = newCustomersPerDay
		}
		day := s.scale * perDay * s.growth(d) * s.cal.demand[d]
		if rows > 0 && rows+day > batchRows {
			cut(d)
		}
		rows += day
	}
	cut(s.days)
	return out
}

// tables returns what pg.Admin.Load copies, in order: for each round, one
// COPY per table it can write. The first COPY of a round simulates its
// days; each COPY writes its table's rows of the batch and drops them.
// Rows counts the rows copied per table.
func (s *sim) tables(rows map[string]int64) []pg.Table {
	var out []pg.Table
	for _, r := range s.rounds() {
		for _, t := range r.tables {
			def := tableDefs[t]
			out = append(out, pg.Table{Name: def.name, Columns: def.columns, Frozen: true, Rows: func(emit func(values ...any) error) error {
				s.advance(r.to)
				n, err := s.rows.copyOut(t, emit)
				rows[def.name] += n
				if err != nil {
					return err
				}
				if t == r.tables[len(r.tables)-1] {
					if left := s.rows.len(); left > 0 {
						return fmt.Errorf("demo data: %d rows of days %d–%d have no table to go to", left, r.from, r.to-1)
					}
				}
				return nil
			}})
		}
	}
	return out
}

var allTables = []table{tabCustomers, tabOrders, tabTickets, tabCSAT, tabNPS, tabReturns}

var tableDefs = [...]struct {
	name    string
	columns []string
}{
	tabCustomers: {"customers", []string{"customer_id", "created_at", "region", "channel", "segment"}},
	tabOrders: {"orders", []string{"order_id", "customer_id", "placed_at", "promised_at", "shipped_at", "delivered_at",
		"channel", "region", "warehouse", "carrier", "amount", "items", "status"}},
	tabTickets: {"support_tickets", []string{"ticket_id", "customer_id", "order_id", "opened_at", "first_response_at",
		"resolved_at", "category", "channel", "reopened"}},
	tabCSAT:    {"csat_responses", []string{"response_id", "customer_id", "order_id", "ticket_id", "touchpoint", "responded_at", "score"}},
	tabNPS:     {"nps_responses", []string{"response_id", "customer_id", "responded_at", "score"}},
	tabReturns: {"returns", []string{"return_id", "order_id", "requested_at", "reason", "refund_amount"}},
}

// batch holds the rows simulated and not yet copied. Rows keep indexes
// into the names in model.go and instants as unix seconds (-1 is NULL);
// copyOut turns them into values.
type batch struct {
	customers []customerRow
	orders    []orderRow
	tickets   []ticketRow
	csat      []csatRow
	nps       []npsRow
	returns   []returnRow
}

type customerRow struct {
	created              int64
	id                   int32
	region, acq, segment uint8
}

type orderRow struct {
	id, amount                           int64 // amount in cents
	placed, promised, shipped, delivered int64
	cust                                 int32
	items                                uint8
	channel, region, warehouse, carrier  uint8 // carrier: noCarrier when cancelled
	status                               uint8
}

type ticketRow struct {
	id, order                       int64 // order: 0 when about no order
	opened, firstResponse, resolved int64
	cust                            int32
	category, channel               uint8
	reopened                        bool
}

type csatRow struct {
	id, order, ticket int64 // 0 when none
	at                int64
	cust              int32
	touchpoint, score uint8
}

type npsRow struct {
	id, at int64
	cust   int32
	score  uint8
}

type returnRow struct {
	id, order, requested, refund int64 // refund in cents
	reason                       uint8
}

const noCarrier = 255

var orderStatuses = []string{"delivered", "in_transit", "cancelled", "returned"}

const (
	statusDelivered = iota
	statusInTransit
	statusCancelled
	statusReturned
)

var touchpoints = []string{"delivery", "support"}

const (
	touchDelivery = iota
	touchSupport
)

func (b *batch) len() int {
	return len(b.customers) + len(b.orders) + len(b.tickets) + len(b.csat) + len(b.nps) + len(b.returns)
}

// copyOut emits the batch's rows of table t in order, drops them, and
// returns how many it emitted.
func (b *batch) copyOut(t table, emit func(values ...any) error) (int64, error) {
	v := make([]any, 0, 13)
	var n int64
	each := func(count int, row func(i int) []any) error {
		for i := range count {
			if err := emit(row(i)...); err != nil {
				return err
			}
			n++
		}
		return nil
	}
	var err error
	switch t {
	case tabCustomers:
		err = each(len(b.customers), func(i int) []any {
			r := &b.customers[i]
			return append(v[:0], int64(r.id), ts(r.created), regions[r.region], acquisitions[r.acq], segments[r.segment])
		})
		b.customers = b.customers[:0]
	case tabOrders:
		err = each(len(b.orders), func(i int) []any {
			r := &b.orders[i]
			var carrier any
			if r.carrier != noCarrier {
				carrier = carriers[r.carrier]
			}
			return append(v[:0], r.id, int64(r.cust), ts(r.placed), ts(r.promised), nullTS(r.shipped), nullTS(r.delivered),
				orderChannels[r.channel], regions[r.region], warehouses[r.warehouse], carrier,
				money(r.amount), int64(r.items), orderStatuses[r.status])
		})
		b.orders = b.orders[:0]
	case tabTickets:
		err = each(len(b.tickets), func(i int) []any {
			r := &b.tickets[i]
			return append(v[:0], r.id, int64(r.cust), nullID(r.order), ts(r.opened), nullTS(r.firstResponse), nullTS(r.resolved),
				ticketCategories[r.category], ticketChannels[r.channel], r.reopened)
		})
		b.tickets = b.tickets[:0]
	case tabCSAT:
		err = each(len(b.csat), func(i int) []any {
			r := &b.csat[i]
			return append(v[:0], r.id, int64(r.cust), nullID(r.order), nullID(r.ticket), touchpoints[r.touchpoint], ts(r.at), int64(r.score))
		})
		b.csat = b.csat[:0]
	case tabNPS:
		err = each(len(b.nps), func(i int) []any {
			r := &b.nps[i]
			return append(v[:0], r.id, int64(r.cust), ts(r.at), int64(r.score))
		})
		b.nps = b.nps[:0]
	case tabReturns:
		err = each(len(b.returns), func(i int) []any {
			r := &b.returns[i]
			return append(v[:0], r.id, r.order, ts(r.requested), returnReasons[r.reason], money(r.refund))
		})
		b.returns = b.returns[:0]
	}
	return n, err
}

// ts is the instant as a timestamptz literal in UTC: formatting it here
// costs a tenth of what lib/pq's time.Time encoding does, a quarter of
// the load's CPU at scale 3.
func ts(sec int64) string {
	days, rem := sec/86400, sec%86400
	if rem < 0 {
		days, rem = days-1, rem+86400
	}
	y, m, d := civil(days)
	b := make([]byte, 0, 22)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, ' ')
	b = append2(b, int(rem/3600))
	b = append(b, ':')
	b = append2(b, int(rem%3600/60))
	b = append(b, ':')
	b = append2(b, int(rem%60))
	b = append(b, '+', '0', '0')
	return string(b)
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil, inverted).
func civil(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// nullTS is the instant as a timestamp, or NULL for -1.
func nullTS(sec int64) any {
	if sec < 0 {
		return nil
	}
	return ts(sec)
}

// nullID is the id, or NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
