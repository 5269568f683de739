package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/mail"
	"github.com/opsboard/opsboard/internal/mail/mailtest"
)

const subject = "Ops daily — 2026-11-21 ✓"

// testPNG is a real PNG of the given colour.
func testPNG(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 4))
	for x := range 8 {
		for y := range 4 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testPDF is PDF-looking bytes with every byte value in it, so a
// transfer encoding that is not binary-safe shows.
func testPDF() []byte {
	b := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	for i := range 200_000 {
		b = append(b, byte(i))
	}
	return append(b, "\n%%EOF\n"...)
}

func reportMessage(t *testing.T) *mail.Message {
	t.Helper()
	return &mail.Message{
		From:    "Opsboard <reports@example.com>",
		To:      []string{"Ops Leads <ops-leads@example.com>", "ana@example.com"},
		Cc:      []string{"marketing@example.com"},
		Subject: subject,
		Text: "Ops daily — 21 Nov 2026\n\nCSAT 4.62 (+0.05) ✓\nOn-time delivery 93.1 %\n" +
			strings.Repeat("A long line that quoted-printable has to wrap. ", 5) + "\n",
		HTML: `<!doctype html><html><body><table role="presentation"><tr><td>` +
			`<p>CSAT 4.62 — on target ✓</p>` +
			`<img src="cid:chart-csat@opsboard" width="600" alt="CSAT">` +
			`<img src="cid:chart-ontime@opsboard" width="600" alt="On-time">` +
			`</td></tr></table></body></html>`,
		Inline: []mail.Part{
			{Name: "chart-csat.png", ContentID: "chart-csat@opsboard", ContentType: "image/png", Data: testPNG(t, color.RGBA{R: 200, A: 255})},
			{Name: "chart-ontime.png", ContentID: "chart-ontime@opsboard", ContentType: "image/png", Data: testPNG(t, color.RGBA{B: 200, A: 255})},
		},
		Attachments: []mail.Part{{Name: "ops-daily-2026-11-21.pdf", ContentType: "application/pdf", Data: testPDF()}},
		Headers:     map[string]string{"X-Opsboard-Run": "42"},
		MessageID:   "run-42.ana@example.com",
	}
}

// node is one MIME entity of a parsed message, its body decoded.
type node struct {
	mediaType string
	params    map[string]string
	header    textproto.MIMEHeader
	body      []byte
	children  []*node
}

func (n *node) String() string {
	if len(n.children) == 0 {
		return n.mediaType
	}
	var parts []string
	for _, c := range n.children {
		parts = append(parts, c.String())
	}
	return n.mediaType + "{" + strings.Join(parts, ", ") + "}"
}

// parseEntity parses a MIME entity recursively with mime/multipart, using
// raw parts so the Content-Transfer-Encoding header stays visible.
func parseEntity(t *testing.T, header textproto.MIMEHeader, body io.Reader) *node {
	t.Helper()
	mt, params, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", header.Get("Content-Type"), err)
	}
	n := &node{mediaType: mt, params: params, header: header}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: next part: %v", mt, err)
			}
			n.children = append(n.children, parseEntity(t, p.Header, p))
		}
		return n
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	switch cte := strings.ToLower(header.Get("Content-Transfer-Encoding")); cte {
	case "quoted-printable":
		n.body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
	case "base64":
		n.body, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
	default:
		t.Fatalf("%s: Content-Transfer-Encoding %q, want quoted-printable or base64", mt, cte)
	}
	if err != nil {
		t.Fatalf("%s: decoding body: %v", mt, err)
	}
	return n
}

func parseMessage(t *testing.T, raw []byte) (*netmail.Message, *node) {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail: %v\n%s", err, raw)
	}
	return m, parseEntity(t, textproto.MIMEHeader(m.Header), m.Body)
}

