package web

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/event"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
)

// Events: /events lists the events around today (viewers), the ones
// people made and the ones the events queries read from the data; editors
// add and delete the former there.

func (s *Server) registerEventRoutes(r *mux.Router) {
	r.Handle("/events", s.handle(s.eventsPage)).Methods(http.MethodGet, http.MethodHead)
}

func (s *Server) registerEventEditorRoutes(r *mux.Router) {
	r.Handle("/events", s.handle(s.createEvent)).Methods(http.MethodPost)
	r.Handle("/events/{id:[0-9]+}/delete", s.handle(s.deleteEvent)).Methods(http.MethodPost)
}

// events is the events service over this server's store, runner and
// current definitions.
func (s *Server) events() *event.Service {
	return &event.Service{Store: s.db, Runner: s.runner, Catalog: s.Catalog, Log: s.log}
}

// eventsData is the events page's model.
type eventsData struct {
	From, To   string
	Dashboard  string
	Events     []eventRow
	Problem    string // an events query failed: the others are shown
	Error      string // the form's input was refused
	Draft      event.Draft
	CanEdit    bool
	CSRF       string
	Teams      []string
	Dashboards []page.Choice
	Metrics    []page.Choice
	Sources    []string
}

type eventRow struct {
	ID                      int64
	When, Title, Team, Note string
	Link                    string
	Concerns                string
	Source                  string
	Stored                  bool
}

// eventsWindow is what /events shows without dates: the last 90 days and
// the next 60, for planned campaigns.
func (s *Server) eventsWindow(r *http.Request) (query.Range, error) {
	today := s.runner.Today()
	rng := query.Range{From: today.AddDate(0, 0, -90), To: today.AddDate(0, 0, 61)}
	q := r.URL.Query()
	if v := q.Get("from"); v != "" {
		d, err := time.Parse(query.DateLayout, v)
		if err != nil {
			return rng, apperr.Invalid("from %q is not a date (YYYY-MM-DD)", v)
		}
		rng.From = d
	}
	if v := q.Get("to"); v != "" {
		d, err := time.Parse(query.DateLayout, v)
		if err != nil {
			return rng, apperr.Invalid("to %q is not a date (YYYY-MM-DD)", v)
		}
		rng.To = d.AddDate(0, 0, 1)
	}
	if !rng.To.After(rng.From) {
		return rng, apperr.Invalid("the dates end before they start")
	}
	return rng, s.runner.CheckRange(rng)
}

func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderEvents(w, r, http.StatusOK, eventsData{})
}

