package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wneessen/go-mail/smtp"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Config is where and how mail is sent.
type Config struct {
	// URL is the SMTP server, e.g. smtp://user:pass@host:587 or
	// smtps://user:pass@host:465; see ParseURL for the options.
	URL string
	// From is used for messages that have no From of their own.
	From string
}

// Transport sends a built message to some recipients: a Sender, or
// whatever a test puts in its place. Reports and alert notices both go
// through one.
type Transport interface {
	SendRaw(ctx context.Context, from string, rcpt []string, raw []byte) error
}

// Sender sends messages over SMTP, one connection per Send. It holds no
// mutable state and is safe for concurrent use.
type Sender struct {
	ep   *Endpoint
	from string
	helo string
}

// NewSender validates cfg and returns a Sender. It does not connect.
func NewSender(cfg Config) (*Sender, error) {
	ep, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.From != "" {
		if _, err := mail.ParseAddress(cfg.From); err != nil {
			return nil, apperr.Invalid("mail: From address %q: %v", cfg.From, err)
		}
	}
	helo, err := os.Hostname()
	if err != nil || helo == "" || strings.ContainsAny(helo, " \t\r\n") {
		helo = "localhost"
	}
	return &Sender{ep: ep, from: cfg.From, helo: helo}, nil
}

// Endpoint is the parsed server URL; it prints with the password redacted.
func (s *Sender) Endpoint() *Endpoint { return s.ep }

// Send delivers msg to exactly the addresses in rcpt (the envelope RCPT
// TO), which may be a subset of msg.To and msg.Cc: the caller sends one
// message per recipient so each delivery is recorded separately, while the
// headers still show the whole To/Cc list. A msg without From gets
// Config.From. Set msg.MessageID to keep the same Message-ID across retries.
//
// Send either has the server accept the message for every rcpt or returns
// an *Error; IsPermanent says whether retrying can help. Cancelling ctx
// aborts the conversation.
func (s *Sender) Send(ctx context.Context, msg *Message, rcpt []string) error {
	if msg == nil {
		return s.permanent("build", apperr.Invalid("mail: no message"))
	}
	m := *msg
	if m.From == "" {
		m.From = s.from
	}
	raw, err := Build(&m)
	if err != nil {
		return s.permanent("build", err)
	}
	return s.SendRaw(ctx, m.From, rcpt, raw)
}

// SendRaw delivers an already built message (as Build returns it) to
// exactly rcpt. The archive keeps the built message, so a retry or a
// resumed run sends the very same bytes.
func (s *Sender) SendRaw(ctx context.Context, fromAddr string, rcpt []string, raw []byte) error {
	if fromAddr == "" {
		fromAddr = s.from
	}
	from, err := mail.ParseAddress(fromAddr)
	if err != nil {
		return s.permanent("mail from", apperr.Invalid("mail: From %q: %v", fromAddr, err))
	}
	if len(rcpt) == 0 {
		return s.permanent("rcpt to", apperr.Invalid("mail: no recipients given"))
	}
	to := make([]string, len(rcpt))
	for i, r := range rcpt {
		a, err := mail.ParseAddress(r)
		if err != nil {
			return s.permanent("rcpt to", apperr.Invalid("mail: recipient %q: %v", r, err))
		}
		to[i] = a.Address
	}
	return s.deliver(ctx, from.Address, to, raw)
}

