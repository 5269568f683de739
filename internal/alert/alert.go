// Package alert runs the alert rules of alerts/*.yaml: on each rule's
// schedule it computes the tile the rule watches (through the one query
// runner, as the dashboard would), and when the number is below or above
// its threshold, or moved more than its normal variation, it records a
// firing and notifies by email and webhook. Everything is claimed in the
// store, so that with several replicas a rule is checked once per
// scheduled time, fires once per period and recovers once; each notice is
// retried with backoff until it is delivered or given up, like a report's
// mail.
package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/mail"
	"github.com/opsboard/opsboard/internal/periodic"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/webhook"
)

// Service checks alert rules and delivers their notices.
type Service struct {
	DB      *store.Store
	Runner  *query.Runner
	Catalog func() *catalog.Catalog
	// Mail sends the email notices; nil: mail is not configured, and
	// rules notify by webhook only.
	Mail mail.Transport
	From string
	// Webhooks posts the webhook notices; nil: a default Sender.
	Webhooks *webhook.Sender
	// BaseURL is opsboard's public address, for links in notices.
	BaseURL string
	Log     *slog.Logger
	// Location is the default time zone of rules that name none; default
	// the runner's.
	Location *time.Location
	// Getenv reads the variables webhooks' url_env name; default os.Getenv.
	Getenv func(string) string

	// MaxAttempts is how often a notice is tried before it is given up;
	// default 8.
	MaxAttempts int
	// Backoff is the wait after the n-th failed attempt; default 1m, 2m,
	// 4m … capped at 1h.
	Backoff func(attempt int) time.Duration
	// CatchUp is how long after its scheduled time a check missed while
	// no process was running is still made; default 6h. Only the latest
	// missed check of a rule is made.
	CatchUp time.Duration
	// Interval is how often Run looks; default 20s.
	Interval time.Duration
	// SendTimeout bounds one delivery attempt; default 60s.
	SendTimeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time

	beat periodic.Heartbeat
}

// Defaults.
const (
	defaultMaxAttempts = 8
	defaultCatchUp     = 6 * time.Hour
	defaultSendTimeout = time.Minute
	// A check whose process died is claimed again after checkStale; a
	// check that failed (the warehouse was down) is tried checkAttempts
	// times, checkRetry apart.
	checkStale    = 10 * time.Minute
	checkRetry    = time.Minute
	checkAttempts = 3
	bookkeeping   = 10 * time.Second
	// checkLimit is the longest one rule's check (its queries and the
	// writes that record it) or one notice's delivery may take before the
	// heartbeat counts the alert checks as stuck.
	checkLimit = 5 * time.Minute
)

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

func (s *Service) location() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return s.Runner.Location()
}

func (s *Service) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return defaultMaxAttempts
}

func (s *Service) backoff(attempt int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(attempt)
	}
	return min(time.Minute<<min(attempt-1, 6), time.Hour)
}

func (s *Service) getenv(name string) string {
	if s.Getenv != nil {
		return s.Getenv(name)
	}
	return os.Getenv(name)
}

// record runs a write that records an outcome on a context of its own:
// not cancelled with ctx (serve stopping), bounded by a short deadline.
func record(ctx context.Context, write func(context.Context) error) error {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeeping)
	defer cancel()
	return write(c)
}

// Run checks and delivers every Interval until ctx ends.
func (s *Service) Run(ctx context.Context) error { return periodic.Run(ctx, s.Interval, s.Tick) }

// Healthy reports an error when Run has not completed a tick for a while,
// or when one rule's check or notice in the tick in progress overran
// checkLimit.
func (s *Service) Healthy() error { return s.beat.Check("alert checks", s.Interval, s.now()) }

// Tick checks every rule whose scheduled time has come (claiming each
// check, so replicas share the work) and delivers every notice that is
// due. It is safe to call from several processes at once.
func (s *Service) Tick(ctx context.Context) {
	now := s.now()
	c := s.Catalog()
	s.beat.Begin(now, now.Add(checkLimit))
	defer s.beat.End()
	for _, name := range c.AlertNames() {
		if ctx.Err() != nil {
			return
		}
		s.beat.Expect(s.now().Add(checkLimit))
		rule := c.Alerts[name]
		due, ok := s.lastDue(rule, now)
		if !ok {
			continue
		}
		check, claimed, err := s.DB.ClaimAlertCheck(ctx, name, due, now, checkStale, now.Add(-checkRetry), checkAttempts)
		if err != nil {
			s.log().Error("claiming an alert check", "rule", name, "err", err)
			continue
		}
		if claimed {
			s.check(ctx, rule, check)
		}
	}
	s.Deliver(ctx)
	s.beat.Beat(s.now())
}

