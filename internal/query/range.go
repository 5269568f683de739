package query

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Range is a span of business days: From inclusive, To exclusive, both
// dates at UTC midnight (a date, not an instant; the query's session time
// zone gives them their meaning).
type Range struct {
	From time.Time
	To   time.Time
}

// Date is the calendar date of t as opsboard holds dates: midnight UTC.
// A date read back from PostgreSQL carries a zone of its own (+0000
// without a name) and would otherwise be another cache key, another
// kept result and another day than the same date computed here.
func Date(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dates is the range with both ends as Date gives them.
func (r Range) dates() Range { return Range{From: Date(r.From), To: Date(r.To)} }

// datesOf is ranges with their ends as Date gives them, in a new slice.
func datesOf(ranges []Range) []Range {
	if ranges == nil {
		return nil
	}
	out := make([]Range, len(ranges))
	for i, r := range ranges {
		out[i] = r.dates()
	}
	return out
}

// Day is the last day in the range.
func (r Range) Day() time.Time { return r.To.AddDate(0, 0, -1) }

// Days is the number of days in the range.
func (r Range) Days() int { return int(r.To.Sub(r.From).Hours()/24 + 0.5) }

// String formats the range as "2026-11-01..2026-11-21" (both ends inclusive).
func (r Range) String() string {
	if r.Days() == 1 {
		return r.From.Format(DateLayout)
	}
	return r.From.Format(DateLayout) + ".." + r.Day().Format(DateLayout)
}

// DateLayout is how opsboard writes dates.
const DateLayout = "2006-01-02"

// Today returns the current business date in loc.
func Today(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Presets lists the named ranges, in the order a picker shows them.
var Presets = []string{"yesterday", "last_7_days", "last_28_days", "last_90_days", "month_to_date"}

var nDays = regexp.MustCompile(`^(\d{1,4})\s*days?$`)

// ParseRange resolves a range spec relative to today (a business date):
// yesterday | last_7_days | last_28_days | last_90_days | month_to_date |
// "N days" | "YYYY-MM-DD..YYYY-MM-DD" (both inclusive). Named ranges end
// yesterday: today is not over yet.
func ParseRange(spec string, today time.Time) (Range, error) {
	spec = strings.TrimSpace(spec)
	end := today
	switch spec {
	case "yesterday", "":
		return Range{end.AddDate(0, 0, -1), end}, nil
	case "last_7_days":
		return Range{end.AddDate(0, 0, -7), end}, nil
	case "last_28_days":
		return Range{end.AddDate(0, 0, -28), end}, nil
	case "last_90_days":
		return Range{end.AddDate(0, 0, -90), end}, nil
	case "month_to_date":
		y := end.AddDate(0, 0, -1)
		return Range{time.Date(y.Year(), y.Month(), 1, 0, 0, 0, 0, time.UTC), end}, nil
	}
	if m := nDays.FindStringSubmatch(spec); m != nil {
		n, _ := strconv.Atoi(m[1])
		if n < 1 {
			return Range{}, apperr.Invalid("range %q: at least 1 day", spec)
		}
		return Range{end.AddDate(0, 0, -n), end}, nil
	}
	if from, to, ok := strings.Cut(spec, ".."); ok {
		f, err1 := time.Parse(DateLayout, strings.TrimSpace(from))
		t, err2 := time.Parse(DateLayout, strings.TrimSpace(to))
		if err1 != nil || err2 != nil {
			return Range{}, apperr.Invalid("range %q: dates must be YYYY-MM-DD..YYYY-MM-DD", spec)
		}
		if t.Before(f) {
			return Range{}, apperr.Invalid("range %q ends before it starts", spec)
		}
		return Range{f, t.AddDate(0, 0, 1)}, nil
	}
	return Range{}, apperr.Invalid("unknown range %q (use %s, 'N days' or YYYY-MM-DD..YYYY-MM-DD)",
		spec, strings.Join(Presets, ", "))
}

// Compare modes.
const (
	PreviousPeriod     = "previous_period"
	SamePeriodLastWeek = "same_period_last_week"
	SamePeriodLastYear = "same_period_last_year"
	// PreviousMonth is the whole calendar month before the one the range
	// starts in (November 1–28 against all of October); sums compare per
	// day.
	PreviousMonth = "previous_month"
	NoComparison  = "none"
)

// CompareModes lists the valid comparison modes.
var CompareModes = []string{PreviousPeriod, SamePeriodLastWeek, SamePeriodLastYear, PreviousMonth, NoComparison}

// Compare returns the comparison range for mode, and false for "none".
func (r Range) Compare(mode string) (Range, bool, error) {
	switch mode {
	case PreviousPeriod, "":
		n := r.Days()
		return Range{r.From.AddDate(0, 0, -n), r.From}, true, nil
	case SamePeriodLastWeek:
		return Range{r.From.AddDate(0, 0, -7), r.To.AddDate(0, 0, -7)}, true, nil
	case SamePeriodLastYear:
		return Range{r.From.AddDate(-1, 0, 0), r.To.AddDate(-1, 0, 0)}, true, nil
	case PreviousMonth:
		first := time.Date(r.From.Year(), r.From.Month()-1, 1, 0, 0, 0, 0, time.UTC)
		return Range{first, first.AddDate(0, 1, 0)}, true, nil
	case NoComparison:
		return Range{}, false, nil
	}
	return Range{}, false, fmt.Errorf("unknown comparison %q (use %s)", mode, strings.Join(CompareModes, ", "))
}
