package frame

import (
	"reflect"
	"testing"
	"time"
)

func TestEncodeRoundTrip(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	want := &Frame{
		Columns: []Column{
			{Name: "day", Type: Date},
			{Name: "at", Type: Time},
			{Name: "value", Type: Number, Unit: "percent", Label: "On time", Format: "0.0%"},
			{Name: "orders", Type: Integer},
			{Name: "channel", Type: Text},
			{Name: "late", Type: Bool},
		},
		Rows: [][]any{
			{time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 3, 30, 0, 0, berlin), 0.1 + 0.2, int64(-7), "web", true},
			{nil, nil, nil, nil, nil, nil},
			{time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, 1e-300, int64(1) << 60, "", false},
		},
		Truncated: true,
	}
	b, err := Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Columns, want.Columns) || got.Truncated != want.Truncated || len(got.Rows) != len(want.Rows) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	for i := range want.Rows {
		for j, w := range want.Rows[i] {
			g := got.Rows[i][j]
			if wt, ok := w.(time.Time); ok {
				gt, ok := g.(time.Time)
				if !ok || !gt.Equal(wt) {
					t.Errorf("row %d column %d: got %#v, want %v", i, j, g, wt)
				}
				_, wo := wt.Zone()
				_, goff := gt.Zone()
				if ok && wo != goff {
					t.Errorf("row %d column %d: offset %d, want %d", i, j, goff, wo)
				}
				continue
			}
			if g != w {
				t.Errorf("row %d column %d: got %#v (%T), want %#v (%T)", i, j, g, g, w, w)
			}
		}
	}

	empty, err := Encode(&Frame{Columns: []Column{{Name: "x", Type: Number}}})
	if err != nil {
		t.Fatal(err)
	}
	if f, err := Decode(empty); err != nil || f.Rows == nil || len(f.Rows) != 0 {
		t.Errorf("empty frame decoded as %+v, %v; want no rows", f, err)
	}
	if _, err := Decode([]byte("not a frame")); err == nil {
		t.Error("decoding garbage succeeded")
	}
}
