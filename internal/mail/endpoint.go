package mail

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
)

// TLSMode says how a connection to the SMTP server is protected.
type TLSMode string

// The TLS modes. smtp:// URLs use TLSOpportunistic unless ?tls= says
// otherwise; smtps:// URLs always use TLSImplicit.
const (
	TLSNone          TLSMode = "none"          // never STARTTLS
	TLSOpportunistic TLSMode = "opportunistic" // STARTTLS when the server offers it
	TLSRequired      TLSMode = "required"      // STARTTLS or fail
	TLSImplicit      TLSMode = "implicit"      // TLS from the first byte (smtps, port 465)
)

// AuthMode is the SMTP AUTH mechanism used.
type AuthMode string

// The AUTH mechanisms. AuthAuto authenticates only when the URL has a user,
// choosing PLAIN, LOGIN or CRAM-MD5 from what the server offers.
const (
	AuthAuto    AuthMode = "auto"
	AuthNone    AuthMode = "none"
	AuthPlain   AuthMode = "plain"
	AuthLogin   AuthMode = "login"
	AuthCRAMMD5 AuthMode = "cram-md5"
)

// DefaultTimeout bounds each step of an SMTP conversation when the URL
// has no ?timeout=.
const DefaultTimeout = 30 * time.Second

// Endpoint is a parsed SMTP URL. The password is kept unexported so that
// printing or logging an Endpoint never shows it; String and LogValue
// redact it.
type Endpoint struct {
	Scheme             string // "smtp" or "smtps"
	Host               string // host name or IP, without brackets
	Port               int
	User               string
	TLS                TLSMode
	Auth               AuthMode
	InsecureSkipVerify bool // accept any server certificate (tests only)
	Timeout            time.Duration

	password string
}

// Addr is host:port, ready to dial.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// String is the endpoint as a URL with the password replaced by "xxxxx".
// It has a value receiver so that printing an Endpoint value redacts too.
func (e Endpoint) String() string {
	u := url.URL{Scheme: e.Scheme, Host: e.Addr()}
	if e.User != "" {
		if e.password != "" {
			u.User = url.UserPassword(e.User, "xxxxx")
		} else {
			u.User = url.User(e.User)
		}
	}
	q := url.Values{}
	q.Set("tls", string(e.TLS))
	q.Set("auth", string(e.Auth))
	if e.InsecureSkipVerify {
		q.Set("insecure_skip_verify", "1")
	}
	q.Set("timeout", e.Timeout.String())
	u.RawQuery = q.Encode()
	return u.String()
}

// GoString makes %#v print the redacted URL rather than the fields.
func (e Endpoint) GoString() string { return "mail.Endpoint(" + e.String() + ")" }

// LogValue makes slog print the redacted URL.
func (e Endpoint) LogValue() slog.Value { return slog.StringValue(e.String()) }

// errBadURL is the message for a URL that does not parse. It never quotes
// the URL: an unencoded '/', '#' or '?' in a password makes the parser cut
// the URL in the middle of the password and quote the pieces.
var errBadURL = errors.New("expected smtp://user:pass@host:port or smtps://user:pass@host:465; percent-encode special characters in the user and password")

