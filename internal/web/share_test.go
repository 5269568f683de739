package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/web"
)

// shareDefs: a dashboard over the demo orders whose table shows the
// channel and region each row is for, and a second dashboard (and report)
// that no link to the first may reach.
var shareDefs = map[string]string{
	"sql/orders_by_channel.sql": `-- title: Orders by channel
-- description: Orders placed in the period, by sales channel and region.
-- unit: count
-- params: channel text = 'all', region text = 'all'
SELECT channel, region, count(*) AS orders
FROM orders
WHERE placed_at >= :from::date AND placed_at < :to::date
  AND (:channel::text = 'all' OR channel = :channel::text)
  AND (:region::text = 'all' OR region = :region::text)
GROUP BY 1, 2 ORDER BY 1, 2`,
	"sql/secret.sql": "-- title: Secret revenue\nSELECT 424242 AS value",
	"dashboards/by-channel.yaml": `title: Orders by channel
range: last_90_days
filters:
  - param: channel
    label: Sales channel
    options: [all, web, app, marketplace]
  - param: region
    label: Region
    options: [all, north, south, east, west]
panels:
  - title: Orders
    query: orders_by_channel
    chart: table
`,
	"dashboards/finance.yaml": `title: Finance only
tiles:
  - query: secret
panels:
  - title: Secret
    query: secret
    chart: table
`,
	"reports/by-channel-daily.yaml": "dashboard: by-channel\nto: [ops@example.com]\n",
	"reports/finance-daily.yaml":    "dashboard: finance\nto: [cfo@example.com]\n",
}

// newShare stores a share link and returns its token.
func newShare(t *testing.T, db *store.Store, kind, target string, params map[string]string, expires time.Duration, label string) (string, *store.ShareLink) {
	t.Helper()
	token, hash := access.NewToken()
	l, err := db.CreateShareLink(context.Background(), hash, store.ShareLink{
		Kind: kind, Target: target, Params: params, Label: label, CreatedBy: "test", ExpiresAt: time.Now().Add(expires),
	})
	if err != nil {
		t.Fatal(err)
	}
	return token, l
}

// shareServer serves shareDefs with an account in place, so that
// everything but share links needs a sign-in.
func shareServer(t *testing.T) (*store.Store, string, func(path string) (int, string, *http.Response)) {
	t.Helper()
	db := demoDB(t)
	addUser(t, db, "lead@example.com", "editor")
	hs := startAuthServer(t, db, writeDefs(t, shareDefs), false, nil)
	anon := newClient(hs)
	return db, hs.URL, func(path string) (int, string, *http.Response) {
		t.Helper()
		return fetch(t, anon, "GET", hs.URL+path, nil)
	}
}

type jsonFrame struct {
	Rows []map[string]any `json:"rows"`
}

func decodeRows(t *testing.T, body string) []map[string]any {
	t.Helper()
	var f jsonFrame
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatalf("bad JSON (%v): %.300s", err, body)
	}
	return f.Rows
}

// checkSecurityHeaders checks the headers every page must carry.
func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %s", what, csp, want)
		}
	}
	if h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: Referrer-Policy %q, X-Content-Type-Options %q", what, h.Get("Referrer-Policy"), h.Get("X-Content-Type-Options"))
	}
}

var linkRE = regexp.MustCompile(`(?:href|src|action)="([^"]*)"`)

