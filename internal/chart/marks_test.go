package chart

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
)

// dataOf returns series i's data as the chart draws it.
func dataOf(t *testing.T, b *build, i int) []any {
	t.Helper()
	data, _ := seriesOf(t, b)[i]["data"].([]any)
	return data
}

// notesOf returns the tooltip notes a data snippet hands the page script.
func notesOf(t *testing.T, html string) [][]string {
	t.Helper()
	attr := regexp.MustCompile(`data-formats="([^"]*)"`).FindStringSubmatch(html)
	if attr == nil {
		t.Fatalf("no data-formats in:\n%s", html)
	}
	var formats struct {
		Notes [][]string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(htmlUnescape(attr[1])), &formats); err != nil {
		t.Fatal(err)
	}
	return formats.Notes
}

func latenessFrame() *frame.Frame {
	return &frame.Frame{
		Columns: []frame.Column{{Name: "lateness", Type: frame.Text}, {Name: "sort", Type: frame.Integer},
			{Name: "csat", Type: frame.Number}, {Name: "responses", Type: frame.Integer}},
		Rows: [][]any{{"On time", int64(1), 4.6, int64(1200)}, {"1 day late", int64(2), 4.1, int64(140)},
			{"2-3 days late", int64(3), 3.0, int64(3)}, {"4+ days late", int64(4), nil, int64(0)}},
	}
}

// A bar or point resting on fewer answers than the query's min_sample is
// drawn hollow, labelled with what it rests on, and its tooltip says it is
// too few, as the tile that shows no number from it; the others are drawn
// as before and say what they rest on.
func TestThinSamplesAreDrawnHollow(t *testing.T) {
	csat := &catalog.Query{Name: "csat/by_lateness", Unit: "score",
		Metric:  catalog.Metric{Aggregate: catalog.Mean, Sample: "responses"},
		Columns: []catalog.ColumnMeta{{Name: "csat", Aggregate: "mean", Sample: "responses"}}}
	bars := catalog.Panel{ID: "p1", Title: "Delivery CSAT by lateness", Chart: catalog.ChartBar, X: "lateness", Y: []string{"csat"}}
	b, html := mustRender(t, bars, latenessFrame(), Options{Unit: "score", Sample: "responses", Query: csat})
	data := dataOf(t, b, 0)
	thin, ok := data[2].(map[string]any)
	if !ok {
		t.Fatalf("2-3 days late (3 responses): want a data item of its own, got %v", data[2])
	}
	if got := mustJSON(t, thin); !strings.Contains(got, `"borderType":"dashed"`) || !strings.Contains(got, `"formatter":"only 3 responses"`) {
		t.Errorf("2-3 days late (3 responses): want a dashed, labelled hollow bar, got %s", got)
	}
	if _, plain := data[0].(json.Number); !plain {
		t.Errorf("On time (1,200 responses): want a plain bar, got %v", data[0])
	}
	want := []string{"from 1,200 responses", "from 140 responses", "only 3 responses: too few to go by", ""}
	if notes := notesOf(t, html); len(notes) != 1 || strings.Join(notes[0], "|") != strings.Join(want, "|") {
		t.Errorf("tooltip notes: want %q, got %q", want, notes)
	}

	// NPS per week names its sample on its column line only: the tiles'
	// default of 30 applies. A query's min_sample raises it.
	weeks := &frame.Frame{
		Columns: []frame.Column{{Name: "week", Type: frame.Date}, {Name: "nps", Type: frame.Number}, {Name: "responses", Type: frame.Integer}},
		Rows: [][]any{{time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), 31.0, int64(64)}, {time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), 38.0, int64(40)},
			{time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), 52.0, int64(25)}},
	}
	line := catalog.Panel{ID: "p2", Title: "NPS per week", Chart: catalog.ChartLine, X: "week", Y: []string{"nps"}}
	nps := &catalog.Query{Name: "nps/trend", Unit: "score", Columns: []catalog.ColumnMeta{{Name: "nps", Aggregate: "mean", Sample: "responses"}}}
	for _, tc := range []struct {
		name      string
		minSample int
		hollow    []bool
	}{{"default 30", 0, []bool{false, false, true}}, {"min_sample 50", 50, []bool{false, true, true}}} {
		t.Run(tc.name, func(t *testing.T) {
			q := *nps
			if tc.minSample > 0 {
				q.Metric = catalog.Metric{Aggregate: catalog.Mean, Sample: "responses", MinSample: tc.minSample}
			}
			b, _ := mustRender(t, line, weeks, Options{Unit: "score", Query: &q})
			for k, v := range dataOf(t, b, 0) {
				item, _ := v.(map[string]any)
				if hollow := item["symbol"] == "emptyCircle"; hollow != tc.hollow[k] {
					t.Errorf("point %d: want hollow %v, got %v", k, tc.hollow[k], v)
				}
			}
		})
	}
}

