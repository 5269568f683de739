package catalog

import (
	"math"
	"strings"
	"testing"
)

// Each case's z is worked out by hand in its comment; the change is real
// when |z| > 1.96.
func TestCompareWeighsChangesAgainstTheirNoise(t *testing.T) {
	cases := []struct {
		name      string
		metric    Metric
		cur, prev Point
		wantZ     float64
		wantReal  bool
		wantPct   bool
	}{
		// NPS 42 from 26 answers vs 37 from 19: var ≤ 10⁴(1−0.42²)/26 +
		// 10⁴(1−0.37²)/19 = 316.8 + 454.3, se 27.77, z = 5/27.77 = 0.180.
		{"nps, few answers", Metric{Aggregate: NPS, Sample: "n"}, Point{Value: 42, Sample: 26}, Point{Value: 37, Sample: 19}, 0.180, false, false},
		// The same move from 4,000 answers each: var = 2.059 + 2.158, se 2.054, z = 2.435.
		{"nps, many answers", Metric{Aggregate: NPS, Sample: "n"}, Point{Value: 42, Sample: 4000}, Point{Value: 37, Sample: 4000}, 2.435, true, false},
		// 90% of 400 vs 88% of 400: se = √(.9·.1/400 + .88·.12/400) = 0.02211, z = 0.02/0.02211 = 0.904.
		{"rate, 400 orders", Metric{Aggregate: Ratio, Sample: "n"}, Point{Value: 0.90, Sample: 400, Unit: "percent"}, Point{Value: 0.88, Sample: 400, Unit: "percent"}, 0.904, false, false},
		// The same rates of 4,000 orders: se = 0.006993, z = 2.860.
		{"rate, 4000 orders", Metric{Aggregate: Ratio, Sample: "n"}, Point{Value: 0.90, Sample: 4000, Unit: "percent"}, Point{Value: 0.88, Sample: 4000, Unit: "percent"}, 2.860, true, false},
		// 45 vs 38 orders in 7 days each (Poisson): z = 7/√83 = 0.768.
		{"count, small", Metric{Aggregate: Sum}, Point{Value: 45, Days: 7}, Point{Value: 38, Days: 7}, 0.768, false, true},
		// 450 vs 380: z = 70/√830 = 2.430.
		{"count, large", Metric{Aggregate: Sum}, Point{Value: 450, Days: 7}, Point{Value: 380, Days: 7}, 2.430, true, true},
		// 70 in 7 days vs 280 in 28 days: both 10 a day, z = 0.
		{"count, periods of different lengths", Metric{Aggregate: Sum}, Point{Value: 70, Days: 7}, Point{Value: 280, Days: 28}, 0, false, true},
		// CSAT 4.30 vs 4.18, spread 0.9, 400 answers each: se = √(2·0.81/400) = 0.06364, z = 1.886.
		{"mean, 400 answers", Metric{Aggregate: Mean, Sample: "n", Spread: "sd"}, Point{Value: 4.30, Sample: 400, Spread: 0.9}, Point{Value: 4.18, Sample: 400, Spread: 0.9}, 1.886, false, false},
		// 500 answers each: se = 0.05692, z = 2.108.
		{"mean, 500 answers", Metric{Aggregate: Mean, Sample: "n", Spread: "sd"}, Point{Value: 4.30, Sample: 500, Spread: 0.9}, Point{Value: 4.18, Sample: 500, Spread: 0.9}, 2.108, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.metric.Compare(tc.cur, tc.prev)
			if !c.Tested {
				t.Fatal("not tested")
			}
			if math.Abs(c.Z-tc.wantZ) > 0.01 || c.Real != tc.wantReal {
				t.Errorf("z = %.3f real = %v, want z = %.3f real = %v", c.Z, c.Real, tc.wantZ, tc.wantReal)
			}
			if c.HasPc != tc.wantPct {
				t.Errorf("percent change given: %v, want %v (percent for sums only)", c.HasPc, tc.wantPct)
			}
		})
	}
}

