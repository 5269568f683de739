package catalog

import (
	"maps"
	"strings"
	"testing"
)

// alertFixture is fixture with a sum metric on the dashboard and two rules.
func alertFixture() map[string]string {
	files := maps.Clone(fixture)
	files["sql/kpi/orders.sql"] = "-- title: Orders\n-- aggregate: sum\n-- better: higher\n-- params: channel text = 'all'\nSELECT count(*) AS value FROM orders WHERE :channel = 'all'\n"
	files["dashboards/ops.yaml"] = strings.Replace(files["dashboards/ops.yaml"], "tiles:\n  - query: kpi/csat\n",
		"tiles:\n  - query: kpi/csat\n    label: CSAT\n    target: 4.3\n  - query: kpi/orders\n", 1)
	files["alerts/csat-low.yaml"] = `dashboard: ops
tile: kpi/csat
condition: below
range: today
schedule: "*/30 * * * *"
email: [ops@example.com]
`
	files["alerts/orders-drop.yaml"] = `title: Orders dropped
dashboard: ops
tile: kpi/orders
params: {channel: web, min_orders: "10"}
condition: change
range: yesterday
schedule: "0 8 * * *"
timezone: Europe/Berlin
webhooks:
  - url_env: OPSBOARD_SLACK_OPS
  - url: https://hooks.example.com/x
    format: generic
`
	return files
}

func TestLoadAlerts(t *testing.T) {
	c, err := Load(writeTree(t, alertFixture()))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.AlertNames(); strings.Join(got, ",") != "csat-low,orders-drop" {
		t.Fatalf("alerts = %v, want csat-low, orders-drop", got)
	}
	low := c.Alerts["csat-low"]
	if low.Title != "CSAT below target" {
		t.Errorf("default title %q, want %q", low.Title, "CSAT below target")
	}
	if low.Threshold == nil || *low.Threshold != 4.3 {
		t.Errorf("threshold %v, want the tile's target 4.3", low.Threshold)
	}
	if low.Range != "today" || low.Cron == nil || low.Cron.String() != "*/30 * * * *" {
		t.Errorf("range %q, schedule %v; want today, */30 * * * *", low.Range, low.Cron)
	}
	drop := c.Alerts["orders-drop"]
	for _, f := range []struct{ what, got, want string }{
		{"direction", drop.Direction, "down"}, // better: higher
		{"compare", drop.Compare, "previous_period"},
		{"timezone", drop.TimeZone, "Europe/Berlin"},
		{"params", drop.Params["channel"] + "," + drop.Params["min_orders"], "web,10"},
		{"params in words", drop.Watched("Orders"), "Orders (channel web, min_orders 10)"},
		{"dashboard view", drop.DashboardPath(), "/d/ops?channel=web&min_orders=10&range=yesterday"},
		{"no params", low.Watched("CSAT"), "CSAT"},
		{"today has no dashboard range", low.DashboardPath(), "/d/ops"},
		{"webhook 1", drop.Webhooks[0].Target() + " " + drop.Webhooks[0].Format, "env:OPSBOARD_SLACK_OPS slack"},
		{"webhook 2", drop.Webhooks[1].Target() + " " + drop.Webhooks[1].Format, "url:https://hooks.example.com/x generic"},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.what, f.got, f.want)
		}
	}
}

