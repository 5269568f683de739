package demo

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// The simulation walks the shop day by day. Each day new customers arrive
// and place a first order, and returning customers place the order they
// planned. Every order is followed through the warehouse queue, the carrier,
// and what comes after: a CSAT survey, a return, a support ticket, an NPS
// survey. What happens to an order changes the customer's mood and the
// chance of a next order, so retention follows from operations.
//
// The simulation is deterministic for a seed and runs once, day by day,
// into a batch of rows that the loader copies out between spans of days
// (rows.go). What it keeps is bounded by what is pending, not by history:
// a customer holds a slot only while an order, a ticket or a survey of
// theirs is scheduled, and a slot is reused once nothing is left; the rows
// of a span of days are copied and dropped before the next span starts.

// table identifies one of the demo's tables.
type table int

const (
	tabCustomers table = iota
	tabOrders
	tabTickets
	tabCSAT
	tabNPS
	tabReturns
)

// warmupDays are simulated before the first day of data so that the first
// day already has returning customers. Customers acquired then appear in
// customers (created before the first day); their orders do not.
const warmupDays = 365

// growthPerYear is how much new-customer acquisition grows in a year.
const growthPerYear = 0.35

// newCustomersPerDay at scale 1 on an average day at the end of the data.
const newCustomersPerDay = 120.0

// customer is a customer's state, kept in a slot of sim.customers while
// something of theirs is pending. Slots are most of what the simulation
// holds (one for about every eighth customer), so they are packed in 16
// bytes.
type customer struct {
	id      int32 // customers.customer_id
	mood    float32
	lastNPS uint16 // day of the last NPS survey + 1, 0 when none
	refs    uint16
	orders  uint8 // orders placed, counted up to 255
	acq     uint8
	traits  uint8 // region, segment and preferred order channel, 2 bits each; bit 6: an order is planned
}

const plannedBit = 1 << 6

func (c *customer) region() int  { return int(c.traits & 3) }
func (c *customer) segment() int { return int(c.traits >> 2 & 3) }
func (c *customer) pref() uint8  { return c.traits >> 4 & 3 }
func (c *customer) planned() bool {
	return c.traits&plannedBit != 0
}
func (c *customer) setPlanned(on bool) {
	c.traits &^= plannedBit
	if on {
		c.traits |= plannedBit
	}
}

// intent is an order to be placed today. It holds a reference to the
// customer's slot until the order is placed.
type intent struct {
	sec     int64
	id      int32 // customer_id: orders placed in the same second go in this order
	cust    int32 // slot
	channel uint8
}

type pendingTicket struct {
	open  int64
	order int64 // 0 when the ticket is about no order
	cust  int32
	cat   uint8
	ch    uint8
	late  int8 // days late of the order, for where-is-my-order tickets
}

type warehouseQueue struct {
	day   int     // the day the next booked order ships
	used  int     // orders booked on day
	cap   int     // capacity of day
	avg   float64 // orders booked per day, trailing
	today int     // orders booked today
}

type sim struct {
	cal    *calendar
	scale  float64
	r      *rand.Rand // everything that follows an order
	ra     *rand.Rand // arrivals of new customers
	days   int        // simulated days (warm-up + data)
	first  int        // first day of data
	cutoff int64      // start of today: nothing later is known

	// rows are the rows simulated and not yet copied; day is the next day
	// to simulate.
	rows batch
	day  int

	// customers are the slots of customers with something pending: an
	// entry in due, intents, tickets or surveys, counted in refs. A slot
	// whose refs fall to 0 is never read again and goes to free.
	customers    []customer
	free         []int32
	nextCustomer int32
	due          [][]int32 // per day: slots of customers planning an order
	tickets      [][]pendingTicket
	surveys      [][]int32 // per day: slots of customers asked for NPS
	intents      []intent
	wh           [3]warehouseQueue
	support      float64 // tickets per day, trailing

	carrierDay [][4]float64 // per day and carrier: how much worse than usual
	supportDay []float64    // per day: how much slower support is than usual

	outageFrom, outageTo     int // days, or -1
	backlogFrom, backlogTo   int
	recoveryTo               int
	hourCDF                  [2][24]float64
	nextOrder, nextTicket    int64
	nextCSAT, nextNPS, nextR int64
}

