package chart

import (
	_ "embed"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/opsboard/opsboard/internal/frame"
)

// Display units a query may declare (DESIGN.md, "Query files"). Percent
// values are fractions in the data and shown ×100 with "%".
const (
	unitCount    = "count"
	unitPercent  = "percent"
	unitRatio    = "ratio"
	unitScore    = "score"
	unitCurrency = "currency"
	unitHours    = "hours"
	unitDays     = "days"
)

// knownUnit returns unit if opsboard knows it, else "" (plain numbers).
func knownUnit(unit string) string {
	if strings.HasPrefix(unit, unitCurrency+" ") {
		return unitCurrency
	}
	switch unit {
	case unitCount, unitPercent, unitRatio, unitScore, unitCurrency, unitHours, unitDays:
		return unit
	}
	return ""
}

// FormatValue formats a number for display. A pattern, when given, wins
// over the unit: "0.00" (two decimals), "0.0%" (×100, one decimal), "0,0"
// (thousands separators, no decimals), "$0,0", "0,0.0 h" — the digits part
// says grouping and decimals, whatever surrounds it is kept as prefix and
// suffix, and a "%" in the suffix multiplies by 100. Without a pattern the
// unit decides: percent → "93.4%", ratio and score → "4.32", hours →
// "3.2 h", days → "1.5 d", currency → "$1,234" ("$54.20" below 1,000; "€"
// for "currency EUR", "CHF 1,234" for other codes), count → "1,234", none
// → up to two decimals. NaN and ±Inf are "–".
func FormatValue(v float64, unit, pattern string) string {
	return SpecFor(unit, pattern).Format(v)
}

// SampleText writes how many answers a value rests on, named by its sample
// column: "412 responses", "1 response", "2,059 orders due" ("_" read as a
// space; a lone one without the plural s of its first word).
func SampleText(n float64, column string) string {
	words := strings.Split(strings.ReplaceAll(column, "_", " "), " ")
	if n == 1 && len(words[0]) > 1 && strings.HasSuffix(words[0], "s") && !strings.HasSuffix(words[0], "ss") {
		words[0] = strings.TrimSuffix(words[0], "s")
	}
	return FormatValue(n, unitCount, "") + " " + strings.Join(words, " ")
}

// FormatApart writes v as FormatValue does, or with as many more decimals
// as it takes (up to three) to read apart from ref when it is not ref: a
// CSAT of 4.2977 beside a target of 4.3 is "4.298", where "4.30" would
// read as the target met.
func FormatApart(v, ref float64, unit, pattern string) string {
	spec := SpecFor(unit, pattern)
	text := spec.Format(v)
	if v == ref || text != spec.Format(ref) {
		return text
	}
	spec.Trim, spec.Whole, spec.Compact = false, 0, false
	for range 3 {
		spec.Decimals++
		if text = spec.Format(v); text != spec.Format(ref) {
			break
		}
	}
	return text
}

// FormatJS is the browser's copy of Spec.Format (format.js): the page
// script formats every axis label and tooltip with it, from the Spec the
// server chose, so the browser writes numbers exactly as Go does.
//
//go:embed format.js
var FormatJS string

// Spec says how to write a number: scaled, rounded half up to Decimals
// digits (trailing zeros dropped when Trim), grouped by thousands, between
// Prefix and Suffix. Whole drops the decimals at or above that magnitude
// and for whole numbers (currency); Compact writes 120K, 3.4M, 1.2B from
// 100,000 up (axis labels). Empty is what a missing value reads.
type Spec struct {
	Scale    float64 `json:"scale,omitempty"`
	Decimals int     `json:"decimals,omitempty"`
	Trim     bool    `json:"trim,omitempty"`
	Group    bool    `json:"group,omitempty"`
	Whole    float64 `json:"whole,omitempty"`
	Compact  bool    `json:"compact,omitempty"`
	Prefix   string  `json:"prefix,omitempty"`
	Suffix   string  `json:"suffix,omitempty"`
	Empty    string  `json:"empty,omitempty"`
}

// currencySymbols are the codes written as a symbol; others are written
// as the code and a space ("CHF 1,234").
var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥", "KRW": "₩"}

