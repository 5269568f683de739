// Package catalog loads and validates opsboard's definitions: query files
// (sql/), dashboards and reports.
package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Error is a problem in a definition file, located by file and line (and
// column when known). File is relative to the definitions root and uses
// forward slashes, like "sql/kpi/csat.sql".
type Error struct {
	File string
	Line int // 1-based; 0 when the problem is with the file as a whole
	Col  int // 1-based, counted in characters; 0 when unknown
	Msg  string
}

// Error formats e as "file:line:col: msg", leaving out a zero line or column.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports definition errors as invalid input.
func (e *Error) Is(target error) bool { return target == apperr.ErrInvalid }

// Errors is every problem found in a load.
type Errors []*Error

// Error joins the problems one per line, sorted by file, line and column.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es.sorted() {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns the problems sorted by file, line and column, or nil when
// there are none.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es.sorted()
}

// Unwrap gives errors.Is and errors.As access to each problem.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

func (es Errors) sorted() Errors {
	s := slices.Clone(es)
	slices.SortStableFunc(s, func(a, b *Error) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return s
}
