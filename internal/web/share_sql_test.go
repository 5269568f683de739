package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/access"
)

// A shared page's glossary says what each number means in words; the SQL
// is there only when the link was made to show it (the checkbox on
// /shares). The signed-in glossary keeps the SQL.
func TestSharedGlossaryShowsSQLOnlyWhenAsked(t *testing.T) {
	db := demoDB(t)
	password := addUser(t, db, "lead@example.com", "editor")
	hs := startAuthServer(t, db, writeDefs(t, shareDefs), false, nil)
	anon := newClient(hs)
	const sql = "SELECT channel, region, count(*) AS orders"
	const words = "Orders placed in the period, by sales channel and region."

	hidden, _ := newShare(t, db, access.ShareDashboard, "by-channel", nil, time.Hour, "")
	code, page, _ := fetch(t, anon, "GET", hs.URL+"/s/"+hidden, nil)
	if code != http.StatusOK || !strings.Contains(page, words) || !strings.Contains(page, "A count.") {
		t.Errorf("a link made without the SQL = %d, without the definition in words", code)
	}
	if strings.Contains(page, sql) || strings.Contains(page, "orders_by_channel.sql") || strings.Contains(page, "<pre>") {
		t.Errorf("a link made without the SQL shows it:\n%s", page[strings.Index(page, `id="glossary"`):])
	}

	c, _ := login(t, hs, "lead@example.com", password)
	tok := csrfOn(t, c, hs, "/shares")
	_, form, _ := fetch(t, c, "GET", hs.URL+"/shares", nil)
	if !strings.Contains(form, `<input type="checkbox" name="show_sql" value="1">`) {
		t.Errorf("/shares offers no checkbox to show the SQL")
	}
	for _, tc := range []struct {
		showSQL string // the checkbox's value; "" when not ticked
		wantSQL bool
	}{{"1", true}, {"", false}} {
		f := url.Values{"csrf": {tok}, "kind": {"dashboard"}, "target": {"by-channel"}, "expires": {"1d"}}
		if tc.showSQL != "" {
			f.Set("show_sql", tc.showSQL)
		}
		code, body, _ := fetch(t, c, "POST", hs.URL+"/shares", f)
		m := createdRE.FindStringSubmatch(body)
		if code != http.StatusOK || m == nil {
			t.Fatalf("creating a link = %d without its address", code)
		}
		_, page, _ := fetch(t, anon, "GET", m[1], nil)
		if got := strings.Contains(page, sql); got != tc.wantSQL || !strings.Contains(page, words) {
			t.Errorf("a link made with show_sql=%q shows the SQL: %v, want %v (and the words)", tc.showSQL, got, tc.wantSQL)
		}
	}
	_, list, _ := fetch(t, c, "GET", hs.URL+"/shares", nil)
	if strings.Count(list, "SQL shown</span>") != 1 {
		t.Errorf("/shares does not mark the one link that shows the SQL")
	}
	if _, page, _ := fetch(t, c, "GET", hs.URL+"/kpis", nil); !strings.Contains(page, sql) {
		t.Errorf("the signed-in glossary lost the SQL")
	}
}
