package demo

import (
	"time"
)

// calendar maps simulated day indexes to local days in the business time
// zone. Day 0 is the first simulated day (the start of the warm-up); the
// instants of a day are [start[i], start[i+1]).
type calendar struct {
	loc     *time.Location
	start   []int64        // unix seconds of local midnight, one more than days
	weekday []time.Weekday // per day
	demand  []float64      // relative order demand per day (weekday × season)
	peak    []bool         // holiday peak days: temporary warehouse staff, carrier strain
	maxDem  float64
}

// calendarPad is how many days past the end of the simulation the calendar
// covers, so that events scheduled after the last day (deliveries, replies)
// can still be placed on a local day.
const calendarPad = 400

func newCalendar(first time.Time, days int, loc *time.Location) *calendar {
	n := days + calendarPad
	c := &calendar{
		loc:     loc,
		start:   make([]int64, n+1),
		weekday: make([]time.Weekday, n+1),
		demand:  make([]float64, n+1),
		peak:    make([]bool, n+1),
	}
	y, m, d := first.Date()
	for i := 0; i <= n; i++ {
		t := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
		c.start[i] = t.Unix()
		c.weekday[i] = t.Weekday()
		c.demand[i], c.peak[i] = demandOn(t)
		if c.demand[i] > c.maxDem {
			c.maxDem = c.demand[i]
		}
	}
	return c
}

// days is the number of days the calendar can place instants on.
func (c *calendar) days() int { return len(c.start) - 1 }

// dayOf returns the index of the local day holding the instant sec, or -1
// when it falls outside the calendar.
func (c *calendar) dayOf(sec int64) int {
	if sec < c.start[0] || sec >= c.start[len(c.start)-1] {
		return -1
	}
	i := int((sec - c.start[0]) / 86400)
	if i >= len(c.start)-1 {
		i = len(c.start) - 2
	}
	for i > 0 && c.start[i] > sec {
		i--
	}
	for c.start[i+1] <= sec {
		i++
	}
	return i
}

// at returns the instant of local time-of-day (seconds after midnight) on
// day i. On the two days a year that the clocks change, times after the
// change are off by the shift, which keeps them on the same local day.
func (c *calendar) at(i int, secOfDay int64) int64 {
	s := c.start[i] + secOfDay
	if s >= c.start[i+1] {
		s = c.start[i+1] - 1
	}
	return s
}

// nextShipDay returns i, or the Monday after it when i is a Sunday: the
// warehouses ship Monday to Saturday. Carriers deliver every day.
func (c *calendar) nextShipDay(i int) int {
	for c.weekday[i] == time.Sunday {
		i++
	}
	return i
}

// weekdayDemand is how much a direct-to-consumer shop sells per weekday,
// relative to the average: Sunday evening and Monday browse-and-buy peak,
// Friday and Saturday dip.
var weekdayDemand = [7]float64{
	time.Sunday:    1.10,
	time.Monday:    1.08,
	time.Tuesday:   1.03,
	time.Wednesday: 1.00,
	time.Thursday:  0.98,
	time.Friday:    0.92,
	time.Saturday:  0.89,
}

// demandOn returns the relative order demand of a local date and whether it
// is a holiday peak day. The holiday season follows US retail: Thanksgiving
// week, Black Friday, Cyber Monday, December gifting up to the shipping
// cut-off, a January lull; plus a mid-July summer sale and Mother's Day.
func demandOn(t time.Time) (float64, bool) {
	y, m, d := t.Date()
	w := weekdayDemand[t.Weekday()]
	yday := t.YearDay()
	thanksgiving := time.Date(y, time.November, fourthThursday(y), 0, 0, 0, 0, time.UTC).YearDay()
	switch since := yday - thanksgiving; {
	case since >= -7 && since < 0:
		return w * 1.15, false
	case since == 0:
		return 1.35, true
	case since == 1: // Black Friday
		return 2.8, true
	case since == 2:
		return 2.0, true
	case since == 3:
		return 1.8, true
	case since == 4: // Cyber Monday
		return 2.5, true
	case since == 5:
		return 1.45, true
	}
	switch m {
	case time.November:
		return w * 1.05, false
	case time.December:
		switch {
		case d <= 17:
			return w * 1.35, true
		case d <= 21:
			return w * 1.2, true
		case d == 22:
			return w * 1.0, false
		case d == 23:
			return w * 0.8, false
		case d == 24:
			return 0.6, false
		case d == 25:
			return 0.45, false
		}
		return w * 0.95, false
	case time.January:
		if d <= 21 {
			return w * 0.85, false
		}
		return w * 0.92, false
	case time.February:
		return w * 0.94, false
	case time.May:
		mothersDay := secondSunday(y, time.May)
		if d >= mothersDay-8 && d < mothersDay-1 {
			return w * 1.18, false
		}
	case time.July:
		if d == 15 || d == 16 { // summer sale
			return w * 1.6, false
		}
		return w * 0.95, false
	case time.June, time.August:
		return w * 0.95, false
	}
	return w, false
}

func fourthThursday(year int) int {
	wd := time.Date(year, time.November, 1, 0, 0, 0, 0, time.UTC).Weekday()
	return 1 + (int(time.Thursday)-int(wd)+7)%7 + 21
}

func secondSunday(year int, m time.Month) int {
	wd := time.Date(year, m, 1, 0, 0, 0, 0, time.UTC).Weekday()
	return 1 + (7-int(wd))%7 + 7
}
