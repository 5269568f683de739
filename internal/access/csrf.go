package access

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Cookie and form field names.
const (
	// SessionCookie holds a login session's token.
	SessionCookie = "opsboard_session"
	// CSRFCookie holds the CSRF token of a visitor without a session (the
	// sign-in form, auth-proxy users, the local admin): the form field must
	// repeat it.
	CSRFCookie = "opsboard_csrf"
	// CSRFField is the hidden form field that carries the CSRF token.
	CSRFField = "csrf"
	// CSRFHeader may carry the token instead, for scripts.
	CSRFHeader = "X-CSRF-Token"
)

// ErrCrossSite is the error of a state-changing request from another site.
var ErrCrossSite = errors.New("the request comes from another site")

// Safe reports whether a method only reads.
func Safe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// SameOrigin checks that a state-changing request was sent by a page of
// this site (served at host). Browsers say where a request comes from in
// Sec-Fetch-Site; older ones only in Origin, and Referer is the last
// resort. opsboard's own pages send no Referer (Referrer-Policy
// no-referrer, so share tokens never leak) and, for the same reason, may
// send "Origin: null": such a request is left to the CSRF token, which is
// always required as well. A request with none of these headers is not
// from a browser.
func SameOrigin(r *http.Request, host string) error {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "same-origin", "none":
		return nil
	case "":
	default:
		return fmt.Errorf("%w (Sec-Fetch-Site: %s)", ErrCrossSite, site)
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return sameHost(o, host)
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		return sameHost(ref, host)
	}
	return nil
}

func sameHost(raw, host string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Host != host {
		return fmt.Errorf("%w (%s, not %s)", ErrCrossSite, raw, host)
	}
	return nil
}