// lastDue is the latest scheduled time of the rule at or before now,
// within the catch-up window.
func (s *Service) lastDue(rule *catalog.Alert, now time.Time) (time.Time, bool) {
	if rule.Cron == nil {
		return time.Time{}, false
	}
	loc, err := rule.Location(s.location())
	if err != nil {
		return time.Time{}, false
	}
	window := s.CatchUp
	if window <= 0 {
		window = defaultCatchUp
	}
	var last time.Time
	for t := rule.Cron.Next(now.Add(-window), loc); !t.IsZero() && !t.After(now); t = rule.Cron.Next(t, loc) {
		last = t
	}
	return last, !last.IsZero()
}

// CheckNow checks the rule named name as of now, outside its schedule
// (a person, a command or a test asking), then delivers what is due.
// Checks of the same second are made once across replicas.
func (s *Service) CheckNow(ctx context.Context, name string) (*store.AlertCheck, error) {
	rule, ok := s.Catalog().Alerts[name]
	if !ok {
		return nil, fmt.Errorf("there is no alert rule %q (no alerts/%s.yaml)", name, name)
	}
	now := s.now()
	check, claimed, err := s.DB.ClaimAlertCheck(ctx, name, now.Truncate(time.Second), now, checkStale, now, checkAttempts)
	if err != nil {
		return nil, err
	}
	if claimed {
		s.check(ctx, rule, check)
	}
	s.Deliver(ctx)
	return check, nil
}

// check evaluates a claimed check, fires or recovers, and records the
// outcome.
func (s *Service) check(ctx context.Context, rule *catalog.Alert, check *store.AlertCheck) {
	log := s.log().With("rule", rule.Name, "due", check.DueAt)
	now := s.now()
	finish := func(period, status string, value *float64, msg string) {
		if err := record(ctx, func(ctx context.Context) error {
			return s.DB.FinishAlertCheck(ctx, check.ID, period, status, value, msg, s.now())
		}); err != nil {
			log.Error("alert checked, and the outcome was not recorded", "status", status, "err", err)
		}
	}
	o, err := s.Evaluate(ctx, rule, check.DueAt)
	if err != nil {
		msg := report.Redacted(err).Error()
		log.Warn("alert check failed", "attempt", check.Attempts, "err", msg)
		finish("", store.CheckFailed, nil, msg)
		return
	}
	value := &o.Tile.Value
	if !o.Tile.HasValue {
		value = nil
	}
	switch o.Status {
	case store.CheckFiring:
		f := store.AlertFiring{
			Rule: rule.Name, Period: o.Key, Dashboard: rule.Dashboard, Tile: rule.Tile, Title: rule.Title,
			Condition: rule.Condition, Value: o.Tile.Value, Message: o.Message, FiredAt: now,
		}
		if o.Tile.HasPrevious {
			f.Previous.Float64, f.Previous.Valid = o.Tile.Previous, true
		}
		if rule.Threshold != nil {
			f.Threshold.Float64, f.Threshold.Valid = *rule.Threshold, true
		}
		firing, claimed, err := s.DB.ClaimAlertFiring(ctx, f, func(id int64) []store.NewNotice {
			f.ID = id
			return s.notices(rule, o, &f, kindFired)
		})
		switch {
		case err != nil:
			log.Error("recording an alert firing", "err", err)
			finish(o.Key, store.CheckFailed, value, "recording the firing: "+err.Error())
			return
		case claimed:
			log.Warn("alert fired", "period", o.Key, "value", o.Tile.Value, "message", o.Message)
		default:
			log.Debug("alert still firing", "period", o.Key, "firing", firing.ID)
		}
	case store.CheckOK:
		firing, err := s.DB.RecoverAlert(ctx, rule.Name, o.Tile.Value, o.Key, now, func(id int64) []store.NewNotice {
			return s.notices(rule, o, &store.AlertFiring{ID: id}, kindRecovered)
		})
		if err != nil {
			log.Error("recording an alert's recovery", "err", err)
			finish(o.Key, store.CheckFailed, value, "recording the recovery: "+err.Error())
			return
		}
		if firing != nil {
			log.Info("alert recovered", "period", o.Key, "value", o.Tile.Value, "fired_for", firing.Period)
		}
	}
	finish(o.Key, o.Status, value, o.Message)
}