// The same marking holds for a query that names its sample with
// "-- sample:" alone, as the chart options have carried it.
func TestThinSampleFromOptionsSample(t *testing.T) {
	// csat is the first numeric column, the measured value.
	l := latenessFrame()
	f := &frame.Frame{Columns: []frame.Column{l.Columns[0], l.Columns[2], l.Columns[3]}}
	for _, r := range l.Rows {
		f.Rows = append(f.Rows, []any{r[0], r[2], r[3]})
	}
	bars := catalog.Panel{ID: "p1", Title: "Delivery CSAT by lateness", Chart: catalog.ChartBar, X: "lateness", Y: []string{"csat", "responses"}}
	b, html := mustRender(t, bars, f, Options{Unit: "score", Sample: "responses"})
	if got := mustJSON(t, dataOf(t, b, 0)[2]); !strings.Contains(got, `"formatter":"only 3 responses"`) {
		t.Errorf("2-3 days late (3 responses): want a hollow bar labelled with its sample, got %s", got)
	}
	if got := mustJSON(t, dataOf(t, b, 1)); strings.Contains(got, "only") {
		t.Errorf("the responses series itself is not a measured value: got %s", got)
	}
	if notes := notesOf(t, html); len(notes) != 2 || notes[0][2] != "only 3 responses: too few to go by" {
		t.Errorf("tooltip notes: want the thin bar's to say too few, got %q", notes)
	}
}

// A cohort heatmap's cells of the month the range ends in, before that
// month is over, are faded and dashed, say so in their tooltip, and a note
// under the chart says what the fading means.
func TestHeatmapMarksTheUnfinishedMonth(t *testing.T) {
	p := catalog.Panel{ID: "p1", Title: "Monthly cohort retention", Chart: catalog.ChartHeatmap, X: "month_offset", Y: []string{"cohort"}, Value: "retained_rate"}
	// Cohorts Jul–Dec 2025, offsets 0 to 5: the diagonal is December.
	b, _ := mustRender(t, p, cohortFrame(), Options{Unit: "percent", RangeEnd: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC)})
	open := 0
	for _, v := range dataOf(t, b, 0) {
		cell := v.(map[string]any)
		value := cell["value"].([]any)
		x, _ := value[0].(json.Number).Int64()
		y, _ := value[1].(json.Number).Int64()
		inDecember := x+y == 5 // cohort Jul+y, offset x
		faded := cell["itemStyle"] != nil && strings.HasSuffix(fmt.Sprint(cell["name"]), "· month not over")
		if faded != inDecember {
			t.Errorf("cell %v (%v): want marked as not over %v, got %v", value, cell["name"], inDecember, cell)
		}
		if faded {
			open++
		}
	}
	if open != 6 {
		t.Errorf("want December's 6 cells marked, got %d", open)
	}
	if got := mustJSON(t, b.tree["graphic"]); !strings.Contains(got, "Dec 2025 is not over") {
		t.Errorf("want a note saying December is not over, got %s", got)
	}

	// A range ending with its month (to 1 Jan, exclusive) marks nothing;
	// cohorts written as text ("2025-07") are read as months too.
	b, _ = mustRender(t, p, cohortFrame(), Options{Unit: "percent", RangeEnd: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if got := mustJSON(t, b.tree); strings.Contains(got, "not over") {
		t.Errorf("a finished month is marked as not over")
	}
	text := cohortFrame()
	text.Columns[0].Type = frame.Text
	for _, r := range text.Rows {
		r[0] = r[0].(time.Time).Format("2006-01")
	}
	b, _ = mustRender(t, p, text, Options{Unit: "percent", RangeEnd: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC)})
	if got := mustJSON(t, b.tree); strings.Count(got, "· month not over") != 6 {
		t.Errorf("text cohorts: want December's 6 cells marked, got:\n%s", got)
	}
}

