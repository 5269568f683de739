package web_test

import (
	"context"
	"html"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/store"
)

// viewQueryDefs is a dashboard with a channel filter whose numbers need no
// data: the tile counts the channels the filter lets through.
var viewQueryDefs = map[string]string{
	"sql/channels.sql": `-- title: Channels let through
-- params: channel text = 'all'
SELECT count(*) AS value FROM (VALUES ('web'), ('app'), ('marketplace')) AS v(c)
WHERE (:channel = 'all' OR c = :channel) AND :from <= :to`,
	"dashboards/ops.yaml": `title: Ops
filters:
  - {param: channel, label: Sales channel, options: [all, web, app, marketplace]}
tiles:
  - query: channels
panels:
  - {title: Channels, query: channels, chart: table}
`,
}

// A misspelt filter in the address (?chanel=web) is refused, as a bad
// range is, rather than showing every channel's numbers as the web's; every
// key the page, its links and its exports write still works.
func TestUnknownURLKeyIsRefused(t *testing.T) {
	ts := startServer(t, dbtest.Store(t), writeDefs(t, viewQueryDefs))
	for _, path := range []string{"/d/ops?chanel=web", "/d/ops/panels/p1.csv?chanel=web", "/d/ops/panels/p1.json?range=last_7_days&chanel=web"} {
		code, body, _ := get(t, ts.URL+path)
		body = html.UnescapeString(body)
		if code != http.StatusBadRequest {
			t.Errorf("%s = %d, want 400 (as for ?range=last_fortnight)", path, code)
		}
		for _, want := range []string{`This dashboard has no filter "chanel" (did you mean "channel"?): its filters are channel.`,
			"An address may also set range, from, to and compare."} {
			if !strings.Contains(body, want) {
				t.Errorf("%s does not say %q:\n%s", path, want, body)
			}
		}
	}
	code, body, _ := get(t, ts.URL+"/d/ops?chanel=web&channel=web&zone=x")
	if want := `This dashboard has no filters "chanel", "zone" (did you mean "channel" for "chanel"?): its filters are channel.`; code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), want) {
		t.Errorf("two unknown keys: %d, want 400 saying %q:\n%.600s", code, want, body)
	}
	// A report's link opened from a mail tool that counts clicks carries
	// its tracking keys: they are no filter, and the page opens.
	if code, body, _ := get(t, ts.URL+"/d/ops?channel=web&utm_source=newsletter&utm_medium=email&mc_cid=abc&gclid=x"); code != http.StatusOK || !strings.Contains(body, ">1<") {
		t.Errorf("a tracked link = %d, want 200 with the web's number:\n%.400s", code, body)
	}
	if code, _, _ := get(t, ts.URL+"/d/ops?range=last_fortnight"); code != http.StatusBadRequest {
		t.Errorf("a bad range answered %d, want 400", code)
	}

	// The filter applies: web alone is one channel of three.
	for path, want := range map[string]string{
		"/d/ops?channel=web": ">1<",
		"/d/ops":             ">3<",
		"/d/ops?range=custom&from=2026-01-05&to=2026-01-11&compare=none&channel=web&refresh=1": ">1<",
		"/d/ops?range=last_7_days&from=&to=&compare=previous_period":                           ">3<",
		"/d/ops/panels/p1.csv?range=custom&from=2026-01-05&to=2026-01-11&channel=app":          "value\n1\n",
		"/d/ops/panels/p1.json?channel=":                                                       `3`,
	} {
		code, body, _ := get(t, ts.URL+path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s = %d, want 200 with %q:\n%.400s", path, code, want, body)
		}
	}
}

// A share link's page and panel export are refused a misspelt filter too,
// and take the link's other filters and range.
func TestSharedViewRefusesUnknownURLKey(t *testing.T) {
	db := dbtest.Store(t)
	ts := startServer(t, db, writeDefs(t, viewQueryDefs))
	token, _ := newShare(t, db, access.ShareDashboard, "ops", map[string]string{"channel": "app"}, time.Hour, "")
	if code, body, _ := get(t, ts.URL+"/s/"+token+"?chanel=web"); code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), `no filter "chanel"`) {
		t.Errorf("shared page with ?chanel=web = %d, want 400 naming chanel:\n%.600s", code, body)
	}
	if code, _, _ := get(t, ts.URL+"/s/"+token+"?utm_source=newsletter"); code != http.StatusOK {
		t.Errorf("shared page with a tracking key = %d, want 200", code)
	}
	if code, body, _ := get(t, ts.URL+"/s/"+token+"/panels/p1.csv?chanel=web"); code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), `no filter "chanel"`) {
		t.Errorf("shared CSV with ?chanel=web = %d, want 400 naming chanel:\n%s", code, body)
	}
	if code, body, _ := get(t, ts.URL+"/s/"+token+"/panels/p1.csv?range=last_7_days&channel=web"); code != http.StatusOK || body != "value\n1\n" {
		t.Errorf("shared CSV with the locked filter in the URL = %d %q, want 200 and the link's channel (1)", code, body)
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
