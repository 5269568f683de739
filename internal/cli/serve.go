package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/opsboard/opsboard/internal/alert"
	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/delivery"
	"github.com/opsboard/opsboard/internal/metrics"
	"github.com/opsboard/opsboard/internal/periodic"
	"github.com/opsboard/opsboard/internal/precompute"
	"github.com/opsboard/opsboard/internal/web"
)

// serveFlags are the flags of serve and demo.
type serveFlags struct {
	addr           string
	insecureNoAuth bool
	scheduler      bool
	catchUp        time.Duration
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.BoolVar(&f.insecureNoAuth, "insecure-no-auth", false, "allow listening beyond loopback without accounts or an auth proxy (every visitor acts as admin)")
	fs.BoolVar(&f.scheduler, "scheduler", true, "run the report scheduler and the alert checks in this process")
	fs.DurationVar(&f.catchUp, "catch-up", 72*time.Hour, "how far back missed scheduled runs are still made")
}

func serveCommand() *command {
	var sf serveFlags
	return &command{
		name:    "serve",
		summary: "Serve the dashboards, the KPI glossary, /healthz and /metrics.",
		usage:   "[--addr 127.0.0.1:8080]",
		flags:   sf.register,
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			if len(args) != 0 {
				return usagef("takes no arguments")
			}
			cat, err := loadCatalog(e)
			if err != nil {
				return err
			}
			defer e.close()
			return serve(ctx, e, cat, sf)
		},
	}
}

// loadCatalog loads and checks every definition; any problem stops the command.
func loadCatalog(e *env) (*catalog.Catalog, error) {
	cat, err := catalog.Load(e.cfg.Dir)
	if err != nil {
		return nil, err
	}
	return cat, nil
}

