package catalog

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Schedule is a parsed five-field cron spec: minute hour day-of-month month
// day-of-week, read in a time zone given to Next.
//
// Each field is "*", a value, a range "a-b", a step "*/n", "a-b/n" or "a/n"
// (a to the maximum), or a comma-separated list of these. Months and
// weekdays also take English names (JAN, MON; any case); weekday 0 and 7
// are both Sunday. As in Vixie cron, when both day fields are restricted a
// day matches either; when one starts with "*" a day must match both.
// @yearly, @monthly, @weekly, @daily, @midnight and @hourly are shorthands.
type Schedule struct {
	spec                          string
	minute, hour, dom, month, dow uint64 // bit i set: value i matches
	domStar, dowStar              bool
}

type cronField struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}

var cronFields = [5]cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day of week", min: 0, max: 7, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

var cronMacros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// ParseSchedule parses a cron spec such as "0 7 * * *" or "30 8 * * MON-FRI".
// The error says which field is wrong and is apperr.ErrInvalid.
func ParseSchedule(spec string) (*Schedule, error) {
	s := &Schedule{spec: spec}
	expanded := strings.TrimSpace(spec)
	if strings.HasPrefix(expanded, "@") {
		m, ok := cronMacros[strings.ToLower(expanded)]
		if !ok {
			return nil, apperr.Invalid("unknown schedule %q (known shorthands: @yearly, @monthly, @weekly, @daily, @hourly)", spec)
		}
		expanded = m
	}
	fields := strings.Fields(expanded)
	if len(fields) != 5 {
		return nil, apperr.Invalid("schedule %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", spec, len(fields))
	}
	dst := [5]*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dow}
	for i, f := range fields {
		bits, err := cronFields[i].parse(f)
		if err != nil {
			return nil, apperr.Invalid("schedule %q: %v", spec, err)
		}
		*dst[i] = bits
	}
	if s.dow&(1<<7) != 0 {
		s.dow |= 1 // 7 is Sunday too
	}
	s.domStar = strings.HasPrefix(fields[2], "*")
	s.dowStar = strings.HasPrefix(fields[4], "*")
	if !s.possible() {
		return nil, apperr.Invalid("schedule %q never runs: no month in it has that day", spec)
	}
	return s, nil
}

// parse reads one field into a bit set.
func (f cronField) parse(text string) (uint64, error) {
	var bits uint64
	for part := range strings.SplitSeq(text, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
		case rng == "":
			return 0, fmt.Errorf("%s: empty value in %q", f.name, text)
		default:
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, err
			}
			hi = lo
			if isRange {
				if hi, err = f.value(b); err != nil {
					return 0, err
				}
				if hi < lo {
					return 0, fmt.Errorf("%s: range %q ends before it starts", f.name, rng)
				}
			} else if hasStep {
				hi = f.max // "a/n" is a to the maximum in steps of n
			}
		}
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("%s: bad step %q in %q", f.name, stepText, part)
			}
			step = n
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

