package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
)

func TestEventsFormIsForEditors(t *testing.T) {
	db := dbtest.Store(t)
	viewerPW := addUser(t, db, "events-viewer@example.com", "viewer")
	editorPW := addUser(t, db, "events-editor@example.com", "editor")
	hs := startAuthServer(t, db, "../..", false, nil)
	today := query.Today(time.Now(), time.UTC)

	editor, _ := login(t, hs, "events-editor@example.com", editorPW)
	tok := csrfOn(t, editor, hs, "/events")
	form := url.Values{"csrf": {tok}, "day": {today.AddDate(0, 0, -3).Format(query.DateLayout)}, "end": {today.AddDate(0, 0, -2).Format(query.DateLayout)},
		"title": {"Carrier outage in the north"}, "team": {"ops"}, "note": {"swiftship's hub flooded"},
		"link": {"https://status.example.com/123"}, "dashboard": {"daily-ops"}, "metric": {"kpi/on_time_rate"}}
	code, body, resp := fetch(t, editor, "POST", hs.URL+"/events", form)
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/events" {
		t.Fatalf("editor adds an event: %d to %q, want 303 to /events:\n%s", code, resp.Header.Get("Location"), body)
	}
	_, page, _ := fetch(t, editor, "GET", hs.URL+"/events", nil)
	for _, want := range []string{"Carrier outage in the north", "swiftship&#39;s hub flooded", `href="https://status.example.com/123"`,
		"daily-ops · kpi/on_time_rate", "added by events-editor@example.com", "Add an event", "Marketing calendar (events/campaigns.yaml"} {
		if !strings.Contains(page, want) {
			t.Errorf("/events lacks %q", want)
		}
	}
	events, err := db.EventsBetween(context.Background(), today.AddDate(0, 0, -10), today)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Title != "Carrier outage in the north" || events[0].Team != "ops" || events[0].CreatedBy != "events-editor@example.com" {
		t.Fatalf("stored events %+v, want the one the editor made", events)
	}
	id := events[0].ID

	bad := url.Values{"csrf": {tok}, "day": {today.Format(query.DateLayout)}, "team": {"ops"}, "title": {""}}
	if code, body, _ := fetch(t, editor, "POST", hs.URL+"/events", bad); code != http.StatusBadRequest || !strings.Contains(body, "an event needs a title") {
		t.Errorf("an event without a title: %d, want 400 saying it needs one", code)
	}
	bad = url.Values{"csrf": {tok}, "day": {today.Format(query.DateLayout)}, "team": {"ops"}, "title": {"x"}, "link": {"javascript:alert(1)"}}
	if code, _, _ := fetch(t, editor, "POST", hs.URL+"/events", bad); code != http.StatusBadRequest {
		t.Errorf("an event with a javascript: link: %d, want 400", code)
	}

	viewer, _ := login(t, hs, "events-viewer@example.com", viewerPW)
	code, vpage, _ := fetch(t, viewer, "GET", hs.URL+"/events", nil)
	if code != http.StatusOK || !strings.Contains(vpage, "Carrier outage in the north") || strings.Contains(vpage, "Add an event") || strings.Contains(vpage, "Delete") {
		t.Errorf("viewer's /events: %d; want the events listed without the form or delete buttons", code)
	}
	vtok := csrfOn(t, viewer, hs, "/login")
	form.Set("csrf", vtok)
	form.Set("title", "Made by a viewer")
	if code, _, _ := fetch(t, viewer, "POST", hs.URL+"/events", form); code != http.StatusForbidden {
		t.Errorf("viewer adds an event: %d, want 403", code)
	}
	if code, _, _ := fetch(t, viewer, "POST", hs.URL+"/events/"+itoa(id)+"/delete", url.Values{"csrf": {vtok}}); code != http.StatusForbidden {
		t.Errorf("viewer deletes an event: %d, want 403", code)
	}
	if events, _ := db.EventsBetween(context.Background(), today.AddDate(0, 0, -10), today.AddDate(0, 0, 1)); len(events) != 1 {
		t.Errorf("after the viewer's attempts there are %d events, want 1", len(events))
	}
	// Without the CSRF token, not even an editor.
	if code, _, _ := fetch(t, editor, "POST", hs.URL+"/events/"+itoa(id)+"/delete", url.Values{}); code != http.StatusForbidden {
		t.Errorf("delete without the CSRF token: %d, want 403", code)
	}
	if code, _, _ := fetch(t, editor, "POST", hs.URL+"/events/"+itoa(id)+"/delete", url.Values{"csrf": {tok}}); code != http.StatusSeeOther {
		t.Errorf("editor deletes the event: %d, want 303", code)
	}
	if _, err := db.EventByID(context.Background(), id); err == nil {
		t.Errorf("the event is still there after its deletion")
	}
}

func TestAlertsPageListsFirings(t *testing.T) {
	db := dbtest.Store(t)
	ctx := context.Background()
	if err := dbtest.Admin(t).Exec(ctx, `DELETE FROM opsboard.alert_firings`); err != nil {
		t.Fatal(err)
	}
	f, claimed, err := db.ClaimAlertFiring(ctx, store.AlertFiring{
		Rule: "on-time-below-target", Period: "2026-03-05", Dashboard: "daily-ops", Tile: "kpi/on_time_rate",
		Title: "On-time delivery below target today", Condition: "below", Value: 0.871,
		Message: "On-time delivery is 87.1% for today so far, below the threshold of 92.0%.", FiredAt: time.Now(),
	}, func(int64) []store.NewNotice {
		return []store.NewNotice{
			{Channel: "email", Target: "ops-leads@example.com", Body: []byte("x")},
			{Channel: "webhook", Target: "url:https://hooks.slack.com/services/T0/B0/s3cr3t", Format: "slack", Body: []byte("{}")},
		}
	})
	if err != nil || !claimed {
		t.Fatalf("ClaimAlertFiring = %v, %v", claimed, err)
	}
	hs := startServer(t, db, "../..")
	code, body, _ := get(t, hs.URL+"/alerts?dashboard=daily-ops&tile=kpi/on_time_rate")
	if code != http.StatusOK {
		t.Fatalf("GET /alerts = %d:\n%s", code, body)
	}
	for _, want := range []string{`data-firing="` + itoa(f.ID) + `"`, "87.1% for today so far", "firing", "2026-03-05",
		`data-rule="on-time-below-target"`, "below 92.0%, yesterday", "https://hooks.slack.com/…", "ops-leads@example.com"} {
		if !strings.Contains(body, want) {
			t.Errorf("/alerts lacks %q", want)
		}
	}
	if strings.Contains(body, "s3cr3t") {
		t.Errorf("/alerts shows a webhook's secret address")
	}
	if strings.Contains(body, `data-rule="orders-unusual-change"`) {
		t.Errorf("/alerts?tile=kpi/on_time_rate lists a rule of another tile")
	}
	if _, body, _ := get(t, hs.URL+"/alerts?tile=kpi/orders"); strings.Contains(body, `data-firing="`) {
		t.Errorf("/alerts?tile=kpi/orders lists the on-time firing")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
