package web

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/page"
)

func (s *Server) registerGlossaryRoutes(r *mux.Router) {
	r.Handle("/kpis", s.handle(s.glossary)).Methods(http.MethodGet, http.MethodHead)
}

// glossaryEntry is one query as the glossary shows it.
type glossaryEntry struct {
	Anchor, Name, File, Title, Description, Unit, Better, Params, SQL string
	// Reading says in words how to read the number: what it is measured
	// in, which way is better, what it rests on.
	Reading string
	UsedBy  []dashboardLink
}

// unitWords say what a unit is, for a reader.
var unitWords = map[string]string{
	"count": "a count", "percent": "a percentage", "ratio": "a ratio", "score": "a score",
	"currency": "an amount of money", "hours": "a number of hours", "days": "a number of days",
}

// reading says how to read a query's number: "A percentage; higher is
// better. Each value rests on the orders due it counts."
func reading(q *catalog.Query) string {
	var parts []string
	unit := q.Unit
	if i := strings.IndexByte(unit, ' '); i > 0 {
		unit = unit[:i] // "currency EUR"
	}
	if w := unitWords[unit]; w != "" {
		parts = append(parts, w)
	}
	if q.Better != "" {
		parts = append(parts, q.Better+" is better")
	}
	text := strings.Join(parts, "; ")
	if text != "" {
		text = strings.ToUpper(text[:1]) + text[1:] + "."
	}
	if q.Metric.Sample != "" {
		text = strings.TrimSpace(text + " Each value says how many " + strings.ReplaceAll(q.Metric.Sample, "_", " ") + " it rests on.")
	}
	return text
}

// dashboardLink is a dashboard a glossary entry is shown on.
type dashboardLink struct{ Name, Title string }

func (s *Server) glossary(w http.ResponseWriter, r *http.Request) error {
	c := s.Catalog()
	return s.render(w, r, "glossary", s.page("KPI glossary", "kpis", false, glossaryData(c, c.QueryNames())))
}

// glossaryData lists the named queries with where they are shown.
func glossaryData(c *catalog.Catalog, names []string) any {
	usedBy := map[string][]dashboardLink{}
	for _, dn := range c.DashboardNames() {
		d := c.Dashboards[dn]
		for _, q := range d.UsedQueries() {
			usedBy[q] = append(usedBy[q], dashboardLink{d.Name, d.Title})
		}
	}
	var entries []glossaryEntry
	for _, name := range names {
		q, ok := c.Queries[name]
		if !ok {
			continue
		}
		var params []string
		for _, p := range q.Params {
			params = append(params, p.Name+" ("+string(p.Type)+", default "+p.DefaultText+")")
		}
		entries = append(entries, glossaryEntry{
			Anchor: page.Anchor(q.Name), Name: q.Name, File: q.File, Title: q.Title, Description: q.Description,
			Unit: q.Unit, Better: q.Better, Params: strings.Join(params, "; "), SQL: q.SQL,
			Reading: reading(q), UsedBy: usedBy[q.Name],
		})
	}
	return struct{ Entries []glossaryEntry }{entries}
}