// value reads a number or a name within the field's range.
func (f cronField) value(s string) (int, error) {
	for i, name := range f.names {
		if strings.EqualFold(s, name) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		if f.names != nil {
			return 0, fmt.Errorf("%s: %q is not a number or a name like %s", f.name, s, strings.ToUpper(f.names[1]))
		}
		return 0, fmt.Errorf("%s: %q is not a number", f.name, s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%s: %d is out of range (%d-%d)", f.name, n, f.min, f.max)
	}
	return n, nil
}

// possible reports whether some date matches: a day of month restricted
// alone (such as 30 in February only) may never come.
func (s *Schedule) possible() bool {
	if !s.dowStar {
		return true // the weekdays come every week, alone or or-ed with the days
	}
	daysIn := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for m := 1; m <= 12; m++ {
		if s.month&(1<<uint(m)) == 0 {
			continue
		}
		for d := 1; d <= daysIn[m]; d++ {
			if s.dom&(1<<uint(d)) != 0 {
				return true
			}
		}
	}
	return false
}

// String returns the spec as written.
func (s *Schedule) String() string { return s.spec }

// maxShift bounds how far a daylight-saving change moves a wall-clock time.
const maxShift = 4 * time.Hour

// Next returns the first time after after at which the schedule fires,
// reading it in loc (UTC when nil). It returns the zero Time when none
// comes within the next ten years.
//
// The schedule matches local wall-clock times, each fired once. On a
// spring-forward day a time that does not exist (02:30 in New York) fires
// at the shifted instant (03:30 daylight time, the same moment 02:30
// standard time would be); on a fall-back day a time that happens twice
// (01:30) fires at its first occurrence only.
func (s *Schedule) Next(after time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	// Local times are computed as naive UTC times and mapped to instants
	// by wallTime; UTC has no daylight saving, so the arithmetic is exact.
	lo := naive(after.In(loc)).Add(-maxShift)
	start := time.Date(lo.Year(), lo.Month(), lo.Day(), 0, 0, 0, 0, time.UTC)
	var best, bestWall time.Time
	for i := 0; i < 366*10; i++ {
		day := start.AddDate(0, 0, i)
		if !best.IsZero() && day.After(bestWall.Add(maxShift)) {
			break
		}
		if !s.matchesDay(day) {
			continue
		}
		for h := 0; h < 24; h++ {
			if s.hour&(1<<uint(h)) == 0 {
				continue
			}
			for m := 0; m < 60; m++ {
				if s.minute&(1<<uint(m)) == 0 {
					continue
				}
				w := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
				if w.Before(lo) {
					continue
				}
				if !best.IsZero() && w.After(bestWall.Add(maxShift)) {
					return best
				}
				// A gap can move a wall time past a later one, so keep
				// looking a little beyond the first match for an earlier
				// instant.
				if t := wallTime(w, loc); t.After(after) && (best.IsZero() || t.Before(best)) {
					if best.IsZero() {
						bestWall = w
					}
					best = t
				}
			}
		}
	}
	return best
}

func (s *Schedule) matchesDay(day time.Time) bool {
	if s.month&(1<<uint(day.Month())) == 0 {
		return false
	}
	domOK := s.dom&(1<<uint(day.Day())) != 0
	dowOK := s.dow&(1<<uint(day.Weekday())) != 0
	if s.domStar || s.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// naive returns t's wall clock as the same clock reading in UTC.
func naive(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// wallTime returns the instant at which the clocks in loc show the wall
// time w (given as a naive UTC time): its first occurrence when it happens
// twice, and, when it does not happen at all, the instant it would be
// under the offset in force before the change.
func wallTime(w time.Time, loc *time.Location) time.Time {
	// At most one offset change falls within a day of w in any real zone.
	_, before := w.Add(-24 * time.Hour).In(loc).Zone()
	_, after := w.Add(24 * time.Hour).In(loc).Zone()
	var first time.Time
	for _, off := range []int{before, after} {
		t := w.Add(-time.Duration(off) * time.Second).In(loc)
		if naive(t).Equal(w) && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if first.IsZero() {
		first = w.Add(-time.Duration(before) * time.Second).In(loc)
	}
	return first
}

// Describe says when the schedule fires in plain words for the common
// shapes ("every day at 07:00", "Mondays at 08:00", "weekdays at 06:30",
// "on day 1 of each month at 09:00"), and falls back to the cron spec.
func (s *Schedule) Describe() string {
	minute, okM := single(s.minute)
	hour, okH := single(s.hour)
	const allMonths = uint64(1<<13 - 2) // bits 1..12
	if !okM || !okH || s.month != allMonths {
		return "cron " + s.spec
	}
	at := fmt.Sprintf("at %02d:%02d", hour, minute)
	days := s.dow &^ (1 << 7)
	switch {
	case s.domStar && s.dowStar:
		return "every day " + at
	case s.domStar && days == 0b0111110:
		return "weekdays " + at
	case s.domStar:
		names := []string{"Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"}
		var on []string
		for d := 1; d <= 7; d++ { // Monday first
			if days&(1<<uint(d%7)) != 0 {
				on = append(on, names[d%7])
			}
		}
		return strings.Join(on, ", ") + " " + at
	case s.dowStar:
		if d, ok := single(s.dom); ok {
			return fmt.Sprintf("on day %d of each month %s", d, at)
		}
	}
	return "cron " + s.spec
}

// TimesADay is how many times the schedule fires on a day it runs: its
// hours times its minutes ("0 7,15 * * *" fires twice, @hourly 24 times).
func (s *Schedule) TimesADay() int {
	return bits.OnesCount64(s.hour) * bits.OnesCount64(s.minute)
}

// Times lists the times of day the schedule fires as "07:00", the first
// max of them.
func (s *Schedule) Times(max int) []string {
	var out []string
	for h := 0; h < 24 && len(out) < max; h++ {
		for m := 0; m < 60 && len(out) < max; m++ {
			if s.hour&(1<<uint(h)) != 0 && s.minute&(1<<uint(m)) != 0 {
				out = append(out, fmt.Sprintf("%02d:%02d", h, m))
			}
		}
	}
	return out
}

// single returns the one value set in bits.
func single(bits uint64) (int, bool) {
	if bits == 0 || bits&(bits-1) != 0 {
		return 0, false
	}
	for i := 0; i < 64; i++ {
		if bits == 1<<uint(i) {
			return i, true
		}
	}
	return 0, false
}