// SpecFor is the spec of a unit (as a query declares it: "percent",
// "currency EUR", …) or of a pattern, which wins when it parses.
func SpecFor(unit, pattern string) Spec {
	if pattern != "" {
		if s, ok := patternSpec(pattern); ok {
			return s
		}
	}
	s := Spec{Empty: "–", Group: true}
	switch knownUnit(unit) {
	case unitPercent:
		s.Scale, s.Decimals, s.Suffix = 100, 1, "%"
	case unitRatio, unitScore:
		s.Decimals = 2
	case unitHours:
		s.Decimals, s.Suffix = 1, " h"
	case unitDays:
		s.Decimals, s.Suffix = 1, " d"
	case unitCurrency:
		code := currencyCode(unit)
		s.Decimals, s.Whole, s.Prefix = 2, 1000, currencySymbols[code]
		if s.Prefix == "" {
			s.Prefix = code + " "
		}
		if code == "JPY" || code == "KRW" {
			s.Decimals = 0
		}
	case unitCount:
		s.Decimals, s.Trim = 1, true
	default:
		s.Decimals, s.Trim = 2, true
	}
	return s
}

// currencyCode is the ISO code of a "currency XXX" unit; USD without one
// (or with anything but three letters).
func currencyCode(unit string) string {
	_, code, _ := strings.Cut(unit, " ")
	if code = strings.ToUpper(strings.TrimSpace(code)); isoCodeRE.MatchString(code) {
		return code
	}
	return "USD"
}

var isoCodeRE = regexp.MustCompile(`^[A-Z]{3}$`)

// Axis is the spec's compact form for axis labels: no forced decimals, no
// placeholder for a missing value, and 120K for large counts and amounts.
func (s Spec) Axis() Spec {
	s.Empty = ""
	// Counts, amounts and plain numbers get 120K; scores, rates and
	// durations keep their digits.
	score := s.Decimals == 2 && !s.Trim && s.Whole == 0
	s.Compact = (s.Scale == 0 || s.Scale == 1) && s.Suffix == "" && !score
	s.Trim = true
	return s
}

// Format writes v by the spec (format.js is the same algorithm).
func (s Spec) Format(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return s.Empty
	}
	if s.Scale != 0 {
		v *= s.Scale
	}
	neg, a := v < 0, math.Abs(v)
	d, trim, letter := s.Decimals, s.Trim, ""
	switch {
	case s.Compact && a >= 1e5:
		switch {
		case a >= 1e9:
			a, letter = a/1e9, "B"
		case a >= 1e6:
			a, letter = a/1e6, "M"
		default:
			a, letter = a/1e3, "K"
		}
		d, trim = 1, true
	case s.Whole > 0 && (a >= s.Whole || a == math.Floor(a)):
		d = 0
	}
	str := roundHalfUp(a, d)
	if trim && strings.Contains(str, ".") {
		str = strings.TrimRight(strings.TrimRight(str, "0"), ".")
	}
	if s.Group {
		str = group(str)
	}
	sign := ""
	if neg && strings.ContainsAny(str, "123456789") {
		sign = "-"
	}
	return sign + s.Prefix + str + letter + s.Suffix
}

// roundHalfUp writes a (≥ 0) with d decimals, rounding its shortest
// decimal form half up: what a person rounding the number they see gets,
// and what format.js gets from JavaScript's own shortest form.
func roundHalfUp(a float64, d int) string {
	if a < 1e-6 {
		a = 0
	}
	s := strconv.FormatFloat(a, 'f', -1, 64)
	ip, fp, _ := strings.Cut(s, ".")
	if len(fp) <= d {
		fp += strings.Repeat("0", d-len(fp))
		if d == 0 {
			return ip
		}
		return ip + "." + fp
	}
	digits := []byte(ip + fp[:d])
	if fp[d] >= '5' {
		i := len(digits) - 1
		for ; i >= 0; i-- {
			if digits[i] == '9' {
				digits[i] = '0'
				continue
			}
			digits[i]++
			break
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		}
	}
	n := len(digits) - d
	if d == 0 {
		return string(digits)
	}
	return string(digits[:n]) + "." + string(digits[n:])
}

// patternRe splits a number pattern into prefix, digits, decimals and suffix.
var patternRe = regexp.MustCompile(`^([^0#]*)([0#]+(?:,[0#]+)*)(?:\.([0#]+))?(.*)$`)

