// Package event gathers the events that explain the numbers — a campaign,
// a carrier outage, a warehouse closed for a day — from their two places:
// those people make in the browser (kept in the store) and those read from
// the user's own data by the queries events/*.yaml names (run through the
// one query runner). Charts, the report and share pages draw what InRange
// returns.
package event

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
)

// SourceStored is the Source of events made in the browser.
const SourceStored = "stored"

// Teams are the teams the browser's form offers; others are allowed.
var Teams = []string{"ops", "marketing", "support", "logistics", "product"}

// Event is a day or a span of days with a title: what happened.
type Event struct {
	// ID is the stored event's ID; 0 for events read from the data.
	ID int64
	// Source is SourceStored, or the name of the events definition
	// (events/NAME.yaml) whose query returned it.
	Source string
	// Day is the first day and End the last one (inclusive; equal to Day
	// for a one-day event), both dates at UTC midnight like query.Range.
	Day, End time.Time
	Title    string
	Team     string // ops, marketing, …
	Note     string // optional
	Link     string // optional; an http(s) address
	// Dashboards and Metrics (query names) the event concerns; empty: all.
	Dashboards []string
	Metrics    []string
	// CreatedBy is who made a stored event. Share pages must not show it.
	CreatedBy string
}

// Span reports whether the event covers more than one day (a band rather
// than a marker on a chart).
func (e Event) Span() bool { return e.End.After(e.Day) }

// Range is the days the event covers, as a query.Range (End exclusive).
func (e Event) Range() query.Range { return query.Range{From: e.Day, To: e.End.AddDate(0, 0, 1)} }

// Concerns reports whether the event is about the dashboard (""
// matches any) and the metric (a query name; "" matches any).
func (e Event) Concerns(dashboard, metric string) bool {
	return (dashboard == "" || len(e.Dashboards) == 0 || slices.Contains(e.Dashboards, dashboard)) &&
		(metric == "" || len(e.Metrics) == 0 || slices.Contains(e.Metrics, metric))
}

// Public is the event as a share link may show it: without who made it.
func (e Event) Public() Event {
	e.CreatedBy = ""
	return e
}

// Service reads and writes events.
type Service struct {
	Store   *store.Store
	Runner  *query.Runner
	Catalog func() *catalog.Catalog
	Log     *slog.Logger
}

// InRange returns the events that overlap r and concern the dashboard
// (every event when dashboard is ""): the stored ones and those the events
// queries return for r, ordered by first day, then last day and title.
//
// An events query that fails does not hide the others: the events that
// could be read come back with an error naming the query that failed, so
// a chart can still draw them.
func (s *Service) InRange(ctx context.Context, dashboard string, r query.Range) ([]Event, error) {
	var out []Event
	var errs []error
	stored, err := s.Store.EventsBetween(ctx, r.From, r.To)
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	for _, st := range stored {
		if e := FromStore(st); e.Concerns(dashboard, "") {
			out = append(out, e)
		}
	}
	if s.Catalog != nil && s.Runner != nil {
		c := s.Catalog()
		for _, name := range c.EventSourceNames() {
			src := c.EventSources[name]
			if dashboard != "" && len(src.Dashboards) > 0 && !slices.Contains(src.Dashboards, dashboard) {
				continue
			}
			events, err := s.query(ctx, c, src, r)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, e := range events {
				if e.Concerns(dashboard, "") && e.Day.Before(r.To) && !e.End.Before(r.From) {
					out = append(out, e)
				}
			}
		}
	}
	sortEvents(out)
	return out, errors.Join(errs...)
}

func sortEvents(events []Event) {
	slices.SortStableFunc(events, func(a, b Event) int {
		return cmp.Or(a.Day.Compare(b.Day), a.End.Compare(b.End), strings.Compare(a.Title, b.Title))
	})
}

