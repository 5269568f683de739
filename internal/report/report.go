// Package report produces a report for one date: the print-designed report
// page (the report's dashboard as of that date, with highlights), its PDF
// and chart images from headless Chromium, and the email that carries them.
package report

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/browser"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
)

// Producer renders reports. It keeps one warm Chromium and one loopback
// print server for the life of the process.
type Producer struct {
	catalog  func() *catalog.Catalog
	runner   *query.Runner
	pages    *page.Renderer
	assets   *page.AssetServer
	location *time.Location
	chrome   string
	events   func(ctx context.Context, dashboard string, r query.Range) ([]dashboard.Annotation, error)
	prints   PrintStore
	log      *slog.Logger

	mu    sync.Mutex // guards catalog and print
	print *printServer

	bmu     sync.Mutex // guards browser and closed; held while Chromium starts
	browser *browser.Browser
	closed  bool
}

// Config is what a Producer needs.
type Config struct {
	Catalog  func() *catalog.Catalog // the current definitions
	Runner   *query.Runner
	Location *time.Location // default business time zone
	Chrome   string         // OPSBOARD_CHROME; empty: search PATH
	// Events, when set, reads the events a report draws on its charts and
	// lists under its highlights.
	Events func(ctx context.Context, dashboard string, r query.Range) ([]dashboard.Annotation, error)
	// Prints, when set, keeps each PDF printed, read back when the same
	// page is printed again (opsboard's store).
	Prints PrintStore
	// Log, when set, is told about prints made ahead that failed.
	Log *slog.Logger
}

// NewProducer returns a producer; Chromium starts on first use.
func NewProducer(cfg Config) (*Producer, error) {
	pages, err := page.NewRenderer()
	if err != nil {
		return nil, err
	}
	assets, err := page.NewAssetServer()
	if err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Producer{catalog: cfg.Catalog, runner: cfg.Runner, pages: pages, assets: assets,
		location: cfg.Location, chrome: cfg.Chrome, events: cfg.Events, prints: cfg.Prints, log: log}, nil
}

// Definitions are the definitions the producer renders from now.
func (p *Producer) Definitions() *catalog.Catalog { return p.defs() }

// defs returns the current definitions.
func (p *Producer) defs() *catalog.Catalog {
	p.mu.Lock()
	c := p.catalog
	p.mu.Unlock()
	return c()
}

// SetCatalog makes the producer read its definitions from c (the server's
// current set, which changes on reload).
func (p *Producer) SetCatalog(c func() *catalog.Catalog) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.catalog = c
}

// Close stops Chromium and the print server.
func (p *Producer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.print != nil {
		p.print.close()
		p.print = nil
	}
	p.bmu.Lock()
	defer p.bmu.Unlock()
	p.closed = true
	if p.browser != nil {
		err := p.browser.Close()
		p.browser = nil
		return err
	}
	return nil
}

// Output is one rendered report.
type Output struct {
	Report     *catalog.Report
	Date       time.Time // the report's date: the last day it covers
	Location   *time.Location
	View       *dashboard.View
	Highlights []string
	Failures   []string // tiles and panels that could not be computed
	Subject    string
	HTML       []byte // the report page

	fingerprint string    // of what a print of HTML shows (prints.go)
	keepUntil   time.Time // how long its print is kept; zero: a day
}

// Partial reports whether part of the report failed.
func (o *Output) Partial() bool { return len(o.Failures) > 0 }

// Lookup returns the named report definition.
func (p *Producer) Lookup(name string) (*catalog.Report, error) {
	c := p.defs()
	r, ok := c.Reports[name]
	if !ok {
		return nil, apperr.NotFound("no report %q (known: %v)", name, c.ReportNames())
	}
	return r, nil
}

// Location returns the time zone a report runs in.
func (p *Producer) Location(r *catalog.Report) (*time.Location, error) {
	if r.TimeZone == "" {
		return p.location, nil
	}
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return nil, apperr.Invalid("%s: unknown time zone %q", r.File, r.TimeZone)
	}
	return loc, nil
}

// Render computes the report for date (the last day it covers) and renders
// its page.
func (p *Producer) Render(ctx context.Context, name string, date time.Time) (*Output, error) {
	r, err := p.Lookup(name)
	if err != nil {
		return nil, err
	}
	return p.render(ctx, r, date, time.Time{})
}

