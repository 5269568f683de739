package store_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/dbtest"
)

// Pruning deletes what expired before its time, and then, past the byte
// budget, the results that expire first; those expiring last stay.
func TestPruneResultsKeepsTheLatestWithinItsBytes(t *testing.T) {
	ctx := context.Background()
	st := dbtest.Store(t)
	now := time.Date(2026, 11, 30, 6, 30, 0, 0, time.UTC)
	frame := bytes.Repeat([]byte("x"), 1000)
	for i := range 10 {
		expires := now.Add(time.Duration(i) * time.Hour)
		if err := st.SaveResult(ctx, fmt.Sprintf("k%d", i), "q", frame, now.Add(-time.Hour), expires); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SavePrint(ctx, "old-print", "r", now, []byte("%PDF"), now.Add(-48*time.Hour), now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// k0 expired before the cut-off; 3 results of ~1 kB fit in 3.1 kB.
	n, err := st.PruneResults(ctx, now.Add(30*time.Minute), 3100)
	if err != nil {
		t.Fatal(err)
	}
	if n != 8 {
		t.Errorf("pruned %d; want 8 (one expired result, one expired print, six past the budget)", n)
	}
	for i := range 10 {
		_, err := st.LoadResult(ctx, fmt.Sprintf("k%d", i))
		if kept := err == nil; kept != (i >= 7) {
			t.Errorf("k%d kept: %v; want only the three expiring last (k7–k9)", i, kept)
		}
	}
	if ok, _ := st.HasPrint(ctx, "r", now, now.Add(-72*time.Hour)); ok {
		t.Error("the expired print is still kept")
	}
}
