// Package page renders opsboard's HTML pages — dashboards, the KPI
// glossary, the report page — from computed views, with html/template so
// every label and data value is escaped. Charts are drawn in the browser by
// the embedded ECharts from JSON option blocks; the pages carry no inline
// script, so a strict Content-Security-Policy holds.
package page

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"time"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// Assets returns the static files served under /assets/: app.css, app.js,
// and echarts/ (the pinned ECharts build with its LICENSE and NOTICE).
func Assets() fs.FS {
	sub, _ := fs.Sub(assetFiles, "assets")
	return sub
}

// Renderer holds the parsed templates; parse once, render many times.
type Renderer struct {
	pages map[string]*template.Template
}

// Page is what the layout needs, with the page's own data in Data.
type Page struct {
	Title       string
	Nav         string // home | reports | kpis
	Assets      string // URL prefix of the static assets
	Charts      bool   // load ECharts
	Shared      bool   // a share link: no navigation
	SharedLabel string
	TimeZone    string
	// Account is who is signed in, for the navigation; nil on pages for
	// people without an account.
	Account *Account
	Data    any
}

// Account is the signed-in person as the navigation shows them.
type Account struct {
	Email   string
	Role    string
	CanEdit bool   // editor or admin: share links, sending reports
	SignOut bool   // a login session that can be ended here
	CSRF    string // the token forms on the page carry
	// ReloadProblems are the problems ("file:line: message") of the last
	// reload of the definitions when it failed: the layout shows them
	// above every page until a reload works.
	ReloadProblems []string
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string { return t.Format("2006-01-02") },
}

// NewRenderer parses every page template.
func NewRenderer() (*Renderer, error) {
	r := &Renderer{pages: map[string]*template.Template{}}
	files := map[string][]string{
		"index":     {"templates/head.html", "templates/layout.html", "templates/index.html"},
		"dashboard": {"templates/head.html", "templates/layout.html", "templates/dashboard.html"},
		// A page around content rendered earlier (see Content).
		"prerendered": {"templates/head.html", "templates/layout.html", "templates/prerendered.html"},
		"glossary":    {"templates/head.html", "templates/layout.html", "templates/glossary.html"},
		"error":       {"templates/head.html", "templates/layout.html", "templates/error.html"},
		"reports":     {"templates/head.html", "templates/layout.html", "templates/reports.html"},
		"report":      {"templates/dashboard.html", "templates/report.html"},
		// Access and sharing: pages without navigation for people without
		// an account, and the editors' share link page.
		"login":            {"templates/head.html", "templates/public.html", "templates/login.html"},
		"expired":          {"templates/head.html", "templates/public.html", "templates/expired.html"},
		"shared-dashboard": {"templates/head.html", "templates/public.html", "templates/dashboard.html"},
		"shared-reports":   {"templates/head.html", "templates/public.html", "templates/reports.html"},
		"shares":           {"templates/head.html", "templates/layout.html", "templates/shares.html"},
	}
	for name, paths := range files {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, paths...)
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// Content renders only the content of the named page (what the layout
// wraps), for pages whose content is cached: show it with the
// "prerendered" page and the HTML as Data. The content must not depend on
// anything but p.Data.
func (r *Renderer) Content(name string, p Page) (template.HTML, error) {
	t, ok := r.pages[name]
	if !ok {
		return "", fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "content", p); err != nil {
		return "", fmt.Errorf("rendering %s: %w", name, err)
	}
	return template.HTML(buf.String()), nil
}

// Render writes the named page. It renders into a buffer first so a
// template error never leaves half a page on the wire.
func (r *Renderer) Render(w io.Writer, name string, p Page) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}
