package chart

import (
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
// "3.2 h", days → "1.5 d", currency → "$1,234" ("$54.20" below $1,000),
// count → "1,234", none → up to two decimals. NaN and ±Inf are "–".
func FormatValue(v float64, unit, pattern string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	if pattern != "" {
		if s, ok := formatPattern(v, pattern); ok {
			return s
		}
	}
	switch knownUnit(unit) {
	case unitPercent:
		return formatFixed(v*100, 1, true) + "%"
	case unitRatio, unitScore:
		return formatFixed(v, 2, true)
	case unitHours:
		return formatFixed(v, 1, true) + " h"
	case unitDays:
		return formatFixed(v, 1, true) + " d"
	case unitCurrency:
		a := math.Abs(v)
		decimals := 2
		if a >= 1000 || a == math.Trunc(a) {
			decimals = 0
		}
		s := formatFixed(a, decimals, true)
		if v < 0 && s != formatFixed(0, decimals, true) {
			return "-$" + s
		}
		return "$" + s
	case unitCount:
		return formatTrimmed(v, 1)
	}
	return formatTrimmed(v, 2)
}

// patternRe splits a number pattern into prefix, digits, decimals and suffix.
var patternRe = regexp.MustCompile(`^([^0#]*)([0#]+(?:,[0#]+)*)(?:\.([0#]+))?(.*)$`)

func formatPattern(v float64, pattern string) (string, bool) {
	m := patternRe.FindStringSubmatch(pattern)
	if m == nil {
		return "", false
	}
	prefix, digits, decimals, suffix := m[1], m[2], m[3], m[4]
	if strings.Contains(suffix, "%") {
		v *= 100
	}
	s := formatFixed(math.Abs(v), len(decimals), strings.Contains(digits, ","))
	if v < 0 && s != formatFixed(0, len(decimals), false) {
		return "-" + prefix + s + suffix, true
	}
	return prefix + s + suffix, true
}

// formatFixed writes v with exactly decimals digits after the point and,
// when grouping, commas between thousands. Negative zero is written as zero.
func formatFixed(v float64, decimals int, grouping bool) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if neg && strings.Trim(s, "0.") == "" {
		neg = false
	}
	if grouping {
		s = group(s)
	}
	if neg {
		return "-" + s
	}
	return s
}

// formatTrimmed writes v with at most decimals digits after the point,
// grouped, without trailing zeros: 1234 → "1,234", 3.25 → "3.25", 2.5 → "2.5".
func formatTrimmed(v float64, decimals int) string {
	s := formatFixed(v, decimals, true)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
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
// number the way FormatValue does for unit. axis selects the compact form
// for axis labels (no forced decimals, 120K for large numbers). The source
// is a constant per unit — no data is ever written into code.
func jsFormatter(unit string, axis bool) string {
	empty := `"–"`
	if axis {
		empty = `""`
	}
	head := `function(v){if(v==null||v===""||isNaN(v))return ` + empty + `;var n=Number(v);`
	num := func(minFrac, maxFrac int) string {
		return `toLocaleString("en-US",{minimumFractionDigits:` + strconv.Itoa(minFrac) +
			`,maximumFractionDigits:` + strconv.Itoa(maxFrac) + `})`
	}
	compact := `toLocaleString("en-US",{notation:"compact",maximumFractionDigits:1})`
	switch knownUnit(unit) {
	case unitPercent:
		if axis {
			return head + `return (n*100).` + num(0, 1) + `+"%";}`
		}
		return head + `return (n*100).` + num(1, 1) + `+"%";}`
	case unitRatio, unitScore:
		if axis {
			return head + `return n.` + num(0, 2) + `;}`
		}
		return head + `return n.` + num(2, 2) + `;}`
	case unitHours, unitDays:
		suffix := `" h"`
		if unit == unitDays {
			suffix = `" d"`
		}
		if axis {
			return head + `return n.` + num(0, 1) + `+` + suffix + `;}`
		}
		return head + `return n.` + num(1, 1) + `+` + suffix + `;}`
	case unitCurrency:
		if axis {
			return head + `var a=Math.abs(n);return (0>n?"-":"")+"$"+(a>=1e5?a.` + compact + `:a.` + num(0, 2) + `);}`
		}
		return head + `var a=Math.abs(n),d=(a>=1000||a%1===0)?0:2;` +
			`return (0>n?"-":"")+"$"+a.toLocaleString("en-US",{minimumFractionDigits:d,maximumFractionDigits:d});}`
	case unitCount:
		if axis {
			return head + `return Math.abs(n)>=1e5?n.` + compact + `:n.` + num(0, 1) + `;}`
		}
		return head + `return n.` + num(0, 1) + `;}`
	}
	if axis {
		return head + `return Math.abs(n)>=1e5?n.` + compact + `:n.` + num(0, 2) + `;}`
	}
	return head + `return n.` + num(0, 2) + `;}`
}
