package web_test

import (
	"context"
	"html"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/store"
)

// viewQueryDefs is a dashboard with a channel and a region filter whose
// numbers need no data: each tile counts the channels or regions its filter
// lets through. Its panel p2 takes a warehouse and its region options a
// market, which the dashboard offers no filter on.
var viewQueryDefs = map[string]string{
	"sql/channels.sql": `-- title: Channels let through
-- params: channel text = 'all'
SELECT count(*) AS value FROM (VALUES ('web'), ('app'), ('marketplace')) AS v(c)
WHERE (:channel = 'all' OR c = :channel) AND :from <= :to`,
	"sql/regions.sql": `-- title: Regions let through
-- params: region text = 'all'
SELECT count(*) AS value FROM (VALUES ('north'), ('south')) AS v(r)
WHERE (:region = 'all' OR r = :region) AND :from <= :to`,
	"sql/warehouses.sql": `-- title: Warehouses let through
-- params: warehouse text = 'all'
SELECT count(*) AS value FROM (VALUES ('east'), ('west')) AS v(w)
WHERE (:warehouse = 'all' OR w = :warehouse) AND :from <= :to`,
	"sql/region_names.sql": `-- title: Region names
-- params: market text = 'eu'
SELECT r FROM (VALUES ('all'), ('north'), ('south')) AS v(r) WHERE :market <> ''`,
	"dashboards/ops.yaml": `title: Ops
filters:
  - {param: channel, label: Sales channel, options: [all, web, app, marketplace]}
  - {param: region, label: Region, options_query: region_names}
tiles:
  - query: channels
panels:
  - {title: Channels, query: channels, chart: table}
  - {title: Warehouses, query: warehouses, chart: table}
  - {title: Regions, query: regions, chart: table}
`,
}

// A key that could be meant as a filter or a view key is refused, as a
// bad range is, rather than showing numbers that are not the ones asked
// for: a misspelt one (?chanel=web would show every channel's numbers as
// the web's), or a parameter the dashboard's queries take but that it
// offers no filter on. Every key the page, its links and its exports write
// still works.
func TestURLKeyMeantAsAFilterIsRefused(t *testing.T) {
	ts := startServer(t, dbtest.Store(t), writeDefs(t, viewQueryDefs))
	const also = "An address may also set range, from, to and compare."
	for path, want := range map[string]string{
		"/d/ops?chanel=web":                                   `This dashboard has no filter "chanel" (did you mean "channel"?): its filters are channel, region.`,
		"/d/ops/panels/p1.csv?chanel=web":                     `This dashboard has no filter "chanel" (did you mean "channel"?): its filters are channel, region.`,
		"/d/ops/panels/p1.json?range=last_7_days&chanel=web":  `This dashboard has no filter "chanel" (did you mean "channel"?): its filters are channel, region.`,
		"/d/ops?regoin=north":                                 `This dashboard has no filter "regoin" (did you mean "region"?): its filters are channel, region.`,
		"/d/ops/panels/p3.csv?regoin=north":                   `This dashboard has no filter "regoin" (did you mean "region"?): its filters are channel, region.`,
		"/d/ops?rnage=last_7_days":                            `This dashboard has no filter "rnage" (did you mean "range"?): its filters are channel, region.`,
		"/d/ops?Channel=web":                                  `This dashboard has no filter "Channel" (did you mean "channel"?)`,
		"/d/ops?warehouse=east":                               `This dashboard has no filter "warehouse": its filters are channel, region.`,
		"/d/ops/panels/p2.csv?warehouse=east":                 `This dashboard has no filter "warehouse": its filters are channel, region.`,
		"/d/ops?market=us":                                    `This dashboard has no filter "market": its filters are channel, region.`,
		"/d/ops?chanel=web&channel=web&zone=x&warehouse=east": `This dashboard has no filters "chanel", "warehouse" (did you mean "channel" for "chanel"?): its filters are channel, region.`,
	} {
		code, body, _ := get(t, ts.URL+path)
		body = html.UnescapeString(body)
		if code != http.StatusBadRequest {
			t.Errorf("%s = %d, want 400 (as for ?range=last_fortnight)", path, code)
		}
		for _, want := range []string{want, also} {
			if !strings.Contains(body, want) {
				t.Errorf("%s does not say %q:\n%.600s", path, want, body)
			}
		}
	}
	if code, _, _ := get(t, ts.URL+"/d/ops?range=last_fortnight"); code != http.StatusBadRequest {
		t.Errorf("a bad range answered %d, want 400", code)
	}

	// The filters apply: web alone is one channel of three, north one
	// region of two.
	for path, want := range map[string]string{
		"/d/ops?channel=web": ">1<",
		"/d/ops":             ">3<",
		"/d/ops?range=custom&from=2026-01-05&to=2026-01-11&compare=none&channel=web&refresh=1": ">1<",
		"/d/ops?range=last_7_days&from=&to=&compare=previous_period":                           ">3<",
		"/d/ops/panels/p1.csv?range=custom&from=2026-01-05&to=2026-01-11&channel=app":          "value\n1\n",
		"/d/ops/panels/p1.json?channel=":                                                       `3`,
		"/d/ops/panels/p3.csv?region=north":                                                    "value\n1\n",
	} {
		code, body, _ := get(t, ts.URL+path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s = %d, want 200 with %q:\n%.400s", path, code, want, body)
		}
	}
}

