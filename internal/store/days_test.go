package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/dbtest"
)

func TestQueryDaysRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Store(t)
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	// A day given in another zone is still that calendar date.
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if err := db.SaveQueryDays(ctx, "kpi/x", "k1", map[time.Time][]byte{
		d("2026-03-28"): []byte("a"),
		d("2026-03-29"): []byte("b"),
		time.Date(2026, 3, 30, 0, 0, 0, 0, berlin): []byte("c"),
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveQueryDays(ctx, "kpi/x", "k2", map[time.Time][]byte{d("2026-03-29"): []byte("other key")}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveQueryDays(ctx, "kpi/x", "k1", map[time.Time][]byte{d("2026-03-29"): []byte("b2")}); err != nil {
		t.Fatal(err)
	}
	got, err := db.LoadQueryDays(ctx, "kpi/x", "k1", d("2026-03-29"), d("2026-04-01"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[time.Time][]byte{d("2026-03-29"): []byte("b2"), d("2026-03-30"): []byte("c")}
	if len(got) != len(want) {
		t.Fatalf("got days %v, want %v", got, want)
	}
	for day, w := range want {
		if !bytes.Equal(got[day], w) {
			t.Errorf("day %s: got %q, want %q", day.Format(time.DateOnly), got[day], w)
		}
	}

	n, err := db.ForgetQueryDays(ctx, d("2026-03-29"))
	if err != nil || n != 3 {
		t.Fatalf("ForgetQueryDays = %d, %v; want 3 days of both keys gone", n, err)
	}
	got, _ = db.LoadQueryDays(ctx, "kpi/x", "k1", d("2026-01-01"), d("2027-01-01"))
	if len(got) != 1 || string(got[d("2026-03-28")]) != "a" {
		t.Errorf("after forgetting from 2026-03-29: %v, want only 2026-03-28", got)
	}
}

// Days of a key that gained no day for the given time go; a key still
// in use keeps all its days, old ones too.
func TestPruneQueryDaysDropsUnusedKeys(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Store(t)
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, key := range []string{"edited-away", "in-use"} {
		if err := db.SaveQueryDays(ctx, "kpi/prune", key, map[time.Time][]byte{d("2026-01-01"): []byte("a"), d("2026-01-02"): []byte("b")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := dbtest.Admin(t).Exec(ctx, `UPDATE opsboard.query_days SET computed_at = now() - interval '40 days' WHERE query = 'kpi/prune'`); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveQueryDays(ctx, "kpi/prune", "in-use", map[time.Time][]byte{d("2026-11-29"): []byte("c")}); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneQueryDays(ctx, time.Now().AddDate(0, 0, -30))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("pruned %d days; want the unused key's 2", n)
	}
	for key, want := range map[string]int{"edited-away": 0, "in-use": 3} {
		got, err := db.LoadQueryDays(ctx, "kpi/prune", key, d("2025-01-01"), d("2027-01-01"))
		if err != nil || len(got) != want {
			t.Errorf("%s: %d days kept (%v); want %d", key, len(got), err, want)
		}
	}
}