func crlfToLF(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", "\n") }

func newSender(t *testing.T, rawURL string) *mail.Sender {
	t.Helper()
	s, err := mail.NewSender(mail.Config{URL: rawURL, From: "Opsboard <reports@example.com>"})
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	return s
}

func TestSendReport(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	want := reportMessage(t)
	if err := newSender(t, srv.URL()).Send(t.Context(), want, []string{"ana@example.com"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("server got %d messages, want 1", len(got))
	}
	rcv := got[0]
	if rcv.From != "reports@example.com" {
		t.Errorf("MAIL FROM = %q, want reports@example.com", rcv.From)
	}
	if !slices.Equal(rcv.To, []string{"ana@example.com"}) {
		t.Errorf("RCPT TO = %q, want exactly [ana@example.com]", rcv.To)
	}

	m, root := parseMessage(t, rcv.Data)

	// Headers: the whole list, not the envelope.
	for key, want := range map[string]string{
		"To":             `"Ops Leads" <ops-leads@example.com>, <ana@example.com>`,
		"Cc":             "<marketing@example.com>",
		"From":           `"Opsboard" <reports@example.com>`,
		"Message-Id":     "<run-42.ana@example.com>",
		"X-Opsboard-Run": "42",
		"Mime-Version":   "1.0",
		"Auto-Submitted": "auto-generated",
	} {
		if got := m.Header.Get(key); got != want {
			t.Errorf("header %s = %q, want %q", key, got, want)
		}
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 2 {
		t.Errorf("To parses to %v (err %v), want 2 addresses", to, err)
	}
	if _, err := m.Header.Date(); err != nil {
		t.Errorf("Date header %q: %v", m.Header.Get("Date"), err)
	}
	rawSubject := m.Header.Get("Subject")
	if !strings.HasPrefix(rawSubject, "=?") {
		t.Errorf("Subject %q is not RFC 2047 encoded", rawSubject)
	}
	var dec mime.WordDecoder
	if s, err := dec.DecodeHeader(rawSubject); err != nil || s != subject {
		t.Errorf("Subject decodes to %q (err %v), want %q", s, err, subject)
	}
	for i, line := range strings.Split(string(rcv.Data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes long; SMTP allows 998", i+1, len(line))
		}
	}

	// The tree.
	const wantTree = "multipart/mixed{multipart/related{multipart/alternative{text/plain, text/html}, image/png, image/png}, application/pdf}"
	if root.String() != wantTree {
		t.Fatalf("MIME tree\n got %s\nwant %s", root, wantTree)
	}
	related, pdf := root.children[0], root.children[1]
	alt := related.children[0]
	plain, html := alt.children[0], alt.children[1]

	for _, p := range []*node{plain, html} {
		if cs := strings.ToLower(p.params["charset"]); cs != "utf-8" {
			t.Errorf("%s charset = %q, want utf-8", p.mediaType, cs)
		}
		if cte := p.header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("%s Content-Transfer-Encoding = %q, want quoted-printable", p.mediaType, cte)
		}
	}
	if got := crlfToLF(plain.body); got != want.Text {
		t.Errorf("text/plain body\n got %q\nwant %q", got, want.Text)
	}
	if got := crlfToLF(html.body); got != want.HTML {
		t.Errorf("text/html body\n got %q\nwant %q", got, want.HTML)
	}

	// Every cid: in the HTML has an inline part with that Content-ID.
	images := map[string]*node{}
	for _, img := range related.children[1:] {
		cid := img.header.Get("Content-Id")
		if !strings.HasPrefix(cid, "<") || !strings.HasSuffix(cid, ">") {
			t.Errorf("Content-ID %q has no angle brackets", cid)
		}
		images[strings.Trim(cid, "<>")] = img
		if d := img.header.Get("Content-Disposition"); !strings.HasPrefix(d, "inline") {
			t.Errorf("image %s: Content-Disposition %q, want inline", cid, d)
		}
		if cte := img.header.Get("Content-Transfer-Encoding"); cte != "base64" {
			t.Errorf("image %s: Content-Transfer-Encoding %q, want base64", cid, cte)
		}
		if _, err := png.Decode(bytes.NewReader(img.body)); err != nil {
			t.Errorf("image %s does not decode as PNG: %v", cid, err)
		}
	}
	refs := regexp.MustCompile(`cid:([^"]+)`).FindAllStringSubmatch(string(html.body), -1)
	if len(refs) != 2 {
		t.Fatalf("HTML has %d cid: references, want 2", len(refs))
	}
	for _, ref := range refs {
		img, ok := images[ref[1]]
		if !ok {
			t.Errorf("HTML references cid:%s; inline parts have %v", ref[1], slices.Collect(mapKeys(images)))
			continue
		}
		var part mail.Part
		for _, p := range want.Inline {
			if p.ContentID == ref[1] {
				part = p
			}
		}
		if !bytes.Equal(img.body, part.Data) {
			t.Errorf("image %s: bytes differ from what was sent", ref[1])
		}
	}

	// The PDF attachment round-trips.
	if cte := pdf.header.Get("Content-Transfer-Encoding"); cte != "base64" {
		t.Errorf("PDF Content-Transfer-Encoding = %q, want base64", cte)
	}
	disp, dparams, err := mime.ParseMediaType(pdf.header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || dparams["filename"] != "ops-daily-2026-11-21.pdf" {
		t.Errorf("PDF Content-Disposition = %q, want attachment; filename=ops-daily-2026-11-21.pdf", pdf.header.Get("Content-Disposition"))
	}
	if !bytes.Equal(pdf.body, want.Attachments[0].Data) {
		t.Errorf("PDF bytes differ: got %d bytes, want %d", len(pdf.body), len(want.Attachments[0].Data))
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestSendOnePerRecipient(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSender(t, srv.URL())
	msg := reportMessage(t)
	rcpts := []string{"ops-leads@example.com", "ana@example.com", "marketing@example.com"}
	for _, r := range rcpts {
		if err := s.Send(t.Context(), msg, []string{r}); err != nil {
			t.Fatalf("Send to %s: %v", r, err)
		}
	}
	got := srv.WaitFor(3, 5*time.Second)
	for i, r := range rcpts {
		if !slices.Equal(got[i].To, []string{r}) {
			t.Errorf("message %d: RCPT TO = %q, want [%s]", i, got[i].To, r)
		}
		m, _ := parseMessage(t, got[i].Data)
		if id := m.Header.Get("Message-Id"); id != "<run-42.ana@example.com>" {
			t.Errorf("message %d: Message-ID = %q, want the stable <run-42.ana@example.com>", i, id)
		}
		if cc := m.Header.Get("Cc"); cc != "<marketing@example.com>" {
			t.Errorf("message %d: Cc = %q, want the whole list", i, cc)
		}
	}
}

func TestSendDefaults(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	msg := &mail.Message{To: []string{"a@example.com"}, Subject: "plain", Text: "hello\n"}
	if err := newSender(t, srv.URL()).Send(t.Context(), msg, []string{"a@example.com"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if msg.From != "" || msg.MessageID != "" {
		t.Errorf("Send modified the caller's message: From %q, MessageID %q", msg.From, msg.MessageID)
	}
	rcv := srv.WaitFor(1, 5*time.Second)[0]
	if rcv.From != "reports@example.com" {
		t.Errorf("MAIL FROM = %q, want Config.From's reports@example.com", rcv.From)
	}
	m, root := parseMessage(t, rcv.Data)
	if root.String() != "text/plain" {
		t.Errorf("MIME tree = %s, want a single text/plain", root)
	}
	if id := m.Header.Get("Message-Id"); !regexp.MustCompile(`^<[0-9a-f]{32}@example\.com>$`).MatchString(id) {
		t.Errorf("generated Message-ID = %q, want <hex@example.com>", id)
	}
	if got := m.Header.Get("Subject"); got != "plain" {
		t.Errorf("ASCII Subject = %q, want it unencoded", got)
	}
}

func TestSendAuth(t *testing.T) {
	const user, pass = "report-bot", "p@ss/w:rd#1 ✓"
	srv := mailtest.Start(t, mailtest.Options{User: user, Pass: pass})

	t.Run("right credentials", func(t *testing.T) {
		if err := newSender(t, srv.URL()).Send(t.Context(), reportMessage(t), []string{"ana@example.com"}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.WaitFor(1, 5*time.Second)[0]; got.User != user {
			t.Errorf("authenticated as %q, want %q", got.User, user)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		const wrong = "hunter2-wrong"
		u := url.URL{Scheme: "smtp", User: url.UserPassword(user, wrong), Host: srv.Addr()}
		err := newSender(t, u.String()).Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
		if err == nil {
			t.Fatal("Send with a wrong password succeeded")
		}
		for _, secret := range []string{wrong, pass} {
			if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
				t.Errorf("error %q contains the password", err)
			}
		}
		var merr *mail.Error
		if !errors.As(err, &merr) || merr.Op != "auth" || merr.Code != 535 {
			t.Errorf("error = %#v, want a *mail.Error for auth with code 535", err)
		}
		if !mail.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = false, want true for a 535", err)
		}
	})

	t.Run("no credentials", func(t *testing.T) {
		u := url.URL{Scheme: "smtp", Host: srv.Addr()}
		err := newSender(t, u.String()).Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
		if err == nil || !mail.IsPermanent(err) {
			t.Errorf("Send without AUTH to a server that requires it: err = %v, want a permanent error", err)
		}
	})

	t.Run("server without AUTH", func(t *testing.T) {
		open := mailtest.Start(t, mailtest.Options{})
		u := url.URL{Scheme: "smtp", User: url.UserPassword(user, pass), Host: open.Addr()}
		err := newSender(t, u.String()).Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
		if err == nil || !mail.IsPermanent(err) || strings.Contains(err.Error(), pass) {
			t.Errorf("err = %v, want a permanent error without the password", err)
		}
	})

	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server accepted %d messages, want only the authenticated one", n)
	}
}

func TestSendRefused(t *testing.T) {
	tests := []struct {
		code      int
		on        string
		permanent bool
		op        string
	}{
		{451, "data", false, "data"},
		{550, "data", true, "data"},
		{451, "rcpt", false, "rcpt to <ana@example.com>"},
		{550, "rcpt", true, "rcpt to <ana@example.com>"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d on %s", tt.code, tt.on), func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.Options{FailFirst: 1, FailCode: tt.code, FailOn: tt.on})
			s := newSender(t, srv.URL())

			err := s.Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
			if err == nil {
				t.Fatal("first Send succeeded, want a refusal")
			}
			if got := mail.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.permanent)
			}
			if got := errors.Is(err, apperr.ErrUnavailable); got != !tt.permanent {
				t.Errorf("errors.Is(%v, ErrUnavailable) = %v, want %v", err, got, !tt.permanent)
			}
			var merr *mail.Error
			if !errors.As(err, &merr) || merr.Code != tt.code || merr.Op != tt.op {
				t.Errorf("error = %#v, want *mail.Error{Op: %q, Code: %d}", err, tt.op, tt.code)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server stored %d messages after a refusal", n)
			}

			// The retry is accepted.
			if err := s.Send(t.Context(), reportMessage(t), []string{"ana@example.com"}); err != nil {
				t.Fatalf("second Send: %v", err)
			}
			if got := srv.WaitFor(1, 5*time.Second); len(got) != 1 {
				t.Errorf("server has %d messages, want 1", len(got))
			}
			if n := srv.Attempts(); n != 2 {
				t.Errorf("Attempts() = %d, want 2", n)
			}
		})
	}
}

func TestSendNetworkErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	ln.Close()

	t.Run("connection refused", func(t *testing.T) {
		err := newSender(t, "smtp://u:s3cret-pw@"+closedAddr).Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
		if err == nil {
			t.Fatal("Send to a closed port succeeded")
		}
		if mail.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = true, want false for a network error", err)
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("error %q contains the password", err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := newSender(t, srv.URL()).Send(ctx, reportMessage(t), []string{"ana@example.com"})
		if !errors.Is(err, context.Canceled) || mail.IsPermanent(err) {
			t.Errorf("err = %v, want a temporary context.Canceled", err)
		}
	})

	t.Run("server that never answers", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		silent := make(chan struct{})
		t.Cleanup(func() { close(silent); ln.Close() })
		go func() {
			c, err := ln.Accept()
			if err == nil {
				<-silent // accept, then never send the 220 greeting
				c.Close()
			}
		}()
		start := time.Now()
		err = newSender(t, "smtp://"+ln.Addr().String()+"?timeout=300ms").Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
		if err == nil || mail.IsPermanent(err) {
			t.Errorf("err = %v, want a temporary timeout error", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Send took %v with timeout=300ms", d)
		}
	})
}

func TestSendTLS(t *testing.T) {
	t.Run("STARTTLS required", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{STARTTLS: true, User: "u", Pass: "pw"})
		if err := newSender(t, srv.URL()+"&tls=required").Send(t.Context(), reportMessage(t), []string{"ana@example.com"}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.WaitFor(1, 5*time.Second)[0]; !got.TLS || got.User != "u" {
			t.Errorf("received TLS=%v user=%q, want an encrypted, authenticated session", got.TLS, got.User)
		}
	})
	t.Run("STARTTLS opportunistic", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{STARTTLS: true})
		if err := newSender(t, srv.URL()).Send(t.Context(), reportMessage(t), []string{"ana@example.com"}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.WaitFor(1, 5*time.Second)[0]; !got.TLS {
			t.Error("opportunistic TLS did not upgrade although the server offers STARTTLS")
		}
	})
	t.Run("tls=none", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{STARTTLS: true})
		if err := newSender(t, srv.URL()+"&tls=none").Send(t.Context(), reportMessage(t), []string{"ana@example.com"}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.WaitFor(1, 5*time.Second)[0]; got.TLS {
			t.Error("tls=none upgraded the connection")
		}
	})
	t.Run("required but not offered", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{})
		err := newSender(t, srv.URL()+"?tls=required").Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
		if err == nil || !mail.IsPermanent(err) {
			t.Errorf("err = %v, want a permanent error", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{STARTTLS: true})
		err := newSender(t, "smtp://"+srv.Addr()).Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
		if err == nil {
			t.Fatal("Send accepted a self-signed certificate without insecure_skip_verify")
		}
	})
	t.Run("implicit TLS", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{ImplicitTLS: true, User: "u", Pass: "pw"})
		if !strings.HasPrefix(srv.URL(), "smtps://") {
			t.Fatalf("URL() = %q, want smtps://", srv.URL())
		}
		if err := newSender(t, srv.URL()).Send(t.Context(), reportMessage(t), []string{"ana@example.com"}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := srv.WaitFor(1, 5*time.Second)[0]; !got.TLS {
			t.Error("smtps session was not encrypted")
		}
	})
}

