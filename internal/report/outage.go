package report

import (
	"errors"
	"net"
	"regexp"
	"strings"

	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/pg"
)

// What a tile, a panel or an archived run says when the data database is
// out of reach: never its host or port, which a report's readers have no
// use for and which do not belong in a mail sent outside operations.
const (
	unreachableText = "the data database cannot be reached"
	lostText        = "the connection to the data database was lost"
)

// DataUnreachable reports whether err says that the data database could
// not be reached or went away mid-query (refused or reset connections,
// unknown hosts, a server shutting down or starting up, no connection
// slots left). Such a failure passes: a scheduled report is rendered again
// later rather than mailed as a page of error messages.
func DataUnreachable(err error) bool { return pg.Unreachable(err) }

// Redacted returns err with a text that names no host, port or address:
// a connection failure reads "the data database cannot be reached" (or
// "… was lost" when it broke mid-query), and any address or connection
// URL left in the text is blanked out. The result wraps err, so errors.Is
// and errors.As still see the cause.
func Redacted(err error) error {
	if err == nil {
		return nil
	}
	orig := err.Error()
	msg := orig
	var op *net.OpError
	if errors.As(err, &op) {
		text := unreachableText
		if op.Op == "read" || op.Op == "write" {
			text = lostText
		}
		msg = strings.Replace(msg, op.Error(), text, 1)
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		msg = strings.Replace(msg, dns.Error(), unreachableText, 1)
	}
	msg = RedactText(msg)
	if msg == orig {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Addresses as they appear in error text, most specific first.
var addressPatterns = []struct {
	re   *regexp.Regexp
	with string
}{
	// Go's net errors: "dial tcp 10.0.0.5:5432: connect: connection refused".
	{regexp.MustCompile(`\bdial (?:tcp[46]?|unix) \S+: [^;\n]*`), unreachableText},
	{regexp.MustCompile(`\b(?:read|write) (?:tcp[46]?|unix) \S+: [^;\n]*`), lostText},
	{regexp.MustCompile(`\blookup \S+(?: on \S+)?: [^;\n]*`), unreachableText},
	{regexp.MustCompile(`(?i)\bpostgres(?:ql)?://[^\s"'<>]*[^\s"'<>:;,.)]`), "the data database"},
	{regexp.MustCompile(`/[^\s"'<>]*\.s\.PGSQL\.\d+`), "(socket)"},
	{regexp.MustCompile(`\[[0-9A-Fa-f:.]+(?:%\w+)?\](?::\d+)?`), "(address)"},
	{regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b`), "(address)"},
	{regexp.MustCompile(`(?i)\blocalhost:\d+\b`), "(address)"},
	{regexp.MustCompile(`(?i)\b(host|hostaddr|port)=\S+`), "$1=(redacted)"},
}

// RedactText blanks out hosts, ports, addresses and connection URLs in an
// error text, for what is mailed or archived.
func RedactText(s string) string {
	for _, p := range addressPatterns {
		s = p.re.ReplaceAllString(s, p.with)
	}
	return s
}

// redactView gives every failed filter, tile and panel of v an error text
// without addresses; the page, the failures list and the archive all read
// it from there.
func redactView(v *dashboard.View) {
	for i := range v.Filters {
		v.Filters[i].Err = Redacted(v.Filters[i].Err)
	}
	for i := range v.Tiles {
		v.Tiles[i].Err = Redacted(v.Tiles[i].Err)
	}
	for i := range v.Panels {
		v.Panels[i].Err = Redacted(v.Panels[i].Err)
	}
}

// Unreachable reports whether some filter, tile or panel failed because
// the data database could not be reached: the report is not what its
// readers should get, and rendering it again later may well succeed.
func (o *Output) Unreachable() bool {
	for _, f := range o.View.Filters {
		if DataUnreachable(f.Err) {
			return true
		}
	}
	for _, t := range o.View.Tiles {
		if DataUnreachable(t.Err) {
			return true
		}
	}
	for _, p := range o.View.Panels {
		if DataUnreachable(p.Err) {
			return true
		}
	}
	return false
}

// AnyRendered reports whether at least one tile or panel has its numbers:
// a report in which everything failed is no partial report.
func (o *Output) AnyRendered() bool {
	for _, t := range o.View.Tiles {
		if t.Err == nil {
			return true
		}
	}
	for _, p := range o.View.Panels {
		if p.Err == nil {
			return true
		}
	}
	return false
}
