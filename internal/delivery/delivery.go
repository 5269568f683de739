// Package delivery produces report runs and delivers them: it claims a run
// in PostgreSQL (so several replicas produce each scheduled report once),
// renders it, archives it with the exact email it sends, and delivers that
// email to each recipient once, retrying with backoff. The scheduler in
// scheduler.go decides when runs are due; `opsboard send` calls Send.
package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/mail"
	"github.com/opsboard/opsboard/internal/metrics"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/webhook"
)

// Service runs and delivers reports.
type Service struct {
	DB        *store.Store
	Producer  *report.Producer
	Transport mail.Transport // nil: mail is not configured; runs are archived, not sent
	From      string
	BaseURL   string // for the link to the archived copy
	Log       *slog.Logger
	Metrics   *metrics.Metrics
	// MaxAttempts is how often a delivery is tried before it is given up
	// (and the run marked failed); default 8.
	MaxAttempts int
	// Backoff returns the wait after the n-th failed attempt; default
	// 1m, 2m, 4m … capped at 1h.
	Backoff func(attempt int) time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Getenv reads the variables report webhooks' url_env name; default
	// os.Getenv.
	Getenv func(string) string

	// Each step of a run has a deadline of its own, so that a slow step
	// fails (and is retried) on its own and never uses up the time of the
	// step that records its outcome.

	// RenderTimeout bounds rendering a run: its queries, page, PDF and
	// chart images; default 2m.
	RenderTimeout time.Duration
	// SaveTimeout bounds archiving a rendered run; default 30s.
	SaveTimeout time.Duration
	// SMTPTimeout bounds one recipient's SMTP conversation; default 60s.
	SMTPTimeout time.Duration
	// BookkeepingTimeout bounds each write that records an outcome (a
	// delivery sent or failed, a render postponed or failed, a run
	// finished); default 10s.
	BookkeepingTimeout time.Duration
}

// Default deadlines of the steps of a run.
const (
	DefaultRenderTimeout      = 2 * time.Minute
	DefaultSaveTimeout        = 30 * time.Second
	DefaultSMTPTimeout        = time.Minute
	DefaultBookkeepingTimeout = 10 * time.Second
)

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// runLimit is the longest that working on run can legitimately take: the
// sum of the deadlines of its steps (render, archive, each recipient's
// conversation, each bookkeeping write). The scheduler's heartbeat counts a
// run that takes longer as stuck.
func (s *Service) runLimit(run *store.Run) time.Duration {
	book := orDefault(s.BookkeepingTimeout, DefaultBookkeepingTimeout)
	recipients := len(run.RecipientMap())
	if recipients == 0 {
		if r, err := s.Producer.Lookup(run.Report); err == nil {
			recipients = len(recipientsOf(r))
		}
	}
	return orDefault(s.RenderTimeout, DefaultRenderTimeout) + orDefault(s.SaveTimeout, DefaultSaveTimeout) + 8*book +
		time.Duration(max(recipients, 1))*(orDefault(s.SMTPTimeout, DefaultSMTPTimeout)+book)
}

// record runs one bookkeeping write on a context of its own: it is not
// cancelled with ctx (serve stopping, a browser tab closed on "send now")
// and not bounded by the deadline of the step whose outcome it records,
// only by BookkeepingTimeout. An outcome is never lost to a slow step.
func (s *Service) record(ctx context.Context, write func(context.Context) error) error {
	return s.within(ctx, orDefault(s.BookkeepingTimeout, DefaultBookkeepingTimeout), write)
}

// within runs fn on a context that survives ctx's end, bounded by d.
func (s *Service) within(ctx context.Context, d time.Duration, fn func(context.Context) error) error {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	defer cancel()
	return fn(c)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Service) backoff(attempt int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(attempt)
	}
	return DoublingBackoff(time.Minute)(attempt)
}

// DoublingBackoff is the wait after the n-th failed attempt: first after
// the first, doubled with each further one, never more than an hour
// (first: 1m gives 1m, 2m, 4m … 1h).
func DoublingBackoff(first time.Duration) func(attempt int) time.Duration {
	if first <= 0 {
		first = time.Minute
	}
	first = min(first, time.Hour)
	return func(attempt int) time.Duration {
		return min(first<<min(max(attempt, 1)-1, 16), time.Hour)
	}
}