func (s *Server) renderEvents(w http.ResponseWriter, r *http.Request, status int, data eventsData) error {
	if s.db == nil {
		return apperr.Unavailable("events need opsboard's database")
	}
	rng, err := s.eventsWindow(r)
	if err != nil {
		return err
	}
	c := s.Catalog()
	data.Dashboard = r.URL.Query().Get("dashboard")
	if data.Dashboard != "" && c.Dashboards[data.Dashboard] == nil {
		return notFound("There is no dashboard called %q.", data.Dashboard)
	}
	data.From, data.To = rng.From.Format(query.DateLayout), rng.Day().Format(query.DateLayout)
	events, err := s.events().InRange(r.Context(), data.Dashboard, rng)
	if err != nil {
		if events == nil {
			return err
		}
		s.log.Warn("an events query failed", "err", err)
		data.Problem = err.Error()
	}
	for _, e := range events {
		row := eventRow{ID: e.ID, When: eventWhen(e), Title: e.Title, Team: e.Team, Note: e.Note, Link: e.Link, Stored: e.ID != 0}
		var concerns []string
		if len(e.Dashboards) > 0 {
			concerns = append(concerns, strings.Join(e.Dashboards, ", "))
		}
		if len(e.Metrics) > 0 {
			concerns = append(concerns, strings.Join(e.Metrics, ", "))
		}
		row.Concerns = strings.Join(concerns, " · ")
		if row.Stored {
			row.Source = "added by " + e.CreatedBy
		} else if src := c.EventSources[e.Source]; src != nil {
			row.Source = "from " + src.Title
		}
		data.Events = append(data.Events, row)
	}
	for _, name := range c.EventSourceNames() {
		src := c.EventSources[name]
		data.Sources = append(data.Sources, src.Title+" ("+src.File+", query "+src.Query+")")
	}
	p := currentPrincipal(r.Context())
	data.CanEdit = p != nil && p.Role.Allows(access.Editor)
	if data.CanEdit {
		data.CSRF = s.csrfToken(w, r, p)
		data.Teams = event.Teams
		for _, name := range c.DashboardNames() {
			data.Dashboards = append(data.Dashboards, page.Choice{Value: name, Label: c.Dashboards[name].Title,
				Selected: slices.Contains(data.Draft.Dashboards, name) || data.Draft.Dashboards == nil && name == data.Dashboard})
		}
		// The metrics are what the dashboards show, not the queries behind
		// filters or events.
		var shown []string
		for _, name := range c.DashboardNames() {
			for _, q := range c.Dashboards[name].UsedQueries() {
				if !slices.Contains(shown, q) && c.Queries[q] != nil {
					shown = append(shown, q)
				}
			}
		}
		slices.Sort(shown)
		for _, name := range shown {
			data.Metrics = append(data.Metrics, page.Choice{Value: name, Label: c.Queries[name].Title, Selected: slices.Contains(data.Draft.Metrics, name)})
		}
		if data.Draft.Day == "" {
			data.Draft.Day = s.runner.Today().Format(query.DateLayout)
		}
	}
	var buf bytes.Buffer
	if err := eventsTemplate.Execute(&buf, data); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	pg := s.page("Events", "events", false, template.HTML(buf.String()))
	pg.Account = s.account(w, r)
	return s.renderStatus(w, status, "prerendered", pg)
}

// eventWhen writes an event's days: "Mon 5 Jan 2026" or "2 Mar – 8 Mar 2026".
func eventWhen(e event.Event) string { return page.PeriodText(e.Range()) }