// deliver runs one SMTP conversation: connect, EHLO, STARTTLS, AUTH,
// MAIL, RCPT…, DATA, QUIT. go-mail's Client is not used for this because
// it takes the envelope recipients from the To/Cc/Bcc headers; its smtp
// package (a net/smtp fork) gives us the envelope.
func (s *Sender) deliver(ctx context.Context, from string, to []string, raw []byte) error {
	ep := s.ep
	if err := ctx.Err(); err != nil {
		return s.fail(ctx, "connect", err)
	}
	dialer := &net.Dialer{Timeout: ep.Timeout}
	var conn net.Conn
	var err error
	if ep.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: s.tlsConfig()}).DialContext(ctx, "tcp", ep.Addr())
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", ep.Addr())
	}
	if err != nil {
		return s.fail(ctx, "connect", err)
	}
	defer conn.Close()
	// Closing the connection unblocks whatever step is waiting on it.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	// Each step gets the configured timeout (or less, if ctx ends sooner).
	step := func() {
		deadline := time.Now().Add(ep.Timeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = conn.SetDeadline(deadline)
	}

	step()
	c, err := smtp.NewClient(conn, ep.Host) // reads the 220 greeting
	if err != nil {
		return s.fail(ctx, "greeting", err)
	}
	step()
	if err := c.Hello(s.helo); err != nil {
		return s.fail(ctx, "hello", err)
	}

	encrypted := ep.TLS == TLSImplicit
	if ep.TLS == TLSOpportunistic || ep.TLS == TLSRequired {
		if ok, _ := c.Extension("STARTTLS"); ok {
			step()
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return s.fail(ctx, "starttls", err)
			}
			encrypted = true
		} else if ep.TLS == TLSRequired {
			return s.permanent("starttls", errors.New("the server does not offer STARTTLS and the URL says tls=required"))
		}
	}

	if ep.authenticates() {
		step()
		if err := s.auth(ctx, c, encrypted); err != nil {
			return err
		}
	}

	step()
	if err := c.Mail("<" + from + ">"); err != nil {
		return s.fail(ctx, "mail from", err)
	}
	for _, r := range to {
		step()
		if err := c.Rcpt("<" + r + ">"); err != nil {
			return s.fail(ctx, "rcpt to <"+r+">", err)
		}
	}
	step()
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, "data", err)
	}
	// Write in chunks, each with a fresh deadline: the timeout bounds a
	// stalled server, not the time a large PDF takes on a slow link.
	for rest := raw; len(rest) > 0; {
		n := min(len(rest), 64<<10)
		step()
		if _, err := w.Write(rest[:n]); err != nil {
			return s.fail(ctx, "data", err)
		}
		rest = rest[n:]
	}
	step()
	if err := w.Close(); err != nil { // the server's verdict on the message
		return s.fail(ctx, "data", err)
	}
	step()
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// auth picks the mechanism and authenticates. The password goes over the
// wire in the clear with PLAIN and LOGIN, so those are used only on an
// encrypted connection or to a loopback server.
func (s *Sender) auth(ctx context.Context, c *smtp.Client, encrypted bool) error {
	ep := s.ep
	ok, list := c.Extension("AUTH")
	if !ok {
		return s.permanent("auth", errors.New("the server does not offer SMTP AUTH; drop the user from the URL or add auth=none"))
	}
	offered := strings.Fields(strings.ToUpper(list))
	safe := encrypted || isLoopback(ep.Host)
	mode := ep.Auth
	if mode == AuthAuto {
		switch {
		case safe && slices.Contains(offered, "PLAIN"):
			mode = AuthPlain
		case safe && slices.Contains(offered, "LOGIN"):
			mode = AuthLogin
		case slices.Contains(offered, "CRAM-MD5"):
			mode = AuthCRAMMD5
		case slices.Contains(offered, "PLAIN") || slices.Contains(offered, "LOGIN"):
			return s.permanent("auth", errors.New("refusing to send the password over an unencrypted connection: use tls=required or smtps://"))
		default:
			return s.permanent("auth", fmt.Errorf("the server offers AUTH %s; opsboard supports PLAIN, LOGIN and CRAM-MD5", list))
		}
	}
	var a smtp.Auth
	switch mode {
	case AuthPlain, AuthLogin:
		if !safe {
			return s.permanent("auth", errors.New("refusing to send the password over an unencrypted connection: use tls=required or smtps://"))
		}
		// Encryption was checked above with a broader notion of loopback
		// than go-mail's ("localhost", 127.0.0.1, ::1), hence allowUnenc.
		if mode == AuthPlain {
			a = smtp.PlainAuth("", ep.User, ep.password, ep.Host, true)
		} else {
			a = smtp.LoginAuth(ep.User, ep.password, ep.Host, true)
		}
	case AuthCRAMMD5:
		a = smtp.CRAMMD5Auth(ep.User, ep.password)
	}
	if err := c.Auth(a); err != nil {
		return s.fail(ctx, "auth", err)
	}
	return nil
}

func (s *Sender) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName:         s.ep.Host,
		InsecureSkipVerify: s.ep.InsecureSkipVerify, //nolint:gosec // opt-in via the URL, for tests
		MinVersion:         tls.VersionTLS12,
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Error is a failed delivery attempt. Permanent errors (a 5xx reply, or a
// message or configuration that cannot work) must not be retried; the
// others (network trouble, a 4xx reply, cancellation) may be. Its text
// never contains the SMTP password. A temporary Error matches
// apperr.ErrUnavailable with errors.Is.
type Error struct {
	Op        string // the step that failed: build, connect, greeting, hello, starttls, auth, mail from, rcpt to <addr>, data
	Code      int    // the SMTP reply code, 0 when the failure was not a reply
	Permanent bool
	Err       error

	msg string
}

// Error says which step failed, against which server, and why.
func (e *Error) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return fmt.Sprintf("mail: %s: %v", e.Op, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is makes temporary errors match apperr.ErrUnavailable.
func (e *Error) Is(target error) bool { return target == apperr.ErrUnavailable && !e.Permanent }

// IsPermanent reports whether err is a failure that retrying cannot fix:
// a 5xx SMTP reply, an invalid message or recipient, or a server that
// cannot work with the configuration. Network errors, 4xx replies and
// cancellation are not permanent.
func IsPermanent(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Permanent
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500
	}
	return false
}

// fail wraps an error from a protocol step, classified by its reply code.
func (s *Sender) fail(ctx context.Context, op string, err error) error {
	e := &Error{Op: op, Err: err}
	var te *textproto.Error
	switch {
	case errors.As(err, &te):
		e.Code = te.Code
		e.Permanent = te.Code >= 500
	case ctx.Err() != nil:
		// The connection was closed under us because ctx ended.
		e.Err = context.Cause(ctx)
	case pastDeadline(ctx):
		// The step's deadline was ctx's own and the read timed out just
		// before ctx noticed: say why ctx ended, not "i/o timeout".
		<-ctx.Done()
		e.Err = context.Cause(ctx)
	}
	e.msg = s.message(op, e.Err)
	return e
}

// pastDeadline reports whether ctx has a deadline that has passed.
func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// permanent wraps an error that retrying cannot fix.
func (s *Sender) permanent(op string, err error) error {
	return &Error{Op: op, Permanent: true, Err: err, msg: s.message(op, err)}
}

// message is the text of an Error: the step, the server and the cause,
// with the password scrubbed from anything a server or library said.
func (s *Sender) message(op string, err error) string {
	cause := strings.TrimPrefix(err.Error(), "mail: ")
	return s.ep.redact(fmt.Sprintf("mail: %s via %s: %s", op, s.ep.describe(), cause))
}
