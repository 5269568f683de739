package catalog

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Aggregations a query can declare with "-- aggregate:": how its value
// combines across days and filters, and so how two periods compare.
const (
	// Sum: counts and amounts. Periods of different lengths compare per
	// day; a change is a percent change; noise is Poisson's.
	Sum = "sum"
	// Ratio: a rate, numerator over denominator (the sample). A change is
	// in points; noise is binomial.
	Ratio = "ratio"
	// Mean: an average of answers (the sample) with their spread (a
	// standard deviation column). A change is in points; noise is the
	// standard error of the mean.
	Mean = "mean"
	// NPS: percent promoters minus percent detractors, -100 to 100, of the
	// sample's answers. A change is in points; noise is NPS's variance.
	NPS = "nps"
	// Last: a level at the end of the period (a backlog, open tickets,
	// stock): a period's value is its last day's. Compared as a level,
	// a count's change also in percent; no noise model.
	Last = "last"
)

// Aggregates lists the aggregations.
var Aggregates = []string{Sum, Ratio, Mean, NPS, Last}

// Metric is a query's declared metric model. Its zero value is a plain
// value: compared as a number, with no notion of noise.
type Metric struct {
	Aggregate string // Sum, Ratio, Mean, NPS, Last or ""
	Sample    string // result column holding the sample size (answers, orders due)
	Spread    string // result column holding the answers' standard deviation (Mean)
	MinSample int    // below it the value is shown as too thin; default 30 with a sample

	sampleLine, spreadLine int // header lines, for errors found against the database
}

// checkResultColumns reports sample and spread columns the query's result
// does not have.
func (q *Query) checkResultColumns(cols []string) Errors {
	var errs Errors
	refs := []struct {
		key, column string
		line        int
	}{{"sample", q.Metric.Sample, q.Metric.sampleLine}, {"spread", q.Metric.Spread, q.Metric.spreadLine}}
	for _, c := range q.Columns {
		refs = append(refs, struct {
			key, column string
			line        int
		}{"column", c.Name, c.Line})
	}
	for _, c := range refs {
		if c.column != "" && !slices.Contains(cols, c.column) {
			errs = append(errs, &Error{File: q.File, Line: c.line,
				Msg: fmt.Sprintf("%s: the query returns no column %q (it has: %s)", c.key, c.column, strings.Join(cols, ", "))})
		}
	}
	return append(errs, q.checkSettledColumns(cols)...)
}

// DefaultMinSample is the smallest sample a value is shown from when the
// query names a sample column but no min_sample.
const DefaultMinSample = 30

// MinimumSample is the sample below which a value is not shown as a number.
func (m Metric) MinimumSample() int {
	if m.Sample == "" {
		return 0
	}
	if m.MinSample > 0 {
		return m.MinSample
	}
	return DefaultMinSample
}

// checkMetric checks the metric keys against each other.
func (p *queryParser) checkMetric(q *Query) {
	m := q.Metric
	line := p.keyLine["aggregate"]
	switch {
	case (m.Aggregate == Ratio || m.Aggregate == NPS || m.Aggregate == Mean) && m.Sample == "":
		p.errorf(line, "aggregate %s needs the sample size: add -- sample: COLUMN (the column counting answers or orders)", m.Aggregate)
	case m.Aggregate == Last && m.Sample != "":
		p.errorf(p.keyLine["sample"], "aggregate last is a level at the end of the period; it rests on no sample (leave -- sample: out)")
	case m.Spread != "" && m.Aggregate != Mean:
		p.errorf(p.keyLine["spread"], "spread is for aggregate mean (the answers' standard deviation)")
	case m.MinSample > 0 && m.Sample == "":
		p.errorf(p.keyLine["min_sample"], "min_sample needs -- sample: COLUMN")
	}
}

// Point is one period's value of a metric with what the model needs to
// judge it.
type Point struct {
	Value  float64
	Days   int     // the period's length
	Sample float64 // answers or orders it rests on; 0: unknown
	Spread float64 // standard deviation of the answers (Mean); 0: unknown
	Unit   string  // the query's unit (percent values are 0–1)
}

