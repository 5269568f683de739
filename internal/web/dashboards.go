package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
)

func (s *Server) registerDashboardRoutes(r *mux.Router) {
	r.Handle("/", s.handle(s.index)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/d/{name}", s.handle(s.dashboardPage)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/d/{name}/panels/{id}.{format:csv|json}", s.handle(s.panelData)).Methods(http.MethodGet)
}

func (s *Server) page(title, nav string, charts bool, data any) page.Page {
	return page.Page{Title: title, Nav: nav, Assets: s.assets.Base(), Charts: charts, TimeZone: s.runner.Location().String(), Data: data}
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) error {
	c := s.Catalog()
	type card struct{ Name, Title, Description string }
	data := struct {
		Dashboards, Reports []card
		Queries             int
		Problem             string
	}{Queries: len(c.Queries)}
	for _, name := range c.DashboardNames() {
		d := c.Dashboards[name]
		data.Dashboards = append(data.Dashboards, card{d.Name, d.Title, d.Description})
	}
	for _, name := range c.ReportNames() {
		rep := c.Reports[name]
		data.Reports = append(data.Reports, card{rep.Name, rep.Title, rep.Description})
	}
	return s.render(w, r, "index", s.page("Dashboards", "home", false, data))
}

// viewRequest reads the range, comparison and filter values from the URL,
// and says who asks. Locked values (a share link's) are set whatever the
// URL says (checkViewQuery refuses it another value), and mark an
// anonymous visitor of that link. Only signed-in
// editors may bypass the cache with ?refresh=1.
func (s *Server) viewRequest(r *http.Request, d *catalog.Dashboard, link *store.ShareLink) dashboard.Request {
	q := r.URL.Query()
	req := dashboard.Request{Range: q.Get("range"), Compare: q.Get("compare"), Params: map[string]string{}}
	var locked map[string]string
	if link != nil {
		locked = link.Params
		req.Visitor, req.Anonymous = "share:"+strconv.FormatInt(link.ID, 10), true
	} else if p := currentPrincipal(r.Context()); p != nil {
		req.Visitor = "account:" + p.Email
		req.Refresh = q.Get("refresh") == "1" && p.Role.Allows(access.Editor)
	}
	if req.Visitor == "" {
		req.Visitor = "address:" + s.auth.proxy.ClientIP(r)
	}
	if req.Range == "custom" {
		req.Range = ""
		if from, to := q.Get("from"), q.Get("to"); from != "" && to != "" {
			req.Range = from + ".." + to
		}
	}
	for _, f := range d.Filters {
		if v := q.Get(f.Param); v != "" {
			req.Params[f.Param] = v
		}
	}
	for k, v := range locked {
		req.Params[k] = v
	}
	return req
}

// viewKeys are the URL query keys a dashboard view reads besides its
// filters' params (viewRequest): the range, a custom range's dates, the
// comparison and an editor's cache bypass.
var viewKeys = []string{"range", "from", "to", "compare", "refresh"}

