// Package apperr defines the few kinds of error opsboard distinguishes:
// not found, invalid input, conflict and unavailable. Code anywhere wraps
// one of the sentinels; the HTTP layer and the CLI map them to status codes
// and exit codes with errors.Is.
package apperr

import (
	"errors"
	"fmt"
)

// The error kinds.
var (
	ErrNotFound    = errors.New("not found")
	ErrInvalid     = errors.New("invalid")
	ErrConflict    = errors.New("conflict")
	ErrUnavailable = errors.New("unavailable")
	ErrForbidden   = errors.New("forbidden")
)

// kindError carries a user-facing message and the kind it belongs to.
type kindError struct {
	kind error
	msg  string
	err  error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Is(target error) bool { return target == e.kind }

func (e *kindError) Unwrap() error { return e.err }

// New returns an error of the given kind with a formatted message. A %w verb
// in format keeps the wrapped error reachable for errors.Is/As.
func New(kind error, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &kindError{kind: kind, msg: err.Error(), err: errors.Unwrap(err)}
}

// NotFound is New(ErrNotFound, ...).
func NotFound(format string, args ...any) error { return New(ErrNotFound, format, args...) }

// Invalid is New(ErrInvalid, ...).
func Invalid(format string, args ...any) error { return New(ErrInvalid, format, args...) }

// Unavailable is New(ErrUnavailable, ...).
func Unavailable(format string, args ...any) error { return New(ErrUnavailable, format, args...) }
