package frame

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteCSV writes the frame as CSV with a header row. Cells that a
// spreadsheet would run as a formula are prefixed with a quote.
func (f *Frame) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(f.Names()); err != nil {
		return err
	}
	rec := make([]string, len(f.Columns))
	for _, row := range f.Rows {
		for i, v := range row {
			s := Format(v, f.Columns[i].Type)
			if f.Columns[i].Type == Text && s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
				s = "'" + s
			}
			rec[i] = s
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Records returns the rows as objects keyed by column name, dates as
// YYYY-MM-DD strings, ready for JSON.
func (f *Frame) Records() []map[string]any {
	out := make([]map[string]any, len(f.Rows))
	for r, row := range f.Rows {
		rec := make(map[string]any, len(row))
		for i, v := range row {
			rec[f.Columns[i].Name] = jsonValue(v, f.Columns[i].Type)
		}
		out[r] = rec
	}
	return out
}

// WriteJSON writes {"columns": [...], "rows": [{...}], "truncated": bool}.
func (f *Frame) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Columns   []Column         `json:"columns"`
		Rows      []map[string]any `json:"rows"`
		Truncated bool             `json:"truncated"`
	}{f.Columns, f.Records(), f.Truncated})
}

func jsonValue(v any, t Type) any {
	switch x := v.(type) {
	case time.Time:
		if t == Date {
			return x.Format("2006-01-02")
		}
		return x.Format(time.RFC3339)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	}
	return v
}

// NumberFormat writes a number of a column with the column's unit and
// format pattern (chart.FormatValue is one: frame cannot import it).
type NumberFormat func(v float64, unit, format string) string

// WriteTable writes an aligned plain-text table for a terminal: numbers
// right-aligned and rounded for reading, NULL shown as an empty cell.
func (f *Frame) WriteTable(w io.Writer) error { return f.WriteTableWith(w, nil) }

// WriteTableWith is WriteTable with the numbers of columns that have a
// unit or a format written by number ("86.9%", not 0.8693); other columns
// are rounded for reading. A nil number formats none.
func (f *Frame) WriteTableWith(w io.Writer, number NumberFormat) error {
	cells := make([][]string, len(f.Rows)+1)
	cells[0] = f.Names()
	for r, row := range f.Rows {
		line := make([]string, len(row))
		for i, v := range row {
			c := f.Columns[i]
			if x, ok := numberOf(v); ok && number != nil && (c.Unit != "" || c.Format != "") {
				line[i] = number(x, c.Unit, c.Format)
				continue
			}
			line[i] = readable(v, c.Type)
		}
		cells[r+1] = line
	}
	widths := make([]int, len(f.Columns))
	for _, line := range cells {
		for i, s := range line {
			widths[i] = max(widths[i], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	for r, line := range cells {
		for i, s := range line {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s))
			if r > 0 && f.Columns[i].Type.Numeric() {
				b.WriteString(pad + s)
			} else if i < len(line)-1 {
				b.WriteString(s + pad)
			} else {
				b.WriteString(s)
			}
		}
		b.WriteByte('\n')
		if r == 0 {
			for i, wd := range widths {
				if i > 0 {
					b.WriteString("  ")
				}
				b.WriteString(strings.Repeat("-", wd))
			}
			b.WriteByte('\n')
		}
	}
	fmt.Fprintf(&b, "(%d rows", len(f.Rows))
	if f.Truncated {
		b.WriteString(", truncated")
	}
	b.WriteString(")\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// numberOf reads a numeric cell; NULL is not a number.
func numberOf(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func readable(v any, t Type) string {
	if x, ok := v.(float64); ok {
		return strconv.FormatFloat(roundSignificant(x), 'f', -1, 64)
	}
	return Format(v, t)
}

// roundSignificant keeps four decimals, or four significant digits for
// small numbers, which is what a person reading a metric wants.
func roundSignificant(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	digits := 4
	if a := math.Abs(x); a < 1 {
		digits = 4 - int(math.Floor(math.Log10(a))) - 1
	}
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