// render computes report r for date, keeping its results until the given
// time when it is set, and renders its page.
func (p *Producer) render(ctx context.Context, r *catalog.Report, date, until time.Time) (*Output, error) {
	v, b, err := p.view(ctx, r, date, until)
	if err != nil {
		return nil, err
	}
	loc := v.Location
	redactView(v)
	out := &Output{Report: r, Date: date, Location: loc, View: v, keepUntil: until}
	out.Failures = failures(v)
	out.Highlights = Highlights(v, trailingNorms(ctx, b, v, until))
	if out.Subject, err = subject(r, out); err != nil {
		return nil, err
	}
	data := page.Report(v, r.Title, r.Description)
	data.Highlights, data.Failures, data.Partial = out.Highlights, out.Failures, out.Partial()
	render := func(generated string) ([]byte, error) {
		data.Generated = generated
		var buf bytes.Buffer
		err := p.pages.Render(&buf, "report", page.Page{Title: out.Subject, Assets: p.assets.Base(), Charts: true, Data: data})
		return buf.Bytes(), err
	}
	// The fingerprint leaves out the time of rendering: a page that differs
	// only by it prints the same numbers.
	timeless, err := render("")
	if err != nil {
		return nil, err
	}
	out.fingerprint = fingerprint(out.Subject, timeless)
	if out.HTML, err = render(time.Now().In(loc).Format("2 Jan 2006 15:04 MST")); err != nil {
		return nil, err
	}
	return out, nil
}

// view computes the dashboard view of report r for date. Results are kept
// until the given time when it is set.
func (p *Producer) view(ctx context.Context, r *catalog.Report, date, until time.Time) (*dashboard.View, *dashboard.Builder, error) {
	c := p.defs()
	d, ok := c.Dashboards[r.Dashboard]
	if !ok {
		return nil, nil, apperr.NotFound("%s: no dashboard %q", r.File, r.Dashboard)
	}
	loc, err := p.Location(r)
	if err != nil {
		return nil, nil, err
	}
	b := &dashboard.Builder{Catalog: c, Runner: p.runner, Events: p.events}
	req := dashboard.Request{Range: r.Period, Today: date.AddDate(0, 0, 1), Params: r.Params, Location: loc, Until: until}
	if period, err := query.ParseRange(r.Period, req.Today); err == nil && period.Days() < normDays {
		// Charts of one day or one week say little: they show the 28 days
		// to the report's date, so the period is seen against its norm.
		req.PanelRange = "last_28_days"
	}
	v, err := b.Build(ctx, d, req)
	return v, b, err
}

// Precompute computes what report name's run for date will show (its view
// and its norms), keeps the results until the given time and, with a
// print store and Chromium at hand, prints its PDF and keeps that too: the
// morning's precompute, so that the run at its hour reads them. It returns
// the view's failures. A failed print is logged, not returned: the numbers
// are computed, and the run prints again.
func (p *Producer) Precompute(ctx context.Context, name string, date, until time.Time) ([]string, error) {
	r, err := p.Lookup(name)
	if err != nil {
		return nil, err
	}
	o, err := p.render(ctx, r, date, until)
	if err != nil {
		return nil, err
	}
	if p.prints != nil && !o.Partial() {
		if _, err := browser.Find(p.chrome); err == nil {
			if _, err := p.PDF(ctx, o); err != nil {
				p.log.Warn("report: printing ahead failed; the run prints again", "report", name, "err", err)
			}
		}
	}
	return o.Failures, nil
}

func failures(v *dashboard.View) []string {
	var out []string
	for _, t := range v.Tiles {
		if t.Err != nil {
			out = append(out, fmt.Sprintf("Tile %q: %v", t.Label, t.Err))
		}
	}
	for _, p := range v.Panels {
		if p.Err != nil {
			out = append(out, fmt.Sprintf("Panel %q: %v", p.Title, p.Err))
		}
	}
	return out
}

// subject fills the report's subject template; a partial report says so.
func subject(r *catalog.Report, o *Output) (string, error) {
	s, err := r.FormatSubject(catalog.SubjectData{
		Date: o.Date.Format(query.DateLayout), Title: r.Title, Report: r.Name, Period: page.PeriodText(o.View.Range),
	})
	if err != nil {
		return "", apperr.Invalid("%s: subject: %v", r.File, err)
	}
	if o.Partial() {
		s = "[partial] " + s
	}
	return s, nil
}

// Prewarm starts Chromium in the background, so that it is up by the time
// the first report has been computed. A failure to start is reported by
// the first call that needs the browser.
func (p *Producer) Prewarm(ctx context.Context) {
	go func() { _, _ = p.Browser(ctx) }()
}

