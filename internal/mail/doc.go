// Package mail composes the daily report email and sends it over SMTP.
//
// Build turns a Message into RFC 5322 bytes with go-mail: a plain-text and
// an HTML alternative, charts as inline PNGs referenced by cid:, and the
// PDF attached. A Sender delivers those bytes to an explicit list of
// envelope recipients, so the caller can send and record one delivery per
// recipient while the headers show the whole To/Cc list. Delivery errors
// say whether retrying can help (IsPermanent), and never contain the SMTP
// password.
//
// Package mailtest runs real SMTP servers on loopback for tests.
package mail