// SendOptions are the choices of a manual send.
type SendOptions struct {
	To      []string // overrides the report's recipients (and drops cc)
	Trigger string   // "command" or "web"
}

// Send produces a new run of the report for date and delivers it now. It
// never replaces an earlier run: a regenerated day is a new archive entry.
func (s *Service) Send(ctx context.Context, name string, date time.Time, opts SendOptions) (*store.Run, error) {
	r, err := s.Producer.Lookup(name)
	if err != nil {
		return nil, err
	}
	loc, err := s.Producer.Location(r)
	if err != nil {
		return nil, err
	}
	if opts.Trigger == "" {
		opts.Trigger = "command"
	}
	// The recipients are stored with the run, so that whoever finishes it
	// (this process, or a scheduler after a crash) sends it to them only.
	recipients := recipientsOf(r)
	if len(opts.To) > 0 {
		recipients = map[string]string{}
		for _, to := range opts.To {
			recipients[to] = "to"
		}
	}
	run, err := s.DB.CreateRun(ctx, name, date, opts.Trigger, loc.String(), r.Params, recipients)
	if err != nil {
		return nil, err
	}
	for {
		locked, err := s.process(ctx, run)
		if err != nil {
			// Say where the run stands now (failed, or waiting for a
			// retry), not where it started.
			var cur *store.Run
			if s.record(ctx, func(ctx context.Context) (err error) { cur, err = s.DB.RunByID(ctx, run.ID); return err }) == nil {
				return cur, err
			}
			return run, err
		}
		cur, err := s.DB.RunByID(ctx, run.ID)
		if err != nil {
			return run, err
		}
		if locked || (cur.Status != store.RunRunning && cur.Status != store.RunRendered) {
			return cur, nil
		}
		// A scheduler picked the new run up first: wait for it.
		select {
		case <-ctx.Done():
			return cur, fmt.Errorf("run %d of %s is being produced by another opsboard process: %w", run.ID, name, context.Cause(ctx))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Process works on a run until it is done or waiting for a retry: it
// renders the run if it was not rendered (a run that crashed half-way is
// rendered again) and delivers what is due. Another process working on the
// same run makes it return at once.
func (s *Service) Process(ctx context.Context, run *store.Run) error {
	_, err := s.process(ctx, run)
	return err
}

// process is Process; locked is false when another process held the run.
func (s *Service) process(ctx context.Context, run *store.Run) (bool, error) {
	var perr error
	locked, err := s.DB.WithRunLock(ctx, run.ID, func() error {
		// Re-read under the lock: another process may have moved it on.
		cur, err := s.DB.RunByID(ctx, run.ID)
		if err != nil {
			return err
		}
		if cur.Status == store.RunRunning {
			if cur.RenderAttempts > 0 && cur.NextRenderAt.After(s.now()) {
				return nil // a failed render waits for its retry
			}
			if err := s.render(ctx, cur); err != nil {
				perr = err
				return nil
			}
			if cur, err = s.DB.RunByID(ctx, run.ID); err != nil {
				return err
			}
		}
		if cur.Status == store.RunRendered {
			perr = s.deliver(ctx, cur)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if !locked {
		s.log().Debug("run is being worked on elsewhere", "run", run.ID)
	}
	return locked, perr
}

// maxRenderAttempts bounds the retries of a scheduled run whose render
// failed for a passing reason (Chromium, the data database, a timeout).
const maxRenderAttempts = 5

// maxRenderStarts bounds the renders started for one run, finished or
// not: a render that dies each time before it records anything (it crashes
// the process) fails the run in the end rather than loop for ever.
const maxRenderStarts = 2 * maxRenderAttempts

// render produces the run's page, PDF and email and archives them. With
// on_error: fail, a run with a failed panel is archived as failed and not
// sent. A scheduled run whose render fails for another reason (Chromium,
// the data database, a timeout) is tried again later, up to
// maxRenderAttempts times; a run made by a person fails at once, for that
// person to see.
func (s *Service) render(ctx context.Context, run *store.Run) error {
	log := s.log().With("report", run.Report, "date", run.ReportDate.Format(query.DateLayout), "run", run.ID)
	// The outcome is recorded even when ctx ends half-way (serve stopping,
	// a browser tab closed on "send now") or the render used up its time.
	fail := func(html string, reasons ...string) error {
		reasons = redactAll(reasons)
		if err := s.record(ctx, func(ctx context.Context) error { return s.DB.FailRun(ctx, run.ID, html, reasons) }); err != nil {
			log.Error("report run failed, and the failure was not recorded", "errors", strings.Join(reasons, "; "), "err", err)
			return fmt.Errorf("recording the failure of run %d: %w", run.ID, err)
		}
		s.count(run.Report, store.RunFailed)
		log.Error("report run failed", "errors", strings.Join(reasons, "; "))
		return apperr.Unavailable("report %s for %s failed: %s", run.Report, run.ReportDate.Format(query.DateLayout), strings.Join(reasons, "; "))
	}
	starts := 0
	if err := s.record(ctx, func(ctx context.Context) (err error) { starts, err = s.DB.StartRender(ctx, run.ID); return err }); err != nil {
		return fmt.Errorf("recording the start of render of run %d: %w", run.ID, err)
	}
	if starts > maxRenderStarts {
		return fail("", fmt.Sprintf("rendering was started %d times without finishing (the process stopped each time, perhaps crashed); see the server's log", starts-1))
	}
	retry := func(html string, reasons ...string) error {
		attempt := run.RenderAttempts + 1
		if run.Trigger != "schedule" || attempt >= maxRenderAttempts {
			return fail(html, reasons...)
		}
		if ctx.Err() != nil {
			return ctx.Err() // stopping: the run is picked up again as it is
		}
		reasons = redactAll(reasons)
		next := s.now().Add(s.backoff(attempt))
		if err := s.record(ctx, func(ctx context.Context) error { return s.DB.PostponeRender(ctx, run.ID, reasons, next) }); err != nil {
			log.Error("report run not rendered, and the attempt was not recorded", "attempt", attempt, "errors", strings.Join(reasons, "; "), "err", err)
			return fmt.Errorf("recording render attempt %d of run %d: %w", attempt, run.ID, err)
		}
		log.Warn("report run not rendered, will retry", "attempt", attempt, "next", next, "errors", strings.Join(reasons, "; "))
		return apperr.Unavailable("report %s for %s not rendered yet (attempt %d): %s", run.Report, run.ReportDate.Format(query.DateLayout), attempt, strings.Join(reasons, "; "))
	}
	r, err := s.Producer.Lookup(run.Report)
	if err != nil {
		return fail("", "the report's definition is gone: "+err.Error())
	}
	recipients := run.RecipientMap()
	if recipients == nil {
		recipients = recipientsOf(r)
	}
	limit := orDefault(s.RenderTimeout, DefaultRenderTimeout)
	rctx, cancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("rendering took longer than %s", limit))
	defer cancel()
	// why is the reason a render step failed: its own deadline when that
	// was it, else the step's error without addresses.
	why := func(step string, err error) string {
		if rctx.Err() != nil && ctx.Err() == nil {
			err = context.Cause(rctx)
		}
		return step + report.Redacted(err).Error()
	}
	out, err := s.Producer.Render(rctx, run.Report, run.ReportDate)
	if err != nil {
		return retry("", why("", err))
	}
	switch {
	case rctx.Err() != nil:
		return retry("", why("", rctx.Err()))
	case out.Unreachable():
		// The data database is down: a passing failure. The page of
		// error messages is neither mailed nor archived.
		return retry("", out.Failures...)
	case out.Partial() && out.Report.OnError != "send_partial":
		return fail(string(out.HTML), out.Failures...)
	case out.Partial() && !out.AnyRendered():
		return fail(string(out.HTML), append([]string{"no tile or panel could be computed, so there is no partial report to send"}, out.Failures...)...)
	}
	pdf, err := s.Producer.PDF(rctx, out)
	if err != nil {
		return retry(string(out.HTML), why("PDF: ", err))
	}
	charts, _, err := s.Producer.ChartImages(rctx, out)
	if err != nil {
		return retry(string(out.HTML), why("chart images: ", err))
	}
	email := &report.Email{Output: out, PDF: pdf, Charts: charts, From: s.sender(), ArchiveURL: s.archiveURL(run)}
	msg, err := email.Message()
	if err != nil {
		return fail(string(out.HTML), "email: "+err.Error())
	}
	if len(recipients) > 0 && recipientsDiffer(recipients, out.Report) {
		msg.To, msg.Cc = keys(emailsOf(recipients)), nil
	}
	msg.MessageID = fmt.Sprintf("<opsboard-run-%d-%s@%s>", run.ID, run.ReportDate.Format("20060102"), mailDomain(s.sender()))
	msg.Headers = map[string]string{"X-Opsboard-Run": strconv.FormatInt(run.ID, 10)}
	raw, err := mail.Build(msg)
	if err != nil {
		return fail(string(out.HTML), "email: "+err.Error())
	}
	save := func(ctx context.Context) error {
		return s.DB.SaveRendered(ctx, run.ID, out.Subject, string(out.HTML), pdf, raw, out.Failures, out.Partial(), recipients,
			strings.Join(out.Highlights, "\n"))
	}
	if err := s.within(ctx, orDefault(s.SaveTimeout, DefaultSaveTimeout), save); err != nil {
		// Counted as an attempt: a run that cannot be archived is retried
		// and given up like any other render, never redone forever.
		return retry("", "archiving the rendered report: "+err.Error())
	}
	log.Info("report rendered", "partial", out.Partial(), "recipients", len(recipients), "pdf_bytes", len(pdf))
	return nil
}

// deliver sends the archived message to every recipient whose delivery is
// due, records each outcome, and finishes the run when none is pending.
//
// Delivery is at least once: a message the SMTP server accepted is
// recorded as sent right after, even when ctx ends meanwhile; only if the
// process dies in between does that recipient get it again, with the same
// Message-ID.
func (s *Service) deliver(ctx context.Context, run *store.Run) error {
	log := s.log().With("report", run.Report, "date", run.ReportDate.Format(query.DateLayout), "run", run.ID)
	deliveries, err := s.DB.Deliveries(ctx, run.ID)
	if err != nil {
		return err
	}
	message := withFrom(run.Message, s.From) // the same bytes for every recipient
	var errs []error
	now := s.now()
	pending := 0
	for _, d := range deliveries {
		if d.Status != "pending" {
			continue
		}
		// A first attempt is always due; retries wait for their time. Mail
		// waits, pending, until it is configured (said once at startup).
		if d.Attempts > 0 && d.NextAttemptAt.After(now) || ctx.Err() != nil || d.Kind != kindWebhook && s.Transport == nil {
			pending++
			continue
		}
		attempt := d.Attempts + 1
		log := log.With("recipient", d.Recipient, "attempt", attempt)
		var err error
		if d.Kind == kindWebhook {
			err = s.post(ctx, run, d.Recipient)
		} else {
			err = s.send(ctx, d.Recipient, message)
		}
		if err == nil {
			if err := s.record(ctx, func(ctx context.Context) error { return s.DB.MarkDelivered(ctx, d.ID) }); err != nil {
				// Stop here: with the store out of reach, every further
				// message would be one more that could go out twice.
				log.Error("delivered, but the delivery was not recorded: the recipient may get the report again", "err", err)
				return errors.Join(append(errs, fmt.Errorf("recording the delivery to %s: %w", d.Recipient, err))...)
			}
			s.countDelivery("sent")
			log.Info("delivered")
			continue
		}
		var next time.Time
		if !mail.IsPermanent(err) && !webhook.IsPermanent(err) && attempt < s.maxAttempts() {
			next = s.now().Add(max(s.backoff(attempt), webhook.RetryAfter(err)))
		}
		if rerr := s.record(ctx, func(ctx context.Context) error { return s.DB.MarkDeliveryFailed(ctx, d.ID, failureText(err), next) }); rerr != nil {
			log.Error("delivery failed, and the attempt was not recorded", "err", err, "record_err", rerr)
			return errors.Join(append(errs, fmt.Errorf("recording the failed delivery to %s: %w", d.Recipient, rerr))...)
		}
		if next.IsZero() {
			s.countDelivery("failed")
			log.Error("delivery failed, giving up", "err", err)
		} else {
			pending++
			s.countDelivery("retry")
			log.Warn("delivery failed, will retry", "next", next, "err", err)
		}
		errs = append(errs, fmt.Errorf("%s: %w", d.Recipient, err))
	}
	if pending > 0 {
		return errors.Join(errs...)
	}
	if len(deliveries) == 0 && s.Transport == nil {
		return nil // nothing recorded yet: wait for mail, as before
	}
	if err := s.record(ctx, func(ctx context.Context) (err error) { deliveries, err = s.DB.Deliveries(ctx, run.ID); return err }); err != nil {
		return errors.Join(append(errs, err)...)
	}
	status := store.RunSent
	if run.Partial {
		status = store.RunPartial
	}
	for _, d := range deliveries {
		if d.Status == "failed" {
			status = store.RunFailed
		}
	}
	if err := s.record(ctx, func(ctx context.Context) error { return s.DB.FinishRun(ctx, run.ID, status) }); err != nil {
		log.Error("run finished, and its status was not recorded", "status", status, "err", err)
		return errors.Join(append(errs, fmt.Errorf("recording run %d as %s: %w", run.ID, status, err))...)
	}
	s.count(run.Report, status)
	return errors.Join(errs...)
}

// send has the SMTP server accept the message for one recipient, within
// SMTPTimeout: a server that hangs fails this recipient's attempt, which is
// recorded and retried, and the other recipients are still tried.
func (s *Service) send(ctx context.Context, recipient string, message []byte) error {
	limit := orDefault(s.SMTPTimeout, DefaultSMTPTimeout)
	c, cancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("the mail server did not take the message within %s", limit))
	defer cancel()
	return s.Transport.SendRaw(c, s.From, []string{recipient}, message)
}

// failureText is how a failed delivery is recorded, and shown on the
// archive page to anyone signed in: the step that failed and why, without
// the mail server's address (the log keeps the whole error).
func failureText(err error) string {
	var me *mail.Error
	if !errors.As(err, &me) {
		return report.RedactText(err.Error())
	}
	cause := me.Err
	var op *net.OpError
	var ne net.Error
	var reply *textproto.Error
	why := ""
	switch {
	case cause == nil:
		why = "failed"
	case errors.As(cause, &reply):
		why = strconv.Itoa(reply.Code) + " " + reply.Msg // the server's reply
	case me.Code != 0:
		why = cause.Error()
	case errors.As(cause, &op) && op.Op == "dial":
		why = "the mail server cannot be reached"
	case errors.As(cause, &ne) && ne.Timeout():
		why = "the mail server did not answer in time"
	case errors.As(cause, &op), errors.Is(cause, io.EOF), errors.Is(cause, io.ErrUnexpectedEOF), errors.Is(cause, syscall.ECONNRESET):
		why = "the connection to the mail server was lost"
	default:
		why = strings.TrimPrefix(cause.Error(), "mail: ") // a deadline's cause says which
	}
	return "mail: " + me.Op + ": " + mailAddress.ReplaceAllString(why, "(address)")
}

// mailAddress matches what can name a mail server in an error text: SMTP
// URLs, IP addresses and host:port.
var mailAddress = regexp.MustCompile(`(?i)\bsmtps?://\S+|\[[0-9a-f:.]+\](?::\d+)?|\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+:\d+\b|\blocalhost:\d+\b`)

// kindWebhook is the kind of a delivery to a chat channel.
const kindWebhook = "webhook"

// webhookRecipient names a report's webhook among its deliveries without
// its secret: the variable holding the address, or the address's host and
// a short hash of it.
func webhookRecipient(w catalog.Webhook) string {
	if w.URLEnv != "" {
		return "webhook env:" + w.URLEnv
	}
	host := "(bad address)"
	if u, err := url.Parse(w.URL); err == nil && u.Host != "" {
		host = u.Host
	}
	sum := sha256.Sum256([]byte(w.URL))
	return "webhook " + host + " #" + hex.EncodeToString(sum[:4])
}

// post posts the run's summary to one of its report's webhooks, within the
// SMTP deadline: the highlights, the subject and the link to the run.
func (s *Service) post(ctx context.Context, run *store.Run, recipient string) error {
	r, err := s.Producer.Lookup(run.Report)
	if err != nil {
		return fmt.Errorf("the report's definition is gone: %w", err)
	}
	for _, w := range r.Webhooks {
		if webhookRecipient(w) != recipient {
			continue
		}
		address := w.URL
		if w.URLEnv != "" {
			if address = s.getenv(w.URLEnv); address == "" {
				return fmt.Errorf("the environment variable %s (the webhook's address) is not set", w.URLEnv)
			}
		}
		text := run.Summary
		if run.Partial {
			text = "Partial report: some parts could not be computed.\n" + text
		}
		body, err := webhook.Body(w.Format, webhook.Notice{Kind: "report.sent", Title: run.Subject, Text: text, Link: s.archiveURL(run),
			Fields: map[string]any{"report": run.Report, "date": run.ReportDate.Format(query.DateLayout), "run": run.ID, "partial": run.Partial}})
		if err != nil {
			return err
		}
		c, cancel := context.WithTimeout(ctx, orDefault(s.SMTPTimeout, DefaultSMTPTimeout))
		defer cancel()
		return (&webhook.Sender{}).Post(c, address, body)
	}
	return fmt.Errorf("the report no longer has the webhook %s", recipient)
}

func (s *Service) getenv(name string) string {
	if s.Getenv != nil {
		return s.Getenv(name)
	}
	return os.Getenv(name)
}

// emailsOf is recipients without the webhooks.
func emailsOf(recipients map[string]string) map[string]string {
	out := map[string]string{}
	for a, kind := range recipients {
		if kind != kindWebhook {
			out[a] = kind
		}
	}
	return out
}

// redactAll removes hosts, ports and addresses from reasons that are
// archived with a run.
func redactAll(reasons []string) []string {
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = report.RedactText(r)
	}
	return out
}

func (s *Service) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return 8
}

func (s *Service) archiveURL(run *store.Run) string {
	if s.BaseURL == "" {
		return ""
	}
	return strings.TrimSuffix(s.BaseURL, "/") + "/reports/" + run.Report + "/" + run.ReportDate.Format(query.DateLayout) + "?run=" + strconv.FormatInt(run.ID, 10)
}

func (s *Service) count(report, status string) {
	if s.Metrics != nil {
		s.Metrics.ReportRuns.WithLabelValues(report, status).Inc()
	}
}

func (s *Service) countDelivery(status string) {
	if s.Metrics != nil {
		s.Metrics.Deliveries.WithLabelValues(status).Inc()
	}
}

func recipientsOf(r *catalog.Report) map[string]string {
	out := map[string]string{}
	for _, a := range r.To {
		out[a] = "to"
	}
	for _, a := range r.Cc {
		if _, dup := out[a]; !dup {
			out[a] = "cc"
		}
	}
	for _, w := range r.Webhooks {
		out[webhookRecipient(w)] = kindWebhook
	}
	return out
}

func recipientsDiffer(recipients map[string]string, r *catalog.Report) bool {
	want := recipientsOf(r)
	if len(want) != len(recipients) {
		return true
	}
	for a := range recipients {
		if _, ok := want[a]; !ok {
			return true
		}
	}
	return false
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// unconfiguredFrom is the sender written into the archived message of a run
// rendered while mail was not configured; withFrom puts the real one in
// when it is delivered.
const unconfiguredFrom = "opsboard@localhost"

// sender is the From address for messages rendered now.
func (s *Service) sender() string {
	if s.From == "" {
		return unconfiguredFrom
	}
	return s.From
}

// withFrom returns the raw message with the configured sender in its From
// header when it was rendered while mail was not configured (From:
// unconfiguredFrom). Everything else is left byte for byte.
func withFrom(raw []byte, from string) []byte {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 || from == "" {
		return raw
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return raw
	}
	head := raw[:end]
	for start := 0; start < len(head); {
		stop := bytes.Index(head[start:], []byte("\r\n"))
		if stop < 0 {
			stop = len(head) - start
		}
		line := head[start : start+stop]
		if bytes.HasPrefix(bytes.ToLower(line), []byte("from:")) {
			if !bytes.Contains(line, []byte(unconfiguredFrom)) {
				return raw
			}
			out := make([]byte, 0, len(raw)+len(from))
			out = append(out, raw[:start]...)
			out = append(out, "From: "+addr.String()...)
			return append(out, raw[start+stop:]...)
		}
		start += stop + 2
	}
	return raw
}

func mailDomain(from string) string {
	if i := strings.LastIndex(from, "@"); i >= 0 {
		return strings.Trim(from[i+1:], "> ")
	}
	return "opsboard.local"
}
