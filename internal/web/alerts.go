package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/alert"
	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/chart"
	"github.com/opsboard/opsboard/internal/store"
)

// Alerts: /alerts is the history of firings (viewers), newest first, with
// the rules of alerts/*.yaml and how each was last checked. A tile links
// here with ?dashboard=NAME&tile=QUERY; a notice links with ?rule=NAME.

func (s *Server) registerAlertRoutes(r *mux.Router) {
	r.Handle("/alerts", s.handle(s.alertsPage)).Methods(http.MethodGet, http.MethodHead)
}

type alertsData struct {
	Rules   []alertRule
	Firings []firingRow
	Filter  string // what the list is narrowed to, in words
}

type alertRule struct {
	Name, Title, File, Dashboard, Tile, Condition, Schedule, Targets string
	LastCheck, LastStatus, LastMessage, Tone                         string
	// Watched is the tile's label with the rule's filter values, "Orders
	// (channel web)"; DashboardURL opens the view that shows that number.
	Watched, DashboardURL string
}

type firingRow struct {
	ID                                int64
	Rule, Title, Dashboard, Tile      string
	Params, DashboardURL              string
	Period, Fired, Message, Recovered string
	Open                              bool
	Notices                           []noticeRow
}

type noticeRow struct {
	Kind, Target, Status, Tone, Error string
	Attempts                          int
}

var alertTones = map[string]string{
	store.CheckOK: "good", store.CheckFiring: "bad", store.CheckFailed: "bad", "sent": "good",
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request) error {
	if s.db == nil {
		return apperr.Unavailable("alerts need opsboard's database")
	}
	q := r.URL.Query()
	filter := store.AlertFiringFilter{Rule: q.Get("rule"), Dashboard: q.Get("dashboard"), Tile: q.Get("tile")}
	c := s.Catalog()
	loc := s.runner.Location()
	when := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	var data alertsData
	var words []string
	for _, f := range []struct{ what, v string }{{"rule", filter.Rule}, {"dashboard", filter.Dashboard}, {"tile", filter.Tile}} {
		if f.v != "" {
			words = append(words, f.what+" "+f.v)
		}
	}
	data.Filter = strings.Join(words, ", ")

	checks, err := s.db.LatestAlertChecks(r.Context())
	if err != nil {
		return err
	}
	for _, name := range c.AlertNames() {
		a := c.Alerts[name]
		if filter.Rule != "" && name != filter.Rule || filter.Dashboard != "" && a.Dashboard != filter.Dashboard || filter.Tile != "" && a.Tile != filter.Tile {
			continue
		}
		row := alertRule{Name: name, Title: a.Title, File: a.File, Dashboard: a.Dashboard, Tile: a.Tile,
			Condition: describeCondition(c, a), Targets: describeTargets(a),
			Watched: a.Watched(tileLabel(c, a)), DashboardURL: a.DashboardPath()}
		if a.Cron != nil {
			row.Schedule = a.Cron.Describe()
			if a.TimeZone != "" {
				row.Schedule += " (" + a.TimeZone + ")"
			}
		}
		if ch, ok := checks[name]; ok {
			row.LastCheck, row.LastStatus, row.LastMessage, row.Tone = when(ch.DueAt), ch.Status, ch.Message, alertTones[ch.Status]
		}
		data.Rules = append(data.Rules, row)
	}

	firings, err := s.db.ListAlertFirings(r.Context(), filter)
	if err != nil {
		return err
	}
	ids := make([]int64, len(firings))
	for i, f := range firings {
		ids[i] = f.ID
	}
	notices, err := s.db.AlertNoticesOf(r.Context(), ids)
	if err != nil {
		return err
	}
	for _, f := range firings {
		row := firingRow{ID: f.ID, Rule: f.Rule, Title: f.Title, Dashboard: f.Dashboard, Tile: f.Tile,
			Period: f.Period, Fired: when(f.FiredAt), Message: f.Message, Open: !f.RecoveredAt.Valid,
			DashboardURL: "/d/" + f.Dashboard}
		// A firing keeps no params of its own; the rule's, while it still
		// watches the same tile, say which view its number is from.
		if a, ok := c.Alerts[f.Rule]; ok && a.Dashboard == f.Dashboard && a.Tile == f.Tile {
			row.Params, row.DashboardURL = a.ParamsText(), a.DashboardPath()
		}
		if f.RecoveredAt.Valid {
			row.Recovered = when(f.RecoveredAt.Time)
			if f.RecoveredIn.Valid && f.RecoveredIn.String != f.Period {
				row.Recovered += " (" + f.RecoveredIn.String + ")"
			}
		}
		for _, n := range notices[f.ID] {
			row.Notices = append(row.Notices, noticeRow{Kind: n.Kind, Target: alert.DisplayTarget(n.Target), Status: n.Status,
				Tone: alertTones[n.Status], Error: n.LastError, Attempts: n.Attempts})
		}
		data.Firings = append(data.Firings, row)
	}
	var buf bytes.Buffer
	if err := alertsTemplate.Execute(&buf, data); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, "prerendered", s.page("Alerts", "alerts", false, template.HTML(buf.String())))
}