func newSim(o Options) *sim {
	today := o.Now.In(o.Location)
	y, m, d := today.Date()
	days := warmupDays + o.Days
	firstDay := time.Date(y, m, d-days, 0, 0, 0, 0, o.Location)
	s := &sim{
		cal:   newCalendar(firstDay, days, o.Location),
		scale: o.Scale,
		r:     rand.New(rand.NewPCG(uint64(o.Seed), 0x6f7073626f617264)),
		ra:    rand.New(rand.NewPCG(uint64(o.Seed), 0x6172726976616c73)),
		days:  days,
		first: warmupDays,
	}
	s.cutoff = s.cal.start[days]
	s.due = make([][]int32, days)
	s.tickets = make([][]pendingTicket, days)
	s.surveys = make([][]int32, days)

	env := rand.New(rand.NewPCG(uint64(o.Seed), 0x656e7669726f6e))
	s.carrierDay = make([][4]float64, s.cal.days())
	for i := range s.carrierDay {
		for c := range carriers {
			s.carrierDay[i][c] = math.Exp(0.35*env.NormFloat64() - 0.06)
		}
	}
	s.supportDay = make([]float64, days)
	for i := range s.supportDay {
		s.supportDay[i] = math.Exp(0.15 * env.NormFloat64())
	}

	last := days - 1
	s.outageFrom, s.outageTo = -1, -1
	if f := last - outageStartBeforeEnd; f >= s.first {
		s.outageFrom, s.outageTo = f, f+outageDays
	}
	s.backlogFrom, s.backlogTo, s.recoveryTo = -1, -1, -1
	if f := last - backlogStartBeforeEnd; f >= s.first {
		s.backlogFrom, s.backlogTo = f, f+backlogDays
		s.recoveryTo = s.backlogTo + backlogRecoveryDays
	}
	for ch := range hourWeights {
		sum := 0.0
		for h, w := range hourWeights[ch] {
			sum += w
			s.hourCDF[ch][h] = sum
		}
		for h := range s.hourCDF[ch] {
			s.hourCDF[ch][h] /= sum
		}
	}
	for i := range s.wh {
		s.wh[i].day = -1
		s.wh[i].avg = s.scale * newCustomersPerDay
	}
	s.support = s.scale * newCustomersPerDay * 0.05
	return s
}

// advance simulates the days before day to, adding their rows to s.rows.
func (s *sim) advance(to int) {
	for ; s.day < to; s.day++ {
		s.simulate(s.day)
	}
}

// simulate simulates day d.
func (s *sim) simulate(d int) {
	s.intents = s.intents[:0]
	s.arrivals(d)
	for _, ci := range s.due[d] {
		c := &s.customers[ci]
		if !c.planned() { // called off after a bad support experience
			s.release(ci)
			continue
		}
		c.setPlanned(false)
		ch := c.pref()
		if c.acq != acqMarketplace && s.r.Float64() < 0.08 {
			ch = uint8(pick(s.r, []float64{0.5, 0.45, 0.05}))
		}
		// The due entry's reference passes to the intent.
		s.intents = append(s.intents, intent{sec: s.orderTime(s.r, d, ch), id: c.id, cust: ci, channel: ch})
	}
	s.due[d] = nil
	slices.SortFunc(s.intents, func(a, b intent) int {
		return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.id, b.id))
	})
	for _, in := range s.intents {
		s.order(d, in)
		s.release(in.cust)
	}
	s.closeDay(d)
}

// admit gives a new customer a slot, holding one reference.
func (s *sim) admit(c customer) int32 {
	s.nextCustomer++
	c.id, c.refs = s.nextCustomer, 1
	if n := len(s.free); n > 0 {
		ci := s.free[n-1]
		s.free = s.free[:n-1]
		s.customers[ci] = c
		return ci
	}
	s.customers = append(s.customers, c)
	return int32(len(s.customers) - 1)
}

// hold adds a reference to slot ci; release drops one and frees the slot
// when none is left. A customer with no reference has no planned order
// (due holds one) and nothing else that could bring them back.
func (s *sim) hold(ci int32) { s.customers[ci].refs++ }

