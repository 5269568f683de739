// Package catalog loads and validates opsboard's definitions: query files
// (sql/), dashboards and reports.
package catalog

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

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

// DatabaseError locates msg, a problem PostgreSQL found at charPos in a
// text it was sent that held q's bound statement after prefix ("EXPLAIN "):
// charPos is PostgreSQL's, 1-based and counted in characters of that
// whole text; 0 means it gave none, and the error is put at the
// statement's first line. src is the query file's contents; without it
// (or when the file has changed since q was read) the statement is taken
// to begin at the start of its line.
func (q *Query) DatabaseError(msg, prefix string, charPos int, src []byte) *Error {
	e := &Error{File: q.File, Line: q.Line, Msg: msg}
	if q.Bound == nil || charPos <= 0 {
		return e
	}
	n := charPos - 1 - utf8.RuneCountInString(prefix)
	if n < 0 || n > utf8.RuneCountInString(q.Bound.SQL) {
		return e
	}
	off := sourceOffset(q.SQL, q.Bound.SQL, byteOffset(q.Bound.SQL, n))
	text := strings.TrimPrefix(string(src), "\ufeff") // as ParseQuery reads it
	if start := strings.Index(text, q.SQL); src != nil && start >= 0 {
		e.Line, e.Col = position(text, start+off)
		return e
	}
	line, col := position(q.SQL, off)
	e.Line, e.Col = q.Line+line-1, col
	return e
}

// byteOffset is the byte offset of the n-th character of s.
func byteOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// sourceOffset maps a byte offset in bound, the statement src with its
// :name placeholders replaced by $n or ($n::type), back to src. Text
// between placeholders is the same in both; an offset inside a
// replacement maps to its placeholder's colon.
func sourceOffset(src, bound string, off int) int {
	_, phs, err := bind(src)
	if err != nil {
		return min(off, len(src))
	}
	s, b := 0, 0 // where src and bound agree
	for _, ph := range phs {
		gap := ph.Offset - s
		if off < b+gap {
			return s + off - b
		}
		b += gap
		s = ph.Offset
		// The replacement is "$n", or "($n::type)" up to its parenthesis.
		n := 1
		if strings.HasPrefix(bound[b:], "(") {
			n = strings.IndexByte(bound[b:], ')') + 1
		} else {
			for n < len(bound)-b && isDigit(bound[b+n]) {
				n++
			}
		}
		if off < b+n {
			return s
		}
		b += n
		s += 1 + len(ph.Name)
	}
	return min(s+off-b, len(src))
}
