package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Message is one report email.
type Message struct {
	From        string
	To, Cc      []string
	Subject     string            // may contain any UTF-8; encoded per RFC 2047
	Text        string            // plain-text body
	HTML        string            // HTML body; references inline images as cid:NAME
	Inline      []Part            // inline images, referenced by ContentID from the HTML
	Attachments []Part            // e.g. the PDF
	Headers     map[string]string // extra headers, e.g. "X-Opsboard-Run": "42"
	MessageID   string            // optional stable Message-ID, with or without <>; generated when empty
	Date        time.Time         // optional; the time of Build when zero
}

// Part is an inline image or an attachment.
type Part struct {
	Name        string // file name
	ContentID   string // for Inline: the cid without angle brackets
	ContentType string // e.g. image/png; guessed from Name when empty
	Data        []byte
}

// reservedHeaders are written by Build from Message fields; Headers may not
// set them (a Content-Type there would also stop go-mail from writing the
// multipart Content-Type).
var reservedHeaders = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Subject": true, "Date": true,
	"Message-Id": true, "Mime-Version": true, "Content-Type": true,
	"Content-Transfer-Encoding": true, "Content-Disposition": true, "Content-Id": true,
}

// cidRef finds cid: references in HTML attribute values and CSS url().
var cidRef = regexp.MustCompile(`(?i)\bcid:([^"'\s<>()]+)`)

// Build returns the raw RFC 5322 bytes of msg (for archiving and tests).
//
// The MIME tree is
//
//	multipart/mixed
//	├── multipart/related
//	│   ├── multipart/alternative
//	│   │   ├── text/plain; charset=UTF-8 (quoted-printable)
//	│   │   └── text/html; charset=UTF-8 (quoted-printable)
//	│   └── image/png, Content-ID: <NAME>, inline (base64)  … one per Inline
//	└── application/pdf, attachment; filename=… (base64)    … one per Attachment
//
// Levels with a single child collapse (no attachments: no mixed; no inline
// images: no related; only one body: no alternative). Every cid: in the
// HTML must name an Inline part.
func Build(msg *Message) ([]byte, error) {
	m, err := compose(msg)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("mail: writing message: %w", err)
	}
	return buf.Bytes(), nil
}

// NewMessageID returns a fresh Message-ID (without angle brackets) in the
// domain of the from address, for callers that store it before the first
// delivery so retries keep it.
func NewMessageID(from string) string {
	domain := "opsboard.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			domain = d
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "@" + domain
}