func TestShareLinkShowsOneDashboardWithLockedParams(t *testing.T) {
	db, _, get := shareServer(t)
	token, _ := newShare(t, db, access.ShareDashboard, "by-channel", map[string]string{"channel": "web"}, time.Hour, "Marketing weekly")
	base := "/s/" + token

	// The link shows web only: asked for another channel it says so
	// rather than show web's numbers under an address that reads app.
	if code, body, _ := get(base + "?channel=app"); code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), `This link shows channel "web" only; it cannot show "app".`) {
		t.Errorf("GET the share link with ?channel=app = %d, want 400 naming the lock:\n%.500s", code, body)
	}
	code, body, resp := get(base + "?channel=web")
	if code != http.StatusOK {
		t.Fatalf("GET the share link = %d:\n%.500s", code, body)
	}
	checkSecurityHeaders(t, "share page", resp.Header)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("share page Cache-Control %q, want no-store", cc)
	}
	for _, want := range []string{"Orders by channel", "Shared view · Marketing weekly", `<span class="locked"`, `name="region"`,
		"What these numbers mean", `id="q-orders_by_channel"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the shared page lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`<span class="locked"[^>]*>([^<]*)</span>`).FindStringSubmatch(body); m == nil || m[1] != "web" {
		t.Errorf("the locked channel shows %v, want web", m)
	}
	for _, never := range []string{`name="channel"`, "Secret revenue", "Finance only", "424242"} {
		if strings.Contains(body, never) {
			t.Errorf("the shared page contains %q", never)
		}
	}
	for _, m := range linkRE.FindAllStringSubmatch(body, -1) {
		if l := m[1]; l != "" && !strings.HasPrefix(l, base) && !strings.HasPrefix(l, "/assets/") {
			t.Errorf("the shared page links outside its link: %q", l)
		}
	}

	// Through the data endpoints: the lock holds (another channel is
	// refused), and the unlocked filter and the range still work.
	for _, q := range []string{"?channel=app", "?channel=marketplace", "?channel=all&range=last_7_days", "?channel=app&region=south"} {
		if code, body, _ := get(base + "/panels/p1.json" + q); code != http.StatusBadRequest {
			t.Errorf("JSON%s = %d, want 400 (the link is locked to web): %.300s", q, code, body)
		}
	}
	for _, q := range []string{"", "?channel=web", "?channel=web&range=last_7_days", "?region=north", "?channel=web&region=south"} {
		code, body, _ := get(base + "/panels/p1.json" + q)
		if code != http.StatusOK {
			t.Fatalf("JSON%s = %d: %s", q, code, body)
		}
		rows := decodeRows(t, body)
		if len(rows) == 0 {
			t.Errorf("JSON%s has no rows", q)
		}
		vals, _ := url.ParseQuery(strings.TrimPrefix(q, "?"))
		for _, row := range rows {
			if row["channel"] != "web" {
				t.Errorf("JSON%s has a %v row, want only web", q, row["channel"])
			}
			if region := vals.Get("region"); region != "" && row["region"] != region {
				t.Errorf("JSON%s has a %v row: the region filter did not apply", q, row["region"])
			}
		}
	}
	_, week, _ := get(base + "/panels/p1.json?range=last_7_days")
	_, quarter, _ := get(base + "/panels/p1.json")
	if sumOrders(t, week) >= sumOrders(t, quarter) {
		t.Errorf("the range did not apply: %v orders in 7 days, %v in 90", sumOrders(t, week), sumOrders(t, quarter))
	}
	code, body, resp = get(base + "/panels/p1.csv")
	if code != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV = %d %s", code, resp.Header.Get("Content-Type"))
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(records) < 2 || records[0][0] != "channel" {
		t.Fatalf("CSV: %v %v", records, err)
	}
	for _, r := range records[1:] {
		if r[0] != "web" {
			t.Errorf("CSV has a %s row, want only web", r[0])
		}
	}

	// Nothing else is reachable with the link.
	for _, path := range []string{
		"/d/finance", "/d/by-channel", "/d/finance/panels/p1.csv", "/d/finance/panels/p1.json", "/kpis", "/",
		"/reports/finance-daily", base + "/panels/p2.json", base + "/d/finance", base + "/d/finance/panels/p1.csv",
		base + "/../d/finance", base + "/query/secret", "/query/secret", "/q/secret", "/api/query?name=secret",
		base + "/2026-01-05", base + "/2026-01-05.pdf", "/s/" + token + "x/panels/p1.json",
	} {
		code, body, _ := get(path)
		if code == http.StatusOK || strings.Contains(body, "424242") {
			t.Errorf("GET %s with a share link = %d, want it refused", path, code)
		}
	}

	// A link records how often and when it was used.
	counted, l := newShare(t, db, access.ShareDashboard, "by-channel", nil, time.Hour, "")
	get("/s/" + counted)
	get("/s/" + counted + "/panels/p1.json")
	links, _ := db.ListShareLinks(context.Background())
	for _, got := range links {
		if got.ID == l.ID && (got.UseCount != 2 || !got.LastUsedAt.Valid || time.Since(got.LastUsedAt.Time) > time.Minute) {
			t.Errorf("after 2 uses: use_count %d, last used %v", got.UseCount, got.LastUsedAt)
		}
	}
}

func TestShareTokens(t *testing.T) {
	db, _, get := shareServer(t)
	ctx := context.Background()
	valid, validLink := newShare(t, db, access.ShareDashboard, "by-channel", nil, time.Hour, "")
	expired, _ := newShare(t, db, access.ShareDashboard, "by-channel", nil, -time.Minute, "")
	revoked, revokedLink := newShare(t, db, access.ShareDashboard, "by-channel", nil, time.Hour, "")
	if err := db.RevokeShareLink(ctx, revokedLink.ID); err != nil {
		t.Fatal(err)
	}
	unknown, _ := access.NewToken()
	tampered := []byte(valid)
	if tampered[10] == 'A' {
		tampered[10] = 'B'
	} else {
		tampered[10] = 'A'
	}

	cases := []struct {
		name, token string
		status      int
		says        string
	}{
		{"tampered", string(tampered), http.StatusNotFound, "There is no such link"},
		{"unknown", unknown, http.StatusNotFound, "There is no such link"},
		{"not even a token", "hello", http.StatusNotFound, "There is no such link"},
		{"expired", expired, http.StatusGone, "This link has expired"},
		{"revoked", revoked, http.StatusGone, "This link has expired"},
	}
	for _, c := range cases {
		for _, suffix := range []string{"", "/panels/p1.csv", "/panels/p1.json"} {
			code, body, resp := get("/s/" + c.token + suffix)
			if code != c.status || !strings.Contains(body, c.says) {
				t.Errorf("%s token, %q: %d, want %d saying %q:\n%.300s", c.name, suffix, code, c.status, c.says, body)
			}
			if strings.Contains(body, `href="/"`) || strings.Contains(body, "Orders by channel") || strings.Contains(body, "web,") {
				t.Errorf("%s token, %q: the page shows more than that it failed", c.name, suffix)
			}
			checkSecurityHeaders(t, c.name+" token", resp.Header)
		}
	}

	if code, _, _ := get("/s/" + valid); code != http.StatusOK {
		t.Errorf("the valid link = %d, want 200", code)
	}
	links, _ := db.ListShareLinks(ctx)
	for _, l := range links {
		if l.ID == validLink.ID && l.UseCount != 1 {
			t.Errorf("valid link used %d times after one visit and three tampered ones", l.UseCount)
		}
	}
}

func TestReportShareLink(t *testing.T) {
	db, _, get := shareServer(t)
	ctx := context.Background()
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	archive := func(report string, date time.Time, html, pdf string, sent bool) int64 {
		t.Helper()
		run, err := db.CreateRun(ctx, report, date, "command", "UTC", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !sent {
			if err := db.FailRun(ctx, run.ID, html, []string{"boom"}); err != nil {
				t.Fatal(err)
			}
			return run.ID
		}
		if err := db.SaveRendered(ctx, run.ID, "subject", html, []byte(pdf), nil, nil, false, nil, ""); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishRun(ctx, run.ID, store.RunSent); err != nil {
			t.Fatal(err)
		}
		return run.ID
	}
	ours := archive("by-channel-daily", day, "<p>by-channel marker</p>", "%PDF-1.4 by-channel", true)
	archive("by-channel-daily", day.AddDate(0, 0, 1), "<p>failed marker</p>", "", false)
	theirs := archive("finance-daily", day, "<p>finance 424242</p>", "%PDF-1.4 finance 424242", true)

	token, _ := newShare(t, db, access.ShareReport, "by-channel-daily", nil, time.Hour, "")
	base := "/s/" + token
	code, body, resp := get(base)
	if code != http.StatusOK {
		t.Fatalf("GET the report link = %d:\n%.500s", code, body)
	}
	checkSecurityHeaders(t, "shared archive", resp.Header)
	wantLink := base + "/2026-01-05?run=" + strconv.FormatInt(ours, 10)
	if !strings.Contains(body, `href="`+wantLink+`"`) || !strings.Contains(body, `id="q-orders_by_channel"`) {
		t.Errorf("the shared archive lacks the sent run %q or the glossary:\n%s", wantLink, body)
	}
	for _, never := range []string{"2026-01-06", "finance", "424242"} {
		if strings.Contains(body, never) {
			t.Errorf("the shared archive shows %q", never)
		}
	}
	for _, m := range linkRE.FindAllStringSubmatch(body, -1) {
		if l := m[1]; l != "" && !strings.HasPrefix(l, base) && !strings.HasPrefix(l, "/assets/") {
			t.Errorf("the shared archive links outside its link: %q", l)
		}
	}
	if code, body, _ := get(wantLink); code != http.StatusOK || !strings.Contains(body, "by-channel marker") {
		t.Errorf("the archived page = %d %.200s", code, body)
	}
	if code, body, resp := get(base + "/2026-01-05.pdf"); code != http.StatusOK || body != "%PDF-1.4 by-channel" || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("the archived PDF = %d %q %q", code, resp.Header.Get("Content-Type"), body)
	}
	other := "?run=" + strconv.FormatInt(theirs, 10)
	for _, path := range []string{base + "/2026-01-05" + other, base + "/2026-01-05.pdf" + other, base + "/2026-01-06",
		base + "/panels/p1.csv", "/reports/finance-daily/2026-01-05", "/reports/by-channel-daily/2026-01-05.pdf"} {
		if code, body, _ := get(path); code == http.StatusOK || strings.Contains(body, "424242") {
			t.Errorf("GET %s with a report link = %d, want it refused", path, code)
		}
	}

	// A dashboard link has no archive.
	dash, _ := newShare(t, db, access.ShareDashboard, "by-channel", nil, time.Hour, "")
	if code, _, _ := get("/s/" + dash + "/2026-01-05"); code != http.StatusNotFound {
		t.Errorf("a dashboard link's archive page = %d, want 404", code)
	}
}

// sumOrders adds up the orders column of a JSON frame.
func sumOrders(t *testing.T, body string) float64 {
	t.Helper()
	var n float64
	for _, row := range decodeRows(t, body) {
		v, _ := row["orders"].(float64)
		n += v
	}
	return n
}

var createdRE = regexp.MustCompile(`value="(https?://[^"]*/s/([A-Za-z0-9_-]{43}))"`)

