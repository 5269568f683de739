package catalog

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// A report is made once per date: a schedule with several times a day is
// refused where it is written, naming its times.
func TestReportScheduleWithSeveralTimesADay(t *testing.T) {
	for _, c := range []struct {
		schedule, want string // want: "" for a valid schedule
	}{
		{"0 7 * * *", ""},
		{"30 8 * * MON-FRI", ""},
		{"@daily", ""},
		{"0 7,15 * * *", `reports/r.yaml:3:11: schedule "0 7,15 * * *" fires twice a day (at 07:00 and 15:00); a report is made once per day`},
		{"*/30 7 * * *", `fires twice a day (at 07:00 and 07:30)`},
		{"@hourly", `fires 24 times a day (at 00:00, 01:00, 02:00, 03:00 and 20 more)`},
		{"0 6-8 * * 1", `fires 3 times a day (at 06:00, 07:00 and 08:00)`},
	} {
		src := "dashboard: daily-ops\nto: a@example.com\nschedule: \"" + c.schedule + "\"\n"
		r, err := ParseReport("r", "reports/r.yaml", []byte(src))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want it accepted", c.schedule, err)
		case c.want == "" && r.Cron == nil:
			t.Errorf("%s: no parsed schedule", c.schedule)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v\nwant an error containing %q", c.schedule, err, c.want)
		}
	}
}

// A typo in a dashboard is reported once, in the dashboard: the report
// and the alert-free references to it are not also "unknown", and a query
// that does not parse is not also an unknown query of the dashboards that
// use it.
func TestBrokenFileIsNotAlsoUnknown(t *testing.T) {
	root := writeTree(t, map[string]string{
		"sql/kpi/csat.sql": "-- title: CSAT\nSELECT 4.2 AS value\n",
		"sql/orders.sql":   "-- titel: Orders\nSELECT 1 AS n\n",
		"dashboards/daily-ops.yaml": `title: Daily ops
tiles:
  - query: kpi/csat
    lable: CSAT
`,
		"dashboards/orders.yaml": `title: Orders
tiles:
  - query: orders
`,
		"reports/ops-daily.yaml": "dashboard: daily-ops\nto: ops@example.com\n",
	})
	_, err := Load(root)
	errs, ok := errors.AsType[Errors](err)
	if !ok {
		t.Fatalf("Load: %v, want Errors", err)
	}
	var files []string
	for _, e := range errs {
		files = append(files, e.File)
		if strings.Contains(e.Msg, "unknown") && !strings.Contains(e.Msg, "key") {
			t.Errorf("false error: %v", e)
		}
	}
	for _, want := range []string{"dashboards/daily-ops.yaml", "sql/orders.sql"} {
		if !strings.Contains(strings.Join(files, " "), want) {
			t.Errorf("no error in %s; got:\n%v", want, err)
		}
	}
	for _, f := range files {
		if f == "reports/ops-daily.yaml" || f == "dashboards/orders.yaml" {
			t.Errorf("an error in %s, whose only problem is a reference to a broken file:\n%v", f, err)
		}
	}
}

// PostgreSQL's position in the text it was sent ("EXPLAIN " + the bound
// statement, whose placeholders are $n or ($n::type)) maps back to the
// line and column in the query file.
func TestDatabaseErrorPosition(t *testing.T) {
	src := "-- title: Orders\n-- params: channel text = 'all'\n\n" +
		"SELECT count(*) AS n\n" +
		"FROM orders\n" +
		"WHERE (:channel = 'all' OR channel = :channel) AND placed_at >= :from\n" +
		"  AND total > 0 GROUP BY 1 HAVIN count(*) > 1\n"
	q, err := ParseQuery("orders", "sql/orders.sql", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, prefix, find   string // find: text of the bound statement PostgreSQL points at
		wantLine, wantColumn int
	}{
		{"the first word", "EXPLAIN ", "SELECT", 4, 1},
		{"after two placeholders", "EXPLAIN ", "HAVIN", 7, 28},
		{"a word after a typed placeholder", "EXPLAIN ", "OR channel", 6, 25},
		{"inside a typed placeholder", "EXPLAIN ", "::text", 6, 8},
		{"the probe's prefix", "SELECT * FROM (", "HAVIN", 7, 28},
	} {
		sent := c.prefix + q.Bound.SQL
		i := strings.Index(sent, c.find)
		if i < 0 {
			t.Fatalf("%s: %q not in %q", c.what, c.find, sent)
		}
		charPos := utf8.RuneCountInString(sent[:i]) + 1
		for _, file := range [][]byte{[]byte(src), nil} {
			e := q.DatabaseError("syntax error", c.prefix, charPos, file)
			if e.File != "sql/orders.sql" || e.Line != c.wantLine || e.Col != c.wantColumn {
				t.Errorf("%s (file given: %v): at %s:%d:%d, want sql/orders.sql:%d:%d", c.what, file != nil, e.File, e.Line, e.Col, c.wantLine, c.wantColumn)
			}
		}
	}
	if e := q.DatabaseError("connection refused", "EXPLAIN ", 0, nil); e.Line != 4 || e.Col != 0 {
		t.Errorf("without a position: %s, want the statement's line 4", e)
	}
}