func (s *Server) createEvent(w http.ResponseWriter, r *http.Request) error {
	if s.db == nil {
		return apperr.Unavailable("events need opsboard's database")
	}
	f := r.PostForm
	d := event.Draft{
		Day: f.Get("day"), End: f.Get("end"), Title: f.Get("title"), Team: f.Get("team"),
		Note: f.Get("note"), Link: f.Get("link"), Dashboards: f["dashboard"], Metrics: f["metric"],
	}
	e, err := s.events().Create(r.Context(), d, currentPrincipal(r.Context()).Email)
	if err != nil {
		if d.Dashboards == nil {
			d.Dashboards = []string{}
		}
		return s.renderEvents(w, r, statusOf(err), eventsData{Error: err.Error(), Draft: d})
	}
	s.views.purge() // dashboards draw the new event at once
	s.log.Info("event created", "id", e.ID, "title", e.Title, "by", e.CreatedBy)
	to := "/events"
	if back := f.Get("back"); back != "" {
		to += "?dashboard=" + url.QueryEscape(back)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// statusOf is the status of a refused form: 400 for bad input, else the
// error is the server's (500 through the adapter, never shown as input).
func statusOf(err error) int {
	if pe := classify(err); pe.status == http.StatusBadRequest {
		return pe.status
	}
	return http.StatusInternalServerError
}

func (s *Server) deleteEvent(w http.ResponseWriter, r *http.Request) error {
	if s.db == nil {
		return apperr.Unavailable("events need opsboard's database")
	}
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		return notFound("No such event.")
	}
	if err := s.events().Delete(r.Context(), id); err != nil {
		return err
	}
	s.views.purge()
	s.log.Info("event deleted", "id", id, "by", currentPrincipal(r.Context()).Email)
	http.Redirect(w, r, "/events", http.StatusSeeOther)
	return nil
}

var eventsTemplate = template.Must(template.New("events").Parse(`
<h1>Events</h1>
<p class="lede">What explains the numbers: campaigns, outages, a warehouse closed for a day. Charts show the events of their dates; events come from this page and from the events queries in the definitions{{if .Sources}} ({{range $i, $s := .Sources}}{{if $i}}; {{end}}{{$s}}{{end}}){{end}}.</p>
{{if .Error}}<div class="notice failure" role="alert">{{.Error}}</div>{{end}}
{{if .Problem}}<div class="notice failure" role="status">Some events could not be read: {{.Problem}}</div>{{end}}
<form method="get" action="/events" class="toolbar">
  <label>From <input type="date" name="from" value="{{.From}}"></label>
  <label>To <input type="date" name="to" value="{{.To}}"></label>
  {{if .Dashboard}}<input type="hidden" name="dashboard" value="{{.Dashboard}}">{{end}}
  <button type="submit">Show</button>
  {{if .Dashboard}}<span class="meta">for dashboard <a href="/d/{{.Dashboard}}">{{.Dashboard}}</a> · <a href="/events">all events</a></span>{{end}}
</form>
<section class="block"><h2>{{len .Events}} events</h2>
<table class="data events">
<thead><tr><th>When</th><th>Event</th><th>Team</th><th>Concerns</th><th>Source</th>{{if .CanEdit}}<th></th>{{end}}</tr></thead>
<tbody>
{{$csrf := .CSRF}}{{$edit := .CanEdit}}
{{range .Events}}<tr{{if .ID}} data-event="{{.ID}}"{{end}}>
  <td>{{.When}}</td>
  <td>{{if .Link}}<a href="{{.Link}}" rel="noopener noreferrer">{{.Title}}</a>{{else}}{{.Title}}{{end}}{{if .Note}}<br><span class="meta">{{.Note}}</span>{{end}}</td>
  <td><span class="badge">{{.Team}}</span></td>
  <td>{{if .Concerns}}{{.Concerns}}{{else}}<span class="meta">every dashboard</span>{{end}}</td>
  <td class="meta">{{.Source}}</td>
  {{if $edit}}<td>{{if .Stored}}<form method="post" action="/events/{{.ID}}/delete" class="inline"><input type="hidden" name="csrf" value="{{$csrf}}"><button type="submit">Delete</button></form>{{end}}</td>{{end}}
</tr>{{else}}<tr><td colspan="6">No events in these dates.</td></tr>{{end}}
</tbody></table></section>
{{if .CanEdit}}
<section class="block"><h2>Add an event</h2>
<form method="post" action="/events" class="toolbar event-form">
  <input type="hidden" name="csrf" value="{{.CSRF}}">
  {{if .Dashboard}}<input type="hidden" name="back" value="{{.Dashboard}}">{{end}}
  <label>First day <input type="date" name="day" value="{{.Draft.Day}}" required></label>
  <label>Last day <input type="date" name="end" value="{{.Draft.End}}"> <span class="meta">(for a span)</span></label>
  <label>Title <input type="text" name="title" value="{{.Draft.Title}}" maxlength="200" required placeholder="e.g. Spring sale, carrier outage"></label>
  <label>Team <input type="text" name="team" value="{{.Draft.Team}}" list="teams" maxlength="40" required placeholder="ops"></label>
  <datalist id="teams">{{range .Teams}}<option value="{{.}}">{{end}}</datalist>
  <label>Note <input type="text" name="note" value="{{.Draft.Note}}" maxlength="2000"></label>
  <label>Link <input type="url" name="link" value="{{.Draft.Link}}" placeholder="https://…"></label>
  <fieldset><legend>Dashboards <span class="meta">(none: every dashboard)</span></legend>
  {{range .Dashboards}}<label><input type="checkbox" name="dashboard" value="{{.Value}}"{{if .Selected}} checked{{end}}> {{.Label}}</label>{{end}}
  </fieldset>
  <label>Metrics <span class="meta">(none: every metric)</span>
  <select name="metric" multiple size="4">{{range .Metrics}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}} ({{.Value}})</option>{{end}}</select></label>
  <button type="submit">Add event</button>
</form></section>
{{end}}
`))
