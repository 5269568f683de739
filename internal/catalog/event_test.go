package catalog

import (
	"maps"
	"strings"
	"testing"
)

func eventFixture() map[string]string {
	files := maps.Clone(fixture)
	files["sql/events/campaigns.sql"] = "-- title: Campaigns\nSELECT starts AS day, ends AS \"end\", name AS title FROM campaigns WHERE starts < :to AND ends >= :from\n"
	files["events/campaigns.yaml"] = "title: Marketing calendar\nquery: events/campaigns\nteam: marketing\ndashboards: [ops]\n"
	return files
}

func TestLoadEventSources(t *testing.T) {
	c, err := Load(writeTree(t, eventFixture()))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	s := c.EventSources["campaigns"]
	if s == nil {
		t.Fatalf("event sources %v, want campaigns", c.EventSourceNames())
	}
	if s.Title != "Marketing calendar" || s.Query != "events/campaigns" || s.Team != "marketing" || strings.Join(s.Dashboards, ",") != "ops" {
		t.Errorf("source = %+v", s)
	}
}

func TestEventSourceErrors(t *testing.T) {
	edit := func(old, new string) map[string]string {
		files := eventFixture()
		files["events/campaigns.yaml"] = strings.Replace(files["events/campaigns.yaml"], old, new, 1)
		return files
	}
	for _, c := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"unknown query", edit("query: events/campaigns", "query: events/campaign"), []string{
			`events/campaigns.yaml:2:8: events: unknown query "events/campaign" (did you mean "events/campaigns"?)`,
		}},
		{"unknown dashboard", edit("[ops]", "[ops, opz]"), []string{
			`events/campaigns.yaml:4:19: dashboards: unknown dashboard "opz" (did you mean "ops"?)`,
		}},
		{"unknown key", edit("team: marketing", "teams: marketing"), []string{
			`events/campaigns.yaml:3:1: unknown key "teams" in events (did you mean "team"?)`,
		}},
		{"missing query", edit("query: events/campaigns\n", ""), []string{
			`events/campaigns.yaml:1:1: events is missing query`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeTree(t, c.files))
			checkErrors(t, err, c.want)
		})
	}

	c, err := Load(writeTree(t, edit("team: marketing\n", "")))
	if err != nil {
		t.Fatal(err)
	}
	errs := c.CheckColumns(map[string][]string{"events/campaigns": {"starts", "name"}})
	checkErrors(t, errs.Err(), []string{
		`events/campaigns.yaml:2:8: events: query events/campaigns returns no column day (or start)`,
		`events/campaigns.yaml:2:8: events: query events/campaigns returns no column title`,
		`events/campaigns.yaml:2:8: events: query events/campaigns returns no column team`,
	})
	if errs := c.CheckColumns(map[string][]string{"events/campaigns": {"start", "title", "team"}}); len(errs) > 0 {
		t.Errorf("CheckColumns with start, title, team: %v, want none", errs)
	}
}
