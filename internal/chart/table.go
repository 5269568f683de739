package chart

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/frame"
)

// tableTemplate is the table markup. Every cell goes through html/template
// escaping. The header is always a <thead>, so a table that runs over a
// printed page repeats it; numbers are right-aligned with inline styles
// too, for mail clients that drop stylesheets.
var tableTemplate = template.Must(template.New("table").Parse(
	`<table class="data-table" style="border-collapse:collapse;width:100%">` +
		`<thead><tr>{{range .Head}}<th scope="col"{{if .Num}} class="num" style="text-align:right"{{else}} style="text-align:left"{{end}}>{{.Text}}</th>{{end}}</tr></thead>` +
		`<tbody>{{range .Rows}}<tr>{{range .}}<td{{if .Num}} class="num" style="text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums"{{end}}>{{.Text}}</td>{{end}}</tr>` +
		"\n" + `{{end}}</tbody></table>` +
		`{{if .Truncated}}<p class="table-note">Showing the first {{len .Rows}} rows.</p>{{end}}`))

type tableCell struct {
	Text string
	Num  bool
}

// Table renders a frame as an HTML <table>: the named columns in order
// (all when columns is empty), numbers right-aligned and formatted for the
// unit (see FormatValue; a column named like a rate holding fractions is
// shown as a percent, integer columns as counts), dates as YYYY-MM-DD,
// timestamps as YYYY-MM-DD HH:MM, NULL as an empty cell. Every value is
// HTML-escaped. A missing column is an error that says which one.
func Table(f *frame.Frame, columns []string, unit string) (template.HTML, error) {
	if f == nil {
		f = &frame.Frame{}
	}
	if len(columns) == 0 {
		columns = f.Names()
	}
	if missing := f.MissingColumns(columns...); len(missing) > 0 {
		quoted := make([]string, len(missing))
		for i, m := range missing {
			quoted[i] = fmt.Sprintf("%q", m)
		}
		noun := "column"
		if len(missing) > 1 {
			noun = "columns"
		}
		return "", fmt.Errorf("%s %s not in result (has: %s)", noun, strings.Join(quoted, ", "), strings.Join(f.Names(), ", "))
	}

	type col struct {
		index    int
		typ      frame.Type
		unit     string
		format   string // declared by the query's "-- column:" line
		plain    bool
		decimals int // for plain numbers: the same decimals down the column
	}
	cols := make([]col, len(columns))
	head := make([]tableCell, len(columns))
	for i, name := range columns {
		ci := f.Index(name)
		c := col{index: ci, typ: f.Columns[ci].Type, format: f.Columns[ci].Format}
		if c.typ.Numeric() {
			c.unit = columnUnit(f, ci, unit)
			c.plain = c.typ == frame.Integer && plainNumber(name)
			if c.unit == "" && c.format == "" {
				c.decimals = columnDecimals(f, ci, 2)
			}
		}
		cols[i] = c
		head[i] = tableCell{Text: ColumnLabel(f, name), Num: c.typ.Numeric()}
	}

	rows := make([][]tableCell, len(f.Rows))
	for r, row := range f.Rows {
		cells := make([]tableCell, len(cols))
		for i, c := range cols {
			var v any
			if c.index < len(row) {
				v = row[c.index]
			}
			cells[i] = tableCell{Text: cellText(v, c.typ, c.unit, c.format, c.plain, c.decimals), Num: c.typ.Numeric()}
		}
		rows[r] = cells
	}

	var buf bytes.Buffer
	err := tableTemplate.Execute(&buf, struct {
		Head      []tableCell
		Rows      [][]tableCell
		Truncated bool
	}{head, rows, f.Truncated})
	if err != nil {
		return "", fmt.Errorf("rendering table: %w", err)
	}
	return template.HTML(buf.String()), nil
}

// cellText formats one table cell.
func cellText(v any, typ frame.Type, unit, format string, plain bool, decimals int) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if typ == frame.Date {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04")
	case float64, int64:
		if plain {
			return frame.Format(v, typ)
		}
		n, _ := frame.Float(v)
		if unit == "" && format == "" && finite(n) {
			return Spec{Decimals: decimals, Group: true}.Format(n)
		}
		return FormatValue(n, unit, format)
	}
	return frame.Format(v, typ)
}

// columnDecimals is how many decimals (at most limit) a column's numbers
// need, so a column reads 4.10, 4.14 rather than 4.1, 4.14.
func columnDecimals(f *frame.Frame, col, limit int) int {
	d := 0
	for _, row := range f.Rows {
		if col >= len(row) {
			continue
		}
		v, ok := frame.Float(row[col])
		if !ok || !finite(v) {
			continue
		}
		for d < limit {
			scaled := v * math.Pow(10, float64(d))
			if math.Abs(scaled-math.Round(scaled)) < 1e-6*math.Max(1, math.Abs(scaled)) {
				break
			}
			d++
		}
	}
	return d
}
