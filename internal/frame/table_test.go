package frame

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// A column with a unit or a format is written by the number formatter a
// terminal table is given; the others stay rounded for reading.
func TestWriteTableWithColumnFormats(t *testing.T) {
	f := &Frame{
		Columns: []Column{
			{Name: "carrier", Type: Text},
			{Name: "on_time_rate", Type: Number, Unit: "percent"},
			{Name: "orders", Type: Integer, Format: "#,##0"},
			{Name: "plain", Type: Number},
		},
		Rows: [][]any{{"reno", 0.86931, int64(1204), 0.123456}, {"fast", nil, int64(7), 2.5}},
	}
	number := func(v float64, unit, format string) string { return fmt.Sprintf("<%g %s %s>", v, unit, format) }
	var buf bytes.Buffer
	if err := f.WriteTableWith(&buf, number); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{"<0.86931 percent >", "<1204  #,##0>", "0.1235", "<7  #,##0>"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<2.5") || strings.Contains(got, "< ") {
		t.Errorf("a column without unit or format, or a NULL, went through the formatter:\n%s", got)
	}
	buf.Reset()
	if err := f.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "0.8693") {
		t.Errorf("WriteTable without a formatter changed the numbers:\n%s", buf.String())
	}
}