// serve runs the web server until ctx ends. It opens the databases when
// the command has not (demo has): when one cannot be reached, it listens
// all the same, answers every page with a notice that the data cannot be
// reached (and /healthz with 503), and keeps trying until both answer,
// then serves as usual, on the same listener, without a restart.
func serve(ctx context.Context, e *env, cat *catalog.Catalog, sf serveFlags) error {
	conn := &connector{e: e}
	if e.db != nil {
		conn.migrated.Store(true) // opened and migrated by the command
	}
	err := conn.connect(ctx)
	if err == nil {
		return serveReady(ctx, e, cat, sf, nil)
	}
	if !errors.Is(err, apperr.ErrUnavailable) {
		return err
	}
	l, lerr := net.Listen("tcp", sf.addr)
	if lerr != nil {
		return apperr.Unavailable("cannot listen on %s: %v", sf.addr, lerr)
	}
	waiting, werr := web.Waiting(e.log, conn.checks)
	if werr != nil {
		l.Close()
		return werr
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	pre := &preListener{l: l, sw: web.NewSwitch(waiting), served: make(chan error, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pre.served <- web.ServeHandler(sctx, l, pre.sw, e.log)
	}()
	defer func() { stop(); <-done }()
	url := "http://" + l.Addr().String()
	e.log.Warn("a database cannot be reached: serving a notice until it answers", "url", url, "err", err)
	fmt.Fprintf(e.stdout, "opsboard is listening on %s, waiting for its database: pages say the data cannot be reached until it answers\n", url)
	for delay := connectRetry; ; delay = min(2*delay, maxConnectRetry) {
		select {
		case <-ctx.Done():
			return nil
		case err := <-pre.served:
			return err
		case <-time.After(delay):
		}
		err := conn.connect(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, apperr.ErrUnavailable) {
			return err
		}
		e.log.Debug("database still unreachable", "err", err)
	}
	e.log.Info("the databases answer: serving")
	return serveReady(ctx, e, cat, sf, pre)
}

// How often serve tries to reach a database that did not answer at start:
// soon at first, then every maxConnectRetry.
const (
	connectRetry    = 500 * time.Millisecond
	maxConnectRetry = 10 * time.Second
)

// connector opens serve's databases, as far as they answer: opsboard's
// own (then migrated) and the data database. Its state is read by the
// waiting page's /healthz while it works.
type connector struct {
	e                       *env
	migrated, dataReachable atomic.Bool
}

// connect opens what is not open yet. A database that cannot be reached
// is apperr.ErrUnavailable; other errors (a bad URL, a failed migration
// on a database that answers) are not worth waiting for.
func (c *connector) connect(ctx context.Context) error {
	e := c.e
	if e.db == nil {
		if err := e.openStore(ctx, false); err != nil {
			return err
		}
	}
	if !c.migrated.Load() {
		if err := e.db.Migrate(ctx); err != nil {
			if perr := e.db.Ping(ctx); perr != nil {
				return apperr.Unavailable("opsboard's database stopped answering while migrating: %v", perr)
			}
			return err
		}
		c.migrated.Store(true)
	}
	if e.data == nil {
		if err := e.openWarehouse(ctx); err != nil {
			return err
		}
	}
	c.dataReachable.Store(true)
	return nil
}

// checks are /healthz's while serve waits for its databases.
func (c *connector) checks() map[string]string {
	state := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "failing"
	}
	return map[string]string{"database": state(c.migrated.Load()), "data": state(c.dataReachable.Load())}
}

// preListener is a listener serve opened before its databases answered,
// with the handler switch serving it meanwhile and the result of serving.
type preListener struct {
	l      net.Listener
	sw     *web.Switch
	served chan error
}

// serveReady serves with both databases open: on pre's listener when serve
// listens already, else on a new one, opened once the checks pass.
func serveReady(ctx context.Context, e *env, cat *catalog.Catalog, sf serveFlags, pre *preListener) error {
	hasUsers, err := e.db.HasUsers(ctx)
	if err != nil {
		return fmt.Errorf("checking for accounts: %w", err)
	}
	authConfigured := hasUsers || e.cfg.AuthProxyHeader != ""
	if err := checkBind(sf.addr, authConfigured, sf.insecureNoAuth); err != nil {
		return err
	}
	e.checkWarehouse(ctx)
	m := metrics.New()
	e.metrics = m
	runner := e.runner()
	svc, closeSvc, err := e.deliveryService(cat)
	if err != nil {
		return err
	}
	defer closeSvc()
	svc.Metrics = m
	srv, err := web.New(web.Config{
		Log: e.log, DB: e.db, Data: e.data, Runner: runner, PageRows: e.cfg.WebMaxRows, Metrics: m, Catalog: cat,
		Proxy: e.cfg.Proxy(), DenyWithoutAuth: !isLoopback(sf.addr) && !sf.insecureNoAuth,
		SessionTTL: e.cfg.SessionTTL, MetricsPublic: e.cfg.MetricsPublic, BaseURL: e.cfg.BaseURL,
		Resend: resender(svc), Accounts: &hasUsers, AnyHost: sf.insecureNoAuth,
		Preview: previewer(svc), MailMissing: mailMissing(e),
	})
	if err != nil {
		return err
	}
	// The producer follows reloads of the definitions.
	svc.Producer.SetCatalog(srv.Catalog)
	var l net.Listener
	if pre != nil {
		l = pre.l
	} else if l, err = net.Listen("tcp", sf.addr); err != nil {
		return apperr.Unavailable("cannot listen on %s: %v", sf.addr, err)
	}
	url := "http://" + l.Addr().String()
	e.log.Info("serving", "url", url, "dir", e.cfg.Dir, "timezone", e.cfg.Location.String(),
		"dashboards", len(cat.Dashboards), "queries", len(cat.Queries))
	fmt.Fprintf(e.stdout, "opsboard is serving %d dashboards on %s\n", len(cat.Dashboards), url)
	switch {
	case authConfigured:
		e.log.Info("sign-in required", "accounts", hasUsers, "auth_proxy_header", e.cfg.AuthProxyHeader)
	case isLoopback(l.Addr().String()):
		fmt.Fprintln(e.stdout, "no accounts or auth proxy configured: listening on loopback only, and every visitor acts as admin")
		fmt.Fprintln(e.stdout, "(add one with 'opsboard user add EMAIL --role admin' to require a sign-in and listen beyond loopback)")
	default:
		e.log.Warn("listening beyond loopback WITHOUT authentication (--insecure-no-auth): anyone who can reach this port acts as admin")
	}
	go watchDefinitions(ctx, e, srv)
	if sf.scheduler {
		if svc.Transport == nil {
			e.log.Warn("mail is not configured (OPSBOARD_SMTP_URL): scheduled reports are rendered and archived, and sent once it is")
		}
		stop := startScheduler(ctx, e, srv, svc, sf.catchUp)
		defer stop()
	}
	if pre != nil {
		pre.sw.Set(srv.Handler())
		return <-pre.served
	}
	return srv.Serve(ctx, l)
}

// startAlerts runs the alert rules' checks beside the report scheduler,
// on the same runner, mail transport and current definitions. Webhook
// addresses named by url_env are read from the environment when sent.
func startAlerts(ctx context.Context, e *env, srv *web.Server, svc *delivery.Service) (a *alert.Service, stop func()) {
	a = &alert.Service{
		DB: e.db, Runner: e.runner(), Catalog: srv.Catalog, From: e.cfg.From, BaseURL: e.cfg.BaseURL,
		Log: e.log.With("component", "alerts"), Location: e.cfg.Location,
		Interval: e.cfg.SchedulerInterval, Backoff: delivery.DoublingBackoff(e.cfg.RetryBackoff),
	}
	if svc.Transport != nil {
		a.Mail = svc.Transport
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Run(ctx)
	}()
	if n := len(srv.Catalog().Alerts); n > 0 {
		e.log.Info("alert checks running", "rules", n)
	}
	return a, func() { cancel(); <-done }
}

// resender is the web's "send now" action: a new run of the report for
// the date, delivered to the report's recipients now. Nil without mail.
func resender(svc *delivery.Service) func(ctx context.Context, report string, date time.Time) error {
	if svc.Transport == nil {
		return nil
	}
	return func(ctx context.Context, report string, date time.Time) error {
		_, err := svc.Send(ctx, report, date, delivery.SendOptions{Trigger: "web"})
		return err
	}
}

// previewer is the web's preview of a report: its page for a date,
// rendered but neither archived nor sent.
func previewer(svc *delivery.Service) func(ctx context.Context, report string, date time.Time) ([]byte, error) {
	return func(ctx context.Context, report string, date time.Time) ([]byte, error) {
		o, err := svc.Producer.Render(ctx, report, date)
		if err != nil {
			return nil, err
		}
		return o.HTML, nil
	}
}

// mailMissing says which of the mail settings are not set; "" when mail
// is configured (serve refuses OPSBOARD_SMTP_URL without OPSBOARD_FROM).
func mailMissing(e *env) string {
	switch {
	case e.cfg.SMTPURL != "":
		return ""
	case e.cfg.From == "":
		return "neither OPSBOARD_SMTP_URL nor OPSBOARD_FROM is set"
	}
	return "OPSBOARD_SMTP_URL is not set"
}

// startScheduler runs the report scheduler and the alert checks beside
// the web server; they read the server's current definitions, so reloads
// reach them too.
func startScheduler(ctx context.Context, e *env, srv *web.Server, svc *delivery.Service, catchUp time.Duration) (stop func()) {
	sched := &delivery.Scheduler{Service: svc, Catalog: srv.Catalog, CatchUp: catchUp, Interval: e.cfg.SchedulerInterval}
	alerts, stopAlerts := startAlerts(ctx, e, srv, svc)
	srv.Health = func() error { return errors.Join(sched.Healthy(), alerts.Healthy()) }
	mornings := &precompute.Service{
		Store: e.db, Runner: e.runner(), Catalog: srv.Catalog, Reports: svc.Producer,
		PageRows: e.cfg.WebMaxRows, Log: e.log, Owner: owner(),
	}
	mornings.Forget = srv.Forget
	srv.Mornings = mornings.Status
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		sched.Run(ctx)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		periodic.Run(ctx, time.Minute, mornings.Tick)
	}()
	e.log.Info("scheduler running", "reports", len(srv.Catalog().Reports), "catch_up", catchUp)
	return func() { cancel(); <-done; <-done; stopAlerts() }
}

