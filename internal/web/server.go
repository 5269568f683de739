// Package web is opsboard's HTTP server: dashboards, panel CSV/JSON, the
// KPI glossary, assets, health and metrics, routed with gorilla/mux.
// Handlers return errors; one adapter maps error kinds to status codes.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/metrics"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/warehouse"
)

// Server serves one catalog of definitions.
type Server struct {
	log    *slog.Logger
	db     *store.Store // opsboard's own tables; nil in tests of pages only
	data   *warehouse.Warehouse
	runner *query.Runner
	// pageRows caps the rows per query on a page or share link.
	pageRows int
	metrics  *metrics.Metrics
	pages    *page.Renderer
	assets   *page.AssetServer
	catalog  atomic.Pointer[catalog.Catalog]
	preview  func(ctx context.Context, report string, date time.Time) ([]byte, error)
	// mailMissing is Config.MailMissing.
	mailMissing string
	// reloadProblems are the problems of the last reload of the
	// definitions when it failed (nil when it worked, or none was tried).
	reloadProblems atomic.Pointer[[]string]
	views          *viewCache
	auth           *auth
	// Health reports whether background work (the scheduler) is alive;
	// nil means there is none to check.
	Health func() error
	// Mornings, when set, says how today's precomputed views went ("ok",
	// "waiting", "failing: …"), for /healthz's detail.
	Mornings func(ctx context.Context) string
}

// Config is what a Server needs.
type Config struct {
	Log    *slog.Logger
	DB     *store.Store
	Data   *warehouse.Warehouse
	Runner *query.Runner
	// PageRows caps the rows kept per query on a web page or a share link
	// (OPSBOARD_WEB_MAX_ROWS; default 10000); CSV and JSON downloads keep
	// the runner's own cap.
	PageRows int
	Metrics  *metrics.Metrics
	Catalog  *catalog.Catalog

	// Proxy says which reverse proxies are trusted and, when its Header is
	// set, turns on auth-proxy mode. Nil: no proxy is trusted.
	Proxy *access.Proxy
	// DenyWithoutAuth makes a server with no account and no auth proxy
	// refuse every request instead of treating each as the local admin:
	// serve sets it when it listens beyond loopback without
	// --insecure-no-auth, so removing the last account never opens it up.
	DenyWithoutAuth bool
	// SessionTTL is how long a login lasts; default 12 h.
	SessionTTL time.Duration
	// MetricsPublic serves /metrics to anyone (OPSBOARD_METRICS_PUBLIC=1).
	MetricsPublic bool
	// BaseURL is the server's public address (OPSBOARD_BASE_URL), for the
	// share links made on /shares; empty: the address a request came to.
	BaseURL string
	// AnyHost lets a server without accounts answer requests addressed to
	// any host name (serve --insecure-no-auth). Otherwise such a server
	// answers only requests for 127.0.0.1, [::1] or localhost, so that a
	// web page whose name is rebound to 127.0.0.1 cannot read it.
	AnyHost bool
	// Accounts is whether accounts existed when the server started (serve
	// knows); nil: the first request asks the store. With an answer, a
	// database that fails later never turns sign-in off.
	Accounts *bool
	// Resend re-sends the archived report of a date to its recipients
	// (POST /reports/{name}/{date}/send, editors). Nil: that answers 503.
	Resend func(ctx context.Context, report string, date time.Time) error
	// Preview renders the report page of a date without archiving or
	// sending anything (GET /reports/{name}/preview, anyone signed in).
	// Nil: that answers 503.
	Preview func(ctx context.Context, report string, date time.Time) ([]byte, error)
	// MailMissing says what this server lacks to send mail, such as
	// "OPSBOARD_SMTP_URL is not set"; "" when it can send. /reports shows
	// it to editors.
	MailMissing string
}

// New returns a server over a loaded catalog.
func New(cfg Config) (*Server, error) {
	pages, err := page.NewRenderer()
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	assets, err := page.NewAssetServer()
	if err != nil {
		return nil, err
	}
	if cfg.PageRows <= 0 {
		cfg.PageRows = 10000
	}
	s := &Server{log: cfg.Log, db: cfg.DB, data: cfg.Data, runner: cfg.Runner, pageRows: cfg.PageRows, metrics: cfg.Metrics, pages: pages, assets: assets, views: newViewCache(),
		preview: cfg.Preview, mailMissing: cfg.MailMissing}
	s.auth = newAuth(cfg)
	s.catalog.Store(cfg.Catalog)
	return s, nil
}

// Catalog returns the definitions currently served.
func (s *Server) Catalog() *catalog.Catalog { return s.catalog.Load() }

// SetCatalog swaps in a new set of definitions (after a successful reload)
// and drops cached results computed from the old ones. The notice of a
// failed reload ends: the definitions on disk are the ones served.
func (s *Server) SetCatalog(c *catalog.Catalog) {
	s.catalog.Store(c)
	s.runner.Purge()
	s.views.purge()
	s.reloadProblems.Store(nil)
	s.metrics.Reloads.WithLabelValues("ok").Inc()
}

