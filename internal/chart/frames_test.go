package chart

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
)

// Frames built by hand, shaped like the demo's queries.

func day(i int) time.Time { return time.Date(2026, 3, 1+i, 0, 0, 0, 0, time.UTC) }

// dailyFrame: day, orders, csat, on_time_rate — the wide format.
func dailyFrame(days int) *frame.Frame {
	f := &frame.Frame{Columns: []frame.Column{
		{Name: "day", Type: frame.Date}, {Name: "orders", Type: frame.Integer},
		{Name: "csat", Type: frame.Number}, {Name: "on_time_rate", Type: frame.Number},
	}}
	for i := 0; i < days; i++ {
		f.Rows = append(f.Rows, []any{day(i), int64(1180 + 37*(i%5) + 11*i), 4.1 + 0.04*float64(i%6), 0.88 + 0.01*float64(i%7)})
	}
	return f
}

// regionFrame: day, region, on_time_rate — the long format; "west" has no
// row for the second day.
func regionFrame() *frame.Frame {
	f := &frame.Frame{Columns: []frame.Column{
		{Name: "day", Type: frame.Date}, {Name: "region", Type: frame.Text}, {Name: "on_time_rate", Type: frame.Number},
	}}
	for _, region := range []string{"east", "west"} {
		for i := 0; i < 3; i++ {
			if region == "west" && i == 1 {
				continue
			}
			f.Rows = append(f.Rows, []any{day(i), region, 0.9 + 0.01*float64(i)})
		}
	}
	return f
}

func channelFrame() *frame.Frame {
	return &frame.Frame{
		Columns: []frame.Column{{Name: "channel", Type: frame.Text}, {Name: "orders", Type: frame.Integer}},
		Rows:    [][]any{{"web", int64(5210)}, {"app", int64(3920)}, {"marketplace", int64(1730)}},
	}
}

func funnelFrame() *frame.Frame {
	return &frame.Frame{
		Columns: []frame.Column{{Name: "step", Type: frame.Text}, {Name: "customers", Type: frame.Integer}},
		Rows: [][]any{{"first order", int64(10000)}, {"second order", int64(4200)},
			{"third order", int64(2300)}, {"fourth order", int64(1400)}},
	}
}

func cohortFrame() *frame.Frame {
	f := &frame.Frame{Columns: []frame.Column{
		{Name: "cohort", Type: frame.Date}, {Name: "month_offset", Type: frame.Integer}, {Name: "retained_rate", Type: frame.Number},
	}}
	for c := 0; c < 6; c++ {
		for m := 0; m < 6-c; m++ {
			rate := 1.0
			if m > 0 {
				rate = 0.42 - 0.05*float64(m) + 0.01*float64(c)
			}
			f.Rows = append(f.Rows, []any{time.Date(2025, time.Month(7+c), 1, 0, 0, 0, 0, time.UTC), int64(m), rate})
		}
	}
	return f
}

func kpiFrame(v float64) *frame.Frame {
	return &frame.Frame{Columns: []frame.Column{{Name: "csat", Type: frame.Number}}, Rows: [][]any{{v}}}
}

func scatterFrame() *frame.Frame {
	f := &frame.Frame{Columns: []frame.Column{
		{Name: "region", Type: frame.Text}, {Name: "on_time_rate", Type: frame.Number}, {Name: "csat", Type: frame.Number},
	}}
	for i := 0; i < 12; i++ {
		region := []string{"north", "south", "east", "west"}[i%4]
		f.Rows = append(f.Rows, []any{region, 0.82 + 0.012*float64(i), 3.9 + 0.05*float64(i%7)})
	}
	return f
}

// mustRender renders a panel and fails the test on error.
func mustRender(t *testing.T, p catalog.Panel, f *frame.Frame, o Options) (*build, string) {
	t.Helper()
	b, h, err := render(p, f, o)
	if err != nil {
		t.Fatalf("Render(%q, %s): %v", p.Title, p.Chart, err)
	}
	return b, string(h)
}

// optionJSON is the chart's option tree as JSON (function placeholders
// stay strings), for substring checks.
func optionJSON(t *testing.T, b *build) string {
	t.Helper()
	raw, err := json.Marshal(b.tree)
	if err != nil {
		t.Fatalf("marshal option tree: %v", err)
	}
	return string(raw)
}

// seriesOf returns the option tree's series.
func seriesOf(t *testing.T, b *build) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, s := range seriesList(b.tree) {
		out = append(out, s.(map[string]any))
	}
	if len(out) == 0 {
		t.Fatalf("option has no series: %s", optionJSON(t, b))
	}
	return out
}

// colorOf returns the colour the chart draws its series name in.
func colorOf(t *testing.T, b *build, name string) string {
	t.Helper()
	for i, s := range seriesOf(t, b) {
		if s["name"] == name {
			return fmt.Sprint(b.tree["color"].([]any)[i])
		}
	}
	t.Fatalf("no series %q", name)
	return ""
}

// fnSource returns the JavaScript a placeholder stands for.
func fnSource(t *testing.T, b *build, v any) string {
	t.Helper()
	key, _ := v.(string)
	src, ok := b.fns[key]
	if !ok {
		t.Fatalf("%v is not a function placeholder", v)
	}
	return src
}

func containsAll(s string, subs ...string) (missing []string) {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			missing = append(missing, sub)
		}
	}
	return missing
}