// Only a heatmap with an axis of months (every date the 1st) against
// whole-number offsets is a cohort heatmap; a day × hour grid of tickets
// has dates and whole numbers too, and no month to mark.
func TestHeatmapMarksMonthsOnlyOnAMonthlyAxis(t *testing.T) {
	ticketsBy := func(days ...int) *frame.Frame {
		f := &frame.Frame{Columns: []frame.Column{
			{Name: "day", Type: frame.Date}, {Name: "hour", Type: frame.Integer}, {Name: "tickets", Type: frame.Integer}}}
		for _, d := range days {
			for h := 0; h < 24; h++ {
				f.Rows = append(f.Rows, []any{time.Date(2025, 12, d, 0, 0, 0, 0, time.UTC), int64(h), int64(3 + (d*h)%7)})
			}
		}
		return f
	}
	swapped := cohortFrame() // cohorts along x, offsets down y
	cohorts := catalog.Panel{ID: "p1", Title: "Monthly cohort retention", Chart: catalog.ChartHeatmap, X: "month_offset", Y: []string{"cohort"}, Value: "retained_rate"}
	hours := catalog.Panel{ID: "p2", Title: "Tickets by day and hour", Chart: catalog.ChartHeatmap, X: "hour", Y: []string{"day"}, Value: "tickets"}
	for _, tc := range []struct {
		name       string
		p          catalog.Panel
		f          *frame.Frame
		start, end time.Time
		marked     int
	}{
		{"cohort × month offset", cohorts, cohortFrame(), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), 6},
		{"month offset × cohort", catalog.Panel{ID: "p3", Title: "Cohorts across", Chart: catalog.ChartHeatmap, X: "cohort", Y: []string{"month_offset"}, Value: "retained_rate"},
			swapped, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), 6},
		{"day × hour, 1–4 Dec", hours, ticketsBy(1, 2, 3, 4), time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 5, 0, 0, 0, 0, time.UTC), 0},
		{"day × hour, 2–4 Dec", hours, ticketsBy(2, 3, 4), time.Date(2025, 12, 2, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 5, 0, 0, 0, 0, time.UTC), 0},
		{"day × hour, 1 Dec alone", hours, ticketsBy(1), time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 2, 0, 0, 0, 0, time.UTC), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := mustRender(t, tc.p, tc.f, Options{RangeStart: tc.start, RangeEnd: tc.end})
			opt := mustJSON(t, b.tree)
			if got := strings.Count(opt, "· month not over"); got != tc.marked {
				t.Errorf("want %d cells marked as not over, got %d", tc.marked, got)
			}
			if note := strings.Contains(opt, "Dec 2025 is not over"); note != (tc.marked > 0) {
				t.Errorf("want the note %v, got %v:\n%s", tc.marked > 0, note, mustJSON(t, b.tree["graphic"]))
			}
		})
	}
}