// unrelatedKeys are keys that name nothing on viewQueryDefs' dashboard:
// what mail, ad and analytics tools add to the links they count clicks on,
// and a made-up one.
var unrelatedKeys = []string{
	"zone=x", "__hstc=251652889.1a2b3c.1700000000000.1700000000000.1700000000000.1",
	"__hssc=251652889.1.1700000000000", "__hsfp=3972014050", "_hsenc=p2ANqtz-8", "_hsmi=285",
	"ref=newsletter", "_gl=1*1x2y3z*_ga*MTIz*_ga_ABC*MTcw", "_ga=2.1234.5678", "mkt_tok=NjEwLUxCWC0",
	"ttclid=E.C.P.abc", "twclid=2-abc", "li_fat_id=9c1f-2b", "srsltid=AfmBOoq", "gclid=x", "fbclid=IwAR",
	"mc_cid=abc", "mc_eid=def", "utm_source=newsletter", "utm_medium=email", "utm_campaign=spring",
}

// Keys that name nothing on the dashboard are let through: a reader who
// clicks a tracked link sees the same page and numbers as without them.
func TestUnrelatedURLKeyIsLetThrough(t *testing.T) {
	ts := startServer(t, dbtest.Store(t), writeDefs(t, viewQueryDefs))
	for _, view := range []string{"/d/ops?channel=web&region=north", "/d/ops/panels/p1.csv?channel=web", "/d/ops/panels/p3.json?region=north&range=last_7_days"} {
		code, plain, _ := get(t, ts.URL+view)
		if code != http.StatusOK {
			t.Fatalf("%s = %d:\n%.400s", view, code, plain)
		}
		for _, k := range append(slices.Clone(unrelatedKeys), strings.Join(unrelatedKeys, "&")) {
			path := view + "&" + k
			if code, body, _ := get(t, ts.URL+path); code != http.StatusOK || body != plain {
				t.Errorf("%s = %d, want 200 and what %s shows:\n%.600s", path, code, view, body)
			}
		}
	}
}

// A share link's page and panel exports are refused a key meant as a
// filter too, and a value of a locked filter other than the locked one:
// they would show the locked value's numbers under an address that asks
// for another's. The locked value itself, the other filters, the range and
// unrelated keys still work.
func TestSharedViewRefusesURLKeyAgainstItsLock(t *testing.T) {
	db := dbtest.Store(t)
	ts := startServer(t, db, writeDefs(t, viewQueryDefs))
	token, _ := newShare(t, db, access.ShareDashboard, "ops", map[string]string{"channel": "app"}, time.Hour, "")
	base := "/s/" + token
	for path, want := range map[string]string{
		base + "?chanel=web":                                 `no filter "chanel" (did you mean "channel"?)`,
		base + "/panels/p1.csv?chanel=web":                   `no filter "chanel" (did you mean "channel"?)`,
		base + "?warehouse=east":                             `no filter "warehouse"`,
		base + "?channel=web":                                `This link shows channel "app" only; it cannot show "web".`,
		base + "?range=last_7_days&channel=all&region=north": `This link shows channel "app" only; it cannot show "all".`,
		base + "/panels/p1.csv?channel=web":                  `This link shows channel "app" only; it cannot show "web".`,
		base + "/panels/p1.json?channel=app&channel=web":     `This link shows channel "app" only; it cannot show "web".`,
	} {
		code, body, _ := get(t, ts.URL+path)
		if code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("%s = %d, want 400 saying %q:\n%.600s", path, code, want, body)
		}
	}
	for path, want := range map[string]string{
		base:                  ">1<",
		base + "?channel=app": ">1<",
		base + "?channel=":    ">1<",
		base + "?region=north&" + strings.Join(unrelatedKeys, "&"): ">1<",
		base + "/panels/p1.csv?range=last_7_days&channel=app":      "value\n1\n",
		base + "/panels/p1.csv?utm_source=newsletter&__hstc=1.2.3": "value\n1\n",
		base + "/panels/p3.csv?region=north&channel=app":           "value\n1\n",
	} {
		if code, body, _ := get(t, ts.URL+path); code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s = %d, want 200 with %q:\n%.400s", path, code, want, body)
		}
	}
}

