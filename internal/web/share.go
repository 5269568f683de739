package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/store"
)

// Share links. /s/{token} is open to anyone who has the token and shows
// exactly one thing: a dashboard, with the link's locked parameters (a URL
// asking for another value of one is refused; the other filters and the
// range stay usable), or one report's archive. Below it come the KPI
// glossary entries of the queries it uses. Nothing on these pages links
// anywhere else.

func (s *Server) registerShareRoutes(r *mux.Router) {
	const date = "{date:[0-9]{4}-[0-9]{2}-[0-9]{2}}"
	r.Handle("/s/{token}", s.handleShared(s.sharedView)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/s/{token}/panels/{id}.{format:csv|json}", s.handleShared(s.sharedPanel)).Methods(http.MethodGet)
	r.Handle("/s/{token}/"+date+".pdf", s.handleShared(s.sharedPDF)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/s/{token}/"+date, s.handleShared(s.sharedRun)).Methods(http.MethodGet, http.MethodHead)
	r.PathPrefix("/s/").Handler(s.handleShared(func(w http.ResponseWriter, r *http.Request) error {
		return errNoSuchLink
	}))
}

var (
	errNoSuchLink = &pageError{status: http.StatusNotFound, heading: "There is no such link",
		message: "Check that you copied the whole address, or ask the person who shared it for a new one.", err: apperr.ErrNotFound}
	errLinkExpired = &pageError{status: http.StatusGone, heading: "This link has expired",
		message: "Ask the person who shared it for a new one."}
	errLinkOutdated = &pageError{status: http.StatusGone, heading: "This link no longer works",
		message: "What it showed has changed since it was shared. Ask the person who shared it for a new one."}
)

// handleShared is handle for share links: errors are shown on a plain page
// without navigation, and nothing is indexed or cached.
func (s *Server) handleShared(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Robots-Tag", "noindex, nofollow")
		w.Header().Set("Cache-Control", "no-store")
		err := h(w, r)
		if err == nil {
			return
		}
		pe := s.pageErrorOf(r, "/s/…", err)
		s.renderStatus(w, pe.status, "expired", page.Page{
			Title: pe.heading, Assets: s.assets.Base(), TimeZone: s.runner.Location().String(),
			Data: struct{ Heading, Message string }{pe.heading, pe.message},
		})
	})
}

// openShare finds the link of the request's token and records its use.
// Unknown tokens are 404, expired and revoked links 410; a link of another
// kind than the page needs (kind "" takes any) has no such page.
func (s *Server) openShare(r *http.Request, kind string) (*store.ShareLink, error) {
	if s.db == nil {
		return nil, apperr.Unavailable("share links need opsboard's database")
	}
	link, err := s.db.UseShareLink(r.Context(), access.HashToken(mux.Vars(r)["token"]))
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		return nil, errNoSuchLink
	case err != nil:
		return nil, err
	case link.Status != store.ShareActive:
		return nil, errLinkExpired
	case kind != "" && link.Kind != kind:
		return nil, notFound("This shared view has no such page.")
	}
	// The definitions may have changed since the link was made: a locked
	// filter that is gone would no longer restrict anything.
	if err := access.CheckShare(s.Catalog(), link.Kind, link.Target, link.Params); err != nil {
		s.log.Warn("share link no longer fits its definitions", "share", link.ID, "err", err)
		return nil, errLinkOutdated
	}
	return link, nil
}

// sharedDashboard is a shared dashboard page's model.
type sharedDashboard struct {
	page.DashboardData
	Glossary []glossaryEntry
}

// sharedReports is a shared report archive's model (the fields the
// reports template reads, and the glossary).
type sharedReports struct {
	Heading, Lede string
	Definitions   []struct{}
	Runs          []runRow
	FirstRun      string // never said on a share link
	CanPreview    bool   // never on a share link
	// ArchiveDown is never set: a share link is read from the same
	// database as the archive, so it fails before.
	ArchiveDown string
	Glossary    []glossaryEntry
}

