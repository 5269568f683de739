package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeTree writes files (path → contents) under a fresh directory and
// returns it.
func writeTree(tb testing.TB, files map[string]string) string {
	tb.Helper()
	root := tb.TempDir()
	for path, src := range files {
		full := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(src), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

// fixture is a small valid definitions tree.
var fixture = map[string]string{
	"sql/kpi/csat.sql": "-- title: CSAT\n-- params: channel text = 'all'\nSELECT avg(score) AS value FROM csat_responses WHERE :channel = 'all'\n",
	"sql/daily_health.sql": "-- title: Daily health\n-- params: channel text = 'all', min_orders int = 5\n" +
		"SELECT day, csat, on_time_rate FROM health WHERE :channel = 'all' AND n >= :min_orders\n",
	"sql/channels.sql": "-- title: Channels\nSELECT 'all' AS channel\n",
	"dashboards/ops.yaml": `title: Ops
filters:
  - param: channel
    options_query: channels
  - param: min_orders
    options: ["5", "10"]
tiles:
  - query: kpi/csat
panels:
  - title: CSAT vs on-time
    query: daily_health
    chart: line
    x: day
    y: [csat, on_time_rate]
    y2: [on_time_rate]
`,
	"reports/ops-daily.yaml": "dashboard: ops\nschedule: \"0 7 * * *\"\nto: [ops@example.com]\nparams:\n  channel: web\n",
}

func TestLoad(t *testing.T) {
	c, err := Load(writeTree(t, fixture))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, got := range []struct {
		what      string
		got, want []string
	}{
		{"queries", c.QueryNames(), []string{"channels", "daily_health", "kpi/csat"}},
		{"dashboards", c.DashboardNames(), []string{"ops"}},
		{"reports", c.ReportNames(), []string{"ops-daily"}},
	} {
		if !slices.Equal(got.got, got.want) {
			t.Errorf("%s = %v, want %v", got.what, got.got, got.want)
		}
	}
	if got := c.Reports["ops-daily"].Title; got != "Ops" {
		t.Errorf("report title = %q, want the dashboard's %q", got, "Ops")
	}
}

func TestLoadErrors(t *testing.T) {
	edit := func(path, old, new string) map[string]string {
		files := map[string]string{}
		for k, v := range fixture {
			files[k] = v
		}
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
		{"unknown tile query", edit("dashboards/ops.yaml", "query: kpi/csat", "query: kpi/csatt"), []string{
			`dashboards/ops.yaml:8:12: tile: unknown query "kpi/csatt" (did you mean "kpi/csat"?)`,
		}},
		{"unknown panel query", edit("dashboards/ops.yaml", "query: daily_health", "query: health"), []string{
			`dashboards/ops.yaml:11:12: panel "CSAT vs on-time": unknown query "health" (no sql/health.sql)`,
		}},
		{"unknown options query", edit("dashboards/ops.yaml", "options_query: channels", "options_query: chanels"), []string{
			`dashboards/ops.yaml:4:20: filter "channel": options_query: unknown query "chanels" (did you mean "channels"?)`,
		}},
		{"filter param no query declares", edit("dashboards/ops.yaml", "param: min_orders", "param: min_order"), []string{
			`dashboards/ops.yaml:5:12: filter param "min_order" is not a parameter of any query on this dashboard (did you mean "min_orders"?) (declared: channel, min_orders)`,
		}},
		// The filter would set min_orders and change nothing: the query is
		// the problem, reported once, at its params line.
		{"filter param the query declares and never uses", edit("sql/daily_health.sql", "n >= :min_orders", "n >= 5"), []string{
			`sql/daily_health.sql:2: parameter "min_orders" is declared but never used by the statement (write :min_orders where it should filter, or remove it from params)`,
		}},
		{"unknown dashboard", edit("reports/ops-daily.yaml", "dashboard: ops", "dashboard: opz"), []string{
			`reports/ops-daily.yaml:1:12: unknown dashboard "opz" (did you mean "ops"?)`,
		}},
		{"report param not a filter", edit("reports/ops-daily.yaml", "channel: web", "region: north"), []string{
			`reports/ops-daily.yaml:5:3: params: "region" is not a filter of dashboard ops (filters: channel, min_orders)`,
		}},
		{"report param not an option", edit("reports/ops-daily.yaml", "channel: web", "min_orders: 7"), []string{
			`reports/ops-daily.yaml:5:3: params: min_orders "7" is not one of the filter's options (5, 10)`,
		}},
		{"errors from every file, sorted", func() map[string]string {
			files := edit("reports/ops-daily.yaml", "schedule: \"0 7 * * *\"", "schedule: daily")
			files["sql/broken.sql"] = "SELECT 1\n"
			files["dashboards/b.yaml"] = "title: B\nwidth: 3\n"
			return files
		}(), []string{
			`dashboards/b.yaml:2:1: unknown key "width" in dashboard`,
			`reports/ops-daily.yaml:2:11: schedule "daily": want 5 fields`,
			`sql/broken.sql:1: missing title`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cat, err := Load(writeTree(t, c.files))
			checkErrors(t, err, c.want)
			if cat == nil || len(cat.Dashboards) == 0 {
				t.Errorf("Load returned no dashboards with its errors; want what loaded")
			}
		})
	}
}

func TestCheckColumns(t *testing.T) {
	c, err := Load(writeTree(t, fixture))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, tc := range []struct {
		name    string
		columns map[string][]string
		want    []string
	}{
		{"all present", map[string][]string{
			"kpi/csat":     {"value"},
			"daily_health": {"day", "csat", "on_time_rate"},
		}, nil},
		{"missing y column", map[string][]string{
			"kpi/csat":     {"value"},
			"daily_health": {"day", "csatt", "on_time_rate"},
		}, []string{
			`dashboards/ops.yaml:14:9: panel "CSAT vs on-time": query daily_health returns no column "csat" (it has: day, csatt, on_time_rate)`,
		}},
		{"missing x, tile without columns", map[string][]string{
			"kpi/csat":     {},
			"daily_health": {"date", "csat", "on_time_rate"},
		}, []string{
			`dashboards/ops.yaml:8:12: tile "kpi/csat": query kpi/csat returns no columns`,
			`dashboards/ops.yaml:13:8: panel "CSAT vs on-time": query daily_health returns no column "day" (it has: date, csat, on_time_rate)`,
		}},
		{"unknown queries are not checked", map[string][]string{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := c.CheckColumns(tc.columns)
			if tc.want == nil {
				if len(errs) > 0 {
					t.Fatalf("CheckColumns: %v, want no errors", errs)
				}
				return
			}
			checkErrors(t, errs.Err(), tc.want)
		})
	}
}

// TestShipped loads the definitions shipped in the repository: they are the
// demo and the documentation by example, so they must be valid.
func TestShipped(t *testing.T) {
	c, err := Load("../..")
	if err != nil {
		var errs Errors
		errors.As(err, &errs)
		t.Fatalf("shipped definitions have %d problems:\n%v", len(errs), err)
	}
	for _, name := range []string{"daily-ops", "customer-impact"} {
		if c.Dashboards[name] == nil {
			t.Errorf("dashboard %s is not shipped", name)
		}
	}
	for _, name := range []string{"ops-daily", "customer-weekly"} {
		if c.Reports[name] == nil {
			t.Errorf("report %s is not shipped", name)
		}
	}
}