// A rule with params says so on /alerts, in what it watches and in its
// firings, and links to the dashboard view that shows its number: "Orders
// is 407" beside a dashboard showing 602 for all channels reads as a bug.
func TestAlertsShowTheirParams(t *testing.T) {
	db := dbtest.Store(t)
	ctx := context.Background()
	if err := dbtest.Admin(t).Exec(ctx, `DELETE FROM opsboard.alert_firings`); err != nil {
		t.Fatal(err)
	}
	defs := maps.Clone(viewQueryDefs)
	defs["alerts/web-low.yaml"] = `title: Web channel missing
dashboard: ops
tile: channels
params: {channel: web}
condition: below
threshold: 1
range: yesterday
schedule: "0 8 * * *"
email: [ops@example.com]
`
	defs["alerts/all-low.yaml"] = strings.Replace(strings.Replace(defs["alerts/web-low.yaml"], "params: {channel: web}\n", "", 1),
		"title: Web channel missing", "title: Channels missing", 1)
	if _, _, err := db.ClaimAlertFiring(ctx, store.AlertFiring{
		Rule: "web-low", Period: "2026-03-05", Dashboard: "ops", Tile: "channels", Title: "Web channel missing",
		Condition: "below", Value: 0, Message: "Channels let through (channel web) is 0 for Thu 5 Mar 2026, below the threshold of 1.", FiredAt: time.Now(),
	}, func(int64) []store.NewNotice { return nil }); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, db, writeDefs(t, defs))
	code, body, _ := get(t, ts.URL+"/alerts")
	if code != http.StatusOK {
		t.Fatalf("GET /alerts = %d:\n%s", code, body)
	}
	row := func(attr string) string {
		i := strings.Index(body, attr)
		if i < 0 {
			t.Fatalf("/alerts has no %s:\n%s", attr, body)
		}
		return html.UnescapeString(body[i : i+strings.Index(body[i:], "</tr>")])
	}
	web, all := row(`data-rule="web-low"`), row(`data-rule="all-low"`)
	for _, want := range []string{"Channels let through (channel web)", `href="/d/ops?channel=web&range=yesterday"`} {
		if !strings.Contains(web, want) {
			t.Errorf("the web rule's row lacks %q:\n%s", want, web)
		}
	}
	if !strings.Contains(all, "Channels let through<br>") || strings.Contains(all, "channel web") {
		t.Errorf("the rule without params should watch the plain tile:\n%s", all)
	}
	if firing := row(`data-firing="`); !strings.Contains(firing, "channels (channel web)") || !strings.Contains(firing, `href="/d/ops?channel=web&range=yesterday"`) {
		t.Errorf("the firing's row does not name the rule's params nor link to its view:\n%s", firing)
	}
}

// A filter value that is none of the filter's options is refused with the
// options listed, and the one it may be a misspelling of.
func TestFilterValueNamesTheOptions(t *testing.T) {
	ts := startServer(t, dbtest.Store(t), writeDefs(t, viewQueryDefs))
	code, body, _ := get(t, ts.URL+"/d/ops?channel=Web")
	want := `filter "Sales channel": "Web" is not one of its options (did you mean "web"?): all, web, app, marketplace`
	if code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), want) {
		t.Errorf("?channel=Web = %d, want 400 saying %q:\n%.600s", code, want, body)
	}
}
