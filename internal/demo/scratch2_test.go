package demo

import (
	"testing"
	"time"
)

func TestScratchSim(t *testing.T) {
	if testing.Short() { t.Skip() }
	o, _ := Options{Scale: 10, Now: time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)}.withDefaults()
	for _, tab := range []table{tabCustomers, tabOrders} {
		st := time.Now()
		n := 0
		if err := newSim(o, tab, func(v ...any) error { n++; return nil }).run(); err != nil {
			t.Fatal(err)
		}
		t.Logf("table %d rows %d took %v", tab, n, time.Since(st))
	}
}