// On a long series (28 days of support CSAT, most days on a handful of
// answers) thin points are faded without a label each, their tooltips
// still say they are too few, and one note under the chart says what the
// fading means. A short series (bars by lateness) keeps its labels.
func TestThinPointsOfLongSeriesAreFadedNotLabelled(t *testing.T) {
	bars := catalog.Panel{ID: "p1", Title: "Delivery CSAT by lateness", Chart: catalog.ChartBar, X: "lateness", Y: []string{"csat"}}
	byLateness := &catalog.Query{Name: "csat/by_lateness", Unit: "score", Columns: []catalog.ColumnMeta{{Name: "csat", Aggregate: "mean", Sample: "responses"}}}
	b, _ := mustRender(t, bars, latenessFrame(), Options{Unit: "score", Query: byLateness})
	if got := mustJSON(t, dataOf(t, b, 0)[2]); !strings.Contains(got, `"formatter":"only 3 responses"`) {
		t.Errorf("short series: want the thin bar labelled, got %s", got)
	}
	if got := mustJSON(t, b.tree); strings.Contains(got, "Faded") || strings.Contains(got, `"graphic"`) {
		t.Errorf("short series: want no note under the chart, got %s", mustJSON(t, b.tree["graphic"]))
	}

	f := &frame.Frame{Columns: []frame.Column{
		{Name: "day", Type: frame.Date}, {Name: "median_first_response_hours", Type: frame.Number},
		{Name: "support_csat", Type: frame.Number}, {Name: "csat_responses", Type: frame.Integer}}}
	thin := map[int]bool{}
	for i := 0; i < 28; i++ {
		n := int64(40)
		if i%4 != 0 { // three days in four rest on a handful of answers
			n = int64(1 + i%6)
			thin[i] = true
		}
		f.Rows = append(f.Rows, []any{day(i), 2.5 + 0.1*float64(i%5), 4.0 + 0.05*float64(i%7), n})
	}
	line := catalog.Panel{ID: "p2", Title: "First response time vs support CSAT", Chart: catalog.ChartLine, X: "day",
		Y: []string{"median_first_response_hours", "support_csat"}, Y2: []string{"support_csat"}}
	q := &catalog.Query{Name: "support/response_vs_csat", Unit: "hours", Columns: []catalog.ColumnMeta{{Name: "support_csat", Sample: "csat_responses"}}}
	b, html := mustRender(t, line, f, Options{Unit: "hours", Query: q})
	if got := mustJSON(t, b.tree); strings.Contains(got, `"label":{`) && strings.Contains(got, "only ") {
		t.Errorf("long series: want no per-point labels, got %s", mustJSON(t, dataOf(t, b, 1)))
	}
	for k, v := range dataOf(t, b, 1) {
		item, _ := v.(map[string]any)
		if hollow := item["symbol"] == "emptyCircle"; hollow != thin[k] {
			t.Errorf("day %d: want hollow %v, got %v", k, thin[k], v)
		}
	}
	var pieces []any
	for _, v := range b.tree["visualMap"].([]any) {
		if vm := v.(map[string]any); vm["seriesIndex"] == 1 {
			pieces = vm["pieces"].([]any)
		}
	}
	// Days 1–3, 5–7, … are faded: from half a day before each run to half
	// a day after it, days 0, 4, 8, … drawn at full strength between.
	if got := mustJSON(t, pieces[:3]); !strings.Contains(got, `{"color":"`) ||
		!strings.Contains(got, `"gte":0,"lte":0.5`) || !strings.Contains(got, `"gt":0.5,"lte":3.5`) || !strings.Contains(got, `"gt":3.5,"lte":4.5`) {
		t.Errorf("want days 1–3 faded and 0 and 4 not, got %s", got)
	}
	if len(pieces) != 14 {
		t.Errorf("want 14 pieces (7 runs of thin days, 7 solid days), got %d: %s", len(pieces), mustJSON(t, pieces))
	}
	for _, v := range b.tree["visualMap"].([]any) {
		if v.(map[string]any)["seriesIndex"] == 0 {
			t.Errorf("the response time line rests on no sample: want it unfaded, got %s", mustJSON(t, v))
		}
	}
	if got := mustJSON(t, b.tree["graphic"]); !strings.Contains(got, "Faded: days resting on fewer than 30 csat responses") {
		t.Errorf("want one note under the chart, got %s", got)
	}
	if notes := notesOf(t, html); len(notes) != 2 || notes[1][1] != "only 2 csat responses: too few to go by" || notes[1][0] != "from 40 csat responses" {
		t.Errorf("tooltip notes: want thin days to say too few, got %q", notes)
	}
}

