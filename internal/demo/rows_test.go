package demo

import (
	"testing"
	"time"
)

func TestTimestampLiteral(t *testing.T) {
	for sec := int64(-86400 * 800); sec < 86400*365*80; sec += 7919 * 13 {
		want := time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05+00")
		if got := ts(sec); got != want {
			t.Fatalf("ts(%d) = %s, want %s", sec, got, want)
		}
	}
}

// The rounds cover every simulated day once, in order, and the warm-up
// copies only customers.
func TestRounds(t *testing.T) {
	for _, scale := range []float64{0.1, 1, 30, MaxScale} {
		o := testOptions(t)
		o.Scale, o.Days = scale, 730
		s := newSim(o)
		next := 0
		for _, r := range s.rounds() {
			if r.from != next || r.to <= r.from {
				t.Fatalf("scale %g: round %d–%d after day %d", scale, r.from, r.to, next)
			}
			if warm := r.to <= s.first; warm != (len(r.tables) == 1) || (r.from < s.first && r.to > s.first) {
				t.Errorf("scale %g: round %d–%d writes %d tables (first day of data %d)", scale, r.from, r.to, len(r.tables), s.first)
			}
			next = r.to
		}
		if next != s.days {
			t.Errorf("scale %g: rounds end at day %d, want %d", scale, next, s.days)
		}
	}
}

// What the generator holds does not grow with the history: the rows of
// one round, and a slot for each customer with something pending. Run
// without a database: each COPY's rows go nowhere.
func TestGeneratorHoldsOnlyWhatIsPending(t *testing.T) {
	for _, scale := range []float64{0.5, 2} {
		o := testOptions(t)
		o.Scale, o.Days = scale, 365
		s := newSim(o)
		rows := map[string]int64{}
		held, slots := 0, 0
		for _, tab := range s.tables(rows) {
			err := tab.Rows(func(...any) error {
				held = max(held, s.rows.len())
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slots = max(slots, len(s.customers))
			checkSlots(t, s)
		}
		if held > 2*batchRows {
			t.Errorf("scale %g: %d rows held at once, want at most a round's (about %d)", scale, held, batchRows)
		}
		if n := int(s.nextCustomer); rows["customers"] != int64(n) || slots > n/4 {
			t.Errorf("scale %g: %d slots for %d customers (%d copied), want at most a quarter", scale, slots, n, rows["customers"])
		}
		if free := len(s.free); free != len(s.customers) {
			t.Errorf("scale %g: %d of %d slots still held after the last day", scale, len(s.customers)-free, len(s.customers))
		}
	}
}

// checkSlots checks that each held slot is referenced exactly refs times
// by what is pending, and that no past day keeps anything.
func checkSlots(t *testing.T, s *sim) {
	t.Helper()
	refs := make([]int, len(s.customers))
	for d := range s.days {
		if d < s.day && (s.due[d] != nil || s.tickets[d] != nil || s.surveys[d] != nil) {
			t.Fatalf("day %d is simulated (now at %d) but keeps its plans", d, s.day)
		}
		for _, ci := range s.due[d] {
			refs[ci]++
		}
		for _, tk := range s.tickets[d] {
			refs[tk.cust]++
		}
		for _, ci := range s.surveys[d] {
			refs[ci]++
		}
	}
	free := make(map[int32]bool, len(s.free))
	for _, ci := range s.free {
		free[ci] = true
	}
	for ci, c := range s.customers {
		want := int(c.refs)
		if free[int32(ci)] {
			want = 0
		}
		if refs[ci] != want || (want == 0) != free[int32(ci)] {
			t.Fatalf("slot %d (customer %d): %d references pending, refs %d, free %v", ci, c.id, refs[ci], c.refs, free[int32(ci)])
		}
	}
}