// Deliver sends every notice that is due, one at a time, each claimed so
// that no other replica sends it meanwhile. A failure is retried with
// backoff; a webhook that refuses the message (4xx) or a mail server that
// refuses it for good (5xx) is not, and after MaxAttempts the notice is
// given up. Delivery is at least once: a notice sent just before its
// process died is sent again when its claim runs out.
func (s *Service) Deliver(ctx context.Context) {
	timeout := s.SendTimeout
	if timeout <= 0 {
		timeout = defaultSendTimeout
	}
	for ctx.Err() == nil {
		now := s.now()
		n, err := s.DB.ClaimDueNotice(ctx, now, now.Add(2*timeout))
		if err != nil {
			s.log().Error("claiming an alert notice", "err", err)
			return
		}
		if n == nil {
			return
		}
		s.beat.Expect(s.now().Add(timeout + 3*bookkeeping))
		log := s.log().With("notice", n.ID, "firing", n.FiringID, "kind", n.Kind, "channel", n.Channel, "target", displayTarget(n.Target), "attempt", n.Attempts+1)
		sctx, cancel := context.WithTimeout(ctx, timeout)
		err = s.send(sctx, n)
		cancel()
		if err == nil {
			if err := record(ctx, func(ctx context.Context) error { return s.DB.MarkNoticeSent(ctx, n.ID, s.now()) }); err != nil {
				log.Error("notice sent, and that was not recorded: it may be sent again", "err", err)
				return
			}
			log.Info("alert notice sent")
			continue
		}
		attempt := n.Attempts + 1
		var next time.Time
		if !permanent(err) && attempt < s.maxAttempts() {
			next = s.now().Add(max(s.backoff(attempt), webhook.RetryAfter(err)))
		}
		// Webhook errors name the host only, mail errors never the password.
		msg := err.Error()
		if rerr := record(ctx, func(ctx context.Context) error { return s.DB.MarkNoticeFailed(ctx, n.ID, msg, next) }); rerr != nil {
			log.Error("notice failed, and the attempt was not recorded", "err", msg, "record_err", rerr)
			return
		}
		if next.IsZero() {
			log.Error("alert notice failed, giving up", "err", msg)
		} else {
			log.Warn("alert notice failed, will retry", "next", next, "err", msg)
		}
	}
}

// send makes one delivery attempt of a notice.
func (s *Service) send(ctx context.Context, n *store.AlertNotice) error {
	switch n.Channel {
	case channelEmail:
		if s.Mail == nil {
			return errors.New("mail is not configured (OPSBOARD_SMTP_URL)")
		}
		return s.Mail.SendRaw(ctx, s.From, []string{n.Target}, n.Body)
	case channelWebhook:
		address, err := s.webhookURL(n.Target)
		if err != nil {
			return err
		}
		sender := s.Webhooks
		if sender == nil {
			sender = &webhook.Sender{}
		}
		return sender.Post(ctx, address, n.Body)
	}
	return fmt.Errorf("unknown notice channel %q", n.Channel)
}

// webhookURL resolves a webhook target ("url:…" or "env:NAME").
func (s *Service) webhookURL(target string) (string, error) {
	if name, ok := strings.CutPrefix(target, "env:"); ok {
		if v := strings.TrimSpace(s.getenv(name)); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("the environment variable %s (the webhook's address) is not set", name)
	}
	if u, ok := strings.CutPrefix(target, "url:"); ok {
		return u, nil
	}
	return "", fmt.Errorf("unknown webhook target %q", displayTarget(target))
}

// permanent reports whether a failed attempt cannot succeed later.
func permanent(err error) bool {
	return webhook.IsPermanent(err) || mailPermanent(err)
}

// displayTarget shows a notice's target without a webhook's secret: an
// address keeps only its scheme and host.
func displayTarget(target string) string {
	if u, ok := strings.CutPrefix(target, "url:"); ok {
		return "webhook " + redactURL(u)
	}
	if name, ok := strings.CutPrefix(target, "env:"); ok {
		return "webhook $" + name
	}
	return target
}