// checkViewQuery refuses an address whose numbers would not be the ones
// its reader asks for. A key close to a filter or a view key is a misspelt
// one (?chanel=web would show every channel's numbers as the web's), and a
// parameter the dashboard's queries take but that it offers no filter on
// would be ignored the same way. Any other key is let through: mail, ad and
// analytics tools add their own to the links they count clicks on (utm_…,
// gclid, __hstc, _gl, ref, …), and they name nothing on the dashboard.
// locked are a share link's filters: the link shows their values only.
func checkViewQuery(r *http.Request, c *catalog.Catalog, d *catalog.Dashboard, locked map[string]string) error {
	q := r.URL.Query()
	var filters []string
	for _, f := range d.Filters {
		filters = append(filters, f.Param)
	}
	known := append(slices.Clone(filters), viewKeys...)
	declared := declaredParams(c, d)
	var unknown []string
	for k := range q {
		if slices.Contains(known, k) {
			continue
		}
		if slices.Contains(declared, k) || catalog.Closest(k, known) != "" {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		return unknownKeysError(unknown, filters, known)
	}
	return checkLocked(q, locked)
}

// declaredParams are the parameters the queries of d declare: its tiles',
// its panels' and its filters' option queries.
func declaredParams(c *catalog.Catalog, d *catalog.Dashboard) []string {
	names := d.UsedQueries()
	for _, f := range d.Filters {
		if f.OptionsQuery != "" {
			names = append(names, f.OptionsQuery)
		}
	}
	var params []string
	for _, n := range names {
		if q, ok := c.Queries[n]; ok {
			for _, p := range q.Params {
				if !slices.Contains(params, p.Name) {
					params = append(params, p.Name)
				}
			}
		}
	}
	return params
}

func unknownKeysError(unknown, filters, known []string) error {
	slices.Sort(unknown)
	msg := fmt.Sprintf("This dashboard has no filter %s", quoteList(unknown))
	if len(unknown) == 1 {
		if s := catalog.Closest(unknown[0], known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
	} else {
		msg = fmt.Sprintf("This dashboard has no filters %s", quoteList(unknown))
		var hints []string
		for _, k := range unknown {
			if s := catalog.Closest(k, known); s != "" {
				hints = append(hints, fmt.Sprintf("%q for %q", s, k))
			}
		}
		if len(hints) > 0 {
			msg += " (did you mean " + strings.Join(hints, ", ") + "?)"
		}
	}
	if len(filters) > 0 {
		msg += ": its filters are " + strings.Join(filters, ", ") + "."
	} else {
		msg += ": it has no filters."
	}
	return apperr.Invalid("%s An address may also set range, from, to and compare.", msg)
}

// checkLocked refuses a URL value for a share link's locked filter other
// than the locked one: the link would show the locked value's numbers
// under an address that asks for another's. The same value, or none, is
// fine.
func checkLocked(q url.Values, locked map[string]string) error {
	var refused []string
	for _, k := range slices.Sorted(maps.Keys(locked)) {
		for _, v := range q[k] {
			if v != "" && v != locked[k] {
				refused = append(refused, fmt.Sprintf("This link shows %s %q only; it cannot show %q.", k, locked[k], v))
				break
			}
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return apperr.Invalid("%s", strings.Join(refused, " "))
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// canonicalQuery is the URL query that reproduces a view, for links.
func canonicalQuery(r *http.Request, d *catalog.Dashboard, locked map[string]string) url.Values {
	in := r.URL.Query()
	out := url.Values{}
	for _, k := range []string{"range", "from", "to", "compare"} {
		if v := in.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	for _, f := range d.Filters {
		if _, isLocked := locked[f.Param]; isLocked {
			continue
		}
		if v := in.Get(f.Param); v != "" {
			out.Set(f.Param, v)
		}
	}
	return out
}

func (s *Server) lookupDashboard(name string) (*catalog.Dashboard, error) {
	d, ok := s.Catalog().Dashboards[name]
	if !ok {
		return nil, notFound("There is no dashboard called %q.", name)
	}
	return d, nil
}

// dashboardPage serves /d/{name}. The rendered content of a view comes
// from the view cache while the query results it shows are cached (share
// links render their own views, in share.go).
func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.lookupDashboard(mux.Vars(r)["name"])
	if err != nil {
		return err
	}
	if err := checkViewQuery(r, s.Catalog(), d, nil); err != nil {
		return err
	}
	path := "/d/" + d.Name
	req := s.viewRequest(r, d, nil)
	req.MaxRows, req.Trend = s.pageRows, true
	q := canonicalQuery(r, d, nil)
	now := s.runner.Now()
	key := viewKey(d.Name, q.Encode(), s.runner.Today().Format(query.DateLayout))
	content, ok := s.views.get(key, now)
	if ok && !req.Refresh {
		s.metrics.ViewCache.WithLabelValues(d.Name, "hit").Inc()
	} else {
		s.metrics.ViewCache.WithLabelValues(d.Name, "miss").Inc()
		b := s.builder()
		b.Events = s.annotations(false)
		v, err := b.Build(r.Context(), d, req)
		if err != nil {
			return err
		}
		data := page.Dashboard(v, page.DashboardOptions{Path: path, Query: q, Glossary: "/kpis", SignedIn: true})
		if content, err = s.pages.Content("dashboard", s.page(d.Title, "home", true, data)); err != nil {
			return err
		}
		if until, ok := v.Reusable(); ok {
			s.views.put(key, content, until, now)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, "prerendered", s.page(d.Title, "home", true, content))
}

func (s *Server) panelData(w http.ResponseWriter, r *http.Request) error {
	d, err := s.lookupDashboard(mux.Vars(r)["name"])
	if err != nil {
		return err
	}
	return s.writePanel(w, r, d, nil)
}

// writePanel writes one panel's rows as CSV or JSON, for the same view the
// page shows.
func (s *Server) writePanel(w http.ResponseWriter, r *http.Request, d *catalog.Dashboard, link *store.ShareLink) error {
	vars := mux.Vars(r)
	var panel *catalog.Panel
	for i := range d.Panels {
		if d.Panels[i].ID == vars["id"] {
			panel = &d.Panels[i]
		}
	}
	if panel == nil {
		return notFound("Dashboard %q has no panel %q.", d.Name, vars["id"])
	}
	var locked map[string]string
	if link != nil {
		locked = link.Params
	}
	if err := checkViewQuery(r, s.Catalog(), d, locked); err != nil {
		return err
	}
	only := *d
	only.Tiles, only.Panels = nil, []catalog.Panel{*panel}
	v, err := s.builder().Build(r.Context(), &only, s.viewRequest(r, d, link))
	if err != nil {
		return err
	}
	pv := v.Panels[0]
	if pv.Err != nil {
		return apperr.Unavailable("panel %q: %v", panel.Title, pv.Err)
	}
	w.Header().Set("Cache-Control", "no-store")
	filename := d.Name + "-" + slug(panel.Title) + "-" + v.Range.String()
	if vars["format"] == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`.csv"`)
		return pv.Frame.WriteCSV(w)
	}
	w.Header().Set("Content-Type", "application/json")
	return pv.Frame.WriteJSON(w)
}

// render writes a page; pages with navigation also show who is signed in.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p page.Page) error {
	if !p.Shared {
		p.Account = s.account(w, r)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return s.pages.Render(w, name, p)
}

// slug makes a file-name-safe version of a title.
func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// annotations reads the events a dashboard's charts draw (see
// event.Service.Annotations); none without opsboard's database.
func (s *Server) annotations(public bool) func(ctx context.Context, name string, r query.Range) ([]dashboard.Annotation, error) {
	if s.db == nil {
		return nil
	}
	return s.events().Annotations(public)
}
