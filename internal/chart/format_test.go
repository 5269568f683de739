package chart

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/frame"
)

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v             float64
		unit, pattern string
		want          string
	}{
		{0.934, "percent", "", "93.4%"},
		{1, "percent", "", "100.0%"},
		{-0.00001, "percent", "", "0.0%"},
		{3.21, "hours", "", "3.2 h"},
		{1.5, "days", "", "1.5 d"},
		{1234, "currency", "", "$1,234"},
		{1234.56, "currency", "", "$1,235"},
		{54.2, "currency", "", "$54.20"},
		{-1234, "currency", "", "-$1,234"},
		{1234, "count", "", "1,234"},
		{1234567, "count", "", "1,234,567"},
		{2.5, "count", "", "2.5"},
		{4.321, "score", "", "4.32"},
		{1.2, "ratio", "", "1.20"},
		{1234.5678, "", "", "1,234.57"},
		{-12.5, "", "", "-12.5"},
		{0.5, "furlongs", "", "0.5"},
		{math.NaN(), "percent", "", "–"},
		{math.Inf(1), "", "0.00", "–"},
		{4.5, "score", "0.00", "4.50"},
		{0.934, "percent", "0.0%", "93.4%"},
		{0.934, "", "0%", "93%"},
		{1234.6, "", "0,0", "1,235"},
		{1234, "currency", "$0,0", "$1,234"},
		{-1234, "", "$0,0", "-$1,234"},
		{1234.5, "", "0,0.00", "1,234.50"},
		{3.21, "", "0.0 h", "3.2 h"},
		{1234, "", "0", "1234"},
		{0.934, "percent", "bogus", "93.4%"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v, tt.unit, tt.pattern); got != tt.want {
			t.Errorf("FormatValue(%v, %q, %q): want %q, got %q", tt.v, tt.unit, tt.pattern, tt.want, got)
		}
	}
}

func TestColumnUnit(t *testing.T) {
	f := dailyFrame(3) // day, orders (integer), csat, on_time_rate
	tests := []struct {
		col, unit, want string
	}{
		{"orders", "count", "count"},
		{"orders", "score", "count"},       // integers are counts
		{"orders", "currency", "currency"}, // unless the unit fits integers
		{"csat", "score", "score"},
		{"csat", "percent", "score"}, // 4.1 cannot be a share; a CSAT column is a score
		{"csat", "hours", "score"},   // beside first-response hours
		{"on_time_rate", "score", "percent"},
		{"on_time_rate", "", "percent"},
		{"on_time_rate", "ratio", "ratio"},
	}
	for _, tt := range tests {
		if got := columnUnit(f, f.Index(tt.col), tt.unit); got != tt.want {
			t.Errorf("columnUnit(%s, %q): want %q, got %q", tt.col, tt.unit, tt.want, got)
		}
	}
}

func TestTable(t *testing.T) {
	f := dailyFrame(2)
	f.Columns = append(f.Columns, frame.Column{Name: "note", Type: frame.Text}, frame.Column{Name: "at", Type: frame.Time})
	f.Rows[0] = append(f.Rows[0], attack, time.Date(2026, 3, 1, 7, 5, 0, 0, time.UTC))
	f.Rows[1] = append(f.Rows[1], nil, nil)

	html, err := Table(f, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	for _, want := range []string{
		"<thead><tr>",
		`<th scope="col" class="num" style="text-align:right">Orders</th>`,
		`<th scope="col" style="text-align:left">Day</th>`,
		">2026-03-01</td>",
		">1,180</td>",
		">4.10</td>", ">4.14</td>", // the same decimals down the column
		">88.0%</td>", // a rate holding fractions reads as a percent
		">2026-03-01 07:05</td>",
		"&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
		`class="num" style="text-align:right`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("table: want %s in:\n%s", want, s)
		}
	}
	if strings.Contains(s, "<script>") {
		t.Errorf("table: want every cell escaped, got:\n%s", s)
	}

	html, err = Table(f, []string{"on_time_rate", "day"}, "percent")
	if err != nil {
		t.Fatal(err)
	}
	if i, j := strings.Index(string(html), ">On time rate<"), strings.Index(string(html), ">Day<"); i < 0 || j < 0 || i > j {
		t.Errorf("table columns: want on_time_rate then day, got:\n%s", html)
	}
	if strings.Contains(string(html), "Orders") {
		t.Errorf("table columns: want only on_time_rate and day, got:\n%s", html)
	}

	_, err = Table(f, []string{"day", "nps"}, "")
	want := `column "nps" not in result (has: day, orders, csat, on_time_rate, note, at)`
	if err == nil || err.Error() != want {
		t.Errorf("missing column: want %q, got %v", want, err)
	}

	f.Truncated = true
	html, _ = Table(f, nil, "")
	if !strings.Contains(string(html), "Showing the first 2 rows.") {
		t.Errorf("truncated frame: want a note, got:\n%s", html)
	}
}