// A query that declares nothing is compared as a plain value: untested,
// with a percent change as before the model.
func TestUndeclaredMetricIsAPlainValue(t *testing.T) {
	c := Metric{}.Compare(Point{Value: 110, Unit: "count"}, Point{Value: 100, Unit: "count"})
	if c.Tested || !c.HasPc || math.Abs(c.Pct-0.10) > 1e-9 {
		t.Errorf("got %+v, want an untested +10%%", c)
	}
}

// A level compares as the plain value it is: a backlog 10% higher is
// "+10%", never weighed against a noise it has no model of.
func TestLevelComparesAsAPlainValue(t *testing.T) {
	m := Metric{Aggregate: Last}
	c := m.Compare(Point{Value: 110, Days: 7, Unit: "count"}, Point{Value: 100, Days: 28, Unit: "count"})
	if c.Tested || !c.HasPc || math.Abs(c.Pct-0.10) > 1e-9 || c.Abs != 10 {
		t.Errorf("got %+v, want an untested +10 (+10%%), whatever the periods' lengths", c)
	}
	if m.InPoints("count") || !m.InPoints("percent") {
		t.Errorf("a level's change is worded by its unit")
	}
}

func TestMetricHeaderIsChecked(t *testing.T) {
	for src, want := range map[string]string{
		"-- title: T\n-- aggregate: median\nSELECT 1":                                `2: unknown aggregate "median" (known: sum, ratio, mean, nps, last)`,
		"-- title: T\n-- aggregate: last\n-- sample: n\nSELECT 1":                    `3: aggregate last is a level at the end of the period; it rests on no sample`,
		"-- title: T\n-- aggregate: ratio\nSELECT 1":                                 `2: aggregate ratio needs the sample size`,
		"-- title: T\n-- aggregate: sum\n-- spread: sd\nSELECT 1":                    `3: spread is for aggregate mean`,
		"-- title: T\n-- sample: answers; x\nSELECT 1":                               `2: sample: "answers; x" is not a result column name`,
		"-- title: T\n-- aggregate: nps\n-- sample: n\n-- min_sample: few\nSELECT 1": `4: min_sample: "few" is not a whole number`,
	} {
		_, err := ParseQuery("x", "sql/x.sql", []byte(src))
		if err == nil || !strings.Contains(err.Error(), "sql/x.sql:"+want) {
			t.Errorf("%q: got %v, want an error containing sql/x.sql:%s", src, err, want)
		}
	}
	q, err := ParseQuery("x", "sql/x.sql", []byte("-- title: T\n-- aggregate: nps\n-- sample: answers\nSELECT 1 AS value"))
	if err != nil || q.Metric.MinimumSample() != DefaultMinSample {
		t.Fatalf("%v, %+v", err, q)
	}
	if errs := q.checkResultColumns([]string{"value"}); len(errs) != 1 || !strings.Contains(errs[0].Error(), `sql/x.sql:3: sample: the query returns no column "answers"`) {
		t.Errorf("a missing sample column: %v", errs)
	}
}

func TestWarningsNameNumbersAFilterDoesNotNarrow(t *testing.T) {
	c := &Catalog{
		Queries: map[string]*Query{
			"a": {Name: "a", Params: []Param{{Name: "channel"}}},
			"b": {Name: "b"},
		},
		Dashboards: map[string]*Dashboard{"d": {Name: "d", File: "dashboards/d.yaml",
			Filters: []Filter{{Param: "channel"}},
			Tiles:   []Tile{{Query: "a", Line: 5}, {Query: "b", Line: 7}},
		}},
	}
	w := c.Warnings()
	if len(w) != 1 || !strings.HasPrefix(w[0].Error(), `dashboards/d.yaml:7: tile`) || !strings.Contains(w[0].Error(), `does not take filter "channel"`) {
		t.Errorf("warnings %v; want one, for tile b at line 7", w)
	}
}