// compose validates msg and turns it into a go-mail message.
func compose(msg *Message) (*gomail.Msg, error) {
	if msg == nil {
		return nil, apperr.Invalid("mail: no message")
	}
	if msg.From == "" {
		return nil, apperr.Invalid("mail: message has no From address")
	}
	if len(msg.To)+len(msg.Cc) == 0 {
		return nil, apperr.Invalid("mail: message has no To or Cc address")
	}
	if msg.Text == "" && msg.HTML == "" {
		return nil, apperr.Invalid("mail: message has neither a text nor an HTML body")
	}
	if len(msg.Inline) > 0 && msg.HTML == "" {
		return nil, apperr.Invalid("mail: inline images need an HTML body that references them")
	}

	m := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	if err := m.From(msg.From); err != nil {
		return nil, apperr.Invalid("mail: From %q: %v", msg.From, err)
	}
	if len(msg.To) > 0 {
		if err := m.To(msg.To...); err != nil {
			return nil, apperr.Invalid("mail: To: %v", err)
		}
	}
	if len(msg.Cc) > 0 {
		if err := m.Cc(msg.Cc...); err != nil {
			return nil, apperr.Invalid("mail: Cc: %v", err)
		}
	}
	m.Subject(msg.Subject)

	date := msg.Date
	if date.IsZero() {
		date = time.Now()
	}
	m.SetDateWithValue(date)

	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(msg.MessageID), "<"), ">")
	if id == "" {
		id = NewMessageID(msg.From)
	} else if !validID(id) || !strings.Contains(id, "@") {
		return nil, apperr.Invalid("mail: Message-ID %q is not of the form id@domain", msg.MessageID)
	}
	m.SetMessageIDWithValue(id) // adds the angle brackets

	// Identify ourselves instead of go-mail's default User-Agent/X-Mailer,
	// and keep autoresponders (out-of-office) quiet: this is a report.
	m.SetGenHeader(gomail.HeaderXMailer, "opsboard")
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	for name, value := range msg.Headers {
		key := textproto.CanonicalMIMEHeaderKey(name)
		if !validHeaderName(name) {
			return nil, apperr.Invalid("mail: header name %q is not valid", name)
		}
		if reservedHeaders[key] {
			return nil, apperr.Invalid("mail: header %q is set from the message fields, not Headers", name)
		}
		if strings.ContainsAny(value, "\r\n") {
			return nil, apperr.Invalid("mail: header %q contains a line break", name)
		}
		m.SetGenHeader(gomail.Header(key), value)
	}

	// go-mail writes parts (text, then alternatives) inside
	// multipart/alternative, embeds after them inside multipart/related,
	// and attachments last inside multipart/mixed: the tree documented on
	// Build, as long as text/plain is the body and HTML the alternative.
	switch {
	case msg.Text != "" && msg.HTML != "":
		m.SetBodyString(gomail.TypeTextPlain, msg.Text)
		m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	case msg.Text != "":
		m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	default:
		m.SetBodyString(gomail.TypeTextHTML, msg.HTML)
	}

	cids := make(map[string]bool, len(msg.Inline))
	for i, p := range msg.Inline {
		if !validID(p.ContentID) {
			return nil, apperr.Invalid("mail: inline part %d (%q): Content-ID %q is empty or has spaces, quotes or angle brackets", i, p.Name, p.ContentID)
		}
		if cids[p.ContentID] {
			return nil, apperr.Invalid("mail: two inline parts have Content-ID %q", p.ContentID)
		}
		cids[p.ContentID] = true
		if len(p.Data) == 0 {
			return nil, apperr.Invalid("mail: inline part %q is empty", p.ContentID)
		}
		name := p.Name
		if name == "" {
			name = p.ContentID
		}
		// WithFileContentID writes the header verbatim: the brackets are ours.
		opts := []gomail.FileOption{gomail.WithFileContentID("<" + p.ContentID + ">")}
		if p.ContentType != "" {
			opts = append(opts, gomail.WithFileContentType(gomail.ContentType(p.ContentType)))
		}
		if err := m.EmbedReader(name, bytes.NewReader(p.Data), opts...); err != nil {
			return nil, fmt.Errorf("mail: inline part %q: %w", p.ContentID, err)
		}
	}
	for _, ref := range cidRef.FindAllStringSubmatch(msg.HTML, -1) {
		cid := ref[1]
		if u, err := url.PathUnescape(cid); err == nil {
			cid = u // cid: URLs are URL-encoded (RFC 2392)
		}
		if !cids[cid] {
			return nil, apperr.Invalid("mail: the HTML references cid:%s but no inline part has that Content-ID", ref[1])
		}
	}

	for i, p := range msg.Attachments {
		if p.Name == "" {
			return nil, apperr.Invalid("mail: attachment %d has no file name", i)
		}
		var opts []gomail.FileOption
		if p.ContentType != "" {
			opts = append(opts, gomail.WithFileContentType(gomail.ContentType(p.ContentType)))
		}
		if err := m.AttachReader(p.Name, bytes.NewReader(p.Data), opts...); err != nil {
			return nil, fmt.Errorf("mail: attachment %q: %w", p.Name, err)
		}
	}
	return m, nil
}

// validID accepts a Content-ID or Message-ID body (the part between the
// angle brackets): printable ASCII without spaces or RFC 5322 specials
// other than '@' and '.'.
func validID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`<>"\()[],;:`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderName accepts RFC 5322 field names: printable ASCII except ':'.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':' {
			return false
		}
	}
	return true
}
