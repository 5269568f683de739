package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// EventSource is one events/*.yaml file: a query in sql/ whose rows are
// events (a marketing calendar, incidents logged elsewhere), shown on the
// charts beside the events people make in the browser.
//
// The query is run for the range being shown and returns one row per
// event, with columns (by name; others are ignored):
//
//	day         date or timestamp, required (or "start"): the first day
//	end         date or timestamp: the last day, inclusive; none or NULL: one day
//	title       text, required
//	team        text: whose event (ops, marketing, …); default the file's team
//	note, link  text
//	dashboards  text: dashboard names it concerns, comma-separated; default the file's
//	metrics     text: query names it concerns, comma-separated; default all
type EventSource struct {
	Name        string // file name without .yaml: "campaigns"
	File        string // "events/campaigns.yaml"
	Title       string // what the source is, for the events page
	Description string
	Query       string // the query returning the events
	// Team is the team of rows without a team column (or with NULL there).
	Team string
	// Dashboards the events concern when a row does not say; empty: every
	// dashboard.
	Dashboards []string
	Line       int

	at positions // where query and each dashboard are written
}

// Columns of an events query.
const (
	EventDay        = "day"
	EventStart      = "start" // another name for day
	EventEnd        = "end"
	EventTitle      = "title"
	EventTeam       = "team"
	EventNote       = "note"
	EventLink       = "link"
	EventDashboards = "dashboards"
	EventMetrics    = "metrics"
)

var eventSourceKeys = []string{"title", "description", "query", "team", "dashboards"}

// EventSourceNames returns the event source names in order.
func (c *Catalog) EventSourceNames() []string { return sortedNames(c.EventSources) }

// ParseEventSource parses the events definition src. name is the file
// name without .yaml and file the path used in errors. Whether the query
// and the dashboards exist is checked by Load.
func ParseEventSource(name, file string, src []byte) (*EventSource, error) {
	root, d := parseYAML(file, src)
	if root == nil {
		return nil, d.errs.Err()
	}
	s := &EventSource{Name: name, File: file, Line: nodePos(root).line, at: positions{}}
	d.eventSource(s, root)
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

func (d *yamlDecoder) eventSource(s *EventSource, root ast.Node) {
	es, ok := d.mapping(root, "events", eventSourceKeys)
	if !ok {
		return
	}
	if e, ok := es["title"]; ok {
		s.Title, _ = d.str(e)
	}
	if s.Title == "" {
		s.Title = s.Name
	}
	if e, ok := es["description"]; ok {
		s.Description, _ = d.str(e)
	}
	if e, ok := es["query"]; ok {
		s.Query, _ = d.str(e)
		s.at["query"] = nodePos(e.value)
	}
	if s.Query == "" {
		d.missing(root, es, "events", "query", "the query in sql/ that returns the events")
	}
	if e, ok := es["team"]; ok {
		s.Team, _ = d.str(e)
	}
	if e, ok := es["dashboards"]; ok {
		items, _ := d.strs(e)
		for _, it := range items {
			if slices.Contains(s.Dashboards, it.text) {
				d.errorf(it.at, "dashboards: %q is listed twice", it.text)
				continue
			}
			s.Dashboards = append(s.Dashboards, it.text)
			s.at["dashboards:"+it.text] = it.at
		}
	}
}

// checkEventSources cross-checks event sources: their query and
// dashboards must exist.
func (c *Catalog) checkEventSources() Errors {
	var errs Errors
	dashboards := c.DashboardNames()
	queries := c.QueryNames()
	for _, name := range c.EventSourceNames() {
		s := c.EventSources[name]
		def := pos{s.Line, 0}
		if _, ok := c.Queries[s.Query]; !ok {
			at := s.at.at(def, "query")
			hint := suggestion(s.Query, queries)
			if hint == "" {
				hint = fmt.Sprintf(" (no sql/%s.sql)", s.Query)
			}
			errs = append(errs, &Error{File: s.File, Line: at.line, Col: at.col, Msg: fmt.Sprintf("events: unknown query %q%s", s.Query, hint)})
		}
		for _, dn := range s.Dashboards {
			if _, ok := c.Dashboards[dn]; !ok {
				at := s.at.at(def, "dashboards", dn)
				errs = append(errs, &Error{File: s.File, Line: at.line, Col: at.col,
					Msg: fmt.Sprintf("dashboards: unknown dashboard %q%s", dn, suggestion(dn, dashboards))})
			}
		}
	}
	return errs
}

// checkEventColumns checks the result columns of the event sources'
// queries: a day (or start) and a title, and a team unless the file
// names one.
func (c *Catalog) checkEventColumns(columns map[string][]string) Errors {
	var errs Errors
	for _, name := range c.EventSourceNames() {
		s := c.EventSources[name]
		cols, ok := columns[s.Query]
		if !ok {
			continue
		}
		at := s.at.at(pos{s.Line, 0}, "query")
		fail := func(format string, args ...any) {
			errs = append(errs, &Error{File: s.File, Line: at.line, Col: at.col, Msg: fmt.Sprintf(format, args...)})
		}
		has := func(c string) bool { return slices.Contains(cols, c) }
		if !has(EventDay) && !has(EventStart) {
			fail("events: query %s returns no column day (or start): the first day of each event (it has: %s)", s.Query, strings.Join(cols, ", "))
		}
		if !has(EventTitle) {
			fail("events: query %s returns no column title (it has: %s)", s.Query, strings.Join(cols, ", "))
		}
		if !has(EventTeam) && s.Team == "" {
			fail("events: query %s returns no column team, and the file names no team: add team: marketing (or a team column)", s.Query)
		}
	}
	return errs
}
