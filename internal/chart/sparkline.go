package chart

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// sparkColor is the sparkline stroke; a stylesheet can override it
// (.sparkline polyline { stroke: … }).
const sparkColor = "#2f6fde"

// Sparkline returns a small inline SVG line of values, for KPI tiles: no
// script, no axes. Points keep their position in values, so a NaN or ±Inf
// (a missing day) is skipped without closing up the spacing. The SVG
// stretches to its box (preserveAspectRatio="none") with a constant stroke
// width. Empty input, or no finite value, gives "". A width or height of 0
// or less means 120×28.
func Sparkline(values []float64, width, height int) template.HTML {
	if width <= 0 {
		width = 120
	}
	if height <= 0 {
		height = 28
	}
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for _, v := range values {
		if finite(v) {
			lo, hi, n = math.Min(lo, v), math.Max(hi, v), n+1
		}
	}
	if n == 0 {
		return ""
	}
	const pad = 2.0
	w, h := float64(width), float64(height)
	x := func(i int) float64 {
		if len(values) == 1 {
			return w / 2
		}
		return pad + float64(i)*(w-2*pad)/float64(len(values)-1)
	}
	y := func(v float64) float64 {
		if hi == lo {
			return h / 2
		}
		return pad + (hi-v)*(h-2*pad)/(hi-lo)
	}
	var pts []string
	lastX, lastY := 0.0, 0.0
	for i, v := range values {
		if !finite(v) {
			continue
		}
		lastX, lastY = x(i), y(v)
		pts = append(pts, coord(lastX)+","+coord(lastY))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" preserveAspectRatio="none" aria-hidden="true" focusable="false">`,
		width, height, width, height)
	fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke" points="%s"/>`,
		sparkColor, strings.Join(pts, " "))
	if n == 1 { // a single point draws no line: show it as a dot
		fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="1.5" fill="%s"/>`, coord(lastX), coord(lastY), sparkColor)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func coord(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }
