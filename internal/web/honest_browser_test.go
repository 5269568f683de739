package web_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// chartsJS reads back, from ECharts itself, what each chart of the page
// draws: its categories, the day lines and partial pieces on it; and the
// scope badges the page shows.
const chartsJS = `(() => {
	const out = {charts: {}, scopes: [...document.querySelectorAll(".scope")].map(e => e.textContent.trim())};
	document.querySelectorAll(".chart").forEach(el => {
		const c = window.echarts && echarts.getInstanceByDom(el);
		if (!c) return;
		const o = c.getOption();
		out.charts[el.getAttribute("aria-label")] = {
			drawn: el.dataset.drawn,
			cats: (o.xAxis && o.xAxis[0] && o.xAxis[0].data) || [],
			lines: (o.series || []).flatMap(s => ((s.markLine && s.markLine.data) || []).map(d => d.xAxis).filter(Boolean)),
			partial: (o.visualMap || []).some(v => v.type === "piecewise"),
		};
	});
	return out;
})()`

type drawnCharts struct {
	Charts map[string]struct {
		Drawn   string   `json:"drawn"`
		Cats    []string `json:"cats"`
		Lines   []string `json:"lines"`
		Partial bool     `json:"partial"`
	} `json:"charts"`
	Scopes []string `json:"scopes"`
}

// What the pages say about the numbers, checked in Chromium as drawn, on a
// phone: yesterday in its trend with the day marked, an unfinished month
// drawn as partial, a number the channel filter does not narrow saying so,
// category codes as words, and nothing wider than the screen.
func TestPagesSayItPlainlyInChromium(t *testing.T) {
	dir := writeDefs(t, map[string]string{
		"sql/daily.sql": `-- title: Orders per day
SELECT placed_at::date AS day, count(*) AS orders FROM orders
WHERE placed_at >= :from::date AND placed_at < :to::date GROUP BY 1 ORDER BY 1`,
		"sql/monthly.sql": `-- title: Orders per month
SELECT date_trunc('month', placed_at)::date AS month, count(*) AS orders FROM orders
WHERE placed_at >= :from::date AND placed_at < :to::date GROUP BY 1 ORDER BY 1`,
		"sql/reasons.sql": `-- title: Tickets by category
-- params: channel text = 'all'
SELECT t.category, count(*) AS tickets FROM support_tickets t JOIN orders o ON o.order_id = t.order_id
WHERE t.opened_at >= :from::date AND t.opened_at < :to::date AND (:channel::text = 'all' OR o.channel = :channel::text)
GROUP BY 1 ORDER BY 2 DESC`,
		"sql/customers.sql": "-- title: Customers\nSELECT count(*) AS value FROM customers",
		"sql/channels.sql":  "-- title: Channels\nSELECT DISTINCT channel FROM orders ORDER BY 1",
		"dashboards/plain.yaml": `title: Plain
filters:
  - {param: channel, label: Sales channel, options_query: channels}
tiles:
  - query: customers
panels:
  - {title: Daily, query: daily, chart: line, x: day, y: orders}
  - {title: Monthly, query: monthly, chart: line, x: month, y: orders}
  - {title: Reasons, query: reasons, chart: bar, x: category, y: tickets}
`,
	})
	ts := startServer(t, demoDB(t), dir)
	b := startPhoneBrowser(t)
	read := func(url string) drawnCharts {
		t.Helper()
		v := b.visit(t, url, chartsJS)
		if v.ScrollWidth > phoneWidth {
			t.Errorf("%s is %d px wide on a %d px phone: %v", url, v.ScrollWidth, phoneWidth, v.Wider)
		}
		raw, _ := json.Marshal(v.Data)
		var d drawnCharts
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}

	yesterday := time.Now().UTC().AddDate(0, 0, -1)
	d := read(ts.URL + "/d/plain?range=yesterday&channel=web")
	daily := d.Charts["Daily"]
	if daily.Drawn != "true" || len(daily.Cats) < 20 || strings.Join(daily.Lines, ",") != yesterday.Format("2006-01-02") {
		t.Errorf("yesterday's daily chart: drawn %q, %d days, lines at %v; want the 28-day trend with yesterday marked", daily.Drawn, len(daily.Cats), daily.Lines)
	}
	reasons := d.Charts["Reasons"]
	if len(reasons.Cats) == 0 || strings.Contains(strings.Join(reasons.Cats, " "), "_") || len(reasons.Lines) != 0 {
		t.Errorf("category labels %v: want words, not codes, and no day marked on categories", reasons.Cats)
	}
	// The customers tile and the daily and monthly panels do not take the
	// channel; the reasons panel does.
	if strings.Join(d.Scopes, "|") != "all sales channels|all sales channels|all sales channels" {
		t.Errorf("scope badges %q; want the customers tile and the two time series to say they are for all sales channels", d.Scopes)
	}

	d = read(ts.URL + "/d/plain?range=last_90_days")
	monthly := d.Charts["Monthly"]
	wantPartial := time.Now().UTC().Day() != 1 // on the 1st, the last month is over
	if monthly.Drawn != "true" || monthly.Partial != wantPartial || len(monthly.Cats) < 3 || !strings.Contains(monthly.Cats[0], " 20") {
		t.Errorf("monthly chart: drawn %q, partial %v (want %v), categories %v (want months as 'Aug 2026')", monthly.Drawn, monthly.Partial, wantPartial, monthly.Cats)
	}
	if len(d.Scopes) != 0 {
		t.Errorf("with the filter at its default, badges %q", d.Scopes)
	}
}
