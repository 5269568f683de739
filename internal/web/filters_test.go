package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// A number that a filter does not narrow says so on the page, and a filter
// filled by an options query still offers the parameter's default.
func TestIgnoredFiltersAreSaid(t *testing.T) {
	dir := writeDefs(t, map[string]string{
		"sql/channels.sql": "-- title: Channels\nSELECT DISTINCT channel FROM orders ORDER BY 1",
		"sql/by_channel.sql": `-- title: Orders
-- params: channel text = 'all'
SELECT count(*) AS value FROM orders WHERE placed_at >= :from::date AND placed_at < :to::date
  AND (:channel::text = 'all' OR channel = :channel::text)`,
		"sql/everyone.sql": "-- title: Customers\nSELECT count(*) AS value FROM customers",
		"dashboards/f.yaml": `title: Filters
filters:
  - param: channel
    label: Sales channel
    options_query: channels
tiles:
  - query: by_channel
  - query: everyone
panels:
  - {title: Everyone, query: everyone, chart: table}
`,
	})
	ts := startServer(t, demoDB(t), dir)
	code, body, _ := get(t, ts.URL+"/d/f")
	if code != http.StatusOK || !strings.Contains(body, `<option value="all" selected>all</option>`) {
		t.Errorf("/d/f = %d; want the default all offered and selected though channels.sql does not return it", code)
	}
	if strings.Contains(body, "all sales channels") {
		t.Errorf("with the filter at its default, nothing needs saying")
	}
	if code, _, _ := get(t, ts.URL+"/d/f?channel=all"); code != http.StatusOK {
		t.Errorf("?channel=all = %d, want 200", code)
	}
	code, body, _ = get(t, ts.URL+"/d/f?channel=web")
	if code != http.StatusOK {
		t.Fatalf("?channel=web = %d", code)
	}
	if n := strings.Count(body, ">all sales channels<"); n != 2 {
		t.Errorf("with channel=web, %d numbers say they are for all sales channels; want the customers tile and panel (2)", n)
	}
}

// "Yesterday" draws its time series over the 28 days to yesterday with
// yesterday marked; a panel of categories keeps the chosen day.
func TestShortRangesDrawTheirTrend(t *testing.T) {
	dir := writeDefs(t, map[string]string{
		"sql/daily.sql": `-- title: Orders per day
SELECT placed_at::date AS day, count(*) AS orders FROM orders
WHERE placed_at >= :from::date AND placed_at < :to::date GROUP BY 1 ORDER BY 1`,
		"sql/by_channel.sql": `-- title: Orders by channel
SELECT channel, count(*) AS orders FROM orders
WHERE placed_at >= :from::date AND placed_at < :to::date GROUP BY 1 ORDER BY 1`,
		"dashboards/t.yaml": `title: Trend
range: yesterday
panels:
  - {title: Daily, query: daily, chart: line, x: day, y: orders}
  - {title: Channels, query: by_channel, chart: bar, x: channel, y: orders}
`,
	})
	ts := startServer(t, demoDB(t), dir)
	code, body, _ := get(t, ts.URL+"/d/t")
	if code != http.StatusOK {
		t.Fatalf("/d/t = %d", code)
	}
	if n := strings.Count(body, "The 28 days to"); n != 1 {
		t.Errorf("%d panels say they show the 28 days to yesterday; want the daily one only", n)
	}
	if !strings.Contains(body, `"lineStyle":{"color":"#2563eb"`) {
		t.Errorf("the daily chart does not shade the chosen day")
	}
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	monthAgo := time.Now().UTC().AddDate(0, 0, -28).Format("2006-01-02")
	if !strings.Contains(body, monthAgo) || !strings.Contains(body, `"xAxis":"`+yesterday+`"`) {
		t.Errorf("want the daily chart from %s with %s shaded", monthAgo, yesterday)
	}
}

// Events from the data are drawn on the charts of the days they fall in
// and listed under the tiles; a share link shows them too.
func TestEventsOnCharts(t *testing.T) {
	day := time.Now().UTC().AddDate(0, 0, -10).Format("2006-01-02")
	spanFrom := time.Now().UTC().AddDate(0, 0, -6).Format("2006-01-02")
	spanTo := time.Now().UTC().AddDate(0, 0, -4).Format("2006-01-02")
	dir := writeDefs(t, map[string]string{
		"sql/daily.sql": `-- title: Orders per day
SELECT placed_at::date AS day, count(*) AS orders FROM orders
WHERE placed_at >= :from::date AND placed_at < :to::date GROUP BY 1 ORDER BY 1`,
		"sql/calendar.sql": `-- title: Calendar
SELECT day, "end", title, note FROM (VALUES
  (date '` + day + `', date '` + day + `', 'Carrier outage', 'Two hubs closed'),
  (date '` + spanFrom + `', date '` + spanTo + `', 'Flash sale', 'Paid social')) AS e(day, "end", title, note)
WHERE day < :to AND "end" >= :from`,
		"events/calendar.yaml": "title: Calendar\nquery: calendar\nteam: marketing\n",
		"dashboards/t.yaml": `title: Trend
range: last_28_days
panels:
  - {title: Daily, query: daily, chart: line, x: day, y: orders}
`,
	})
	ts := startServer(t, demoDB(t), dir)
	code, body, _ := get(t, ts.URL+"/d/t")
	if code != http.StatusOK {
		t.Fatalf("/d/t = %d", code)
	}
	for _, want := range []string{`"name":"Carrier outage","xAxis":"` + day + `"`, `"name":"Flash sale","xAxis":"` + spanFrom + `"`, `"xAxis":"` + spanTo + `"`,
		`Events in these days`, `Two hubs closed`, `href="/events?dashboard=t"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
}

// A tile an alert rule watches links to its firings; others do not.
func TestWatchedTilesLinkToTheirAlerts(t *testing.T) {
	dir := writeDefs(t, map[string]string{
		"sql/orders.sql":    "-- title: Orders\nSELECT count(*) AS value FROM orders WHERE placed_at >= :from::date AND placed_at < :to::date",
		"sql/customers.sql": "-- title: Customers\nSELECT count(*) AS value FROM customers",
		"dashboards/a.yaml": "title: A\ntiles:\n  - query: orders\n    target: 10\n  - query: customers\n",
		"alerts/few-orders.yaml": "title: Few orders\ndashboard: a\ntile: orders\ncondition: below\nrange: yesterday\n" +
			"schedule: \"0 7 * * *\"\nemail: [ops@example.com]\n",
	})
	ts := startServer(t, demoDB(t), dir)
	_, body, _ := get(t, ts.URL+"/d/a")
	if n := strings.Count(body, `class="alerts-link" href="/alerts?dashboard=a&amp;tile=orders"`); n != 1 {
		t.Errorf("%d links from the watched tile to its alerts, want 1", n)
	}
	if strings.Count(body, `class="alerts-link"`) != 1 {
		t.Errorf("an unwatched tile links to alerts")
	}
}