func patternSpec(pattern string) (Spec, bool) {
	m := patternRe.FindStringSubmatch(pattern)
	if m == nil {
		return Spec{}, false
	}
	s := Spec{Empty: "–", Prefix: m[1], Decimals: len(m[3]), Group: strings.Contains(m[2], ","), Suffix: m[4]}
	if strings.Contains(s.Suffix, "%") {
		s.Scale = 100
	}
	return s, true
}

// group inserts thousands separators into an unsigned decimal number.
func group(s string) string {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if len(intPart) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(intPart) % 3
	if lead > 0 {
		b.WriteString(intPart[:lead])
	}
	for i := lead; i < len(intPart); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(intPart[i : i+3])
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// columnUnit decides how one result column's numbers are shown. A query
// declares one unit, but a panel often mixes columns (orders next to an
// on-time rate), so:
//   - a column named like a rate (rate, pct, percent, share) whose values
//     are all fractions is a percent, unless the query says ratio;
//   - an integer column is a count unless the unit is one integers can
//     carry (count, currency, hours, days);
//   - a percent unit on a column whose values are not fractions is dropped
//     (it cannot be a share), so the number is shown as it is;
//   - otherwise the query's unit applies.
func columnUnit(f *frame.Frame, col int, unit string) string {
	if col >= 0 && col < len(f.Columns) && f.Columns[col].Unit != "" {
		return f.Columns[col].Unit // declared by the query
	}
	if described(f) && col != f.FirstNumeric() {
		unit = "" // the query's unit is its measured value's alone
	}
	u := columnKind(f, col, unit)
	if u == unitCurrency && knownUnit(unit) == unitCurrency {
		return unit // with its currency code
	}
	return u
}

func columnKind(f *frame.Frame, col int, unit string) string {
	unit = knownUnit(unit)
	c := f.Columns[col]
	fractions, seen := true, false
	for _, row := range f.Rows {
		if col >= len(row) {
			continue
		}
		if v, ok := frame.Float(row[col]); ok {
			seen = true
			if math.Abs(v) > 1+1e-9 {
				fractions = false
			}
		}
	}
	if c.Type == frame.Integer {
		switch unit {
		case unitCount, unitCurrency, unitHours, unitDays:
			return unit
		}
		return unitCount
	}
	if unit != unitRatio && seen && fractions && namesRate(c.Name) {
		return unitPercent
	}
	// A satisfaction score beside hours or counts is a score, not hours.
	if n := strings.ToLower(c.Name); strings.Contains(n, "csat") || strings.Contains(n, "nps") || strings.Contains(n, "score") {
		return unitScore
	}
	// Durations beside scores: a column named for hours or days is one.
	if n := strings.ToLower(c.Name); strings.HasSuffix(n, "_hours") {
		return unitHours
	} else if strings.HasSuffix(n, "_days") {
		return unitDays
	}
	if unit == unitPercent && !fractions {
		return ""
	}
	return unit
}

// described reports whether the query runner wrote the query's column
// meaning into the frame (it always marks the measured value). Frames made
// elsewhere fall back to the query's unit for every column, as before.
func described(f *frame.Frame) bool {
	for _, c := range f.Columns {
		if c.Unit != "" || c.Label != "" {
			return true
		}
	}
	return false
}

// ColumnLabel is how a column is named on a page: its declared label, else
// its name made readable.
func ColumnLabel(f *frame.Frame, name string) string {
	if i := f.Index(name); i >= 0 && f.Columns[i].Label != "" {
		return f.Columns[i].Label
	}
	return Humanize(name)
}

// namesRate reports whether a column name says it holds a rate or share.
func namesRate(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"rate", "pct", "percent", "share"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// plainNumber reports whether an integer column is an identifier or a year,
// which read wrong with thousands separators ("2,026").
func plainNumber(name string) bool {
	n := strings.ToLower(name)
	return n == "id" || strings.HasSuffix(n, "_id") || strings.Contains(n, "year")
}

// jsFormatter returns the source of a JavaScript function that formats a
// number as FormatValue does for unit, through opsboardFormat (format.js)
// and the unit's Spec; axis selects the compact form for axis labels. The
// spec is made here from the unit's name, never from data.
func jsFormatter(unit string, axis bool) string {
	s := SpecFor(unit, "")
	if axis {
		s = s.Axis()
	}
	j, _ := json.Marshal(s) // escapes <, > and & as \u003c…
	return `function(v){return opsboardFormat(` + string(j) + `,v);}`
}