// A monthly chart of a short range has one month: it reads "Nov 2026" as
// at 90 days, and is drawn as partial while November is not over.
func TestLoneMonthIsAMonth(t *testing.T) {
	f := &frame.Frame{
		Columns: []frame.Column{{Name: "month", Type: frame.Date}, {Name: "churned", Type: frame.Integer}, {Name: "churn_rate", Type: frame.Number}},
		Rows:    [][]any{{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), int64(664), 0.18}},
	}
	p := catalog.Panel{ID: "p1", Title: "Churned customers per month", Chart: catalog.ChartBar, X: "month",
		Y: []string{"churned", "churn_rate"}, Y2: []string{"churn_rate"}}
	week := Options{Unit: "count", RangeStart: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), RangeEnd: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name string
		x    string
		o    Options
	}{{"named month", "month", Options{Unit: "count", RangeEnd: week.RangeEnd}}, {"before the range", "m", week}} {
		t.Run(tc.name, func(t *testing.T) {
			f := *f
			f.Columns = append([]frame.Column(nil), f.Columns...)
			f.Columns[0].Name = tc.x
			p.X = tc.x
			b, html := mustRender(t, p, &f, tc.o)
			opt := mustJSON(t, b.tree)
			if !strings.Contains(opt, `"data":["Nov 2026"]`) {
				t.Errorf("want the month labelled Nov 2026:\n%s", opt)
			}
			if !strings.Contains(opt, `{"itemStyle":{"opacity":0.4},"value":664}`) {
				t.Errorf("want November's bar lighter (not over):\n%s", opt)
			}
			if !strings.Contains(html, "partial: the month is not over") {
				t.Errorf("want the tooltip to say the month is not over")
			}
		})
	}
	// A lone day inside the range stays a day.
	day := &frame.Frame{Columns: []frame.Column{{Name: "day", Type: frame.Date}, {Name: "orders", Type: frame.Integer}},
		Rows: [][]any{{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), int64(40)}}}
	b, html := mustRender(t, catalog.Panel{ID: "p2", Chart: catalog.ChartBar, X: "day", Y: []string{"orders"}}, day,
		Options{RangeStart: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), RangeEnd: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)})
	if opt := mustJSON(t, b.tree); !strings.Contains(opt, `"data":["2026-11-01"]`) || strings.Contains(html, "partial") {
		t.Errorf("a lone day: want 2026-11-01, not partial:\n%s", opt)
	}
}

// eventsOf returns each event band's first and last category and each
// event line's category, with the event's name.
func eventsOf(t *testing.T, b *build) []string {
	t.Helper()
	var out []string
	ma, _ := seriesOf(t, b)[0]["markArea"].(map[string]any)
	data, _ := ma["data"].([]any)
	for _, d := range data {
		pair := d.([]any)
		from, to := pair[0].(map[string]any), pair[1].(map[string]any)
		out = append(out, fmt.Sprintf("%v..%v %v", from["xAxis"], to["xAxis"], from["name"]))
	}
	ml, _ := seriesOf(t, b)[0]["markLine"].(map[string]any)
	data, _ = ml["data"].([]any)
	for _, d := range data {
		line := d.(map[string]any)
		out = append(out, fmt.Sprintf("%v %v", line["xAxis"], line["name"]))
	}
	return out
}

// An event covers the weeks or months its days touch: 16–24 Oct is the
// weeks of 12 and 19 Oct, Black Friday (27–30 Nov) the week of 23 Nov (a
// line on that week's point: a band over a line runs from point to
// point), and on a monthly bar chart October's and November's bars.
func TestEventsCoverTheBucketsTheyTouch(t *testing.T) {
	events := []Event{
		{From: "2026-10-16", To: "2026-10-24", Title: "Carrier strike"},
		{From: "2026-11-27", To: "2026-11-30", Title: "Black Friday"},
		{From: "2026-06-01", To: "2026-06-03", Title: "Long before"},
	}
	weeks := &frame.Frame{Columns: []frame.Column{{Name: "week", Type: frame.Date}, {Name: "nps", Type: frame.Number}}}
	for d := time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC); !d.After(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 7) {
		weeks.Rows = append(weeks.Rows, []any{d, 40.0})
	}
	months := &frame.Frame{Columns: []frame.Column{{Name: "month", Type: frame.Date}, {Name: "churned", Type: frame.Integer}},
		Rows: [][]any{{time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), int64(600)}, {time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), int64(640)},
			{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), int64(664)}}}
	days := &frame.Frame{Columns: []frame.Column{{Name: "day", Type: frame.Date}, {Name: "orders", Type: frame.Integer}}}
	for d := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC); d.Before(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		days.Rows = append(days.Rows, []any{d, int64(1200)})
	}
	for _, tc := range []struct {
		name  string
		panel catalog.Panel
		f     *frame.Frame
		want  []string
	}{
		{"weekly", catalog.Panel{ID: "p1", Title: "NPS per week", Chart: catalog.ChartLine, X: "week", Y: []string{"nps"}}, weeks,
			[]string{"2026-10-12..2026-10-19 Carrier strike", "2026-11-23 Black Friday"}},
		{"monthly", catalog.Panel{ID: "p2", Title: "Churned", Chart: catalog.ChartBar, X: "month", Y: []string{"churned"}}, months,
			[]string{"Oct 2026..Oct 2026 Carrier strike", "Nov 2026..Nov 2026 Black Friday"}},
		{"daily", catalog.Panel{ID: "p3", Title: "Orders", Chart: catalog.ChartBar, X: "day", Y: []string{"orders"}}, days,
			[]string{"2026-11-27..2026-11-30 Black Friday"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := mustRender(t, tc.panel, tc.f, Options{Events: events})
			if got := eventsOf(t, b); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("event bands: want %q, got %q", tc.want, got)
			}
			// ECharts draws a band over bars from tick to tick: aligned
			// with the labels, from centre to centre (a band over one bar
			// not at all); every fifth, at the labelled days (a band
			// ending on the last bar not at all).
			align := mustJSON(t, b.tree["xAxis"])
			if bars := tc.panel.Chart == catalog.ChartBar; bars != strings.Contains(align, `"alignWithLabel":false,"interval":0`) {
				t.Errorf("bars %v: x ticks %s", bars, align)
			}
		})
	}
}

