package catalog

import (
	"reflect"
	"strings"
	"testing"
)

const opsDaily = `title: Ops daily
description: Yesterday's numbers for the morning stand-up.
dashboard: daily-ops
period: yesterday
timezone: America/New_York
schedule: "0 7 * * *"
to: [ops-leads@example.com, "Ops Lead <lead@example.com>"]
cc: marketing@example.com
subject: "Ops daily {{.Date}}"
attach: [pdf, csv]
on_error: send_partial
params:
  channel: web
  min_orders: 5
`

func TestParseReport(t *testing.T) {
	got, err := ParseReport("ops-daily", "reports/ops-daily.yaml", []byte(opsDaily))
	if err != nil {
		t.Fatalf("ParseReport: %v", err)
	}
	if got.Cron == nil || got.Cron.String() != "0 7 * * *" {
		t.Errorf("Cron = %v, want the parsed 0 7 * * *", got.Cron)
	}
	got.Cron, got.at = nil, nil
	want := &Report{
		Name: "ops-daily", File: "reports/ops-daily.yaml",
		Title: "Ops daily", Description: "Yesterday's numbers for the morning stand-up.",
		Dashboard: "daily-ops", Period: "yesterday", TimeZone: "America/New_York", Schedule: "0 7 * * *",
		To: []string{"ops-leads@example.com", "Ops Lead <lead@example.com>"}, Cc: []string{"marketing@example.com"},
		Subject: "Ops daily {{.Date}}", Attach: []string{"pdf", "csv"}, OnError: "send_partial",
		Params: map[string]string{"channel": "web", "min_orders": "5"},
		Line:   1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseReport:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseReportDefaults(t *testing.T) {
	r, err := ParseReport("r", "reports/r.yaml", []byte("dashboard: daily-ops\nto: a@example.com\n"))
	if err != nil {
		t.Fatalf("ParseReport: %v", err)
	}
	for _, c := range []struct{ field, got, want string }{
		{"Period", r.Period, "yesterday"},
		{"Subject", r.Subject, "{{.Title}} — {{.Date}}"},
		{"Attach", strings.Join(r.Attach, ","), "pdf"},
		{"OnError", r.OnError, "fail"},
		{"TimeZone", r.TimeZone, ""},
		{"Schedule", r.Schedule, ""},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if r.Cron != nil {
		t.Errorf("Cron = %v, want nil for a report without a schedule", r.Cron)
	}
	subject, err := r.FormatSubject(SubjectData{Date: "2026-03-08", Title: "Ops daily"})
	if err != nil || subject != "Ops daily — 2026-03-08" {
		t.Errorf("FormatSubject = %q, %v, want %q", subject, err, "Ops daily — 2026-03-08")
	}
}

func TestParseReportErrors(t *testing.T) {
	const base = "title: R\ndashboard: daily-ops\nschedule: \"0 7 * * *\"\nto: [a@example.com]\n"
	edit := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("base has no %q", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	for _, c := range []struct {
		name string
		src  string
		want []string
	}{
		{"bad cron", edit(`"0 7 * * *"`, `"0 7 * *"`), []string{
			`reports/r.yaml:3:11: schedule "0 7 * *": want 5 fields`,
		}},
		{"bad cron hour", edit(`"0 7 * * *"`, `0 24 * * *`), []string{
			`reports/r.yaml:3:11: schedule "0 24 * * *": hour: 24 is out of range (0-23)`,
		}},
		{"bad email", edit("[a@example.com]", "[a@example.com, bob@]"), []string{
			`reports/r.yaml:4:21: to: "bob@" is not an email address`,
		}},
		{"bad cc", base + "cc:\n  - ok@example.com\n  - not an address\n", []string{
			`reports/r.yaml:7:5: cc: "not an address" is not an email address`,
		}},
		{"missing to", edit("to: [a@example.com]\n", ""), []string{
			`reports/r.yaml:1:1: report is missing to`,
		}},
		{"empty to", edit("[a@example.com]", "[]"), []string{
			`reports/r.yaml:4:5: report: to is empty`,
		}},
		{"missing dashboard", edit("dashboard: daily-ops\n", ""), []string{
			`reports/r.yaml:1:1: report is missing dashboard`,
		}},
		{"bad timezone", base + "timezone: Mars/Olympus\n", []string{
			`reports/r.yaml:5:11: timezone: unknown time zone "Mars/Olympus"`,
		}},
		{"bad period", base + "period: last_week\n", []string{
			`reports/r.yaml:5:9: period: unknown period "last_week"`,
		}},
		{"bad subject syntax", base + "subject: \"{{.Date\"\n", []string{
			`reports/r.yaml:5:10: subject: bad template: unclosed action`,
		}},
		{"unknown subject field", base + "subject: \"{{.Dat}}\"\n", []string{
			`reports/r.yaml:5:10: subject: unknown field .Dat (fields: .Date .Title .Report .Period)`,
		}},
		{"bad attach", base + "attach: [pdf, xlsx]\n", []string{
			`reports/r.yaml:5:15: attach: unknown attachment "xlsx" (use pdf, csv)`,
		}},
		{"bad on_error", base + "on_error: retry\n", []string{
			`reports/r.yaml:5:11: on_error: unknown value "retry" (use fail or send_partial)`,
		}},
		{"params not a mapping", base + "params: [channel]\n", []string{
			`reports/r.yaml:5:9: params: want a mapping of parameter: value, got a list`,
		}},
		{"unknown key", base + "recipients: [a@example.com]\n", []string{
			`reports/r.yaml:5:1: unknown key "recipients" in report (known: title,`,
		}},
		{"typo key", base + "shedule: daily\n", []string{
			`reports/r.yaml:5:1: unknown key "shedule" in report (did you mean "schedule"?)`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseReport("r", "reports/r.yaml", []byte(c.src))
			checkErrors(t, err, c.want)
		})
	}
}
