package page

import (
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
	}
	for _, c := range cases {
		if got := DeltaText(c.tile, c.unit); got != c.want {
			t.Errorf("%s: DeltaText = %q, want %q", c.name, got, c.want)
		}
	}
}