func (s *sim) release(ci int32) {
	c := &s.customers[ci]
	c.refs--
	if c.refs == 0 {
		s.free = append(s.free, ci)
	}
}

// arrivals creates the day's new customers and their first orders, from
// a random stream of their own.
func (s *sim) arrivals(d int) {
	r := s.ra
	mean := s.scale * newCustomersPerDay * s.growth(d) * s.cal.demand[d] * math.Exp(0.08*r.NormFloat64()-0.0032)
	n := poisson(r, mean)
	for range n {
		region := uint8(pick(r, regionWeights))
		acq := uint8(pick(r, acquisitionWeights))
		segment := uint8(pick(r, segmentWeights))
		mood := float32(clamp(0.25+0.2*r.NormFloat64(), -1, 1))
		var pref uint8
		switch {
		case acq == acqMarketplace:
			pref = uint8(pick(r, []float64{0.12, 0.04, 0.84}))
		default:
			pref = uint8(pick(r, []float64{0.74, 0.21, 0.05}))
		}
		sec := s.orderTime(r, d, pref)
		created := max(sec-int64(60+r.IntN(1200)), s.cal.start[d])
		ci := s.admit(customer{mood: mood, acq: acq, traits: region | segment<<2 | pref<<4})
		id := s.customers[ci].id
		s.rows.customers = append(s.rows.customers, customerRow{id: id, created: created, region: region, acq: acq, segment: segment})
		s.intents = append(s.intents, intent{sec: sec, id: id, cust: ci, channel: pref})
	}
}

// growth is the size of the shop on day d relative to its last day.
func (s *sim) growth(d int) float64 {
	return math.Exp(math.Log1p(growthPerYear) * float64(d-(s.days-1)) / 365)
}

// orderTime returns when on day d an order through channel ch is placed.
func (s *sim) orderTime(r *rand.Rand, d int, ch uint8) int64 {
	cdf := &s.hourCDF[0]
	if ch == chanApp {
		cdf = &s.hourCDF[1]
	}
	u := r.Float64()
	h := 0
	for h < 23 && cdf[h] < u {
		h++
	}
	return s.cal.at(d, int64(h*3600+r.IntN(3600)))
}

