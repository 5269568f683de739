// Package mailtest runs a real SMTP server on loopback for tests, built on
// github.com/emersion/go-smtp. It records every accepted message, can
// require AUTH PLAIN, can refuse the first N delivery attempts with a 4xx
// or 5xx reply (to test retries), and can speak STARTTLS or implicit TLS
// with a self-signed certificate. To test timeouts it can also misbehave
// the way real servers do: answer each DATA slowly, never greet, stop
// answering at the RCPT of chosen recipients, or drop the connection in
// the middle of DATA.
//
//	srv := mailtest.Start(t, mailtest.Options{User: "u", Pass: "p", FailFirst: 1})
//	sender, _ := mail.NewSender(mail.Config{URL: srv.URL(), From: "ops@example.com"})
//	...
//	got := srv.WaitFor(1, 5*time.Second)
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configures a test server. The zero value accepts every message
// without authentication over plain TCP.
type Options struct {
	// User and Pass, when User is set, make the server offer AUTH PLAIN,
	// check the credentials (535 on a mismatch) and refuse MAIL from
	// sessions that have not authenticated.
	User, Pass string
	// FailFirst refuses the first FailFirst delivery attempts (mail
	// transactions); later ones are accepted.
	FailFirst int
	// FailCode is the reply code of a refusal: 451 (the default,
	// temporary) or 550 (permanent).
	FailCode int
	// FailOn is the command refused: "data" (the default) or "rcpt".
	FailOn string
	// STARTTLS makes the server offer STARTTLS with a self-signed
	// certificate; URL then adds insecure_skip_verify=1.
	STARTTLS bool
	// ImplicitTLS speaks TLS from the first byte (smtps) with a
	// self-signed certificate; URL then uses smtps:// and
	// insecure_skip_verify=1.
	ImplicitTLS bool

	// DataDelay is how long the server takes to accept each message:
	// the reply to DATA comes that long after the message has arrived
	// (SetDataDelay changes it later).
	DataDelay time.Duration
	// Silent makes the server accept connections and never send its
	// greeting (a hung server); SetSilent changes it later.
	Silent bool
	// HangRcpt lists recipients at whose RCPT TO the server stops
	// answering, until the client goes away.
	HangRcpt []string
	// DropFirst closes the connection in the middle of the DATA of the
	// first DropFirst mail transactions; those messages are not accepted.
	DropFirst int
}

// Received is one message the server accepted.
type Received struct {
	From string   // envelope MAIL FROM
	To   []string // envelope RCPT TO, in order
	Data []byte   // the message as received (headers and body, CRLF line ends)
	TLS  bool     // whether the session was encrypted
	User string   // the authenticated user, "" without AUTH
}

// Server is a running test SMTP server. Its methods are safe for
// concurrent use.
type Server struct {
	tb   testing.TB
	opts Options
	srv  *smtp.Server
	addr string

	stop chan struct{} // closed when the test ends: hung replies give up

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever msgs grows
	msgs     []Received
	attempts int
	silent   bool
	held     []net.Conn    // connections that were never greeted
	delay    time.Duration // DataDelay, as SetDataDelay changed it
	delaying int           // DATA replies being held back now
	release  chan struct{} // closed and replaced by Release
}

// Start starts a server on 127.0.0.1:0 and stops it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.FailCode == 0 {
		opts.FailCode = 451
	}
	if opts.FailOn == "" {
		opts.FailOn = "data"
	}
	if opts.FailOn != "data" && opts.FailOn != "rcpt" {
		tb.Fatalf("mailtest: FailOn = %q, want \"data\" or \"rcpt\"", opts.FailOn)
	}
	s := &Server{tb: tb, opts: opts, changed: make(chan struct{}), stop: make(chan struct{}), silent: opts.Silent, delay: opts.DataDelay, release: make(chan struct{})}

	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback only
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 50 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0) // tests judge by replies, not by server logs

	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("mailtest: listen: %v", err)
	}
	var ln net.Listener = &silencer{Listener: tcp, srv: s}
	if opts.STARTTLS || opts.ImplicitTLS {
		cfg := selfSigned(tb)
		if opts.ImplicitTLS {
			ln = tls.NewListener(ln, cfg)
		} else {
			srv.TLSConfig = cfg
		}
	}
	s.srv = srv
	s.addr = ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		close(s.stop)
		s.mu.Lock()
		for _, c := range s.held {
			_ = c.Close()
		}
		s.mu.Unlock()
		_ = srv.Close()
		// go-smtp's Close misses a listener that Serve has not registered
		// yet (a server closed right after Start); closing it ourselves
		// always ends Serve.
		_ = ln.Close()
		<-done
	})
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL is an SMTP URL for the server: smtp://user:pass@127.0.0.1:port
// (credentials only when Options.User is set; smtps:// and
// ?insecure_skip_verify=1 with TLS options).
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.addr}
	if s.opts.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if s.opts.User != "" {
		u.User = url.UserPassword(s.opts.User, s.opts.Pass)
	}
	if s.opts.STARTTLS || s.opts.ImplicitTLS {
		u.RawQuery = "insecure_skip_verify=1"
	}
	return u.String()
}

// SetSilent makes the server stop greeting new connections (true) or
// greet them again (false). Connections already held stay silent.
func (s *Server) SetSilent(silent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent = silent
}