func (s *Server) sharedView(w http.ResponseWriter, r *http.Request) error {
	link, err := s.openShare(r, "")
	if err != nil {
		return err
	}
	c := s.Catalog()
	base := access.SharePath(mux.Vars(r)["token"])
	var p page.Page
	name := "shared-dashboard"
	switch link.Kind {
	case access.ShareDashboard:
		d, ok := c.Dashboards[link.Target]
		if !ok {
			return notFound("The dashboard this link showed no longer exists.")
		}
		if err := checkViewQuery(r, c, d, link.Params); err != nil {
			return err
		}
		req := s.viewRequest(r, d, link)
		req.MaxRows, req.Trend = s.pageRows, true
		b := s.builder()
		b.Events = s.annotations(true)
		v, err := b.Build(r.Context(), d, req)
		if err != nil {
			return err
		}
		locked := map[string]bool{}
		for k := range link.Params {
			locked[k] = true
		}
		q := canonicalQuery(r, d, link.Params)
		here := base
		if len(q) > 0 {
			here += "?" + q.Encode()
		}
		data := page.Dashboard(v, page.DashboardOptions{
			Path: base, Query: q, Locked: locked,
			// The glossary is on this page: "about" links point below.
			Glossary: here,
		})
		p = s.page(d.Title, "", true, sharedDashboard{DashboardData: data, Glossary: sharedGlossary(c, d.UsedQueries(), link.ShowSQL)})
	case access.ShareReport:
		rep, ok := c.Reports[link.Target]
		if !ok {
			return notFound("The report this link showed no longer exists.")
		}
		runs, err := s.db.ListRuns(r.Context(), rep.Name, 200)
		if err != nil {
			return err
		}
		data := sharedReports{Heading: rep.Title, Lede: "Every time this report was sent, newest first: open a day to read it as it was sent."}
		for _, run := range runs {
			if run.Status != store.RunSent && run.Status != store.RunPartial {
				continue
			}
			row := newRunRow(run, base, s.runner.Location())
			row.Errors, row.ErrorsShort = "", ""
			data.Runs = append(data.Runs, row)
		}
		if d, ok := c.Dashboards[rep.Dashboard]; ok {
			data.Glossary = sharedGlossary(c, d.UsedQueries(), link.ShowSQL)
		}
		p = s.page(rep.Title, "", false, data)
		name = "shared-reports"
	default:
		return errNoSuchLink
	}
	p.Shared, p.SharedLabel = true, link.Label
	return s.render(w, r, name, p)
}

// sharedGlossary is the glossary entries of the named queries, without
// the titles of the other dashboards that use them, and without their SQL
// unless the link was made to show it: a share link's reader gets what
// each number means in words, not the tables and columns behind it.
func sharedGlossary(c *catalog.Catalog, names []string, showSQL bool) []glossaryEntry {
	g, _ := glossaryData(c, names).(struct{ Entries []glossaryEntry })
	for i := range g.Entries {
		g.Entries[i].UsedBy = nil
		if !showSQL {
			g.Entries[i].SQL, g.Entries[i].File = "", ""
		}
	}
	return g.Entries
}

func (s *Server) sharedPanel(w http.ResponseWriter, r *http.Request) error {
	link, err := s.openShare(r, access.ShareDashboard)
	if err != nil {
		return err
	}
	d, ok := s.Catalog().Dashboards[link.Target]
	if !ok {
		return notFound("The dashboard this link showed no longer exists.")
	}
	return s.writePanel(w, r, d, link)
}

// sharedArchivedRun finds the archived run a report link's URL names; it
// can only be a run of the link's own report.
func (s *Server) sharedArchivedRun(r *http.Request) (*store.Run, error) {
	link, err := s.openShare(r, access.ShareReport)
	if err != nil {
		return nil, err
	}
	run, err := s.archivedRun(r, link.Target)
	if err != nil {
		return nil, err
	}
	if run.Report != link.Target || (run.Status != store.RunSent && run.Status != store.RunPartial) {
		return nil, notFound("This report was not sent for that day.")
	}
	return run, nil
}