// checkBind is the rule for where serve may listen. With accounts or an
// auth proxy, anywhere: everything but share links needs a sign-in.
// Without, every visitor acts as admin, so only loopback, unless told
// --insecure-no-auth.
func checkBind(addr string, authConfigured, insecure bool) error {
	if authConfigured || isLoopback(addr) || insecure {
		return nil
	}
	return usagef("without accounts or an auth proxy, serve listens on loopback only (127.0.0.1); "+
		"%s would expose every dashboard to anyone: add an account with 'opsboard user add EMAIL --role admin' "+
		"(or set OPSBOARD_AUTH_PROXY_HEADER), or pass --insecure-no-auth to do it anyway", addr)
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// watchDefinitions reloads the definitions when a file under the root
// changes. A reload is checked as 'validate --db' checks: every file, then
// every query against the data database (EXPLAIN, and the columns panels
// name). One that fails keeps the last good set served and tells the web
// server, which shows the problems to signed-in people until a reload
// works. When the data database cannot be reached the change is not
// judged: it is tried again every tick until the database answers.
func watchDefinitions(ctx context.Context, e *env, srv *web.Server) {
	last := fingerprint(e.cfg.Dir)
	retry := false
	tick := time.NewTicker(reloadInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := fingerprint(e.cfg.Dir)
		if now == last && !retry {
			continue
		}
		last = now
		cat, err := reloadDefinitions(ctx, e)
		retry = errors.Is(err, errDataUnreachable)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			problems := reloadProblems(err)
			for _, p := range problems {
				e.log.Error("definitions not reloaded", "problem", p)
			}
			srv.ReloadFailed(problems)
		default:
			srv.SetCatalog(cat)
			e.log.Info("definitions reloaded", "dashboards", len(cat.Dashboards), "queries", len(cat.Queries))
		}
	}
}