// Names keep their colour whatever a range leaves out: the return reasons
// at 7 days (no late returns) are drawn as at 90 days, and no demo names
// that meet on one chart share a colour.
func TestSeriesColorsStableAcrossRanges(t *testing.T) {
	reasons := func(names ...string) *frame.Frame {
		f := &frame.Frame{Columns: []frame.Column{{Name: "carrier", Type: frame.Text}, {Name: "reason", Type: frame.Text}, {Name: "return_rate", Type: frame.Number}}}
		for _, n := range names {
			f.Rows = append(f.Rows, []any{"parcelgo", n, 0.01})
		}
		return f
	}
	p := catalog.Panel{ID: "p1", Title: "Return rate by carrier and reason", Chart: catalog.ChartStackedBar, X: "carrier", Y: []string{"return_rate"}, Series: "reason"}
	b90, _ := mustRender(t, p, reasons("changed_mind", "damaged", "late", "not_as_described", "wrong_item"), Options{Unit: "percent"})
	b7, _ := mustRender(t, p, reasons("changed_mind", "damaged", "not_as_described", "wrong_item"), Options{Unit: "percent"})
	for _, name := range []string{"Changed mind", "Damaged", "Not as described", "Wrong item"} {
		if c90, c7 := colorOf(t, b90, name), colorOf(t, b7, name); c90 != c7 {
			t.Errorf("%s: %s at 90 days, %s at 7 days; want one colour", name, c90, c7)
		}
	}
	// Red says bad news: a line is red only when its name does.
	for name, red := range map[string]bool{"NPS": false, "CSAT": false, "Orders": false, "Churned": false, "Late orders": true, "Detractors": true} {
		if got := SeriesColor(name) == "#c2362b"; got != red {
			t.Errorf("%s is drawn in %s; red %v, want %v", name, SeriesColor(name), got, red)
		}
	}
	for _, set := range [][]string{
		{"Changed mind", "Damaged", "Late", "Not as described", "Wrong item"}, {"Allentown", "Memphis", "Reno"},
		{"Web", "App", "Marketplace"}, {"North", "South", "East", "West"}, {"Metrodash", "Parcelgo", "Postal", "Swiftship"},
		{"Phone", "Email", "Chat"}, {"Orders", "On time rate"}, {"CSAT", "On time rate"},
		{"Median first response hours", "Support CSAT"}, {"Late orders", "WISMO tickets"}, {"Churned", "Churn rate"},
	} {
		seen := map[string]string{}
		for _, n := range set {
			if other, dup := seen[SeriesColor(n)]; dup {
				t.Errorf("%q and %q share %s", other, n, SeriesColor(n))
			}
			seen[SeriesColor(n)] = n
		}
	}
}