func TestSharesPage(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "lead@example.com", "editor")
	hs := startAuthServer(t, db, writeDefs(t, shareDefs), false, nil)
	c, _ := login(t, hs, "lead@example.com", password)
	tok := csrfOn(t, c, hs, "/shares")
	anon := newClient(hs)

	code, body, _ := fetch(t, c, "POST", hs.URL+"/shares", url.Values{"csrf": {tok}, "kind": {"dashboard"}, "target": {"by-channel"},
		"p.channel": {"web"}, "p.region": {""}, "expires": {"7d"}, "label": {"Campaign"}})
	m := createdRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("creating a link = %d without its address:\n%.1000s", code, body)
	}
	if !strings.HasPrefix(m[1], hs.URL+"/s/") {
		t.Errorf("the new link %q is not below %s", m[1], hs.URL)
	}
	code, page, _ := fetch(t, anon, "GET", m[1], nil)
	if code != http.StatusOK || !strings.Contains(page, `<span class="locked"`) || strings.Contains(page, `name="channel"`) {
		t.Errorf("the new link = %d, without the channel locked", code)
	}
	_, list, _ := fetch(t, c, "GET", hs.URL+"/shares", nil)
	if strings.Contains(list, m[2]) {
		t.Errorf("the list shows the token again")
	}
	if !strings.Contains(list, `<a href="/shares" class="active">`) || !strings.Contains(list, "Sign out") {
		t.Errorf("/shares lacks its own navigation entry or the sign-out button")
	}
	row := regexp.MustCompile(`<tr data-share="(\d+)">(?s:.*?)</tr>`).FindStringSubmatch(list)
	if row == nil || !strings.Contains(row[0], "channel=web") || !strings.Contains(row[0], "Campaign") || !strings.Contains(row[0], "active") {
		t.Fatalf("the list does not show the new link:\n%s", list)
	}

	code, body, _ = fetch(t, c, "POST", hs.URL+"/shares", url.Values{"csrf": {tok}, "kind": {"dashboard"}, "target": {"by-channel"}, "p.channel": {"tv"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "no option") {
		t.Errorf("a link with a value the filter does not offer = %d, want 400 saying why", code)
	}

	code, _, resp := fetch(t, c, "POST", hs.URL+"/shares/"+row[1]+"/revoke", url.Values{"csrf": {tok}})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/shares" {
		t.Errorf("revoking = %d to %q", code, resp.Header.Get("Location"))
	}
	if code, _, _ := fetch(t, anon, "GET", m[1], nil); code != http.StatusGone {
		t.Errorf("a revoked link = %d, want 410", code)
	}

	based := startAuthServer(t, db, writeDefs(t, shareDefs), false, func(c *web.Config) { c.BaseURL = "https://ops.example.com/" })
	bc, _ := login(t, based, "lead@example.com", password)
	btok := csrfOn(t, bc, based, "/shares")
	_, body, _ = fetch(t, bc, "POST", based.URL+"/shares", url.Values{"csrf": {btok}, "kind": {"report"}, "target": {"by-channel-daily"}})
	if m := createdRE.FindStringSubmatch(body); m == nil || !strings.HasPrefix(m[1], "https://ops.example.com/s/") {
		t.Errorf("with OPSBOARD_BASE_URL, the new link is %v", m)
	}
}