// Browser returns the warm Chromium, starting it on first use.
func (p *Producer) Browser(ctx context.Context) (*browser.Browser, error) {
	p.bmu.Lock()
	defer p.bmu.Unlock()
	if p.browser != nil {
		return p.browser, nil
	}
	if p.closed {
		return nil, apperr.Unavailable("the report producer is closed")
	}
	path, err := browser.Find(p.chrome)
	if err != nil {
		return nil, err
	}
	b, err := browser.Start(ctx, path)
	if err != nil {
		return nil, err
	}
	p.browser = b
	return b, nil
}

// publish makes html reachable by Chromium on the loopback print server
// and returns its URL and a function that withdraws it.
func (p *Producer) publish(html []byte) (string, func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.print == nil {
		ps, err := startPrintServer(p.assets)
		if err != nil {
			return "", nil, err
		}
		p.print = ps
	}
	id := p.print.add(html)
	return p.print.url(id), func() { p.print.remove(id) }, nil
}

// PDF prints the report page: A4, vector charts, page numbers in the
// footer. A print of the same page kept in the print store is read back
// instead.
func (p *Producer) PDF(ctx context.Context, o *Output) ([]byte, error) {
	if body := p.keptPrint(ctx, o); body != nil {
		return body, nil
	}
	return p.Print(ctx, o)
}

// Print prints the report page in Chromium, whatever is kept, and keeps
// the print.
func (p *Producer) Print(ctx context.Context, o *Output) ([]byte, error) {
	b, err := p.Browser(ctx)
	if err != nil {
		return nil, err
	}
	url, done, err := p.publish(o.HTML)
	if err != nil {
		return nil, err
	}
	defer done()
	body, err := b.PDF(ctx, url, browser.PDFOptions{FooterHTML: footer(o.Subject), HeaderHTML: "<span></span>"})
	if err != nil {
		return nil, err
	}
	p.keepPrint(ctx, o, body)
	return body, nil
}

// footer is the PDF's page footer: the subject and the page number.
func footer(subject string) string {
	return `<div style="font-size:8px;width:100%;padding:0 12mm;color:#5f6b7a;display:flex;justify-content:space-between;font-family:sans-serif">` +
		`<span>` + html.EscapeString(subject) + `</span><span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`
}

// PNG renders the whole report page as one image.
func (p *Producer) PNG(ctx context.Context, o *Output) ([]byte, error) {
	b, err := p.Browser(ctx)
	if err != nil {
		return nil, err
	}
	url, done, err := p.publish(o.HTML)
	if err != nil {
		return nil, err
	}
	defer done()
	return b.Screenshot(ctx, url, 1100, "")
}

// ChartImages renders each chart of the report as a PNG, keyed by the
// chart element's id, in page order.
func (p *Producer) ChartImages(ctx context.Context, o *Output) (map[string][]byte, []string, error) {
	b, err := p.Browser(ctx)
	if err != nil {
		return nil, nil, err
	}
	url, done, err := p.publish(o.HTML)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	return b.ScreenshotAll(ctx, url, 720, ".chart")
}

// printServer serves report pages and assets to Chromium on 127.0.0.1.
type printServer struct {
	srv   *http.Server
	addr  string
	next  atomic.Int64
	mu    sync.Mutex
	pages map[string][]byte
}

func startPrintServer(assets *page.AssetServer) (*printServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ps := &printServer{addr: l.Addr().String(), pages: map[string][]byte{}}
	r := mux.NewRouter()
	assets.Register(r)
	r.HandleFunc("/print/{id}", func(w http.ResponseWriter, r *http.Request) {
		ps.mu.Lock()
		html, ok := ps.pages[mux.Vars(r)["id"]]
		ps.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(html)
	})
	ps.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go ps.srv.Serve(l)
	return ps, nil
}

func (ps *printServer) add(html []byte) string {
	id := strconv.FormatInt(ps.next.Add(1), 10)
	ps.mu.Lock()
	ps.pages[id] = html
	ps.mu.Unlock()
	return id
}

func (ps *printServer) remove(id string) {
	ps.mu.Lock()
	delete(ps.pages, id)
	ps.mu.Unlock()
}

func (ps *printServer) url(id string) string { return "http://" + ps.addr + "/print/" + id }

func (ps *printServer) close() { ps.srv.Close() }