// query runs an events definition's query for r and reads its rows.
func (s *Service) query(ctx context.Context, c *catalog.Catalog, src *catalog.EventSource, r query.Range) ([]Event, error) {
	q, ok := c.Queries[src.Query]
	if !ok {
		return nil, apperr.NotFound("%s: no query %q", src.File, src.Query)
	}
	res, err := s.Runner.Run(ctx, q, query.Request{Range: r})
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", src.File, err)
	}
	return Read(src, res.Frame)
}

// Read turns the rows of an events query into events. The columns are
// found by name (see catalog.EventSource); a missing day or title column
// is an error naming the query's file, and rows without a day or a title
// are skipped.
func Read(src *catalog.EventSource, f *frame.Frame) ([]Event, error) {
	day := f.Index(catalog.EventDay)
	if day < 0 {
		day = f.Index(catalog.EventStart)
	}
	title := f.Index(catalog.EventTitle)
	var missing []string
	if day < 0 {
		missing = append(missing, "day (or start)")
	}
	if title < 0 {
		missing = append(missing, "title")
	}
	if len(missing) > 0 {
		return nil, apperr.Invalid("%s: query %s returns no column %s (it has: %s)", src.File, src.Query,
			strings.Join(missing, " and no column "), strings.Join(f.Names(), ", "))
	}
	col := func(name string) int { return f.Index(name) }
	end, team, note, link, dashboards, metrics := col(catalog.EventEnd), col(catalog.EventTeam), col(catalog.EventNote),
		col(catalog.EventLink), col(catalog.EventDashboards), col(catalog.EventMetrics)
	text := func(row []any, i int) string {
		if i < 0 || row[i] == nil {
			return ""
		}
		return strings.TrimSpace(frame.Format(row[i], f.Columns[i].Type))
	}
	var out []Event
	for _, row := range f.Rows {
		d, ok := date(row[day])
		t := text(row, title)
		if !ok || t == "" {
			continue
		}
		e := Event{Source: src.Name, Day: d, End: d, Title: t, Team: text(row, team), Note: text(row, note),
			Link: SafeLink(text(row, link)), Dashboards: names(text(row, dashboards)), Metrics: names(text(row, metrics))}
		if end >= 0 {
			if last, ok := date(row[end]); ok && last.After(d) {
				e.End = last
			}
		}
		if e.Team == "" {
			e.Team = cmp.Or(src.Team, "other")
		}
		if len(e.Dashboards) == 0 {
			e.Dashboards = src.Dashboards
		}
		out = append(out, e)
	}
	return out, nil
}

