package chart

import (
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
)

// palette is the series palette: distinct on white, readable in print,
// led by the page's accent blue. It has no red: a reader takes a red line
// for bad news, so red is kept for names that are (meaningColor).
var palette = []string{
	"#2f6fde", // blue
	"#f28e2b", // orange
	"#14a37f", // green
	"#8b5cf6", // violet
	"#e0a800", // amber
	"#0ea5b7", // cyan
	"#d6589f", // pink
	"#7a8b2e", // olive
	"#8c6d4f", // brown
}

// colorSalt is mixed into the hash. It was picked so that the demo's
// series names that meet on one chart (channels, regions, carriers,
// ticket channels, warehouses, return reasons, and the y columns drawn
// together) never share a colour: each is then drawn in its own
// SeriesColor whatever names a range leaves out, so "Not as described"
// is the same colour at 7 days, without late returns, as at 90 days; and
// the most read single lines, CSAT and NPS, are drawn in the accent blue.
const colorSalt = "opsboard:34219:"

// SeriesColor returns the colour of a series name, the same on every panel
// and page: "web" is one colour wherever it is drawn. Names are compared
// without case and surrounding space.
func SeriesColor(name string) string {
	if c, ok := meaningColor(name); ok {
		return c
	}
	return palette[colorIndex(name)]
}

// meaningColor gives series whose names carry a judgement the colour that
// says it: promoters green, detractors and late ones red, passives grey.
func meaningColor(name string) (string, bool) {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "promoter"):
		return "#14804a", true
	case strings.Contains(n, "detractor"), strings.HasPrefix(n, "late"):
		return "#c2362b", true
	case strings.Contains(n, "passive"):
		return "#9aa5b1", true
	}
	return "", false
}

func colorIndex(name string) int {
	h := fnv.New32a()
	h.Write([]byte(colorSalt + strings.ToLower(strings.TrimSpace(name))))
	return int(h.Sum32() % uint32(len(palette)))
}

// seriesColors returns a colour for each name. Each name gets its
// SeriesColor unless another name on the same chart already holds it; then
// it takes the next free palette colour. Names are settled in sorted order,
// so a given set of names always gets the same colours, whatever order the
// query returns them in; a name that had to move may move back when the
// name it gave way to is not on the chart (see colorSalt).
func seriesColors(names []string) []string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	taken := map[int]bool{}
	byName := map[string]string{}
	for _, n := range sorted {
		if _, done := byName[n]; done {
			continue
		}
		if c, ok := meaningColor(n); ok {
			byName[n] = c
			continue
		}
		i := colorIndex(n)
		for k := 0; taken[i] && k < len(palette); k++ {
			i = (i + 1) % len(palette)
		}
		if len(taken) < len(palette) {
			taken[i] = true
		}
		byName[n] = palette[i]
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = byName[n]
	}
	return out
}

// rgba turns "#rrggbb" into a CSS rgba() colour with the given opacity.
func rgba(hex string, alpha float64) string {
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil || len(hex) != 7 {
		return hex
	}
	return fmt.Sprintf("rgba(%d,%d,%d,%s)", v>>16&0xff, v>>8&0xff, v&0xff, strconv.FormatFloat(alpha, 'f', -1, 64))
}

// mix blends two "#rrggbb" colours: 0 gives a, 1 gives b.
func mix(a, b string, t float64) string {
	pa, errA := strconv.ParseUint(strings.TrimPrefix(a, "#"), 16, 32)
	pb, errB := strconv.ParseUint(strings.TrimPrefix(b, "#"), 16, 32)
	if errA != nil || errB != nil {
		return a
	}
	ch := func(v uint64, shift uint) float64 { return float64(v >> shift & 0xff) }
	out := 0
	for _, shift := range []uint{16, 8, 0} {
		v := ch(pa, shift) + (ch(pb, shift)-ch(pa, shift))*t
		out = out<<8 | int(math.Round(v))
	}
	return fmt.Sprintf("#%06x", out)
}
