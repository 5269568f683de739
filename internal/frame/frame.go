// Package frame holds the typed result of a query: named, typed columns and
// their rows. Everything downstream of the query runner (charts, tiles, CSV,
// reports) reads frames, never database rows.
package frame

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Type is the kind of values a column holds, as far as opsboard cares.
type Type string

// Column types. Values in a Frame row are Go values of the matching kind:
// Number → float64, Integer → int64, Text → string, Bool → bool,
// Date and Time → time.Time. Any cell may be nil (SQL NULL).
const (
	Number  Type = "number"
	Integer Type = "integer"
	Text    Type = "text"
	Bool    Type = "bool"
	Date    Type = "date"
	Time    Type = "timestamp"
)

// Numeric reports whether values of the type can be plotted on a value axis.
func (t Type) Numeric() bool { return t == Number || t == Integer }

// Column is one result column. Unit, Label and Format are what the query
// declares about it (the metric model), or for its measured value the
// query's unit; empty when nothing is declared.
type Column struct {
	Name   string `json:"name"`
	Type   Type   `json:"type"`
	Unit   string `json:"unit,omitempty"`
	Label  string `json:"label,omitempty"`
	Format string `json:"format,omitempty"`
}

// Frame is a query result.
type Frame struct {
	Columns []Column `json:"columns"`
	Rows    [][]any  `json:"rows"`
	// Truncated is set when the query returned more rows than the runner keeps.
	Truncated bool `json:"truncated,omitempty"`
}

// Index returns the position of the named column, or -1.
func (f *Frame) Index(name string) int {
	for i, c := range f.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Names returns the column names in order.
func (f *Frame) Names() []string {
	names := make([]string, len(f.Columns))
	for i, c := range f.Columns {
		names[i] = c.Name
	}
	return names
}

// MissingColumns returns the names in want that the frame does not have.
func (f *Frame) MissingColumns(want ...string) []string {
	var missing []string
	for _, w := range want {
		if f.Index(w) < 0 {
			missing = append(missing, w)
		}
	}
	return missing
}

// FirstNumeric returns the index of the column named "value" if there is one,
// else of the first numeric column, else -1. It is how a KPI query's number is found.
func (f *Frame) FirstNumeric() int {
	if i := f.Index("value"); i >= 0 {
		return i
	}
	for i, c := range f.Columns {
		if c.Type.Numeric() {
			return i
		}
	}
	return -1
}

// Float returns the cell as a float64; ok is false for NULL and non-numbers.
func Float(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) {
			return 0, false
		}
		return x, true
	case int64:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Format formats a cell for plain-text output (CSV, tables). NULL is "".
func Format(v any, t Type) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if t == Date {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05Z07:00")
	}
	return fmt.Sprint(v)
}

// Size estimates the bytes the frame holds in memory: the row slices, the
// interface cells and what they point to. The query cache bounds itself by it.
func (f *Frame) Size() int64 {
	n := int64(64 + 48*len(f.Columns))
	for _, row := range f.Rows {
		n += 24 + 16*int64(len(row))
		for _, v := range row {
			switch x := v.(type) {
			case string:
				n += 16 + int64(len(x))
			case time.Time:
				n += 24
			case nil, bool:
			default:
				n += 8
			}
		}
	}
	return n
}
