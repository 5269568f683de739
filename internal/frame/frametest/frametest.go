// Package frametest makes query results for tests and benchmarks.
package frametest

import (
	"fmt"
	"math"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
)

// ForPanel is a result shaped like a panel's query over 28 days: dates on
// x when the panel's x is "day", else seven categories; four series
// (north, south, east, west) when the panel pivots on a column; and a
// number per y column, varying from row to row.
func ForPanel(p catalog.Panel) *frame.Frame {
	f := &frame.Frame{}
	xType := frame.Text
	if p.X == "day" {
		xType = frame.Date
	}
	f.Columns = append(f.Columns, frame.Column{Name: p.X, Type: xType})
	if p.Series != "" {
		f.Columns = append(f.Columns, frame.Column{Name: p.Series, Type: frame.Text})
	}
	for _, y := range p.Y {
		f.Columns = append(f.Columns, frame.Column{Name: y, Type: frame.Number})
	}
	xs, series := 28, []string{""}
	if xType == frame.Text {
		xs = 7
	}
	if p.Series != "" {
		series = []string{"north", "south", "east", "west"}
	}
	for i := range xs {
		var x any = time.Date(2026, 10, 25+i, 0, 0, 0, 0, time.UTC)
		if xType == frame.Text {
			x = "category_" + string(rune('a'+i))
		}
		for j, s := range series {
			row := []any{x}
			if p.Series != "" {
				row = append(row, s)
			}
			for k := range p.Y {
				row = append(row, 0.8+0.01*float64((i*7+j*3+k)%17)+float64(k))
			}
			f.Rows = append(f.Rows, row)
		}
	}
	return f
}

// Diff reports how got differs from want: columns by name and type,
// rows in order, numbers within a relative 1e-9 (days put together add
// floating-point numbers in another order than PostgreSQL), other cells
// exactly.
func Diff(got, want *frame.Frame) string {
	if fmt.Sprint(got.Columns) != fmt.Sprint(want.Columns) {
		return fmt.Sprintf("columns %v, want %v", got.Columns, want.Columns)
	}
	if len(got.Rows) != len(want.Rows) || got.Truncated != want.Truncated {
		return fmt.Sprintf("%d rows (truncated %v), want %d (truncated %v)", len(got.Rows), got.Truncated, len(want.Rows), want.Truncated)
	}
	for i := range got.Rows {
		for j := range got.Rows[i] {
			g, w := got.Rows[i][j], want.Rows[i][j]
			gf, gok := g.(float64)
			wf, wok := w.(float64)
			gt, gtok := g.(time.Time)
			wt, wtok := w.(time.Time)
			switch {
			case gtok && wtok:
				// The same instant at the same offset; the zone's name
				// is not kept (frame.Encode).
				_, goff := gt.Zone()
				_, woff := wt.Zone()
				if !gt.Equal(wt) || goff != woff {
					return fmt.Sprintf("row %d %s = %v, want %v", i, got.Columns[j].Name, g, w)
				}
			case gok && wok:
				if math.Abs(gf-wf) > 1e-9*math.Max(1, math.Abs(wf)) {
					return fmt.Sprintf("row %d %s = %v, want %v", i, got.Columns[j].Name, g, w)
				}
			case fmt.Sprintf("%T %v", g, g) != fmt.Sprintf("%T %v", w, w):
				return fmt.Sprintf("row %d %s = %T %v, want %T %v", i, got.Columns[j].Name, g, g, w, w)
			}
		}
	}
	return ""
}
