// Package frametest makes query results for tests and benchmarks.
package frametest

import (
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