// svgDoc is what the sparkline tests read back.
type svgDoc struct {
	XMLName  xml.Name `xml:"svg"`
	Width    string   `xml:"width,attr"`
	Height   string   `xml:"height,attr"`
	ViewBox  string   `xml:"viewBox,attr"`
	Polyline struct {
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
	Circles []struct{} `xml:"circle"`
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		name       string
		values     []float64
		wantPoints int
		wantDot    bool
	}{
		{"series", []float64{3, 4, 3.5, 5, 4.8, 6}, 6, false},
		{"gaps skipped", []float64{1, math.NaN(), 3, math.Inf(1), 2}, 3, false},
		{"flat", []float64{2, 2, 2}, 3, false},
		{"one point", []float64{7}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(Sparkline(tt.values, 160, 30))
			var doc svgDoc
			if err := xml.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("want valid SVG, got %v:\n%s", err, out)
			}
			if doc.Width != "160" || doc.Height != "30" || doc.ViewBox != "0 0 160 30" {
				t.Errorf("size: want 160×30, got width=%s height=%s viewBox=%s", doc.Width, doc.Height, doc.ViewBox)
			}
			points := strings.Fields(doc.Polyline.Points)
			if len(points) != tt.wantPoints {
				t.Errorf("points: want %d, got %d (%s)", tt.wantPoints, len(points), doc.Polyline.Points)
			}
			for _, p := range points {
				x, y, err := parsePoint(p)
				if err != nil || x < 0 || x > 160 || y < 0 || y > 30 {
					t.Errorf("point %s: want x,y inside 160×30", p)
				}
			}
			if got := len(doc.Circles) > 0; got != tt.wantDot {
				t.Errorf("dot: want %v, got %v", tt.wantDot, got)
			}
			if strings.Contains(out, "<script") {
				t.Errorf("want no script in a sparkline")
			}
		})
	}
	for _, empty := range [][]float64{nil, {}, {math.NaN(), math.NaN()}} {
		if got := Sparkline(empty, 100, 20); got != "" {
			t.Errorf("Sparkline(%v): want \"\", got %s", empty, got)
		}
	}
	// Later values sit further right, higher values higher up.
	var doc svgDoc
	_ = xml.Unmarshal([]byte(Sparkline([]float64{1, 9}, 100, 20)), &doc)
	if got := doc.Polyline.Points; got != "2,18 98,2" {
		t.Errorf("points for [1 9]: want 2,18 98,2, got %s", got)
	}
}

// parsePoint reads an "x,y" polyline point.
func parsePoint(p string) (x, y float64, err error) {
	xs, ys, _ := strings.Cut(p, ",")
	if x, err = strconv.ParseFloat(xs, 64); err != nil {
		return 0, 0, err
	}
	y, err = strconv.ParseFloat(ys, 64)
	return x, y, err
}

// A query's currency is written with its own symbol or code, on tiles,
// tables and axes alike.
func TestCurrencyOtherThanDollars(t *testing.T) {
	for _, tc := range []struct {
		v          float64
		unit, want string
	}{
		{1234.5, "currency EUR", "€1,235"},
		{54.2, "currency GBP", "£54.20"},
		{1234, "currency CHF", "CHF 1,234"},
		{-54.2, "currency EUR", "-€54.20"},
		{1234.5, "currency JPY", "¥1,235"},
		{54.2, "currency", "$54.20"},
	} {
		if got := FormatValue(tc.v, tc.unit, ""); got != tc.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
	f := &frame.Frame{Columns: []frame.Column{{Name: "revenue", Type: frame.Number}}, Rows: [][]any{{1234.5}}}
	if got := columnUnit(f, 0, "currency EUR"); got != "currency EUR" {
		t.Errorf("a revenue column of a EUR query is %q, want currency EUR", got)
	}
	if got := SpecFor("currency EUR", "").Axis().Format(250000); got != "€250K" {
		t.Errorf("EUR axis label of 250,000 = %q, want €250K", got)
	}
}

// A value that rounds to what it is compared with is written finer, as far
// as it takes, and only then: "4.30 · off target" beside a target of 4.30
// reads as a contradiction.
func TestFormatApart(t *testing.T) {
	for _, tc := range []struct {
		v, ref        float64
		unit, pattern string
		want          string
	}{
		{4.2977, 4.3, "score", "0.00", "4.298"},
		{4.2999, 4.3, "", "", "4.2999"},
		{99.96, 100, "count", "", "99.96"},
		{0.99857, 0.999, "percent", "0.0%", "99.86%"},
		{4.3, 4.3, "score", "0.00", "4.30"},
		{4.1, 4.3, "score", "0.00", "4.10"},
		{0.5, 0.9, "percent", "", "50.0%"},
	} {
		if got := FormatApart(tc.v, tc.ref, tc.unit, tc.pattern); got != tc.want {
			t.Errorf("FormatApart(%v, %v, %q, %q) = %q, want %q", tc.v, tc.ref, tc.unit, tc.pattern, got, tc.want)
		}
	}
}

// A lone answer is not "1 responses".
func TestSampleText(t *testing.T) {
	for _, tc := range []struct {
		n      float64
		column string
		want   string
	}{
		{412, "responses", "412 responses"},
		{1, "responses", "1 response"},
		{1, "customers", "1 customer"},
		{1, "orders_due", "1 order due"},
		{2059, "orders_due", "2,059 orders due"},
		{1, "press", "1 press"},
	} {
		if got := SampleText(tc.n, tc.column); got != tc.want {
			t.Errorf("SampleText(%v, %q) = %q, want %q", tc.n, tc.column, got, tc.want)
		}
	}
}