// A link whose locked filter has since been removed from the dashboard
// stops working instead of showing everything.
func TestShareLinkOutlivedByItsFilter(t *testing.T) {
	db := demoDB(t)
	addUser(t, db, "lead@example.com", "editor")
	changed := map[string]string{}
	for k, v := range shareDefs {
		changed[k] = v
	}
	changed["dashboards/by-channel.yaml"] = strings.Replace(shareDefs["dashboards/by-channel.yaml"],
		"  - param: channel\n    label: Sales channel\n    options: [all, web, app, marketplace]\n", "", 1)
	if changed["dashboards/by-channel.yaml"] == shareDefs["dashboards/by-channel.yaml"] {
		t.Fatal("the test did not remove the channel filter")
	}
	before := startAuthServer(t, db, writeDefs(t, shareDefs), false, nil)
	after := startAuthServer(t, db, writeDefs(t, changed), false, nil)
	token, _ := newShare(t, db, access.ShareDashboard, "by-channel", map[string]string{"channel": "web"}, time.Hour, "")
	if code, _, _ := fetch(t, newClient(before), "GET", before.URL+access.SharePath(token), nil); code != http.StatusOK {
		t.Fatalf("the link with its filter in place = %d, want 200", code)
	}
	for _, path := range []string{access.SharePath(token), access.SharePath(token) + "/panels/p1.csv"} {
		code, body, _ := fetch(t, newClient(after), "GET", after.URL+path, nil)
		if code != http.StatusGone || !strings.Contains(body, "no longer works") {
			t.Errorf("GET %s after the locked filter was removed = %d, want 410 saying it no longer works", path, code)
		}
	}
}