// describeCondition says when a rule fires: "below 92.0%, yesterday".
func describeCondition(c *catalog.Catalog, a *catalog.Alert) string {
	unit, format := "", ""
	if q := c.Queries[a.Tile]; q != nil {
		unit = q.Unit
	}
	if d := c.Dashboards[a.Dashboard]; d != nil {
		for _, t := range d.Tiles {
			if t.Query == a.Tile {
				format = t.Format
				break
			}
		}
	}
	rng := strings.ReplaceAll(a.Range, "_", " ")
	if a.Range == catalog.AlertToday {
		rng = "today so far"
	}
	switch a.Condition {
	case catalog.AlertBelow, catalog.AlertAbove:
		th := "?"
		if a.Threshold != nil {
			th = chart.FormatValue(*a.Threshold, unit, format)
		}
		return a.Condition + " " + th + ", " + rng
	}
	dir := map[string]string{"up": "rises", "down": "falls", "any": "moves"}[a.Direction]
	return dir + " more than its normal variation vs " + strings.ReplaceAll(a.Compare, "_", " ") + ", " + rng
}

// tileLabel is how the dashboard names the rule's tile (catalog.Tile.Name).
func tileLabel(c *catalog.Catalog, a *catalog.Alert) string {
	if d := c.Dashboards[a.Dashboard]; d != nil {
		for _, t := range d.Tiles {
			if t.Query == a.Tile {
				return t.Name(c.Queries[a.Tile])
			}
		}
	}
	return catalog.Tile{Query: a.Tile}.Name(c.Queries[a.Tile])
}

// describeTargets lists where a rule's notices go, webhooks without their
// secret.
func describeTargets(a *catalog.Alert) string {
	out := append([]string{}, a.Email...)
	for _, w := range a.Webhooks {
		out = append(out, alert.DisplayTarget(w.Target())+" ("+w.Format+")")
	}
	return strings.Join(out, ", ")
}

var alertsTemplate = template.Must(template.New("alerts").Parse(`
<h1>Alerts</h1>
<p class="lede">Rules in <code>alerts/*.yaml</code> watch a tile's number on a schedule and notify by email and webhook when it crosses its threshold or moves more than its normal variation: once per period, and once more when it recovers.{{if .Filter}} Showing {{.Filter}} · <a href="/alerts">all alerts</a>.{{end}}</p>
<section class="block"><h2>Rules</h2>
<table class="data">
<thead><tr><th>Rule</th><th>Watches</th><th>Fires when</th><th>Checked</th><th>Last check</th><th>Notifies</th></tr></thead>
<tbody>
{{range .Rules}}<tr data-rule="{{.Name}}">
  <td><a href="/alerts?rule={{.Name}}">{{.Title}}</a><br><span class="meta">{{.File}}</span></td>
  <td class="watched">{{.Watched}}<br><span class="meta"><a href="{{.DashboardURL}}">{{.Dashboard}}</a> · <code>{{.Tile}}</code></span></td>
  <td>{{.Condition}}</td><td>{{.Schedule}}</td>
  <td>{{if .LastStatus}}<span class="badge {{.Tone}}">{{.LastStatus}}</span> {{.LastCheck}}<br><span class="meta">{{.LastMessage}}</span>{{else}}<span class="meta">not yet</span>{{end}}</td>
  <td class="meta">{{.Targets}}</td>
</tr>{{else}}<tr><td colspan="6">No alert rules{{if .Filter}} here{{end}}.</td></tr>{{end}}
</tbody></table></section>
<section class="block"><h2>Firings</h2>
<table class="data firings">
<thead><tr><th>Fired</th><th>Alert</th><th>Period</th><th>What was found</th><th>Status</th><th>Notices</th></tr></thead>
<tbody>
{{range .Firings}}<tr id="firing-{{.ID}}" data-firing="{{.ID}}">
  <td>{{.Fired}}</td>
  <td><a href="/alerts?rule={{.Rule}}">{{.Title}}</a><br><span class="meta"><a href="{{.DashboardURL}}">{{.Dashboard}}</a> · {{.Tile}}{{if .Params}} ({{.Params}}){{end}}</span></td>
  <td>{{.Period}}</td><td>{{.Message}}</td>
  <td>{{if .Open}}<span class="badge bad">firing</span>{{else}}<span class="badge good">recovered</span><br><span class="meta">{{.Recovered}}</span>{{end}}</td>
  <td>{{if .Notices}}<details><summary>{{len .Notices}}</summary><ul>{{range .Notices}}<li>{{.Kind}} · <span class="badge {{.Tone}}">{{.Status}}</span> {{.Target}}{{if gt .Attempts 1}} · {{.Attempts}} attempts{{end}}{{if .Error}}<br><span class="meta">{{.Error}}</span>{{end}}</li>{{end}}</ul></details>{{else}}<span class="meta">none</span>{{end}}</td>
</tr>{{else}}<tr><td colspan="6">No alert has fired{{if .Filter}} here{{end}}.</td></tr>{{end}}
</tbody></table></section>
`))