func (s *Server) sharedRun(w http.ResponseWriter, r *http.Request) error {
	run, err := s.sharedArchivedRun(r)
	if err != nil {
		return err
	}
	if !run.HTML.Valid {
		return notFound("That report has no page.")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write([]byte(run.HTML.String))
	return err
}

func (s *Server) sharedPDF(w http.ResponseWriter, r *http.Request) error {
	run, err := s.sharedArchivedRun(r)
	if err != nil {
		return err
	}
	if len(run.PDF) == 0 {
		return notFound("That report has no PDF.")
	}
	return writePDF(w, run)
}

// Managing share links from the web (editors).

func (s *Server) registerShareAdminRoutes(r *mux.Router) {
	r.Handle("/shares", s.handle(s.sharesPage)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/shares", s.handle(s.createShare)).Methods(http.MethodPost)
	r.Handle("/shares/{id:[0-9]+}/revoke", s.handle(s.revokeShare)).Methods(http.MethodPost)
}

// sharesData is the share links page's model.
type sharesData struct {
	CSRF       string
	Links      []shareRow
	Dashboards []shareForm
	Reports    []shareForm
	Expiries   []page.Choice
	Created    string // the address of the link just made: shown once
	Error      string
}

// shareRow is one link as the list shows it.
type shareRow struct {
	ID                                            int64
	Kind, Target, Params, Label, Created, Expires string
	LastUsed, CreatedBy, Status, Tone             string
	Uses                                          int64
	Active                                        bool
	ShowSQL                                       bool
}

// shareForm makes a link to one dashboard or report.
type shareForm struct {
	Kind, Name, Title string
	Filters           []shareFilter
}

// shareFilter is one lockable filter: a select of its options, or a text
// field when its options come from a query.
type shareFilter struct {
	Param, Label string
	Options      []string
}

var expiryChoices = []page.Choice{
	{Value: "1d", Label: "1 day"}, {Value: "7d", Label: "7 days"}, {Value: "30d", Label: "30 days", Selected: true},
	{Value: "90d", Label: "90 days"}, {Value: "365d", Label: "1 year"},
}

var shareTones = map[string]string{store.ShareActive: "good", store.ShareExpired: "", store.ShareRevoked: "bad"}

func (s *Server) sharesPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderShares(w, r, http.StatusOK, sharesData{})
}

func (s *Server) renderShares(w http.ResponseWriter, r *http.Request, status int, data sharesData) error {
	if s.db == nil {
		return apperr.Unavailable("share links need opsboard's database")
	}
	links, err := s.db.ListShareLinks(r.Context())
	if err != nil {
		return err
	}
	loc := s.runner.Location()
	when := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	for _, l := range links {
		row := shareRow{
			ID: l.ID, Kind: l.Kind, Target: l.Target, Params: formatParams(l.Params), Label: l.Label,
			Created: when(l.CreatedAt), Expires: when(l.ExpiresAt), CreatedBy: l.CreatedBy,
			Status: l.Status, Tone: shareTones[l.Status], Uses: l.UseCount, Active: l.Status == store.ShareActive,
			ShowSQL: l.ShowSQL,
		}
		if l.LastUsedAt.Valid {
			row.LastUsed = when(l.LastUsedAt.Time)
		}
		data.Links = append(data.Links, row)
	}
	c := s.Catalog()
	for _, name := range c.DashboardNames() {
		d := c.Dashboards[name]
		f := shareForm{Kind: access.ShareDashboard, Name: name, Title: d.Title}
		for _, fl := range d.Filters {
			f.Filters = append(f.Filters, shareFilter{Param: fl.Param, Label: fl.Label, Options: fl.Options})
		}
		data.Dashboards = append(data.Dashboards, f)
	}
	for _, name := range c.ReportNames() {
		data.Reports = append(data.Reports, shareForm{Kind: access.ShareReport, Name: name, Title: c.Reports[name].Title})
	}
	data.Expiries = expiryChoices
	data.CSRF = s.csrfToken(w, r, currentPrincipal(r.Context()))
	w.Header().Set("Cache-Control", "no-store")
	pg := s.page("Share links", "shares", false, data)
	pg.Account = s.account(w, r)
	return s.renderStatus(w, status, "shares", pg)
}

// formatParams writes locked parameters as "channel=web, region=north".
func formatParams(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p[k]
	}
	return strings.Join(parts, ", ")
}

// createShare makes a link from the form and shows its address once.
func (s *Server) createShare(w http.ResponseWriter, r *http.Request) error {
	kind, target := r.PostFormValue("kind"), r.PostFormValue("target")
	label := strings.TrimSpace(r.PostFormValue("label"))
	params := store.Params{}
	for key, vals := range r.PostForm {
		if name, ok := strings.CutPrefix(key, "p."); ok && len(vals) > 0 && vals[0] != "" {
			params[name] = vals[0]
		}
	}
	expiry, err := access.ParseExpiry(r.PostFormValue("expires"))
	if err == nil {
		err = access.CheckShare(s.Catalog(), kind, target, params)
	}
	if err == nil && len(label) > 200 {
		err = apperr.Invalid("the label is too long (200 characters at most)")
	}
	if err != nil {
		return s.renderShares(w, r, http.StatusBadRequest, sharesData{Error: err.Error()})
	}
	token, hash := access.NewToken()
	p := currentPrincipal(r.Context())
	link, err := s.db.CreateShareLink(r.Context(), hash, store.ShareLink{
		Kind: kind, Target: target, Params: params, Label: label, CreatedBy: p.Email,
		ExpiresAt: time.Now().Add(expiry), ShowSQL: r.PostFormValue("show_sql") == "1",
	})
	if err != nil {
		return err
	}
	s.log.Info("share link created", "id", link.ID, "kind", kind, "target", target, "show_sql", link.ShowSQL, "by", p.Email)
	return s.renderShares(w, r, http.StatusOK, sharesData{Created: s.shareURL(r, token)})
}

// shareURL is the full address of a share link: below OPSBOARD_BASE_URL,
// else below the address this request came to.
func (s *Server) shareURL(r *http.Request, token string) string {
	if s.auth.baseURL != "" {
		return access.ShareURL(s.auth.baseURL, token)
	}
	scheme := "http"
	if s.auth.proxy.IsHTTPS(r) {
		scheme = "https"
	}
	return access.ShareURL(scheme+"://"+s.auth.proxy.Host(r), token)
}

func (s *Server) revokeShare(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		return notFound("No such link.")
	}
	if err := s.db.RevokeShareLink(r.Context(), id); err != nil {
		return err
	}
	s.log.Info("share link revoked", "id", id, "by", currentPrincipal(r.Context()).Email)
	http.Redirect(w, r, "/shares", http.StatusSeeOther)
	return nil
}