func TestParseAlertErrors(t *testing.T) {
	const base = "dashboard: ops\ntile: kpi/csat\ncondition: below\nschedule: \"0 8 * * *\"\nemail: [a@example.com]\n"
	edit := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("base has no %q", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"unknown key", base + "treshold: 3\n", []string{
			`alerts/r.yaml:6:1: unknown key "treshold" in alert (did you mean "threshold"?)`,
		}},
		{"bad condition", edit("condition: below", "condition: lower"), []string{
			`alerts/r.yaml:3:12: condition: unknown condition "lower" (use below, above, change)`,
		}},
		{"missing condition", edit("condition: below\n", ""), []string{
			`alerts/r.yaml:1:1: alert is missing condition`,
		}},
		{"bad threshold", base + "threshold: high\n", []string{
			`alerts/r.yaml:6:12: threshold: want a number, got "high"`,
		}},
		{"threshold on change", edit("condition: below", "condition: change") + "threshold: 3\n", []string{
			`alerts/r.yaml:6:12: threshold: condition change has no threshold`,
		}},
		{"bad schedule", edit(`"0 8 * * *"`, `"0 8 * *"`), []string{
			`alerts/r.yaml:4:11: schedule "0 8 * *": want 5 fields`,
		}},
		{"missing schedule", edit("schedule: \"0 8 * * *\"\n", ""), []string{
			`alerts/r.yaml:1:1: alert is missing schedule`,
		}},
		{"bad range", base + "range: last_week\n", []string{
			`alerts/r.yaml:6:8: range: unknown range "last_week"`,
		}},
		{"change today", edit("condition: below", "condition: change") + "range: today\n", []string{
			`alerts/r.yaml:6:8: range: condition change compares whole periods`,
		}},
		{"bad webhook scheme", base + "webhooks: [ftp://hooks.example.com/x]\n", []string{
			`alerts/r.yaml:6:12: webhook: url "ftp://hooks.example.com/x": want an https:// (or http://) address, not "ftp"`,
		}},
		{"webhook without host", base + "webhooks:\n  - url: https:///x\n", []string{
			`alerts/r.yaml:7:10: webhook: url "https:///x" has no host`,
		}},
		{"bad webhook format", base + "webhooks:\n  - url: https://h.example.com/x\n    format: teams\n", []string{
			`alerts/r.yaml:8:13: webhook: unknown format "teams" (use slack or generic)`,
		}},
		{"webhook url and env", base + "webhooks:\n  - url: https://h.example.com/x\n    url_env: X\n", []string{
			`alerts/r.yaml:8:5: webhook has both url and url_env; keep one`,
		}},
		{"bad env name", base + "webhooks:\n  - url_env: slack-url\n", []string{
			`alerts/r.yaml:7:14: webhook: url_env "slack-url" is not an environment variable name`,
		}},
		{"bad email", edit("[a@example.com]", "[a@]"), []string{
			`alerts/r.yaml:5:9: email: "a@" is not an email address`,
		}},
		{"misspelt email", edit("email: [a@example.com]", "emial: [a@example.com]"), []string{
			`alerts/r.yaml:5:1: unknown key "emial" in alert (did you mean "email"?)`,
		}},
		{"misspelt webhook url", base + "webhooks:\n  - ulr: https://h.example.com/x\n", []string{
			`alerts/r.yaml:7:5: unknown key "ulr" in webhook (did you mean "url"?)`,
		}},
		{"misspelt schedule", edit("schedule:", "schedul:"), []string{
			`alerts/r.yaml:4:1: unknown key "schedul" in alert (did you mean "schedule"?)`,
		}},
		{"nobody notified", edit("email: [a@example.com]\n", ""), []string{
			`alerts/r.yaml:1:1: alert notifies nobody`,
		}},
		{"direction on below", base + "direction: up\n", []string{
			`alerts/r.yaml:6:12: direction: only condition change has a direction`,
		}},
		{"bad timezone", base + "timezone: Mars/Olympus\n", []string{
			`alerts/r.yaml:6:11: timezone: unknown time zone "Mars/Olympus"`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseAlert("r", "alerts/r.yaml", []byte(c.src))
			checkErrors(t, err, c.want)
		})
	}
}

func TestLoadAlertErrors(t *testing.T) {
	edit := func(path, old, new string) map[string]string {
		files := alertFixture()
		if !strings.Contains(files[path], old) {
			t.Fatalf("%s has no %q", path, old)
		}
		files[path] = strings.Replace(files[path], old, new, 1)
		return files
	}
	for _, c := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"unknown dashboard", edit("alerts/csat-low.yaml", "dashboard: ops", "dashboard: opz"), []string{
			`alerts/csat-low.yaml:1:12: unknown dashboard "opz" (did you mean "ops"?)`,
		}},
		{"unknown tile", edit("alerts/csat-low.yaml", "tile: kpi/csat", "tile: kpi/csatt"), []string{
			`alerts/csat-low.yaml:2:7: tile "kpi/csatt" is not a tile of dashboard ops (did you mean "kpi/csat"?) (tiles: kpi/csat, kpi/orders)`,
		}},
		{"param not a filter", edit("alerts/orders-drop.yaml", "channel: web", "region: web"), []string{
			`alerts/orders-drop.yaml:4:10: params: "region" is not a filter of dashboard ops`,
		}},
		{"param not an option", edit("alerts/orders-drop.yaml", `min_orders: "10"`, `min_orders: "7"`), []string{
			`alerts/orders-drop.yaml:4:24: params: min_orders "7" is not one of the filter's options (5, 10)`,
		}},
		{"no threshold and no target", edit("alerts/csat-low.yaml", "tile: kpi/csat", "tile: kpi/orders"), []string{
			`alerts/csat-low.yaml:3:12: condition below needs a threshold: add threshold: N (the tile "kpi/orders" has no target)`,
		}},
		{"change without a metric model", edit("alerts/orders-drop.yaml", "tile: kpi/orders", "tile: kpi/csat"), []string{
			`alerts/orders-drop.yaml:5:12: condition change weighs a change against the metric's normal variation, and kpi/csat declares no metric model`,
		}},
		{"change of a level", edit("sql/kpi/orders.sql", "-- aggregate: sum", "-- aggregate: last"), []string{
			`alerts/orders-drop.yaml:5:12: condition change weighs a change against the metric's normal variation, and kpi/orders is a level (aggregate last), which has none: use condition above or below`,
		}},
		{"bad file name", func() map[string]string {
			files := alertFixture()
			files["alerts/csat low.yaml"] = files["alerts/csat-low.yaml"]
			return files
		}(), []string{
			`alerts/csat low.yaml: bad file name "csat low.yaml"`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeTree(t, c.files))
			checkErrors(t, err, c.want)
		})
	}
}
