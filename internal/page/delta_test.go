package page

import (
	"time"

	"github.com/opsboard/opsboard/internal/query"
	"testing"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dashboard"
)

func TestDeltaText(t *testing.T) {
	tile := func(value, previous float64, format string) dashboard.TileView {
		return dashboard.TileView{Tile: catalog.Tile{Format: format}, Value: value, HasValue: true, Previous: previous, HasPrevious: true}
	}
	cases := []struct {
		name string
		tile dashboard.TileView
		unit string
		want string
	}{
		{"percent in points", tile(0.862, 0.913, ""), "percent", "▼ −5.1 pts"},
		{"score with its format", tile(4.30, 4.18, "0.00"), "score", "▲ +0.12 (+2.9%)"},
		{"a small move is not rounded to zero", tile(45.6, 46.0, "0"), "score", "▼ −0.4 (−0.9%)"},
		{"a tiny move gets two decimals", tile(46.04, 46.0, "0"), "score", "▲ +0.04 (+0.1%)"},
		{"no change", tile(46, 46, "0"), "score", "■ 0 (0.0%)"},
		{"a move too small to write points neither way", tile(4.302, 4.2985, "0.00"), "score", "■ +0.00 (+0.1%)"},
		{"nor in points", tile(0.9101, 0.9099, ""), "percent", "■ +0.0 pts"},
	}
	for _, c := range cases {
		if got := DeltaText(c.tile, c.unit); got != c.want {
			t.Errorf("%s: DeltaText = %q, want %q", c.name, got, c.want)
		}
	}
}

// The report lists the events of its own period under the highlights; the
// charts draw those of the weeks they show.
func TestReportListsThePeriodsEvents(t *testing.T) {
	d := func(s string) time.Time { x, _ := time.Parse("2006-01-02", s); return x }
	v := &dashboard.View{
		Dashboard: &catalog.Dashboard{Title: "Ops"}, Location: time.UTC,
		Range:      query.Range{From: d("2026-11-28"), To: d("2026-11-29")},
		PanelRange: query.Range{From: d("2026-11-01"), To: d("2026-11-29")},
		Events: []dashboard.Annotation{
			{From: d("2026-11-10"), To: d("2026-11-10"), Title: "Carrier outage"},
			{From: d("2026-11-27"), To: d("2026-11-30"), Title: "Black Friday – Cyber Monday", Team: "marketing"},
		},
	}
	r := Report(v, "Ops daily", "")
	if len(r.Events) != 1 || r.Events[0].Title != "Black Friday – Cyber Monday" || r.Events[0].When != "27 Nov – 30 Nov 2026" {
		t.Errorf("report events %+v; want only the one overlapping 28 Nov", r.Events)
	}
}
