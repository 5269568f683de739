package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Settle is what "-- settle: N days" declares: the query has a daily
// grain — its result for a range [from, to) can be put together exactly
// from its results for each day of the range — and a day more than Days
// days before today (in the business time zone) no longer changes, so
// its result is kept and never computed again.
//
// Three shapes qualify. A query with an aggregate returns one row (a KPI)
// whose columns combine across days: its value by the aggregate, its
// sample by sum, its spread pooled, every other column by what its
// "-- column:" line declares. A query with a key ("-- key: lateness")
// is a table: a row per key, whose other columns combine across the days
// as a KPI's do. Any other query is a daily series: its first column is
// the day, and a range's rows are its days' rows one after the other.
type Settle struct {
	Days int // a day settles once it is more than Days days before today
	Line int
}

// Series reports whether a query with a settle window is a daily series
// (rows of its days, one after the other) rather than one row whose
// columns combine.
func (q *Query) Series() bool { return q.Settle != nil && q.Metric.Aggregate == "" && len(q.Key) == 0 }

// Keyed reports whether a query with a settle window is a table whose
// rows are named by its key columns.
func (q *Query) Keyed() bool { return q.Settle != nil && len(q.Key) > 0 }

// Column aggregates: how a result column combines across days.
const (
	ColumnSum  = "sum"  // the days' values added up (counts, amounts)
	ColumnMean = "mean" // weighted by its sample column (rates, averages, scores)
	ColumnMin  = "min"
	ColumnMax  = "max"
	ColumnLast = "last" // the range's last day's value (a level at its end)
)

// ColumnAggregates lists what "-- column: NAME aggregate=…" accepts.
var ColumnAggregates = []string{ColumnSum, ColumnMean, ColumnMin, ColumnMax, ColumnLast}

var settleRE = regexp.MustCompile(`^(\d{1,4})\s+days?$`)

// settle reads "-- settle: N days".
func (p *queryParser) settle(q *Query, line int, val string) {
	m := settleRE.FindStringSubmatch(val)
	if m == nil {
		p.errorf(line, "settle: %q is not a number of days (want: settle: 14 days)", val)
		return
	}
	n, _ := strconv.Atoi(m[1])
	q.Settle = &Settle{Days: n, Line: line}
}

// checkSettle checks a settle window against the rest of the header and
// the statement; the result columns are checked against the database
// (checkSettledColumns).
func (p *queryParser) checkSettle(q *Query) {
	for _, c := range q.Columns {
		switch {
		case c.Aggregate == ColumnMean && c.Sample == "":
			p.errorf(c.Line, "column %s: aggregate=mean needs sample=COLUMN (the count its days are weighted by)", c.Name)
		case c.Sample != "" && c.Aggregate != ColumnMean:
			p.errorf(c.Line, "column %s: sample= is for aggregate=mean", c.Name)
		case c.Sample != "" && c.Sample != q.Metric.Sample && !slices.ContainsFunc(q.Columns, func(o ColumnMeta) bool {
			return o.Name == c.Sample && o.Aggregate == ColumnSum
		}):
			p.errorf(c.Line, "column %s: its sample %s must add up across days: the query's -- sample: or a column declared aggregate=sum", c.Name, c.Sample)
		case c.Aggregate == ColumnLast && len(q.Key) > 0:
			p.errorf(c.Line, "column %s: aggregate=last is for a query with an aggregate (one row): a table's key may have no row on the range's last day", c.Name)
		case c.Aggregate != "" && c.Name == q.Metric.Spread:
			p.errorf(c.Line, "column %s: the spread combines as a pooled standard deviation; it takes no aggregate", c.Name)
		case c.Aggregate != "" && c.Aggregate != ColumnSum && c.Name == q.Metric.Sample:
			p.errorf(c.Line, "column %s: the sample adds up across days; it takes no aggregate but sum", c.Name)
		}
	}
	s := q.Settle
	switch {
	case len(q.Key) > 0 && s == nil:
		p.errorf(q.keyLine, "key: is for a query with a settle window (it names the rows its days combine into)")
	case len(q.Key) > 0 && q.Metric.Aggregate != "":
		p.errorf(q.keyLine, "key: a query with an aggregate returns one row; leave the key out, or the aggregate")
	case len(q.Key) > 0 && q.Metric.Spread != "":
		p.errorf(q.keyLine, "key: a table's columns combine by their column lines; a pooled spread is for a query with an aggregate")
	}
	if s == nil {
		return
	}
	if q.Background {
		p.errorf(s.Line, "settle and refresh: background do not go together: a query with a settle window computes only its new days")
	}
	if q.Bound == nil {
		return
	}
	switch {
	case q.Metric.Aggregate == Last && !slices.Contains(q.Bound.Names, "to"):
		p.errorf(s.Line, "settle: a level (aggregate last) is counted as of :to, the end of each day, so that each day can be computed on its own")
	case q.Metric.Aggregate != Last && (!slices.Contains(q.Bound.Names, "from") || !slices.Contains(q.Bound.Names, "to")):
		p.errorf(s.Line, "settle: the statement must select its rows with :from and :to, so that each day can be computed on its own")
	}
	if slices.Contains(q.Bound.Names, "day") {
		p.errorf(s.Line, "settle: the statement uses :day, a value as of the range's last day, which its days do not add up to; use :from and :to")
	}
}

// checkSettledColumns reports result columns of a one-row query or a
// table with a settle window that do not say how they combine across
// days, and key columns the query does not return.
func (q *Query) checkSettledColumns(cols []string) Errors {
	if q.Settle == nil || q.Series() || len(cols) == 0 {
		return nil
	}
	var errs Errors
	value := cols[0]
	if slices.Contains(cols, "value") {
		value = "value"
	}
	if q.Keyed() {
		value = ""
		for _, k := range q.Key {
			if !slices.Contains(cols, k) {
				errs = append(errs, &Error{File: q.File, Line: q.keyLine, Msg: fmt.Sprintf("key: the query returns no column %q", k)})
			}
		}
	}
	for _, c := range cols {
		if slices.Contains(q.Key, c) {
			continue
		}
		i := slices.IndexFunc(q.Columns, func(m ColumnMeta) bool { return m.Name == c })
		switch {
		case c == value && i >= 0 && q.Columns[i].Aggregate != "":
			errs = append(errs, &Error{File: q.File, Line: q.Columns[i].Line,
				Msg: fmt.Sprintf("column %s: the value combines by the query's aggregate (%s); it takes no aggregate of its own", c, q.Metric.Aggregate)})
		case c == value || c == q.Metric.Sample || c == q.Metric.Spread:
		case i < 0 || q.Columns[i].Aggregate == "":
			or := "or leave the column out"
			if q.Keyed() {
				or = "or add it to key: when it names the row"
			}
			errs = append(errs, &Error{File: q.File, Line: q.Settle.Line,
				Msg: fmt.Sprintf("settle: column %q does not say how its days combine: add -- column: %s aggregate=%s, %s",
					c, c, strings.Join(ColumnAggregates, "|"), or)})
		}
	}
	return errs
}
