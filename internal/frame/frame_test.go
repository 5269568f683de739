package frame

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sample() *Frame {
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	return &Frame{
		Columns: []Column{{Name: "day", Type: Date}, {Name: "channel", Type: Text}, {Name: "orders", Type: Integer}, {Name: "csat", Type: Number}},
		Rows: [][]any{
			{day, "web", int64(1204), 4.41666666},
			{day, "=HYPERLINK(\"http://evil\")", int64(7), nil},
		},
	}
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := "day,channel,orders,csat\n2026-11-21,web,1204,4.41666666\n2026-11-21,\"'=HYPERLINK(\"\"http://evil\"\")\",7,\n"
	if got := buf.String(); got != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
}

func TestJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Rows[0]["day"] != "2026-11-21" || got.Rows[0]["orders"] != float64(1204) || got.Rows[1]["csat"] != nil {
		t.Errorf("rows %v: want dates as YYYY-MM-DD, numbers as numbers, NULL as null", got.Rows)
	}
}

func TestTable(t *testing.T) {
	var buf bytes.Buffer
	sample().WriteTable(&buf)
	lines := strings.Split(buf.String(), "\n")
	if !strings.HasPrefix(lines[0], "day         channel") || !strings.Contains(lines[2], "  1204  4.4167") || lines[len(lines)-2] != "(2 rows)" {
		t.Errorf("table:\n%s", buf.String())
	}
}

func TestFirstNumeric(t *testing.T) {
	f := sample()
	if got := f.FirstNumeric(); got != 2 {
		t.Errorf("FirstNumeric = %d, want 2 (orders)", got)
	}
	f.Columns[3].Name = "value"
	if got := f.FirstNumeric(); got != 3 {
		t.Errorf("FirstNumeric = %d, want 3 (the column named value)", got)
	}
}
