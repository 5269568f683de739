package catalog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
)

func mustLoadLocation(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func mustParseSchedule(tb testing.TB, spec string) *Schedule {
	tb.Helper()
	s, err := ParseSchedule(spec)
	if err != nil {
		tb.Fatalf("ParseSchedule(%q): %v", spec, err)
	}
	return s
}

// runs lists the times s fires after from, up to and including to, in loc.
func runs(s *Schedule, from, to time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	for t := s.Next(from, loc); !t.IsZero() && !t.After(to); t = s.Next(t, loc) {
		out = append(out, t)
		if len(out) > 1000 {
			break
		}
	}
	return out
}

func TestScheduleNextDaylightSaving(t *testing.T) {
	ny := mustLoadLocation(t, "America/New_York")
	daily7 := mustParseSchedule(t, "0 7 * * *")
	daily0230 := mustParseSchedule(t, "30 2 * * *")
	daily0130 := mustParseSchedule(t, "30 1 * * *")
	local := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04 MST", s, ny)
		if err != nil {
			t.Fatalf("ParseInLocation(%q): %v", s, err)
		}
		return v
	}
	for _, c := range []struct {
		name     string
		s        *Schedule
		from, to string
		want     []string // in UTC
	}{
		{"07:00 across spring forward", daily7, "2026-03-07 00:00 EST", "2026-03-10 00:00 EDT", []string{
			"2026-03-07T12:00:00Z", // 07:00 EST
			"2026-03-08T11:00:00Z", // 07:00 EDT: the day clocks go forward
			"2026-03-09T11:00:00Z",
		}},
		{"07:00 across fall back", daily7, "2026-10-31 00:00 EDT", "2026-11-03 00:00 EST", []string{
			"2026-10-31T11:00:00Z", // 07:00 EDT
			"2026-11-01T12:00:00Z", // 07:00 EST: the day clocks go back
			"2026-11-02T12:00:00Z",
		}},
		{"02:30 does not exist on spring forward", daily0230, "2026-03-07 00:00 EST", "2026-03-10 00:00 EDT", []string{
			"2026-03-07T07:30:00Z", // 02:30 EST
			"2026-03-08T07:30:00Z", // 03:30 EDT, once
			"2026-03-09T06:30:00Z", // 02:30 EDT
		}},
		{"01:30 happens twice on fall back", daily0130, "2026-10-31 00:00 EDT", "2026-11-03 00:00 EST", []string{
			"2026-10-31T05:30:00Z", // 01:30 EDT
			"2026-11-01T05:30:00Z", // the first 01:30 (EDT) only
			"2026-11-02T06:30:00Z", // 01:30 EST
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := runs(c.s, local(c.from), local(c.to), ny)
			var gotUTC []string
			for _, r := range got {
				gotUTC = append(gotUTC, r.UTC().Format(time.RFC3339))
				if r.Location() != ny {
					t.Errorf("Next returned %v in %v, want %v", r, r.Location(), ny)
				}
			}
			if strings.Join(gotUTC, " ") != strings.Join(c.want, " ") {
				t.Errorf("runs = %v, want %v", gotUTC, c.want)
			}
		})
	}

	// Called from inside the gap, or from the second pass of the repeated
	// hour, Next neither skips nor repeats a run.
	if got, want := daily0230.Next(local("2026-03-08 03:10 EDT"), ny), local("2026-03-08 03:30 EDT"); !got.Equal(want) {
		t.Errorf("Next(03:10 EDT on spring forward) = %v, want %v", got, want)
	}
	if got, want := daily0130.Next(local("2026-11-01 01:10 EST"), ny), local("2026-11-02 01:30 EST"); !got.Equal(want) {
		t.Errorf("Next(second 01:10 on fall back) = %v, want %v", got, want)
	}
}

