package event_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/event"
	"github.com/opsboard/opsboard/internal/query"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func day(s string) time.Time {
	t, err := time.Parse(query.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// service serves the definitions in files over the package's database.
func service(t *testing.T, files map[string]string) *event.Service {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := catalog.Load(root)
	if err != nil {
		t.Fatalf("definitions: %v", err)
	}
	if err := dbtest.Admin(t).Exec(context.Background(), `DELETE FROM opsboard.events`); err != nil {
		t.Fatal(err)
	}
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: time.UTC, Timeout: 20 * time.Second})
	return &event.Service{Store: dbtest.Store(t), Runner: runner, Catalog: func() *catalog.Catalog { return cat }}
}

var defs = map[string]string{
	"sql/kpi/orders.sql":     "-- title: Orders\nSELECT 1 AS value\n",
	"sql/kpi/csat.sql":       "-- title: CSAT\nSELECT 4.2 AS value\n",
	"dashboards/ops.yaml":    "title: Ops\ntiles:\n  - query: kpi/orders\n",
	"dashboards/market.yaml": "title: Market\ntiles:\n  - query: kpi/csat\n",
	// A marketing calendar in the user's data.
	"sql/events/campaigns.sql": `-- title: Campaigns
SELECT starts AS day, ends AS "end", name AS title, url AS link, note
FROM campaigns WHERE starts < :to AND ends >= :from
`,
	"events/campaigns.yaml": "title: Marketing calendar\nquery: events/campaigns\nteam: marketing\n",
	// Incidents logged elsewhere, for one dashboard, with a team column.
	"sql/events/incidents.sql": `-- title: Incidents
SELECT at AS start, 'ops' AS team, what AS title, 'kpi/orders' AS metrics
FROM incidents WHERE at >= :from AND at < :to
`,
	"events/incidents.yaml": "query: events/incidents\ndashboards: [ops]\n",
}

func loadData(t *testing.T) {
	t.Helper()
	err := dbtest.Admin(t).Exec(context.Background(), `
		DROP TABLE IF EXISTS campaigns, incidents;
		CREATE TABLE campaigns (starts date, ends date, name text, url text, note text);
		INSERT INTO campaigns VALUES
			('2026-03-02', '2026-03-08', 'Spring sale', 'https://marketing.example.com/spring', 'Paid social, 20% off'),
			('2026-03-20', '2026-03-20', 'Newsletter', 'javascript:alert(1)', NULL),
			('2026-05-01', '2026-05-03', 'May days', NULL, NULL);
		CREATE TABLE incidents (at timestamptz, what text);
		INSERT INTO incidents VALUES ('2026-03-05 14:00+00', 'Carrier outage');`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestInRangeMergesStoredAndQueriedEvents(t *testing.T) {
	loadData(t)
	svc := service(t, defs)
	ctx := context.Background()
	mk := func(d event.Draft) {
		t.Helper()
		if _, err := svc.Create(ctx, d, "editor@example.com"); err != nil {
			t.Fatalf("Create(%+v): %v", d, err)
		}
	}
	mk(event.Draft{Day: "2026-03-10", Title: "Memphis closed", Team: "ops", Note: "Snow", Dashboards: []string{"ops"}})
	mk(event.Draft{Day: "2026-03-01", End: "2026-03-03", Title: "Price change", Team: "Marketing", Link: "https://wiki.example.com/p"})
	mk(event.Draft{Day: "2026-04-10", Title: "Later", Team: "ops"})

	march := query.Range{From: day("2026-03-01"), To: day("2026-04-01")}
	for _, c := range []struct {
		dashboard string
		want      []string
	}{
		{"ops", []string{
			"2026-03-01..2026-03-03 Price change (marketing, stored)",
			"2026-03-02..2026-03-08 Spring sale (marketing, campaigns)",
			"2026-03-05 Carrier outage (ops, incidents)",
			"2026-03-10 Memphis closed (ops, stored)",
			"2026-03-20 Newsletter (marketing, campaigns)",
		}},
		{"market", []string{
			"2026-03-01..2026-03-03 Price change (marketing, stored)",
			"2026-03-02..2026-03-08 Spring sale (marketing, campaigns)",
			"2026-03-20 Newsletter (marketing, campaigns)",
		}},
	} {
		events, err := svc.InRange(ctx, c.dashboard, march)
		if err != nil {
			t.Fatalf("InRange(%s): %v", c.dashboard, err)
		}
		var got []string
		for _, e := range events {
			got = append(got, e.Range().String()+" "+e.Title+" ("+e.Team+", "+e.Source+")")
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("InRange(%s, March):\n%s\nwant:\n%s", c.dashboard, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}

	events, _ := svc.InRange(ctx, "ops", march)
	for _, e := range events {
		switch e.Title {
		case "Spring sale":
			if !e.Span() || e.Link != "https://marketing.example.com/spring" || e.Note != "Paid social, 20% off" || e.CreatedBy != "" {
				t.Errorf("Spring sale = %+v", e)
			}
		case "Newsletter":
			if e.Link != "" {
				t.Errorf("a javascript: link from the data was kept: %q", e.Link)
			}
		case "Carrier outage":
			if !e.Concerns("ops", "kpi/orders") || e.Concerns("ops", "kpi/csat") {
				t.Errorf("Carrier outage concerns %v, want kpi/orders only", e.Metrics)
			}
		case "Memphis closed":
			if e.ID == 0 || e.CreatedBy != "editor@example.com" || e.Public().CreatedBy != "" {
				t.Errorf("stored event %+v: want its ID and maker, and Public without the maker", e)
			}
		}
	}

	// A failing events query does not hide the other events.
	if err := dbtest.Admin(t).Exec(ctx, `DROP TABLE incidents`); err != nil {
		t.Fatal(err)
	}
	events, err := svc.InRange(ctx, "ops", march)
	if err == nil || !strings.Contains(err.Error(), "events/incidents.yaml") {
		t.Errorf("InRange with a broken events query: %v, want an error naming events/incidents.yaml", err)
	}
	if len(events) != 4 {
		t.Errorf("InRange with a broken events query returned %d events, want the 4 others", len(events))
	}
}

func TestCreateRefusesBadEvents(t *testing.T) {
	svc := service(t, defs)
	for _, c := range []struct {
		name string
		d    event.Draft
	}{
		{"no title", event.Draft{Day: "2026-03-01", Team: "ops"}},
		{"no team", event.Draft{Day: "2026-03-01", Title: "X"}},
		{"bad day", event.Draft{Day: "03/01/2026", Title: "X", Team: "ops"}},
		{"ends before it starts", event.Draft{Day: "2026-03-05", End: "2026-03-01", Title: "X", Team: "ops"}},
		{"javascript link", event.Draft{Day: "2026-03-01", Title: "X", Team: "ops", Link: "javascript:alert(1)"}},
		{"unknown dashboard", event.Draft{Day: "2026-03-01", Title: "X", Team: "ops", Dashboards: []string{"nope"}}},
		{"unknown metric", event.Draft{Day: "2026-03-01", Title: "X", Team: "ops", Metrics: []string{"kpi/nope"}}},
	} {
		if _, err := svc.Create(context.Background(), c.d, "e@example.com"); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("%s: Create = %v, want an invalid-input error", c.name, err)
		}
	}
}
