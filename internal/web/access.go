package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
)

// Who may see what:
//
//   - /s/…, /login, /logout, /assets/… and /healthz are open to anyone.
//   - Everything else needs a principal: a login session (cookie
//     opsboard_session), a user vouched for by a trusted auth proxy, or, when
//     no account exists and no auth proxy is configured, the local admin
//     (every request; serve only allows that on loopback or with
//     --insecure-no-auth).
//   - Dashboards, reports and the glossary need viewer; re-sending a report
//     and managing share links need editor.
//   - /metrics is open when no auth is configured, when
//     OPSBOARD_METRICS_PUBLIC=1, or to a scraper on the same machine (a
//     loopback peer with no X-Forwarded-For); otherwise it needs a
//     principal, and answers 401 rather than redirecting.
//   - A server without accounts (every visitor the local admin) answers
//     only requests addressed to 127.0.0.1, [::1] or localhost, /metrics
//     included, unless AnyHost: others get 421 (DNS rebinding).
//
// Every state-changing request also passes the CSRF check: a same-site
// request (Sec-Fetch-Site / Origin / Referer) carrying the session's token,
// or for a visitor without a session the token of the opsboard_csrf cookie,
// in the "csrf" form field.
//
// Sign-in is rate limited per client address (loginAttempts a minute) and
// per account (see access.AccountLimiter): attempts at one account from
// addresses that did not try it before are refused only once the account's
// attempts come from accountSpread addresses or more. A browser that
// signed in to the account before presents a device cookie
// (access.DeviceCookie, keyed per process) and is held by a limit of its
// own instead of the account's, so strangers cannot lock the owner out.

// Limits and defaults of sign-in and sessions.
const (
	loginAttempts   = 5  // per minute, per client address and per device cookie
	accountAttempts = 20 // per account and minute, from browsers without a device cookie
	accountSpread   = 10 // addresses whose attempts at one account also hold back new ones
	deviceCookieTTL = 365 * 24 * time.Hour
	loginWindow     = time.Minute
	defaultSession  = 12 * time.Hour
	usersCacheTTL   = 5 * time.Second
	maxFormBytes    = 64 << 10
	localAdminEmail = "local"
)

// auth is the server's access state: configuration, the login rate limit
// and a short-lived answer to "does any account exist?".
type auth struct {
	proxy           *access.Proxy
	denyWithoutAuth bool
	sessionTTL      time.Duration
	metricsPublic   bool
	baseURL         string
	resend          func(ctx context.Context, report string, date time.Time) error
	limiter         *access.Limiter        // per client address and per device cookie
	accountLimiter  *access.AccountLimiter // per account, for browsers without a device cookie
	devices         *access.Devices
	anyHost         bool

	mu           sync.Mutex
	usersKnown   bool
	hasUsers     bool
	usersChecked time.Time
}

func newAuth(cfg Config) *auth {
	a := &auth{
		proxy: cfg.Proxy, denyWithoutAuth: cfg.DenyWithoutAuth, sessionTTL: cfg.SessionTTL,
		metricsPublic: cfg.MetricsPublic, baseURL: cfg.BaseURL, resend: cfg.Resend,
		limiter:        access.NewLimiter(loginAttempts, loginWindow),
		accountLimiter: access.NewAccountLimiter(accountAttempts, accountSpread, loginWindow),
		devices:        access.NewDevices(), anyHost: cfg.AnyHost,
	}
	if cfg.Accounts != nil {
		a.usersKnown, a.hasUsers, a.usersChecked = true, *cfg.Accounts, time.Now()
	}
	if a.sessionTTL <= 0 {
		a.sessionTTL = defaultSession
	}
	if a.proxy == nil {
		a.proxy = &access.Proxy{}
	}
	return a
}

// principal is who a request acts for.
type principal struct {
	Email string
	Role  access.Role
	// session is the hash of the login session's token; nil for auth-proxy
	// users and the local admin.
	session []byte
	// csrf is the session's CSRF token; "" means the opsboard_csrf cookie.
	csrf string
}

type principalKey struct{}

// currentPrincipal is the principal the require middleware admitted.
func currentPrincipal(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	return p
}