// ParseURL parses and validates an SMTP URL:
//
//	smtp://user:pass@host:port   STARTTLS when offered (?tls=none|opportunistic|required)
//	smtps://user:pass@host:465   implicit TLS
//
// Query options: tls (above), auth=auto|plain|login|cram-md5|none,
// insecure_skip_verify=1 (tests only), timeout=30s (per SMTP step).
// Without a port, smtps uses 465, smtp with a user 587 (submission) and
// smtp without one 25. Errors wrap apperr.ErrInvalid and never contain the
// password.
func ParseURL(raw string) (*Endpoint, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, apperr.Invalid("mail: SMTP URL is empty: %v", errBadURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Only say what the parser found when there are no credentials it
		// could be quoting.
		var uerr *url.Error
		if !strings.Contains(raw, "@") && errors.As(err, &uerr) {
			return nil, apperr.Invalid("mail: invalid SMTP URL: %v", uerr.Err)
		}
		return nil, apperr.Invalid("mail: invalid SMTP URL: %v", errBadURL)
	}
	ep := &Endpoint{Scheme: strings.ToLower(u.Scheme), Timeout: DefaultTimeout, Auth: AuthAuto}
	switch ep.Scheme {
	case "smtp":
		ep.TLS = TLSOpportunistic
	case "smtps":
		ep.TLS = TLSImplicit
	case "":
		return nil, apperr.Invalid("mail: SMTP URL has no scheme: %v", errBadURL)
	default:
		return nil, apperr.Invalid("mail: unsupported SMTP URL scheme %q (want smtp or smtps)", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, apperr.Invalid("mail: SMTP URL has no host: %v", errBadURL)
	}
	if u.Path != "" && u.Path != "/" {
		// The "path" may be the end of a password with an unescaped slash:
		// do not print it.
		return nil, apperr.Invalid("mail: SMTP URL must not have a path (a / in the password must be written %%2F): %v", errBadURL)
	}
	if u.Fragment != "" {
		return nil, apperr.Invalid("mail: SMTP URL must not have a #fragment: %v", errBadURL)
	}
	ep.Host = u.Hostname()
	if ep.Host == "" {
		return nil, apperr.Invalid("mail: SMTP URL has no host: %v", errBadURL)
	}
	if u.User != nil {
		ep.User = u.User.Username()
		ep.password, _ = u.User.Password()
		if ep.User == "" && ep.password != "" {
			return nil, apperr.Invalid("mail: SMTP URL has a password but no user")
		}
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, apperr.Invalid("mail: SMTP URL has a malformed query string")
	}
	for key, vals := range q {
		val := vals[len(vals)-1]
		switch key {
		case "tls":
			ep.TLS = TLSMode(strings.ToLower(val))
		case "auth":
			ep.Auth = AuthMode(strings.ToLower(val))
		case "insecure_skip_verify":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return nil, apperr.Invalid("mail: SMTP URL: insecure_skip_verify=%q is not a boolean", val)
			}
			ep.InsecureSkipVerify = b
		case "timeout":
			d, err := time.ParseDuration(val)
			if err != nil || d <= 0 {
				return nil, apperr.Invalid("mail: SMTP URL: timeout=%q is not a positive duration such as 30s", val)
			}
			ep.Timeout = d
		default:
			return nil, apperr.Invalid("mail: SMTP URL: unknown option %q (known: tls, auth, insecure_skip_verify, timeout)", key)
		}
	}

	switch {
	case ep.Scheme == "smtps" && ep.TLS != TLSImplicit:
		return nil, apperr.Invalid("mail: SMTP URL: smtps always uses implicit TLS; tls=%q applies to smtp:// only", ep.TLS)
	case ep.Scheme == "smtp" && ep.TLS != TLSNone && ep.TLS != TLSOpportunistic && ep.TLS != TLSRequired:
		return nil, apperr.Invalid("mail: SMTP URL: tls=%q is not one of none, opportunistic, required (use smtps:// for implicit TLS)", ep.TLS)
	}
	switch ep.Auth {
	case AuthAuto, AuthNone:
	case AuthPlain, AuthLogin, AuthCRAMMD5:
		if ep.User == "" {
			return nil, apperr.Invalid("mail: SMTP URL: auth=%s needs a user (smtp://user:pass@host)", ep.Auth)
		}
	default:
		return nil, apperr.Invalid("mail: SMTP URL: auth=%q is not one of auto, plain, login, cram-md5, none", ep.Auth)
	}

	switch p := u.Port(); {
	case p != "":
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, apperr.Invalid("mail: SMTP URL: port %q is not a number from 1 to 65535", p)
		}
		ep.Port = n
	case ep.Scheme == "smtps":
		ep.Port = 465
	case ep.User != "":
		ep.Port = 587
	default:
		ep.Port = 25
	}
	return ep, nil
}

// authenticates reports whether the endpoint will try SMTP AUTH.
func (e Endpoint) authenticates() bool { return e.User != "" && e.Auth != AuthNone }

// redact replaces the password in s, for error texts built from server
// replies or library errors we do not control.
func (e Endpoint) redact(s string) string {
	if e.password == "" {
		return s
	}
	return strings.ReplaceAll(s, e.password, "xxxxx")
}

// describe is used in error messages: where we were talking to.
func (e Endpoint) describe() string { return fmt.Sprintf("%s://%s", e.Scheme, e.Addr()) }