func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *mail.Message)
		want   string
	}{
		{"unknown cid", func(m *mail.Message) { m.HTML += `<img src="cid:nope@opsboard">` }, "cid:nope@opsboard"},
		{"cid with brackets", func(m *mail.Message) { m.Inline[0].ContentID = "<chart-csat@opsboard>" }, "Content-ID"},
		{"duplicate cid", func(m *mail.Message) { m.Inline[1].ContentID = m.Inline[0].ContentID }, "two inline parts"},
		{"inline without HTML", func(m *mail.Message) { m.HTML = "" }, "HTML"},
		{"no body", func(m *mail.Message) { m.HTML, m.Text, m.Inline = "", "", nil }, "body"},
		{"no recipients", func(m *mail.Message) { m.To, m.Cc = nil, nil }, "To or Cc"},
		{"bad To", func(m *mail.Message) { m.To = []string{"not an address"} }, "To"},
		{"reserved header", func(m *mail.Message) { m.Headers["Content-Type"] = "text/plain" }, "Content-Type"},
		{"header injection", func(m *mail.Message) { m.Headers["X-Run"] = "1\r\nBcc: evil@example.com" }, "line break"},
		{"bad Message-ID", func(m *mail.Message) { m.MessageID = "no domain" }, "Message-ID"},
		{"attachment without name", func(m *mail.Message) { m.Attachments[0].Name = "" }, "file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := reportMessage(t)
			tt.change(m)
			_, err := mail.Build(m)
			if err == nil {
				t.Fatal("Build succeeded")
			}
			if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build error = %q, want an invalid-input error mentioning %q", err, tt.want)
			}
		})
	}

	t.Run("Send says permanent", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{})
		m := reportMessage(t)
		m.HTML += `<img src="cid:nope@opsboard">`
		err := newSender(t, srv.URL()).Send(t.Context(), m, []string{"ana@example.com"})
		if !mail.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = false for a message that cannot be built", err)
		}
		if err := newSender(t, srv.URL()).Send(t.Context(), reportMessage(t), nil); !mail.IsPermanent(err) {
			t.Errorf("Send with no recipients: IsPermanent(%v) = false", err)
		}
		if srv.Attempts() != 0 {
			t.Errorf("server saw %d attempts, want none", srv.Attempts())
		}
	})
}