// variance is the sampling variance of the value, and false when the
// model cannot tell.
func (m Metric) variance(p Point) (float64, bool) {
	switch m.Aggregate {
	case Sum:
		// Poisson: a count's variance is the count. Compared per day.
		if p.Days <= 0 || p.Value < 0 {
			return 0, false
		}
		return p.Value / float64(p.Days*p.Days), true
	case Ratio:
		if p.Sample <= 0 {
			return 0, false
		}
		r := p.Value
		scale := 1.0
		if p.Unit != "percent" && p.Unit != "ratio" && r > 1 {
			scale, r = 100, r/100 // a rate written as 0–100
		}
		r = math.Min(math.Max(r, 0), 1)
		return scale * scale * r * (1 - r) / p.Sample, true
	case Mean:
		if p.Sample <= 1 || p.Spread <= 0 {
			return 0, false
		}
		return p.Spread * p.Spread / p.Sample, true
	case NPS:
		// Var(NPS) = (p₊ + p₋ − (p₊ − p₋)²) / n, in points². Without the
		// shares of promoters and detractors, p₊ + p₋ ≤ 1 gives an upper
		// bound: a change called real under it is real.
		if p.Sample <= 0 {
			return 0, false
		}
		n := p.Value / 100
		return 100 * 100 * math.Max(1-n*n, 0) / p.Sample, true
	}
	return 0, false
}

// Comparable is the value as it compares across periods: per day for a
// sum, as it is otherwise.
func (m Metric) Comparable(p Point) float64 {
	if m.Aggregate == Sum && p.Days > 0 {
		return p.Value / float64(p.Days)
	}
	return p.Value
}

// Change is how a value moved against an earlier one.
type Change struct {
	// Abs is the change of the value (Comparable, so per day for sums).
	Abs float64
	// Pct is the relative change, for sums, and for levels and plain
	// values of counts and amounts; HasPc false otherwise.
	Pct   float64
	HasPc bool
	// Tested is true when the model could weigh the change against its
	// noise; Real then says whether it exceeds it (95%, two-sided).
	Tested, Real bool
	// Z is the change over its standard error (0 when not tested).
	Z float64
}

// Compare weighs cur against prev. Sums of periods of the same length
// compare as totals, of different lengths per day.
func (m Metric) Compare(cur, prev Point) Change {
	if m.Aggregate == Sum && cur.Days == prev.Days {
		cur.Days, prev.Days = 1, 1
	}
	a, b := m.Comparable(cur), m.Comparable(prev)
	c := Change{Abs: a - b}
	pctAllowed := m.Aggregate == Sum || ((m.Aggregate == "" || m.Aggregate == Last) && (cur.Unit == "count" || strings.HasPrefix(cur.Unit, "currency") || cur.Unit == ""))
	if pctAllowed && b != 0 {
		c.Pct, c.HasPc = (a-b)/math.Abs(b), true
	}
	va, ok1 := m.variance(cur)
	vb, ok2 := m.variance(prev)
	if ok1 && ok2 {
		c.Tested = true
		if se := math.Sqrt(va + vb); se > 0 {
			c.Z = c.Abs / se
			c.Real = math.Abs(c.Z) > 1.96
		} else {
			c.Real = c.Abs != 0
		}
	}
	return c
}

// InPoints reports whether a change of this metric is worded in points
// (rates, scores, NPS) rather than as a percent change.
func (m Metric) InPoints(unit string) bool {
	switch m.Aggregate {
	case Ratio, Mean, NPS:
		return true
	case Sum:
		return false
	}
	return unit == "percent" || unit == "ratio" || unit == "score"
}

// String describes the model for the glossary.
func (m Metric) String() string {
	if m.Aggregate == "" {
		return ""
	}
	s := m.Aggregate
	if m.Sample != "" {
		s += fmt.Sprintf(", sample %s (shown from %d)", m.Sample, m.MinimumSample())
	}
	return s
}
