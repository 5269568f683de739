package chart

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
)

// panelName is how errors name a panel: its title, else its id.
func panelName(p catalog.Panel) string {
	if p.Title != "" {
		return p.Title
	}
	return p.ID
}

// needColumns checks that f has every named column (empty names are
// skipped) and says which are missing, in which panel, and what the result
// has instead.
func needColumns(p catalog.Panel, f *frame.Frame, names ...string) error {
	var missing []string
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		if f.Index(n) < 0 {
			missing = append(missing, fmt.Sprintf("%q", n))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	noun := "column"
	if len(missing) > 1 {
		noun = "columns"
	}
	has := strings.Join(f.Names(), ", ")
	if has == "" {
		has = "no columns"
	}
	return apperr.Invalid("panel %q: %s %s not in result (has: %s)", panelName(p), noun, strings.Join(missing, ", "), has)
}

// needNumeric checks that a value column can be plotted.
func needNumeric(p catalog.Panel, f *frame.Frame, name string) error {
	switch t := f.Columns[f.Index(name)].Type; t {
	case frame.Text, frame.Date, frame.Time:
		return apperr.Invalid("panel %q: column %q holds %s values, not numbers", panelName(p), name, t)
	}
	return nil
}

// number returns a cell as a JSON-safe number, or nil for NULL, text and
// non-finite values (ECharts draws nil as a gap).
func number(v any) any {
	x, ok := frame.Float(v)
	if !ok || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// labeler turns the cells of one column into category labels: dates as
// YYYY-MM-DD, or "Aug 2026" when every date is the first of its month (a
// monthly series); timestamps the same when they all fall on midnight
// (else "YYYY-MM-DD HH:MM"); a lone date is a month only when the caller
// knows it is (loneMonth: see build.loneMonth); codes written in lower
// case with underscores ("where_is_my_order", "reno") readably ("Where is
// my order", "Reno") when the whole column is such codes; NULL as "(none)".
type labeler struct {
	typ       frame.Type
	datesOnly bool
	monthly   bool
	codes     bool
}

// codeRE matches a value written as a code: lower case, digits and _.
var codeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func newLabeler(f *frame.Frame, col int, loneMonth bool) labeler {
	l := labeler{typ: f.Columns[col].Type, datesOnly: true, monthly: true, codes: f.Columns[col].Type == frame.Text}
	seen := 0
	for _, row := range f.Rows {
		switch x := row[col].(type) {
		case time.Time:
			seen++
			if x.Hour() != 0 || x.Minute() != 0 || x.Second() != 0 {
				l.datesOnly = false
			}
			if x.Day() != 1 {
				l.monthly = false
			}
		case string:
			if !codeRE.MatchString(x) {
				l.codes = false
			}
		}
	}
	l.monthly = l.monthly && l.datesOnly && (seen > 1 || seen == 1 && loneMonth)
	return l
}

func (l labeler) label(v any) string {
	switch x := v.(type) {
	case nil:
		return "(none)"
	case string:
		if l.codes {
			return Humanize(x)
		}
	case time.Time:
		if l.monthly {
			return x.Format("Jan 2006")
		}
		if l.typ == frame.Date || l.datesOnly {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04")
	case float64:
		return Spec{Decimals: 6, Trim: true, Group: true}.Format(x)
	}
	return frame.Format(v, l.typ)
}

// categories lists the distinct values of a column as labels, with each
// row's position in that list. Dates, times and numbers are sorted (a long
// frame ordered by series then day would otherwise put a day that one
// series lacks at the end); text keeps the order of first appearance,
// which is the query's ORDER BY.
func categories(f *frame.Frame, col int, loneMonth bool) (labels []string, rowIndex []int) {
	l := newLabeler(f, col, loneMonth)
	type key struct {
		label string
		first int
	}
	var keys []key
	index := map[string]int{}
	for i, row := range f.Rows {
		s := l.label(row[col])
		if _, ok := index[s]; !ok {
			index[s] = len(keys)
			keys = append(keys, key{s, i})
		}
	}
	switch l.typ {
	case frame.Date, frame.Time, frame.Number, frame.Integer:
		sort.SliceStable(keys, func(a, b int) bool {
			return less(f.Rows[keys[a].first][col], f.Rows[keys[b].first][col])
		})
	}
	index = map[string]int{}
	for i, k := range keys {
		labels = append(labels, k.label)
		index[k.label] = i
	}
	rowIndex = make([]int, len(f.Rows))
	for i, row := range f.Rows {
		rowIndex[i] = index[l.label(row[col])]
	}
	return labels, rowIndex
}

// less orders two cells of one column; NULL sorts last.
func less(a, b any) bool {
	if a == nil || b == nil {
		return a != nil && b == nil
	}
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Before(tb)
	}
	fa, oka := frame.Float(a)
	fb, okb := frame.Float(b)
	return oka && okb && fa < fb
}

// series is one line, bar stack or point set, ready to draw.
type series struct {
	name   string
	column string // the value column it comes from
	axis   int    // 0: left y axis, 1: right (y2)
	unit   string // how its values are shown
	values []any  // float64 or nil, one per category (scatter: [x, y] pairs)
	notes  []string
	// thin is, per category, what a value resting on too few answers to
	// go by rests on ("only 3 responses"); "" for the others.
	thin []string
}

// valueColumns returns the panel's value columns: Y, then any Y2 column
// not already in Y.
func valueColumns(p catalog.Panel) []string {
	cols := append([]string(nil), p.Y...)
	for _, c := range p.Y2 {
		if !contains(cols, c) {
			cols = append(cols, c)
		}
	}
	return cols
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sampling says which result column holds the sample of each value
// column, and below what sample a value is too thin to go by.
type sampling struct {
	columns map[string]string // value column → its sample column
	min     float64
}

// sampling reads the panel's query: a column line's sample=COL speaks for
// that column; the query's -- sample: (or Options.Sample) for its measured
// value, the frame's first numeric column, when no column line names one.
// Below the query's MinimumSample — 30 when only a column names its
// sample — a value is too thin, as for the tiles.
func (b *build) sampling() sampling {
	s := sampling{columns: map[string]string{}, min: catalog.DefaultMinSample}
	sample := b.o.Sample
	if q := b.o.Query; q != nil {
		if sample == "" {
			sample = q.Metric.Sample
		}
		if m := q.Metric.MinimumSample(); m > 0 {
			s.min = float64(m)
		}
		for _, c := range q.Columns {
			if c.Sample != "" && b.f.Index(c.Sample) >= 0 {
				s.columns[c.Name] = c.Sample
			}
		}
	}
	if m := b.f.FirstNumeric(); m >= 0 && sample != "" && b.f.Index(sample) >= 0 {
		if _, named := s.columns[b.f.Columns[m].Name]; !named {
			s.columns[b.f.Columns[m].Name] = sample
		}
	}
	return s
}

// pivot lays the frame out as categories along x and one series per value
// column — or, when the panel names a Series column (long format), one per
// distinct value of it (times each value column when there are several).
// A category a series has no row for is nil, a gap, never 0; when rows
// repeat an (x, series) pair the later row wins. A value whose column has
// a sample gets a note saying what it rests on, and is marked thin when
// that is fewer than sm.min. loneMonth: see newLabeler.
func pivot(p catalog.Panel, f *frame.Frame, unit string, sm sampling, loneMonth bool) ([]string, []series) {
	xi := f.Index(p.X)
	note := func(s *series, cat int, row []any) {
		sample, ok := sm.columns[s.column]
		if !ok || s.values[cat] == nil {
			return
		}
		n, ok := frame.Float(row[f.Index(sample)])
		if !ok {
			return
		}
		if s.notes == nil {
			s.notes = make([]string, len(s.values))
			s.thin = make([]string, len(s.values))
		}
		rests := SampleText(n, sample)
		s.notes[cat], s.thin[cat] = "from "+rests, ""
		if n < sm.min {
			s.thin[cat] = "only " + rests
			s.notes[cat] = s.thin[cat] + ": too few to go by"
		}
	}
	cats, rowCat := categories(f, xi, loneMonth)
	cols := valueColumns(p)

	units := map[string]string{}
	for _, c := range cols {
		units[c] = columnUnit(f, f.Index(c), unit)
	}
	newSeries := func(name, col string) series {
		axis := 0
		if contains(p.Y2, col) {
			axis = 1
		}
		return series{name: name, column: col, axis: axis, unit: units[col], values: make([]any, len(cats))}
	}

	var out []series
	if p.Series == "" {
		for _, c := range cols {
			s := newSeries(ColumnLabel(f, c), c)
			ci := f.Index(c)
			for r, row := range f.Rows {
				s.values[rowCat[r]] = number(row[ci])
				note(&s, rowCat[r], row)
			}
			out = append(out, s)
		}
		return cats, out
	}

	si := f.Index(p.Series)
	sl := newLabeler(f, si, false)
	index := map[string]int{}
	for r, row := range f.Rows {
		key := sl.label(row[si])
		for _, c := range cols {
			name := key
			if len(cols) > 1 {
				name = key + " · " + ColumnLabel(f, c)
			}
			k, ok := index[name]
			if !ok {
				k = len(out)
				index[name] = k
				out = append(out, newSeries(name, c))
			}
			out[k].values[rowCat[r]] = number(row[f.Index(c)])
			note(&out[k], rowCat[r], row)
		}
	}
	return cats, out
}

// axisUnit is the unit an axis shows: that of its series when they agree,
// else that of the first.
func axisUnit(ss []series, axis int) (string, bool) {
	unit, found := "", false
	for _, s := range ss {
		if s.axis != axis {
			continue
		}
		if !found {
			unit, found = s.unit, true
		}
	}
	return unit, found
}

// extent returns the smallest and largest value drawn on an axis; stacked
// series count by their running totals.
func extent(ss []series, axis int, stacked bool) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	add := func(v float64) {
		lo, hi, ok = math.Min(lo, v), math.Max(hi, v), true
	}
	if stacked {
		n := 0
		for _, s := range ss {
			n = max(n, len(s.values))
		}
		for i := 0; i < n; i++ {
			pos, neg := 0.0, 0.0
			for _, s := range ss {
				if s.axis != axis || i >= len(s.values) {
					continue
				}
				if v, isNum := s.values[i].(float64); isNum {
					if v >= 0 {
						pos += v
					} else {
						neg += v
					}
					add(pos)
					add(neg)
				}
			}
		}
		return lo, hi, ok
	}
	for _, s := range ss {
		if s.axis != axis {
			continue
		}
		for _, v := range s.values {
			if pair, isPair := v.([]any); isPair && len(pair) == 2 { // scatter [x, y]
				v = pair[1]
			}
			if x, isNum := v.(float64); isNum {
				add(x)
			}
		}
	}
	return lo, hi, ok
}

// niceStep rounds a raw tick step up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// niceCeil rounds v up to a round number: 4.3 → 5, 93 → 100, 1234 → 1500.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if v <= m*p*(1+1e-9) {
			return clean(m * p)
		}
	}
	return 10 * p
}

// clean removes floating-point noise: 0.30000000000000004 → 0.3.
func clean(v float64) float64 {
	x, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	if err != nil {
		return v
	}
	return x
}

// acronyms are words Humanize writes in capitals.
var acronyms = map[string]string{"csat": "CSAT", "nps": "NPS", "wismo": "WISMO", "id": "ID", "sla": "SLA", "aov": "AOV"}

// Humanize turns a column name into a series label: "on_time_rate" →
// "On time rate", "support_csat" → "Support CSAT".
func Humanize(column string) string {
	words := strings.Fields(strings.ReplaceAll(column, "_", " "))
	for i, w := range words {
		if a, ok := acronyms[strings.ToLower(w)]; ok {
			words[i] = a
		} else if i == 0 {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	if len(words) == 0 {
		return column
	}
	return strings.Join(words, " ")
}
