package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/mail"
	"github.com/opsboard/opsboard/internal/query"
)

const evil = `</script><script>alert(1)</script><b>x</b>`

func testOutput(attach []string) *Output {
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	// A mean of 400 answers a day with a spread of 0.8: a fall of 0.2 is
	// beyond its noise (z ≈ 3.5), a move the highlights name.
	csat := &catalog.Query{Name: "kpi/csat", Title: "CSAT", Unit: "score", Better: "higher",
		Metric: catalog.Metric{Aggregate: catalog.Mean, Sample: "responses", Spread: "sd"}}
	target := 4.5
	f := &frame.Frame{Columns: []frame.Column{{Name: "day", Type: frame.Date}, {Name: "orders", Type: frame.Integer}},
		Rows: [][]any{{day, int64(310)}, {day.AddDate(0, 0, 1), int64(320)}}}
	v := &dashboard.View{
		Dashboard: &catalog.Dashboard{Name: "d", Title: "Daily"},
		Range:     query.Range{From: day, To: day.AddDate(0, 0, 1)}, PanelRange: query.Range{From: day, To: day.AddDate(0, 0, 1)},
		Compare: query.PreviousPeriod, HasCompare: true, CompareRange: query.Range{From: day.AddDate(0, 0, -1), To: day},
		Location: time.UTC,
		Tiles: []dashboard.TileView{{Tile: catalog.Tile{Query: "kpi/csat", Label: "CSAT " + evil, Target: &target},
			Query: csat, Value: 4.2, HasValue: true, Previous: 4.4, HasPrevious: true,
			Cur: catalog.Point{Days: 1, Sample: 400, Spread: 0.8}, Prev: catalog.Point{Days: 1, Sample: 400, Spread: 0.8}}},
		Panels: []dashboard.PanelView{
			{Panel: catalog.Panel{ID: "p1", Title: "Orders " + evil, Query: "orders", Chart: "bar", X: "day", Y: []string{"orders"}}, Frame: f},
			{Panel: catalog.Panel{ID: "p2", Title: "Broken", Query: "broken", Chart: "line"}, Err: errors.New("division by zero")},
		},
	}
	rep := &catalog.Report{Name: "ops-daily", Title: "Ops daily", To: []string{"a@example.com"}, Cc: []string{"b@example.com"}, Attach: attach}
	return &Output{Report: rep, Date: day, Location: time.UTC, View: v, Subject: "[partial] Ops daily 2026-11-21",
		Failures: failures(v), Highlights: Highlights(v, nil)}
}

func TestEmailMessage(t *testing.T) {
	o := testOutput([]string{"pdf", "csv"})
	e := &Email{Output: o, PDF: []byte("%PDF-1.4 test"), Charts: map[string][]byte{"c0_p1": []byte("\x89PNG")},
		From: "opsboard@example.com", ArchiveURL: "https://ops.example.com/reports/ops-daily/2026-11-21?run=7"}
	msg, err := e.Message()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.HTML, "<script>alert(1)") || strings.Contains(msg.HTML, "<b>x</b>") {
		t.Errorf("email HTML contains an unescaped label")
	}
	if !strings.Contains(msg.HTML, `src="cid:chart-p1@opsboard"`) || len(msg.Inline) != 1 || msg.Inline[0].ContentID != "chart-p1@opsboard" {
		t.Errorf("chart p1 not inline: inline parts %+v", msg.Inline)
	}
	if !strings.Contains(msg.HTML, "division by zero") || !strings.Contains(msg.Text, "PARTIAL REPORT") {
		t.Errorf("the failed panel is not reported in the HTML and the text body")
	}
	if !strings.Contains(msg.HTML, "https://ops.example.com/reports/ops-daily/2026-11-21?run=7") || !strings.Contains(msg.Text, "?run=7") {
		t.Errorf("no link to the archived copy")
	}
	var names []string
	for _, a := range msg.Attachments {
		names = append(names, a.Name)
	}
	if strings.Join(names, ",") != "ops-daily-2026-11-21.pdf,ops-daily-2026-11-21-p1-orders-script-script-alert-1-script-b-x-b.csv" {
		t.Errorf("attachments %v, want the PDF and the CSV of the panel that has data", names)
	}
	if csv := string(msg.Attachments[1].Data); !strings.HasPrefix(csv, "day,orders\n2026-11-21,310\n") {
		t.Errorf("CSV attachment %q", csv)
	}
	// The built message is valid: every cid has its image.
	raw, err := mail.Build(msg)
	if err != nil {
		t.Fatalf("building the message: %v", err)
	}
	if !bytes.Contains(bytes.ToLower(raw), []byte("content-id: <chart-p1@opsboard>")) {
		t.Errorf("built message lacks the chart's Content-ID")
	}
}

func TestEmailWithoutPDF(t *testing.T) {
	o := testOutput([]string{"csv"})
	msg, err := (&Email{Output: o, PDF: []byte("%PDF"), From: "opsboard@example.com"}).Message()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range msg.Attachments {
		if strings.HasSuffix(a.Name, ".pdf") {
			t.Errorf("attach: [csv] still attached %s", a.Name)
		}
	}
	if strings.Contains(msg.HTML, "attached as a PDF") || strings.Contains(msg.Text, "attached as a PDF") {
		t.Errorf("the body promises a PDF that is not attached")
	}
}

func TestHighlights(t *testing.T) {
	o := testOutput(nil)
	h := strings.Join(o.Highlights, "\n")
	for _, want := range []string{"is 4.20, below its 4.50 target", "fell to 4.20 (−0.20 vs previous day)"} {
		if !strings.Contains(h, want) {
			t.Errorf("highlights lack %q:\n%s", want, h)
		}
	}
	daily := norm{trailing: []float64{4.3, 4.5, 4.4, 4.35}, each: 1, ok: true}
	if r := daily.record(4.2); r != "lowest in 28 days" {
		t.Errorf("record(4.2) = %q, want lowest in 28 days", r)
	}
	if r := daily.record(4.4); r != "" {
		t.Errorf("record(4.4) = %q, want none", r)
	}
}

// A panel that declares a contrast row gives one sentence tying its most
// different category to that row; categories below the minimum sample are
// left out.
func TestContrastSentence(t *testing.T) {
	f := &frame.Frame{
		Columns: []frame.Column{{Name: "lateness", Type: frame.Text}, {Name: "csat", Type: frame.Number}, {Name: "responses", Type: frame.Integer}},
		Rows: [][]any{
			{"On time", 4.6, int64(1200)},
			{"1 day late", 4.1, int64(140)},
			{"2-3 days late", 3.2, int64(60)},
			{"4+ days late", 1.5, int64(12)}, // too few answers to speak for
		},
	}
	q := &catalog.Query{Name: "csat/by_lateness", Unit: "score", Metric: catalog.Metric{Sample: "responses"}}
	v := &dashboard.View{PanelRange: query.Range{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}}
	v.Panels = []dashboard.PanelView{{Panel: catalog.Panel{Title: "CSAT by lateness", X: "lateness", Y: []string{"csat"}, Contrast: "On time"}, Query: q, Frame: f}}
	got := strings.Join(Highlights(v, nil), "\n")
	want := "CSAT was 3.20 for 2-3 days late against 4.60 for on time (1 Nov – 28 Nov 2026; 60 and 1,200 responses)."
	if got != want {
		t.Errorf("highlights:\n%s\nwant:\n%s", got, want)
	}
}
