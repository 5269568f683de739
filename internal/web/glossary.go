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
	UsedBy                                                            []dashboardLink
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
			UsedBy: usedBy[q.Name],
		})
	}
	return struct{ Entries []glossaryEntry }{entries}
}
