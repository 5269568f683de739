// Package webhook posts opsboard's notices as JSON to chat channels and
// automations: alerts that fire and recover, and (through package
// delivery) the daily report.
//
// A Notice is what opsboard has to say; Body writes it in one of two
// formats: "slack", the {"text": "…"} that Slack and Microsoft Teams
// incoming webhooks accept, and "generic", every field for a program to
// read. A Sender POSTs a body and says, in its error, whether trying again
// later can help (IsPermanent). Webhook addresses are secrets (a Slack
// address is its own credential), so errors name the host only.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Formats a webhook can take.
const (
	FormatSlack   = "slack"
	FormatGeneric = "generic"
)

// Notice is one message to a webhook.
type Notice struct {
	// Kind says what happened, for programs: "alert.fired",
	// "alert.recovered", "report.sent".
	Kind string
	// Title is the one-line headline.
	Title string
	// Text is the body: plain text, one point per line.
	Text string
	// Link is the page in opsboard to open; optional.
	Link string
	// ImageURL is a chart image the target may show; optional.
	ImageURL string
	// Fields carry everything a program may want (the generic format
	// only): rule, dashboard, value, threshold, period, run ID, ….
	Fields map[string]any
}

// Body writes n in format (FormatSlack, or FormatGeneric; "" is slack).
func Body(format string, n Notice) ([]byte, error) {
	switch format {
	case FormatSlack, "":
		return json.Marshal(struct {
			Text string `json:"text"`
		}{slackText(n)})
	case FormatGeneric:
		return json.Marshal(struct {
			Kind     string         `json:"kind"`
			Title    string         `json:"title"`
			Text     string         `json:"text"`
			Link     string         `json:"link,omitempty"`
			ImageURL string         `json:"image_url,omitempty"`
			Fields   map[string]any `json:"fields,omitempty"`
		}{n.Kind, n.Title, n.Text, n.Link, n.ImageURL, n.Fields})
	}
	return nil, apperr.Invalid("webhook: unknown format %q (use slack or generic)", format)
}

// slackText is the notice as one message: the title, the text, then the
// links on lines of their own, which Slack and Teams both turn into links.
// Characters Slack reads as markup (&, <, >) are escaped as it asks.
func slackText(n Notice) string {
	var lines []string
	if n.Title != "" {
		lines = append(lines, "*"+slackEscape(n.Title)+"*")
	}
	if n.Text != "" {
		lines = append(lines, slackEscape(n.Text))
	}
	if n.ImageURL != "" {
		lines = append(lines, n.ImageURL)
	}
	if n.Link != "" {
		lines = append(lines, n.Link)
	}
	return strings.Join(lines, "\n")
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackEscaper.Replace(s) }

// Sender posts bodies to webhooks. Its zero value is ready to use.
type Sender struct {
	// Client makes the requests; default: one that follows no redirects
	// (a webhook that moved is a configuration to fix, and a redirected
	// POST would become a GET).
	Client *http.Client
	// Timeout bounds one POST; default 30s.
	Timeout time.Duration
	// UserAgent is sent with every request; default "opsboard".
	UserAgent string
}

var defaultClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Error is a failed POST. Its text names the webhook's host, never its
// path or query, which often are the webhook's secret.
type Error struct {
	Host   string
	Status int // the HTTP status; 0 when there was no answer
	// Permanent is true when sending the same body again cannot help
	// (the webhook refused it: 4xx other than 408, 425 and 429).
	Permanent bool
	// RetryAfter is how long the webhook asked to wait (Retry-After).
	RetryAfter time.Duration
	msg        string
	err        error
}

func (e *Error) Error() string { return "webhook " + e.Host + ": " + e.msg }
func (e *Error) Unwrap() error { return e.err }

// Is reports a failure that may pass as unavailable, and a refused body
// as invalid.
func (e *Error) Is(target error) bool {
	if e.Permanent {
		return target == apperr.ErrInvalid
	}
	return target == apperr.ErrUnavailable
}

// IsPermanent reports whether err says that posting the same body again
// cannot succeed.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// RetryAfter is the wait a webhook asked for in its refusal, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// Post sends body as application/json to address and succeeds on any 2xx
// answer.
func (s *Sender) Post(ctx context.Context, address string, body []byte) error {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &Error{Host: "(bad address)", Permanent: true, msg: "want an https:// (or http://) address", err: apperr.ErrInvalid}
	}
	fail := func(status int, permanent bool, format string, args ...any) *Error {
		return &Error{Host: u.Host, Status: status, Permanent: permanent, msg: fmt.Sprintf(format, args...)}
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fail(0, true, "%v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	ua := s.UserAgent
	if ua == "" {
		ua = "opsboard"
	}
	req.Header.Set("User-Agent", ua)
	client := s.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error quotes the whole address: keep only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctx.Err() != nil {
			e := fail(0, false, "no answer within %s", timeout)
			e.err = ctx.Err()
			return e
		}
		e := fail(0, false, "%v", err)
		e.err = err
		return e
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	said := shortText(answer)
	if said != "" {
		said = ": " + said
	}
	switch code := resp.StatusCode; {
	case code >= 300 && code < 400:
		return fail(code, true, "answered %d (a redirect; use the address it moved to)", code)
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code == http.StatusTooManyRequests:
		e := fail(code, false, "answered %d%s", code, said)
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
		return e
	case code >= 400 && code < 500:
		return fail(code, true, "refused the message with %d%s", code, said)
	default:
		e := fail(code, false, "answered %d%s", code, said)
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
		return e
	}
}

// shortText is the start of a webhook's answer, on one line, when it is text.
func shortText(b []byte) string {
	if !utf8.Valid(b) {
		return ""
	}
	r := []rune(strings.Join(strings.Fields(string(b)), " "))
	if len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return string(r)
}

// retryAfter reads a Retry-After header given in seconds (capped at an
// hour); dates and nonsense are ignored.
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, time.Hour)
}