// order follows one order from checkout to its consequences.
func (s *sim) order(d int, in intent) {
	r := s.r
	c := &s.customers[in.cust]
	if c.orders < math.MaxUint8 {
		c.orders++
	}
	inData := d >= s.first
	var id int64
	if inData {
		s.nextOrder++
		id = s.nextOrder
	}

	items := 1 + min(poisson(r, segmentExtraItems[c.segment()]), 11)
	var subtotal int64
	for range items {
		price := segmentItemPrice[c.segment()] * math.Exp(0.45*r.NormFloat64())
		subtotal += int64(math.Max(math.Floor(price), 4))*100 + 99
	}
	shipping := int64(0)
	if subtotal < 5000 && in.channel != chanMarketplace {
		shipping = 595
	}
	amount := subtotal + shipping

	wh := pick(r, warehouseByRegion[c.region()])
	carrier := pick(r, carrierByRegion[c.region()])
	transit := carrierTransit[carrier]
	if wh != homeWarehouse[c.region()] {
		transit++
	}
	earliest := d
	if in.sec-s.cal.start[d] >= 14*3600 {
		earliest++
	}
	earliest = s.cal.nextShipDay(earliest)
	promised := earliest + transit
	promisedAt := s.cal.at(promised, 21*3600)

	cancelled := false
	var shippedAt, deliveredAt, cancelAt int64 = -1, -1, -1
	late := 0
	damaged := false
	experience := 0.0
	repeat := 1.0
	shipDelay := 0

	if r.Float64() < 0.012 { // the customer changes their mind at once
		cancelled = true
		cancelAt = in.sec
		repeat = 0.85
	} else {
		ship := s.book(wh, earliest)
		shipDelay = ship - earliest
		if shipDelay >= 2 && r.Float64() < min(0.35, 0.05*float64(shipDelay)) {
			cancelled = true // tired of waiting
			cancelAt = s.cal.at(min(earliest+2, s.cal.days()-1), 12*3600)
			experience = -0.7
			repeat = 0.4
		} else {
			shippedAt = s.cal.at(ship, int64(15*3600+r.IntN(4*3600+1800)))
			slip := carrierSlip[carrier] * s.carrierDay[ship][carrier]
			if s.cal.peak[ship] {
				slip *= 2.2
			}
			extra := 0
			if r.Float64() < slip {
				extra = 1
				for extra < 6 && r.Float64() < 0.4 {
					extra++
				}
			}
			damage := carrierDamageRate[carrier]
			if s.cal.peak[ship] {
				damage *= 1.3
			}
			if carrier == outageCarrier && s.outageFrom >= 0 {
				switch {
				case ship >= s.outageFrom && ship < s.outageTo:
					extra += 2 + r.IntN(5)
					damage *= 1 + outageDamageIncrement
				case ship >= s.outageFrom-2 && ship < s.outageFrom: // caught in transit
					extra += 1 + r.IntN(3)
				}
			}
			delivered := ship + transit + extra
			deliveredAt = s.cal.at(delivered, int64(10*3600+r.IntN(10*3600+1800)))
			late = max(0, delivered-promised)
			damaged = r.Float64() < damage
			switch {
			case late == 0:
				experience = 0.35
			case late == 1:
				experience, repeat = -0.15, 0.8
			case late <= 3:
				experience, repeat = -0.5, 0.62
			default:
				experience, repeat = -0.85, 0.45
			}
			if damaged {
				experience = min(experience, -0.6)
				repeat *= 0.7
			}
		}
	}

	// What follows the delivery: a return, tickets, surveys.
	reason := -1
	var requestedAt int64 = -1
	var refund int64
	if !cancelled {
		u := r.Float64()
		wrong := 0.008
		if wh == backlogWarehouse && s.backlogFrom >= 0 && d >= s.backlogTo && d < s.recoveryTo {
			wrong *= 3 // picking in a hurry
		}
		changed := 0.035
		if s.cal.peak[d] {
			changed *= 1.8 // gifts
		}
		switch {
		case damaged && r.Float64() < 0.85:
			reason = reasonDamaged
		case late >= 3 && r.Float64() < 0.10:
			reason = reasonLate
		case u < wrong:
			reason = reasonWrongItem
			experience = min(experience, -0.4)
			repeat *= 0.8
		case u < wrong+0.022:
			reason = reasonNotAsDescribed
		case u < wrong+0.022+changed:
			reason = reasonChangedMind
		}
		if reason >= 0 {
			days := min(1+math.Exp(math.Log(4)+0.7*r.NormFloat64()), 30)
			requestedAt = deliveredAt + int64(days*86400)
			refund = amount
			if reason == reasonChangedMind || reason == reasonNotAsDescribed {
				refund = subtotal
				if items > 1 && r.Float64() < 0.4 {
					refund = subtotal * int64(1+r.IntN(items-1)) / int64(items)
				}
			}
		}
	}

	if inData {
		st := uint8(statusInTransit)
		switch {
		case cancelled && cancelAt < s.cutoff:
			st = statusCancelled
		case requestedAt >= 0 && requestedAt < s.cutoff:
			st = statusReturned
		case !cancelled && deliveredAt < s.cutoff:
			st = statusDelivered
		}
		cr := uint8(carrier)
		if cancelled {
			cr = noCarrier
		}
		s.rows.orders = append(s.rows.orders, orderRow{id: id, cust: in.id, placed: in.sec, promised: promisedAt,
			shipped: s.known(shippedAt), delivered: s.known(deliveredAt), channel: in.channel, region: uint8(c.region()),
			warehouse: uint8(wh), carrier: cr, amount: amount, items: uint8(items), status: st})
	}
	if inData && reason >= 0 && requestedAt < s.cutoff {
		s.nextR++
		s.rows.returns = append(s.rows.returns, returnRow{id: s.nextR, order: id, requested: requestedAt, reason: uint8(reason), refund: refund})
	}

	// Support tickets.
	if !cancelled && r.Float64() < 0.012 {
		s.ticket(in.cust, id, in.sec+int64(600+r.IntN(4*3600)), catOrderChange, 0, inData)
	}
	switch {
	case shipDelay >= 2 && r.Float64() < 0.18:
		s.ticket(in.cust, id, s.cal.at(earliest+2, int64(9*3600+r.IntN(12*3600))), catWhereIsMyOrder, int8(min(late, 9)), inData)
	case !cancelled && late > 0 && r.Float64() < min(0.75, 0.15+0.12*float64(late)):
		open := promisedAt + int64((0.15+0.75*r.Float64())*float64(deliveredAt-promisedAt))
		s.ticket(in.cust, id, open, catWhereIsMyOrder, int8(min(late, 9)), inData)
	case !cancelled && late == 0 && r.Float64() < 0.012:
		open := shippedAt + int64(r.Float64()*float64(deliveredAt-shippedAt))
		s.ticket(in.cust, id, open, catWhereIsMyOrder, 0, inData)
	}
	if damaged && r.Float64() < 0.6 {
		s.ticket(in.cust, id, deliveredAt+int64(3600+r.IntN(47*3600)), catDamaged, 0, inData)
	}
	if reason >= 0 && reason != reasonDamaged && r.Float64() < 0.25 {
		s.ticket(in.cust, id, requestedAt+int64(r.IntN(6*3600)), catReturn, 0, inData)
	}
	if r.Float64() < 0.01 {
		s.ticket(in.cust, id, in.sec+int64(3600+r.IntN(7*86400)), catBilling, 0, inData)
	}
	if !cancelled && r.Float64() < 0.022 {
		s.ticket(in.cust, id, deliveredAt+int64(7200+r.IntN(10*86400)), catProductQuestion, 0, inData)
	}
	if r.Float64() < 0.005 {
		s.ticket(in.cust, 0, in.sec+int64(3600+r.IntN(30*86400)), catAccount, 0, inData)
	}

	// A delivery survey: unhappy customers answer more often.
	if !cancelled {
		rate := 0.18
		if late > 0 || damaged {
			rate = 0.27
		}
		if r.Float64() < rate {
			hours := min(math.Exp(math.Log(18)+0.9*r.NormFloat64()), 240)
			at := deliveredAt + int64(hours*3600)
			penalty := 0.0
			switch {
			case late == 1:
				penalty = 0.7
			case late > 1 && late <= 3:
				penalty = 1.4
			case late > 3:
				penalty = 2.3
			}
			if damaged {
				penalty = max(penalty, 2.1) + 0.2
			}
			score := clampRound(4.62-penalty+0.25*float64(c.mood)+0.6*r.NormFloat64(), 1, 5)
			if inData && at < s.cutoff {
				s.nextCSAT++
				s.rows.csat = append(s.rows.csat, csatRow{id: s.nextCSAT, cust: in.id, order: id, touchpoint: touchDelivery, at: at, score: uint8(score)})
			}
		}
	}

	// An NPS survey now and then, at most one a quarter per customer.
	if (c.lastNPS == 0 || int(c.lastNPS)-1 < d-120) && r.Float64() < 0.07 {
		after := max(deliveredAt, cancelAt)
		day := s.cal.dayOf(after) + 7 + r.IntN(14)
		if day < s.days {
			s.surveys[day] = append(s.surveys[day], in.cust)
			s.hold(in.cust)
			c.lastNPS = uint16(day + 1)
		}
	}

	// How this order changes the customer, and whether they come back.
	if experience != 0 {
		c.mood = float32(clamp(0.65*float64(c.mood)+0.35*experience, -1, 1))
	}
	p := segmentRepeat[c.segment()] + 0.07*float64(min(int(c.orders)-1, 5))
	p = min(p, 0.9) * repeat * (1 + 0.25*float64(c.mood)) * acquisitionLoyalty[c.acq]
	if r.Float64() < p {
		s.plan(in.cust, d)
	}
}