// reloadInterval is how often serve looks for changed definition files.
const reloadInterval = 2 * time.Second

// errDataUnreachable is a reload that could not be checked against the
// data database.
var errDataUnreachable = errors.New("the data database cannot be reached: the changed definitions are checked and loaded once it answers")

// reloadDefinitions loads the definitions and checks them against the
// data database.
func reloadDefinitions(ctx context.Context, e *env) (*catalog.Catalog, error) {
	cat, err := catalog.Load(e.cfg.Dir)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = e.data.Ping(pingCtx)
	cancel()
	if err != nil {
		e.log.Warn("definitions changed; not checked yet", "err", err)
		return nil, errDataUnreachable
	}
	if err := checkAgainstDB(ctx, e, cat); err != nil {
		return nil, err
	}
	return cat, nil
}

// reloadProblems are a failed reload's problems, one "file:line: message"
// each (files below the definitions root).
func reloadProblems(err error) []string {
	var ce catalog.Errors
	if !errors.As(err, &ce) {
		return []string{oneLine(err)}
	}
	problems := make([]string, len(ce))
	for i, p := range ce {
		problems[i] = p.Error()
	}
	return problems
}

// fingerprint hashes the names, sizes and times of the definition files.
func fingerprint(root string) [32]byte {
	h := sha256.New()
	for _, dir := range []string{"sql", "dashboards", "reports", "alerts", "events"} {
		filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				fmt.Fprintf(h, "%s %d %d\n", p, info.Size(), info.ModTime().UnixNano())
			}
			return nil
		})
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}