// authConfigured reports whether the server asks people to sign in: an
// auth proxy is configured or an account exists. The answer is reused for
// a few seconds. When the database cannot say, the last answer stands; with
// none yet, a server that may run without auth (loopback, or
// --insecure-no-auth) goes on as if no account existed, and one that may
// not refuses.
func (s *Server) authConfigured(ctx context.Context) (bool, error) {
	a := s.auth
	if a.proxy.AuthProxy() {
		return true, nil
	}
	if s.db == nil {
		return false, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.usersKnown && time.Since(a.usersChecked) < usersCacheTTL {
		return a.hasUsers, nil
	}
	has, err := s.db.HasUsers(ctx)
	switch {
	case err == nil:
		a.usersKnown, a.hasUsers, a.usersChecked = true, has, time.Now()
	case a.usersKnown:
		return a.hasUsers, nil
	case a.denyWithoutAuth:
		return false, apperr.Unavailable("cannot tell whether accounts exist: %v", err)
	}
	return has, nil
}

// identify finds who the request acts for, or nil for nobody.
func (s *Server) identify(r *http.Request) (*principal, error) {
	ctx := r.Context()
	if email := s.auth.proxy.User(r); email != "" && s.db != nil {
		role := s.auth.proxy.DefaultRole
		u, err := s.db.UserByEmail(ctx, email)
		switch {
		case err == nil:
			if role, err = access.ParseRole(u.Role); err != nil {
				return nil, err
			}
		case !errors.Is(err, apperr.ErrNotFound):
			return nil, err
		}
		return &principal{Email: email, Role: role}, nil
	}
	if c, err := r.Cookie(access.SessionCookie); err == nil && c.Value != "" && s.db != nil {
		hash := access.HashToken(c.Value)
		sess, err := s.db.SessionByHash(ctx, hash)
		switch {
		case err == nil:
			role, err := access.ParseRole(sess.Role)
			if err != nil {
				return nil, err
			}
			return &principal{Email: sess.Email, Role: role, session: hash, csrf: sess.CSRF}, nil
		case !errors.Is(err, apperr.ErrNotFound):
			return nil, err
		}
	}
	configured, err := s.authConfigured(ctx)
	if err != nil {
		return nil, err
	}
	if configured {
		return nil, nil
	}
	if s.auth.denyWithoutAuth {
		return nil, apperr.Unavailable("this server listens beyond loopback and has no accounts: add one with 'opsboard user add EMAIL --role admin'")
	}
	if !s.auth.anyHost && !access.LoopbackHost(r.Host) {
		return nil, errMisdirected()
	}
	return &principal{Email: localAdminEmail, Role: access.Admin}, nil
}

// errMisdirected answers a request to a server without accounts that is
// addressed to another host name. Without accounts every visitor is the
// local admin, so the request must be addressed to this machine: a page of
// another site whose name was rebound to 127.0.0.1 sends its own host name.
func errMisdirected() error {
	return &pageError{status: http.StatusMisdirectedRequest, heading: "Wrong address",
		message: "Without accounts this server answers only at 127.0.0.1, [::1] or localhost.", err: apperr.ErrForbidden}
}

// checkHost applies identify's host rule to requests that need no
// principal: a server without accounts answers only its loopback names.
func (s *Server) checkHost(r *http.Request) error {
	if s.auth.anyHost || s.auth.denyWithoutAuth || access.LoopbackHost(r.Host) {
		return nil
	}
	configured, err := s.authConfigured(r.Context())
	if err != nil || configured {
		return err
	}
	return errMisdirected()
}

// require admits requests whose principal has at least role min, and
// checks CSRF on every state-changing request. Nobody signed in: browsers
// are sent to the sign-in form, CSV/JSON and other requests get 401.
func (s *Server) require(min access.Role) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		return s.handle(func(w http.ResponseWriter, r *http.Request) error {
			p, err := s.identify(r)
			if err != nil {
				return err
			}
			if p == nil {
				return s.challenge(w, r)
			}
			if !p.Role.Allows(min) {
				return apperr.New(apperr.ErrForbidden, "This needs the %s role; %s is a %s.", min, p.Email, p.Role)
			}
			if !access.Safe(r.Method) {
				if err := s.checkCSRF(w, r, p); err != nil {
					return err
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
			return nil
		})
	}
}

// challenge answers a request nobody signed in for.
func (s *Server) challenge(w http.ResponseWriter, r *http.Request) error {
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && !isData(r.URL.Path) {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	return &pageError{status: http.StatusUnauthorized, heading: "Sign in first", message: "This needs an account: sign in at /login."}
}

// isData reports whether a path is a machine-readable download.
func isData(path string) bool {
	return strings.HasSuffix(path, ".csv") || strings.HasSuffix(path, ".json") || path == "/metrics"
}

// protectOps leaves /healthz open and applies the /metrics rule (see the
// top of this file).
func (s *Server) protectOps(next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path == "/metrics" {
			if err := s.checkHost(r); err != nil {
				return err
			}
			if !s.auth.metricsPublic && !s.auth.proxy.IsLoopback(r) {
				p, err := s.identify(r)
				if err != nil {
					return err
				}
				if p == nil {
					return s.challenge(w, r)
				}
			}
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// csrfToken returns the CSRF token the forms of this response must carry:
// the session's, or the opsboard_csrf cookie's (set here when missing).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request, p *principal) string {
	if p != nil && p.csrf != "" {
		return p.csrf
	}
	if c, err := r.Cookie(access.CSRFCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	// Set earlier in this response: the browser keeps only the last one.
	for _, line := range w.Header().Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && c.Name == access.CSRFCookie {
			return c.Value
		}
	}
	token := access.RandomString(32)
	http.SetCookie(w, &http.Cookie{
		Name: access.CSRFCookie, Value: token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.auth.proxy.IsHTTPS(r),
	})
	return token
}

// checkCSRF refuses a state-changing request from another site or without
// the right token (403). It reads the form, and refuses one with a value
// that is not text (400).
func (s *Server) checkCSRF(w http.ResponseWriter, r *http.Request, p *principal) error {
	refuse := func(why string) error {
		return apperr.New(apperr.ErrForbidden, "This form did not come from this site, or has expired (%s). Reload the page and try again.", why)
	}
	if err := access.SameOrigin(r, s.auth.proxy.Host(r)); err != nil {
		return refuse("cross-site request")
	}
	want := ""
	if p != nil && p.csrf != "" {
		want = p.csrf
	} else if c, err := r.Cookie(access.CSRFCookie); err == nil {
		want = c.Value
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	got := r.Header.Get(access.CSRFHeader)
	if got == "" {
		got = r.PostFormValue(access.CSRFField)
	}
	if !access.TokenEqual(got, want) {
		return refuse("missing or wrong CSRF token")
	}
	return checkText("form", r.PostForm)
}

func (s *Server) registerAccessRoutes(r *mux.Router) {
	r.Handle("/login", s.handle(s.loginPage)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/login", s.handle(s.login)).Methods(http.MethodPost)
	r.Handle("/logout", s.handle(s.logout)).Methods(http.MethodPost)
}

// loginData is the sign-in page's model.
type loginData struct {
	Email, Next, CSRF, Error string
	// SignedIn is the principal when someone is signed in already.
	SignedIn  *principal
	NoAuth    bool // nobody needs to sign in: no accounts, no proxy
	ViaProxy  bool // signed in by the auth proxy: nothing to log out of here
	LoggedOut bool
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.identify(r)
	if err != nil {
		return err
	}
	d := loginData{Next: safeNext(r.URL.Query().Get("next")), SignedIn: p, LoggedOut: r.URL.Query().Has("out")}
	if p != nil {
		d.NoAuth = p.Email == localAdminEmail && p.session == nil
		d.ViaProxy = !d.NoAuth && p.session == nil
	}
	return s.renderLogin(w, r, http.StatusOK, d, p)
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData, p *principal) error {
	d.CSRF = s.csrfToken(w, r, p)
	w.Header().Set("Cache-Control", "no-store")
	pg := s.page("Sign in", "", false, d)
	return s.renderStatus(w, status, "login", pg)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if s.db == nil {
		return apperr.Unavailable("accounts need opsboard's database")
	}
	if err := s.checkCSRF(w, r, nil); err != nil {
		return err
	}
	email := access.NormalizeEmail(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	d := loginData{Email: email, Next: safeNext(r.PostFormValue("next"))}
	if ok, retry := s.allowSignIn(r, email); !ok {
		secs := int(retry.Seconds()) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		d.Error = "Too many sign-in attempts. Wait " + strconv.Itoa(secs) + " seconds and try again."
		s.log.Warn("login rate limit", "ip", s.auth.proxy.ClientIP(r), "email", email)
		return s.renderLogin(w, r, http.StatusTooManyRequests, d, nil)
	}
	hash := ""
	u, err := s.db.UserByEmail(r.Context(), email)
	switch {
	case err == nil:
		hash = u.PasswordHash
	case !errors.Is(err, apperr.ErrNotFound):
		return err
	}
	if !access.CheckPassword(hash, password) {
		d.Error = "That email and password do not match an account."
		return s.renderLogin(w, r, http.StatusUnauthorized, d, nil)
	}
	// A new session, always: a session token planted before the sign-in
	// (session fixation) is dropped, never promoted.
	if old, err := r.Cookie(access.SessionCookie); err == nil {
		if err := s.db.DeleteSession(r.Context(), access.HashToken(old.Value)); err != nil {
			return err
		}
	}
	token, tokenHash := access.NewToken()
	expires := time.Now().Add(s.auth.sessionTTL)
	if err := s.db.CreateSession(r.Context(), tokenHash, u.ID, access.RandomString(32), expires); err != nil {
		return err
	}
	http.SetCookie(w, s.sessionCookie(r, token, expires))
	http.SetCookie(w, s.deviceCookie(r, u.Email))
	s.log.Info("signed in", "email", u.Email, "role", u.Role)
	next := d.Next
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// allowSignIn applies the sign-in limits (see the top of this file) to an
// attempt at the account email from r's client.
func (s *Server) allowSignIn(r *http.Request, email string) (ok bool, retry time.Duration) {
	ip := s.auth.proxy.ClientIP(r)
	if c, err := r.Cookie(access.DeviceCookie); err == nil {
		if device, known := s.auth.devices.Check(c.Value, email); known {
			return s.auth.limiter.Allow("ip:"+ip, "device:"+device)
		}
	}
	if ok, retry = s.auth.limiter.Allow("ip:" + ip); !ok {
		return false, retry
	}
	return s.auth.accountLimiter.Allow(email, ip)
}

// deviceCookie remembers, for a year and only for the sign-in form, that
// this browser signed in to the account email.
func (s *Server) deviceCookie(r *http.Request, email string) *http.Cookie {
	return &http.Cookie{
		Name: access.DeviceCookie, Value: s.auth.devices.Issue(email), Path: "/login", MaxAge: int(deviceCookieTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.auth.proxy.IsHTTPS(r),
	}
}

// sessionCookie carries a session token: HttpOnly, SameSite=Lax, and
// Secure whenever the browser reached us over HTTPS. An empty token clears it.
func (s *Server) sessionCookie(r *http.Request, token string, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name: access.SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.auth.proxy.IsHTTPS(r),
	}
	if token == "" {
		c.MaxAge = -1
		c.Expires = time.Time{}
	}
	return c
}

// logout ends the session and clears its cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	p, err := s.identify(r)
	if err != nil {
		return err
	}
	if err := s.checkCSRF(w, r, p); err != nil {
		return err
	}
	if p != nil && p.session != nil {
		if err := s.db.DeleteSession(r.Context(), p.session); err != nil {
			return err
		}
		s.log.Info("signed out", "email", p.Email)
	}
	http.SetCookie(w, s.sessionCookie(r, "", time.Time{}))
	http.Redirect(w, r, "/login?out", http.StatusSeeOther)
	return nil
}

// safeNext keeps a post-login destination only when it is a path on this
// site, so the sign-in form cannot be used to send people elsewhere.
func safeNext(next string) string {
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "" // browsers drop tabs and newlines and read \ as /
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/login") || strings.HasPrefix(next, "/logout") {
		return ""
	}
	return next
}

// renderStatus renders a page with any status. The page is rendered
// before the status is sent, so a template error can still become a 500.
func (s *Server) renderStatus(w http.ResponseWriter, status int, name string, p page.Page) error {
	var buf bytes.Buffer
	if err := s.pages.Render(&buf, name, p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// registerEditorRoutes registers the actions that need the editor role
// (r carries that middleware).
func (s *Server) registerEditorRoutes(r *mux.Router) {
	r.Handle("/reports/{name}/{date:[0-9]{4}-[0-9]{2}-[0-9]{2}}/send", s.handle(s.resendReport)).Methods(http.MethodPost)
	r.Handle("/reports/{name}/send", s.handle(s.resendReport)).Methods(http.MethodPost)
}

// account is the signed-in principal as the navigation shows it; nil for
// a request nobody was admitted for.
func (s *Server) account(w http.ResponseWriter, r *http.Request) *page.Account {
	p := currentPrincipal(r.Context())
	if p == nil {
		return nil
	}
	a := &page.Account{Email: p.Email, Role: p.Role.String(), CanEdit: p.Role.Allows(access.Editor), SignOut: p.session != nil,
		ReloadProblems: s.ReloadProblems()}
	if a.CanEdit || a.SignOut {
		a.CSRF = s.csrfToken(w, r, p)
	}
	return a
}

// resendReport sends a report for a date (in the URL, or the form's
// "date" field) through the delivery service as a new run, then returns
// to the report's archive.
func (s *Server) resendReport(w http.ResponseWriter, r *http.Request) error {
	vars := mux.Vars(r)
	rep, ok := s.Catalog().Reports[vars["name"]]
	if !ok {
		return notFound("There is no report called %q.", vars["name"])
	}
	day, ok := vars["date"]
	if !ok {
		day = r.PostFormValue("date")
	}
	date, err := time.Parse(query.DateLayout, day)
	if err != nil {
		return &pageError{status: http.StatusBadRequest, heading: "Not a date",
			message: fmt.Sprintf("%q is not a date: use YYYY-MM-DD.", day), err: apperr.ErrInvalid}
	}
	if s.auth.resend == nil {
		return &pageError{status: http.StatusServiceUnavailable, heading: "Not available",
			message: "This server cannot send reports (no delivery service is configured).", err: apperr.ErrUnavailable}
	}
	if err := s.auth.resend(r.Context(), rep.Name, date); err != nil {
		return err
	}
	s.log.Info("report sent from the web", "report", rep.Name, "date", day, "by", currentPrincipal(r.Context()).Email)
	http.Redirect(w, r, "/reports/"+url.PathEscape(rep.Name), http.StatusSeeOther)
	return nil
}
