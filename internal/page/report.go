package page

import (
	"github.com/opsboard/opsboard/internal/dashboard"
)

// ReportData is the report page's model.
type ReportData struct {
	Title, Description string
	Dashboard          string
	Period             string
	ChartPeriod        string // set when the charts cover more than the period
	Comparison         string
	TimeZone           string
	Generated          string
	Filters            []FilterBlock
	Partial            bool
	Failures           []string
	Tiles              []TileBlock
	Highlights         []string
	// Events are the period's events, listed under the highlights (the
	// charts draw those of the days they show).
	Events []EventRow
	Panels []PanelBlock
}

// Report turns a computed view into the report page model: the same tiles
// and panels as the dashboard, drawn for print (SVG, no animation).
func Report(v *dashboard.View, title, description string) ReportData {
	d := ReportData{
		Title: title, Description: description, Dashboard: v.Dashboard.Title,
		Period: PeriodText(v.Range), TimeZone: v.Location.String(), Comparison: "no comparison",
	}
	if v.PanelRange != v.Range {
		d.ChartPeriod = PeriodText(v.PanelRange)
	}
	if v.HasCompare {
		d.Comparison = compareLabels[v.Compare] + " (" + PeriodText(v.CompareRange) + ")"
	}
	for _, f := range v.Filters {
		d.Filters = append(d.Filters, FilterBlock{Param: f.Param, Label: f.Label, Value: f.Value})
	}
	rows, marks := Events(v)
	for i, e := range v.Events {
		// The list is the report period's; the charts show their weeks.
		if !e.To.Before(v.Range.From) && e.From.Before(v.Range.To) {
			d.Events = append(d.Events, rows[i])
		}
	}
	note := CompareNote(v)
	for _, t := range v.Tiles {
		d.Tiles = append(d.Tiles, Tile(t, note, ""))
	}
	for i, p := range v.Panels {
		d.Panels = append(d.Panels, Panel(p, i, DashboardOptions{Print: true, events: marks, loc: v.Location}))
	}
	return d
}