// date reads a date or timestamp cell as a date at UTC midnight. The
// warehouse gives timestamps in the business time zone, so their date is
// the business day.
func date(v any) (time.Time, bool) {
	t, ok := v.(time.Time)
	if !ok {
		return time.Time{}, false
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
}

// names splits "a, b" or a PostgreSQL array's text "{a,b}" into names.
func names(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.Trim(strings.TrimSpace(n), `"`); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// SafeLink returns link when it is an absolute http or https address,
// else "": a link from the data or a form is shown as an <a href>, and a
// javascript: address must never be.
func SafeLink(link string) string {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// FromStore converts a stored event.
func FromStore(st store.Event) Event {
	day, _ := date(st.Day)
	end, _ := date(st.EndDay)
	return Event{
		ID: st.ID, Source: SourceStored, Day: day, End: end, Title: st.Title, Team: st.Team, Note: st.Note,
		Link: st.Link, Dashboards: []string(st.Dashboards), Metrics: []string(st.Metrics), CreatedBy: st.CreatedBy,
	}
}

// Draft is an event a person is making, as a form gives it.
type Draft struct {
	Day, End   string // YYYY-MM-DD; End empty: one day
	Title      string
	Team       string
	Note, Link string
	Dashboards []string
	Metrics    []string
}

// Limits on what a person may type into an event.
const (
	maxTitle = 200
	maxNote  = 2000
	maxLink  = 2000
)

// Create checks a draft and stores it as an event made by createdBy.
// Unknown dashboards and metrics, a missing title or team, bad dates, an
// end before the start and links that are not http(s) are invalid.
func (s *Service) Create(ctx context.Context, d Draft, createdBy string) (*Event, error) {
	st, err := s.check(d)
	if err != nil {
		return nil, err
	}
	st.CreatedBy = createdBy
	saved, err := s.Store.CreateEvent(ctx, st)
	if err != nil {
		return nil, err
	}
	e := FromStore(*saved)
	return &e, nil
}

// Put creates or replaces the stored event with key (a program's own
// event, such as the demo's incidents).
func (s *Service) Put(ctx context.Context, key string, d Draft, createdBy string) (*Event, error) {
	st, err := s.check(d)
	if err != nil {
		return nil, err
	}
	st.CreatedBy = createdBy
	st.Key.String, st.Key.Valid = key, true
	saved, err := s.Store.PutEvent(ctx, st)
	if err != nil {
		return nil, err
	}
	e := FromStore(*saved)
	return &e, nil
}

// Delete removes a stored event.
func (s *Service) Delete(ctx context.Context, id int64) error { return s.Store.DeleteEvent(ctx, id) }

func (s *Service) check(d Draft) (store.Event, error) {
	var st store.Event
	day, err := time.Parse(query.DateLayout, strings.TrimSpace(d.Day))
	if err != nil {
		return st, apperr.Invalid("the first day %q is not a date (YYYY-MM-DD)", d.Day)
	}
	end := day
	if strings.TrimSpace(d.End) != "" {
		if end, err = time.Parse(query.DateLayout, strings.TrimSpace(d.End)); err != nil {
			return st, apperr.Invalid("the last day %q is not a date (YYYY-MM-DD)", d.End)
		}
		if end.Before(day) {
			return st, apperr.Invalid("the event ends (%s) before it starts (%s)", d.End, d.Day)
		}
	}
	if end.Sub(day) > 366*24*time.Hour {
		return st, apperr.Invalid("an event spans a year at most")
	}
	title, team := strings.TrimSpace(d.Title), strings.ToLower(strings.TrimSpace(d.Team))
	switch {
	case title == "":
		return st, apperr.Invalid("an event needs a title")
	case len([]rune(title)) > maxTitle:
		return st, apperr.Invalid("the title is too long (%d characters at most)", maxTitle)
	case team == "":
		return st, apperr.Invalid("an event needs a team (%s, …)", strings.Join(Teams, ", "))
	case len([]rune(team)) > 40 || strings.ContainsAny(team, "<>\"'&"):
		return st, apperr.Invalid("%q is not a team name", d.Team)
	case len([]rune(d.Note)) > maxNote:
		return st, apperr.Invalid("the note is too long (%d characters at most)", maxNote)
	}
	link := strings.TrimSpace(d.Link)
	if link != "" && (SafeLink(link) == "" || len(link) > maxLink) {
		return st, apperr.Invalid("the link %q is not an http:// or https:// address", link)
	}
	var c *catalog.Catalog
	if s.Catalog != nil {
		c = s.Catalog()
	}
	dashboards, err := known(c, "dashboard", d.Dashboards, func(n string) bool { return c.Dashboards[n] != nil })
	if err != nil {
		return st, err
	}
	metrics, err := known(c, "metric", d.Metrics, func(n string) bool { return c.Queries[n] != nil })
	if err != nil {
		return st, err
	}
	return store.Event{Day: day, EndDay: end, Title: title, Team: team, Note: strings.TrimSpace(d.Note), Link: link,
		Dashboards: dashboards, Metrics: metrics}, nil
}

// known keeps the non-empty names, each of which must exist in c.
func known(c *catalog.Catalog, what string, in []string, exists func(string) bool) ([]string, error) {
	var out []string
	for _, n := range in {
		if n = strings.TrimSpace(n); n == "" || slices.Contains(out, n) {
			continue
		}
		if c != nil && !exists(n) {
			return nil, apperr.Invalid("there is no %s %q", what, n)
		}
		out = append(out, n)
	}
	return out, nil
}