// plan schedules the customer's next order. Gaps between orders follow the
// segment; the day is drawn so that returning customers also shop more on
// peak days.
func (s *sim) plan(ci int32, d int) {
	c := &s.customers[ci]
	median := math.Log(segmentGapDays[c.segment()])
	for range 30 {
		gap := max(5, int(math.Exp(median+0.6*s.r.NormFloat64())))
		day := d + gap
		if day >= s.cal.days() {
			return
		}
		if s.r.Float64()*s.cal.maxDem < s.cal.demand[day] {
			if day < s.days {
				c.setPlanned(true)
				s.due[day] = append(s.due[day], ci)
				s.hold(ci)
			}
			return
		}
	}
}

// book reserves a shipping slot at warehouse w on or after day earliest.
// Each warehouse ships in order of checkout up to its capacity per day;
// what does not fit waits for the next working day.
func (s *sim) book(w, earliest int) int {
	q := &s.wh[w]
	q.today++
	if q.day < earliest {
		q.day, q.used = earliest, 0
		q.cap = s.capacity(w, earliest)
	}
	day := q.day
	q.used++
	if q.used >= q.cap && q.day+1 < s.cal.days() {
		q.day = s.cal.nextShipDay(q.day + 1)
		q.used = 0
		q.cap = s.capacity(w, q.day)
	}
	return day
}

