// Package access holds opsboard's rules about who may see what: roles,
// random tokens stored only as hashes (share links, sessions, CSRF),
// password hashing, the login rate limits and device cookies, the
// same-site check for state-changing requests, and trust in the reverse
// proxies in front of the server (auth-proxy mode). It keeps no state in a database: the database
// package stores users, sessions and share links, the web package glues the
// two together.
package access

import (
	"net/mail"
	"strings"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Role is what an account may do. Each role includes the ones below it.
type Role int

// The roles, weakest first. NoRole is the zero value: allowed nothing.
const (
	NoRole Role = iota
	// Viewer sees the dashboards, the report archive and the KPI glossary.
	Viewer
	// Editor also re-sends reports and manages share links.
	Editor
	// Admin also manages accounts.
	Admin
)

var roleNames = map[Role]string{Viewer: "viewer", Editor: "editor", Admin: "admin"}

// Roles lists the role names, weakest first.
func Roles() []string { return []string{"viewer", "editor", "admin"} }

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for r, name := range roleNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return r, nil
		}
	}
	return NoRole, apperr.Invalid("unknown role %q (one of %s)", s, strings.Join(Roles(), ", "))
}

// String returns the role's name ("" for NoRole).
func (r Role) String() string { return roleNames[r] }

// Allows reports whether r may do what needs at least min.
func (r Role) Allows(min Role) bool { return r >= min && min > NoRole }

// NormalizeEmail trims and lower-cases an address: accounts are found by
// address whatever its case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CheckEmail normalizes an account's address and checks that it is one.
func CheckEmail(s string) (string, error) {
	email := NormalizeEmail(s)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", apperr.Invalid("%q is not an email address", s)
	}
	return email, nil
}