// Forget drops the results and pages held in memory, because newer ones
// were kept in the store (another replica's morning, `opsboard refresh`).
func (s *Server) Forget() {
	s.runner.Purge()
	s.views.purge()
}

// ReloadFailed records a reload of the definitions that failed, with each
// problem as "file:line: message": the last good set stays served, and
// every page for a signed-in person says so, listing the problems, until
// a reload works (SetCatalog). /healthz says "failing" for the
// definitions meanwhile.
func (s *Server) ReloadFailed(problems []string) {
	if len(problems) == 0 {
		problems = []string{"the definitions could not be loaded"}
	}
	s.reloadProblems.Store(&problems)
	s.metrics.Reloads.WithLabelValues("failed").Inc()
}

// ReloadProblems are the problems of the last reload when it failed; nil
// when it worked.
func (s *Server) ReloadProblems() []string {
	if p := s.reloadProblems.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *Server) builder() *dashboard.Builder {
	return &dashboard.Builder{Catalog: s.Catalog(), Runner: s.runner}
}

// Handler returns the routed HTTP handler. The security headers and the
// check that the URL is text wrap the whole router, so that they also
// cover its 404s, 405s and path-cleaning redirects.
func (s *Server) Handler() http.Handler {
	r := mux.NewRouter()
	r.Use(s.instrument)
	// Open to anyone: assets, health, sign-in, share links (see access.go).
	s.assets.Register(r)
	ops := r.NewRoute().Subrouter()
	ops.Use(s.protectOps)
	s.registerOpsRoutes(ops)
	s.registerAccessRoutes(r)
	s.registerShareRoutes(r)
	// Everything else needs a principal with a role.
	viewer := r.NewRoute().Subrouter()
	viewer.Use(s.require(access.Viewer))
	s.registerDashboardRoutes(viewer)
	s.registerGlossaryRoutes(viewer)
	s.registerReportRoutes(viewer)
	s.registerEventRoutes(viewer)
	s.registerAlertRoutes(viewer)
	editor := r.NewRoute().Subrouter()
	editor.Use(s.require(access.Editor))
	s.registerEditorRoutes(editor)
	s.registerShareAdminRoutes(editor)
	s.registerEventEditorRoutes(editor)
	r.NotFoundHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return notFound("There is no page at %s.", r.URL.Path)
	})
	r.MethodNotAllowedHandler = s.handle(func(w http.ResponseWriter, req *http.Request) error {
		return methodNotAllowed(w, r, req)
	})
	return s.securityHeaders(s.requireText(r))
}

// methodNotAllowed answers a request whose path has routes, none for its
// method, naming the methods that have one in Allow.
func methodNotAllowed(w http.ResponseWriter, router *mux.Router, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if router.Match(probe, &match) && match.MatchErr == nil {
			allow = append(allow, m)
		}
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return &pageError{status: http.StatusMethodNotAllowed, heading: "Not allowed",
		message: fmt.Sprintf("%s does not answer %s.", r.URL.Path, r.Method), err: apperr.ErrInvalid}
}

// Serve serves on the listener until ctx ends, then shuts down gracefully,
// letting requests in flight finish (up to 10 s).
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	return ServeHandler(ctx, l, s.Handler(), s.log)
}

// instrument records every request's latency by route template.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := "unmatched"
		if cur := mux.CurrentRoute(r); cur != nil {
			if tpl, err := cur.GetPathTemplate(); err == nil {
				route = tpl
			}
		}
		s.metrics.RequestDuration.WithLabelValues(route, fmt.Sprint(sw.status)).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// securityHeaders sets the headers every response carries: scripts only
// from our own origin, no framing, no MIME sniffing, and no referrer (so a
// share token in the URL never leaks to another site). Over HTTPS (direct,
// or at a trusted proxy) browsers are also told to use nothing else for a
// year; not for subdomains, which may be other people's servers.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if s.auth.proxy.IsHTTPS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// requireText answers 400 to a request whose path or query has a value
// that is not text (invalid UTF-8 or a NUL byte), before any handler can
// pass it to PostgreSQL, which would refuse it with a server error.
func (s *Server) requireText(next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if !isText(r.URL.Path) {
			return &pageError{status: http.StatusBadRequest, heading: "Not valid text",
				message: "This address has characters that are not text (a NUL byte or invalid UTF-8).", err: apperr.ErrInvalid}
		}
		if err := checkText("address", r.URL.Query()); err != nil {
			return err
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// checkText refuses values (of the query or a form, named by what) with a
// key or value that is not text.
func checkText(what string, values url.Values) error {
	for k, vs := range values {
		ok := isText(k)
		for _, v := range vs {
			ok = ok && isText(v)
		}
		if !ok {
			return &pageError{status: http.StatusBadRequest, heading: "Not valid text",
				message: fmt.Sprintf("A value of this %s has characters that are not text (a NUL byte or invalid UTF-8).", what), err: apperr.ErrInvalid}
		}
	}
	return nil
}

// isText reports whether s is valid UTF-8 without NUL bytes, which is what
// a PostgreSQL text value may hold.
func isText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