// capacity is how many orders warehouse w ships on day: staffed for the
// recent volume with some headroom (Sunday's orders ship on Monday), with
// temporary staff in the holiday season, and whatever the incidents allow.
func (s *sim) capacity(w, day int) int {
	c := s.wh[w].avg * 7 / 6 * 1.25
	if s.cal.weekday[day] == time.Monday {
		c *= 1.45 // the weekend's orders
	}
	if s.cal.peak[day] {
		c *= 1.45
	}
	if w == backlogWarehouse && s.backlogFrom >= 0 {
		switch {
		case day >= s.backlogFrom && day < s.backlogTo:
			c *= backlogCapacityFactor
		case day >= s.backlogTo && day < s.recoveryTo:
			c *= recoveryCapacityFactor
		}
	}
	return max(1, int(math.Round(c)))
}

// ticket schedules a support ticket opened at open; it is answered when the
// simulation closes that day, once the day's ticket load is known.
func (s *sim) ticket(cust int32, order int64, open int64, cat int, late int8, orderInData bool) {
	if open >= s.cutoff {
		return
	}
	day := s.cal.dayOf(open)
	if day >= s.first && !orderInData {
		return // about an order from before the data: leave it out
	}
	var ch int
	switch cat {
	case catWhereIsMyOrder:
		ch = pick(s.r, []float64{0.40, 0.45, 0.15})
	case catDamaged:
		ch = pick(s.r, []float64{0.65, 0.25, 0.10})
	default:
		ch = pick(s.r, []float64{0.50, 0.35, 0.15})
	}
	s.tickets[day] = append(s.tickets[day], pendingTicket{open: open, order: order, cust: cust, cat: uint8(cat), ch: uint8(ch), late: late})
	s.hold(cust)
}