func TestScheduleNext(t *testing.T) {
	utc := time.UTC
	for _, c := range []struct {
		spec string
		from string // UTC
		want []string
	}{
		// 2026-03-02 is a Monday.
		{"0 8 * * 1", "2026-03-01T00:00:00Z", []string{"2026-03-02T08:00:00Z", "2026-03-09T08:00:00Z", "2026-03-16T08:00:00Z"}},
		{"0 8 * * MON", "2026-03-02T08:00:00Z", []string{"2026-03-09T08:00:00Z"}},
		{"*/15 9 * * *", "2026-03-02T09:20:00Z", []string{"2026-03-02T09:30:00Z", "2026-03-02T09:45:00Z", "2026-03-03T09:00:00Z"}},
		{"0 9-11 * * *", "2026-03-02T09:00:00Z", []string{"2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z", "2026-03-03T09:00:00Z"}},
		{"0,30 6 * * *", "2026-03-02T06:00:00Z", []string{"2026-03-02T06:30:00Z", "2026-03-03T06:00:00Z"}},
		{"0 7 * * mon-fri", "2026-03-06T08:00:00Z", []string{"2026-03-09T07:00:00Z", "2026-03-10T07:00:00Z"}}, // Friday, then Monday
		{"0 0 1-10/3 * *", "2026-03-01T00:00:00Z", []string{"2026-03-04T00:00:00Z", "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z", "2026-04-01T00:00:00Z"}},
		{"0 12 1 JAN,JUL *", "2026-03-01T00:00:00Z", []string{"2026-07-01T12:00:00Z", "2027-01-01T12:00:00Z"}},
		{"5/20 0 * * *", "2026-03-01T00:00:00Z", []string{"2026-03-01T00:05:00Z", "2026-03-01T00:25:00Z", "2026-03-01T00:45:00Z", "2026-03-02T00:05:00Z"}},
		{"0 0 * * 7", "2026-03-01T00:00:00Z", []string{"2026-03-08T00:00:00Z"}}, // 7 is Sunday
		// Both day fields restricted: either matches (the 13th, or a Friday).
		{"0 0 13 * 5", "2026-03-10T00:00:00Z", []string{"2026-03-13T00:00:00Z", "2026-03-20T00:00:00Z", "2026-03-27T00:00:00Z", "2026-04-03T00:00:00Z"}},
		{"0 0 29 2 *", "2026-03-01T00:00:00Z", []string{"2028-02-29T00:00:00Z"}},
		{"@daily", "2026-03-01T10:00:00Z", []string{"2026-03-02T00:00:00Z"}},
		{"0 7 * * *", "2026-03-02T07:00:30Z", []string{"2026-03-03T07:00:00Z"}},
	} {
		t.Run(c.spec, func(t *testing.T) {
			s := mustParseSchedule(t, c.spec)
			from, _ := time.Parse(time.RFC3339, c.from)
			var got []string
			for range c.want {
				from = s.Next(from, utc)
				got = append(got, from.Format(time.RFC3339))
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("Next from %s = %v, want %v", c.from, got, c.want)
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"0 7 * *", `want 5 fields (minute hour day-of-month month day-of-week), got 4`},
		{"0 25 * * *", `hour: 25 is out of range (0-23)`},
		{"60 * * * *", `minute: 60 is out of range (0-59)`},
		{"0 0 0 * *", `day of month: 0 is out of range (1-31)`},
		{"0 7 * * FUNDAY", `day of week: "FUNDAY" is not a number or a name like MON`},
		{"0 7 * 13 *", `month: 13 is out of range (1-12)`},
		{"*/0 * * * *", `minute: bad step "0"`},
		{"0 10-8 * * *", `hour: range "10-8" ends before it starts`},
		{"0 7,,8 * * *", `hour: empty value in "7,,8"`},
		{"0 0 30 2 *", `never runs`},
		{"@fortnightly", `unknown schedule "@fortnightly"`},
	} {
		t.Run(c.spec, func(t *testing.T) {
			_, err := ParseSchedule(c.spec)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseSchedule(%q) = %v, want an error containing %q", c.spec, err, c.want)
			}
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Errorf("error %v is not apperr.ErrInvalid", err)
			}
		})
	}
}

func TestScheduleDescribe(t *testing.T) {
	cases := map[string]string{
		"0 7 * * *":        "every day at 07:00",
		"@daily":           "every day at 00:00",
		"0 8 * * 1":        "Mondays at 08:00",
		"30 6 * * MON-FRI": "weekdays at 06:30",
		"0 9 * * 0,3":      "Wednesdays, Sundays at 09:00",
		"0 9 * * 7":        "Sundays at 09:00",
		"15 9 1 * *":       "on day 1 of each month at 09:15",
		"*/15 * * * *":     "cron */15 * * * *",
		"0 7 * 1 *":        "cron 0 7 * 1 *",
		"0 7 1 * 1":        "cron 0 7 1 * 1",
	}
	for spec, want := range cases {
		s, err := ParseSchedule(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if got := s.Describe(); got != want {
			t.Errorf("Describe(%q) = %q, want %q", spec, got, want)
		}
	}
}
