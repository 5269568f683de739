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
	Panels             []PanelBlock
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
	note := CompareNote(v)
	for _, t := range v.Tiles {
		d.Tiles = append(d.Tiles, Tile(t, note, ""))
	}
	for i, p := range v.Panels {
		d.Panels = append(d.Panels, Panel(p, i, DashboardOptions{Print: true}))
	}
	return d
}