// closeDay answers the day's tickets and surveys and updates the trailing
// volumes that staffing follows.
func (s *sim) closeDay(d int) {
	r := s.r
	list := s.tickets[d]
	staff := s.support * 1.25
	if wd := s.cal.weekday[d]; wd == time.Saturday || wd == time.Sunday {
		staff *= 0.9
	}
	load := float64(len(list)) / max(staff, 1)
	slow := math.Pow(max(1, load), 2.5) * s.supportDay[d]
	for _, t := range list {
		c := &s.customers[t.cust]
		hours := ticketChannelResponse[t.ch] * slow * math.Exp(0.8*r.NormFloat64())
		first := s.addSupportHours(t.open, hours)
		firstHours := float64(first-t.open) / 3600
		work := categoryResolution[t.cat] * math.Pow(slow, 0.6) * math.Exp(0.9*r.NormFloat64())
		if t.ch != 0 {
			work *= 0.5
		}
		resolved := s.addSupportHours(first, work)
		reopenP := 0.05
		if firstHours > 24 {
			reopenP += 0.08
		}
		if t.cat == catWhereIsMyOrder && t.late >= 4 {
			reopenP += 0.1
		}
		reopened := r.Float64() < reopenP
		if reopened {
			resolved = s.addSupportHours(resolved, 12+48*r.Float64())
		}
		resolvedHours := float64(resolved-t.open) / 3600
		if resolved >= s.cutoff {
			reopened = false
		}
		inData := d >= s.first
		var id int64
		if inData {
			s.nextTicket++
			id = s.nextTicket
			s.rows.tickets = append(s.rows.tickets, ticketRow{id: id, cust: c.id, order: t.order, opened: t.open,
				firstResponse: s.known(first), resolved: s.known(resolved), category: t.cat, channel: t.ch, reopened: reopened})
		}
		// The survey after the ticket is closed.
		if resolved < s.cutoff && r.Float64() < 0.3 {
			at := resolved + int64(1800+r.IntN(48*3600))
			penalty := 0.0
			switch {
			case firstHours < 1:
			case firstHours < 4:
				penalty = 0.15
			case firstHours < 24:
				penalty = 0.6
			case firstHours < 48:
				penalty = 1.3
			default:
				penalty = 1.8
			}
			if reopened {
				penalty += 0.8
			}
			if resolvedHours > 72 {
				penalty += 0.4
			}
			if t.cat == catDamaged || (t.cat == catWhereIsMyOrder && t.late >= 4) {
				penalty += 0.25
			}
			score := clampRound(4.55-penalty+0.2*float64(c.mood)+0.65*r.NormFloat64(), 1, 5)
			if inData && at < s.cutoff {
				s.nextCSAT++
				s.rows.csat = append(s.rows.csat, csatRow{id: s.nextCSAT, cust: c.id, order: t.order, ticket: id, touchpoint: touchSupport, at: at, score: uint8(score)})
			}
		}
		// Slow or sloppy support costs goodwill, and sometimes the customer.
		switch {
		case firstHours > 24 || reopened:
			c.mood = float32(max(-1, float64(c.mood)-0.2))
			if c.planned() && r.Float64() < 0.2 {
				c.setPlanned(false)
			}
		case firstHours < 1:
			c.mood = float32(min(1, float64(c.mood)+0.05))
		}
		s.release(t.cust)
	}
	s.tickets[d] = nil
	s.support = 0.95*s.support + 0.05*float64(len(list))

	for _, ci := range s.surveys[d] {
		c := &s.customers[ci]
		score := clampRound(7.9+3.0*float64(c.mood)+1.5*r.NormFloat64(), 0, 10)
		at := s.cal.at(d, int64(8*3600+r.IntN(14*3600)))
		if d >= s.first {
			s.nextNPS++
			s.rows.nps = append(s.rows.nps, npsRow{id: s.nextNPS, cust: c.id, at: at, score: uint8(score)})
		}
		s.release(ci)
	}
	s.surveys[d] = nil

	for i := range s.wh {
		q := &s.wh[i]
		q.avg = 0.93*q.avg + 0.07*float64(q.today)
		q.today = 0
	}
}

// addSupportHours adds working hours of the support team (08:00–20:00 on
// weekdays, 09:00–17:00 at weekends) to the instant from.
func (s *sim) addSupportHours(from int64, hours float64) int64 {
	left := int64(hours * 3600)
	day := s.cal.dayOf(from)
	for day >= 0 && day < s.cal.days() {
		open, shut := int64(8*3600), int64(20*3600)
		if wd := s.cal.weekday[day]; wd == time.Saturday || wd == time.Sunday {
			open, shut = 9*3600, 17*3600
		}
		start := max(from, s.cal.start[day]+open)
		end := s.cal.start[day] + shut
		if start < end {
			if start+left <= end {
				return start + left
			}
			left -= end - start
		}
		day++
		from = s.cal.start[day]
	}
	return math.MaxInt64
}

// known returns the instant, or -1 (NULL) when it is unset or after the
// cut-off.
func (s *sim) known(sec int64) int64 {
	if sec < 0 || sec >= s.cutoff {
		return -1
	}
	return sec
}

// money formats cents as a numeric literal.
func money(cents int64) string {
	b := strconv.AppendInt(make([]byte, 0, 12), cents/100, 10)
	b = append(b, '.', byte('0'+cents%100/10), byte('0'+cents%10))
	return string(b)
}

// pick draws an index with the given weights (summing to about 1).
func pick(r *rand.Rand, weights []float64) int {
	u := r.Float64()
	for i, w := range weights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(weights) - 1
}

func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean >= 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	limit, p, k := math.Exp(-mean), 1.0, 0
	for {
		p *= r.Float64()
		if p <= limit {
			return k
		}
		k++
	}
}

func clamp(x, lo, hi float64) float64 { return math.Min(hi, math.Max(lo, x)) }

func clampRound(x float64, lo, hi int) int {
	return int(clamp(math.Round(x), float64(lo), float64(hi)))
}