func TestBuildURLEncodedCID(t *testing.T) {
	m := reportMessage(t)
	m.Inline = m.Inline[:1]
	m.Inline[0].ContentID = "csat@opsboard"
	m.HTML = `<img src="cid:csat%40opsboard">`
	if _, err := mail.Build(m); err != nil {
		t.Errorf("Build with a URL-encoded cid reference: %v", err)
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw        string
		host       string
		port       int
		tls        mail.TLSMode
		auth       mail.AuthMode
		normalized string // String(): the password redacted, options spelled out
	}{
		{"smtp://mail.example.com", "mail.example.com", 25, mail.TLSOpportunistic, mail.AuthAuto,
			"smtp://mail.example.com:25?auth=auto&timeout=30s&tls=opportunistic"},
		{"smtp://bot:s3cret@mail.example.com", "mail.example.com", 587, mail.TLSOpportunistic, mail.AuthAuto,
			"smtp://bot:xxxxx@mail.example.com:587?auth=auto&timeout=30s&tls=opportunistic"},
		{"SMTPS://bot:s3cret@mail.example.com/", "mail.example.com", 465, mail.TLSImplicit, mail.AuthAuto,
			"smtps://bot:xxxxx@mail.example.com:465?auth=auto&timeout=30s&tls=implicit"},
		{"smtp://bot:s3cret@mail.example.com:2525?tls=required&auth=LOGIN&timeout=5s", "mail.example.com", 2525, mail.TLSRequired, mail.AuthLogin,
			"smtp://bot:xxxxx@mail.example.com:2525?auth=login&timeout=5s&tls=required"},
		{"smtp://[::1]:1025?tls=none&insecure_skip_verify=1&auth=none", "::1", 1025, mail.TLSNone, mail.AuthNone,
			"smtp://[::1]:1025?auth=none&insecure_skip_verify=1&timeout=30s&tls=none"},
		{"smtps://bot@mail.example.com?tls=implicit&auth=cram-md5", "mail.example.com", 465, mail.TLSImplicit, mail.AuthCRAMMD5,
			"smtps://bot@mail.example.com:465?auth=cram-md5&timeout=30s&tls=implicit"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := mail.ParseURL(tt.raw)
			if err != nil {
				t.Fatalf("ParseURL: %v", err)
			}
			if got.Host != tt.host || got.Port != tt.port || got.TLS != tt.tls || got.Auth != tt.auth {
				t.Errorf("ParseURL = host %q port %d tls %s auth %s, want host %q port %d tls %s auth %s",
					got.Host, got.Port, got.TLS, got.Auth, tt.host, tt.port, tt.tls, tt.auth)
			}
			if got.String() != tt.normalized {
				t.Errorf("String()\n got %s\nwant %s", got, tt.normalized)
			}
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	const secret = "s3cr"
	tests := []struct{ raw, want string }{
		{"", "empty"},
		{"http://u:s3cret@mail.example.com", "scheme"},
		{"mail.example.com:25", "scheme"},
		{"smtp://", "no host"},
		{"smtp://u:s3cret@", "no host"},
		{"smtp:u:s3cret@mail.example.com", "no host"},
		{"smtp://u:s3cret@mail.example.com:smtp", "smtp://user:pass@host"},
		{"smtp://u:s3cr/et@mail.example.com", "percent-encode"},
		{"smtp://u:s3cr#et@mail.example.com", "percent-encode"},
		{"smtp://u:s3cr?et@mail.example.com", "percent-encode"},
		{"smtp://u:s3cret@mail.example.com:0", "port"},
		{"smtp://u:s3cret@mail.example.com:70000", "port"},
		{"smtp://u:s3cret@mail.example.com/inbox", "path"},
		{"smtp://:s3cret@mail.example.com", "no user"},
		{"smtp://u:s3cret@mail.example.com?tls=always", "tls"},
		{"smtp://u:s3cret@mail.example.com?tls=implicit", "smtps"},
		{"smtps://u:s3cret@mail.example.com?tls=none", "implicit TLS"},
		{"smtp://u:s3cret@mail.example.com?auth=xoauth2", "auth"},
		{"smtp://mail.example.com?auth=plain", "needs a user"},
		{"smtp://u:s3cret@mail.example.com?timeout=soon", "timeout"},
		{"smtp://u:s3cret@mail.example.com?timeout=-1s", "timeout"},
		{"smtp://u:s3cret@mail.example.com?insecure_skip_verify=maybe", "insecure_skip_verify"},
		{"smtp://u:s3cret@mail.example.com?password=s3cret", "unknown option"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			ep, err := mail.ParseURL(tt.raw)
			if err == nil {
				t.Fatalf("ParseURL succeeded: %s", ep)
			}
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Errorf("error %q is not apperr.ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains (part of) the password", err)
			}
			if _, err := mail.NewSender(mail.Config{URL: tt.raw}); err == nil || strings.Contains(err.Error(), secret) {
				t.Errorf("NewSender error = %v, want an error without the password", err)
			}
		})
	}
}

func TestEndpointRedactsPassword(t *testing.T) {
	const pass = "Tr0ub4dor&3"
	ep, err := mail.ParseURL("smtp://bot:" + url.QueryEscape(pass) + "@mail.example.com")
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("sending", "smtp", ep, "value", *ep)
	for _, s := range []string{
		ep.String(), fmt.Sprint(ep), fmt.Sprintf("%v %+v %#v", *ep, *ep, ep), logged.String(),
	} {
		if strings.Contains(s, pass) || strings.Contains(s, url.QueryEscape(pass)) {
			t.Errorf("%q shows the password", s)
		}
		if !strings.Contains(s, "bot:xxxxx@mail.example.com:587") {
			t.Errorf("%q does not show the redacted URL", s)
		}
	}
}