// SetDataDelay changes how long the server takes to accept each message
// from now on; replies already being held back keep their delay.
func (s *Server) SetDataDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Delaying is the number of messages received in full whose reply the
// server is holding back now (DataDelay): a client killed meanwhile never
// learns that its message was accepted.
func (s *Server) Delaying() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delaying
}

// Release ends the waits of the replies being held back now: their
// messages are accepted at once.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.release)
	s.release = make(chan struct{})
}

// Messages returns a copy of the messages accepted so far, in order.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.msgs)
}

// Attempts is the number of mail transactions (MAIL FROM) seen so far,
// refused ones included.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// WaitFor waits until at least n messages have been accepted and returns
// them all. After timeout it fails the test (so call it from the test's
// goroutine).
func (s *Server) WaitFor(n int, timeout time.Duration) []Received {
	s.tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			msgs := cloneAll(s.msgs)
			s.mu.Unlock()
			return msgs
		}
		changed, got := s.changed, len(s.msgs)
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			s.tb.Fatalf("mailtest: got %d messages after %v, want %d", got, timeout, n)
			return nil
		}
	}
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

// begin counts a mail transaction and reports whether it is to be
// refused, and whether its connection is to be dropped during DATA.
func (s *Server) begin() (refuse, drop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	return s.attempts <= s.opts.FailFirst, s.attempts <= s.opts.DropFirst
}

// silencer hands go-smtp only the connections it is to greet; while the
// server is silent it holds the others open without a word until the
// client gives up or the test ends.
type silencer struct {
	net.Listener
	srv *Server
}

func (l *silencer) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		s := l.srv
		s.mu.Lock()
		silent := s.silent
		if silent {
			s.held = append(s.held, c)
		}
		s.mu.Unlock()
		if !silent {
			return c, nil
		}
		go func() {
			_, _ = io.Copy(io.Discard, c) // until the client closes, or cleanup does
			_ = c.Close()
		}()
	}
}

// hang stops answering on c until the client closes it or the test ends.
func (s *Server) hang(c net.Conn) {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-s.stop:
			_ = c.Close()
		case <-done:
		}
	}()
	for {
		_ = c.SetReadDeadline(time.Time{})
		if _, err := c.Read(make([]byte, 512)); err != nil {
			return
		}
	}
}

// holdReply waits the current DataDelay before DATA is answered. A message
// held back is accepted when the wait is over even if its client went away
// meanwhile, as a real server that has queued it delivers it: the window in
// which a sender cannot know whether its message went out.
func (s *Server) holdReply() error {
	s.mu.Lock()
	d, release := s.delay, s.release
	if d > 0 {
		s.delaying++
	}
	s.mu.Unlock()
	if d <= 0 {
		return nil
	}
	defer func() {
		s.mu.Lock()
		s.delaying--
		s.mu.Unlock()
	}()
	select {
	case <-time.After(d):
		return nil
	case <-release:
		return nil
	case <-s.stop:
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 0, 0}, Message: "mailtest: stopping"}
	}
}

func (s *Server) store(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, r)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) refusal() error {
	code := s.opts.FailCode
	class := code / 100
	return &smtp.SMTPError{
		Code:         code,
		EnhancedCode: smtp.EnhancedCode{class, 0, 0},
		Message:      fmt.Sprintf("mailtest: refused (%d) as configured", code),
	}
}

// session is one SMTP connection's state.
type session struct {
	srv    *Server
	conn   *smtp.Conn
	user   string // after a successful AUTH
	from   string
	to     []string
	refuse bool
	drop   bool
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string {
	if s.srv.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if s.srv.opts.User == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if (identity != "" && identity != user) || user != s.srv.opts.User || pass != s.srv.opts.Pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.User != "" && s.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.from = from
	s.to = nil
	s.refuse, s.drop = s.srv.begin()
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if slices.Contains(s.srv.opts.HangRcpt, to) {
		s.srv.hang(s.conn.Conn())
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 0, 0}, Message: "mailtest: hung as configured"}
	}
	if s.refuse && s.srv.opts.FailOn == "rcpt" {
		return s.srv.refusal()
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if s.drop {
		_, _ = io.CopyN(io.Discard, r, 512) // part of the message, then the line goes dead
		_ = s.conn.Conn().Close()
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 0, 0}, Message: "mailtest: dropped as configured"}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.srv.holdReply(); err != nil {
		return err
	}
	if s.refuse && s.srv.opts.FailOn == "data" {
		return s.srv.refusal()
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.store(Received{From: s.from, To: append([]string(nil), s.to...), Data: data, TLS: isTLS, User: s.user})
	return nil
}

func (s *session) Reset() {
	s.from, s.to, s.refuse, s.drop = "", nil, false, false
}

func (s *session) Logout() error { return nil }

func cloneAll(msgs []Received) []Received {
	out := make([]Received, len(msgs))
	for i, m := range msgs {
		out[i] = Received{From: m.From, To: append([]string(nil), m.To...), Data: append([]byte(nil), m.Data...), TLS: m.TLS, User: m.User}
	}
	return out
}

// selfSigned makes a throwaway certificate for 127.0.0.1 and localhost.
func selfSigned(tb testing.TB) *tls.Config {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("mailtest: key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailtest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("mailtest: certificate: %v", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
	}
}
