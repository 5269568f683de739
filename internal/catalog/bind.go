package catalog

import (
	"strconv"
	"strings"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Bound is a statement with :name placeholders replaced by $1..$n.
type Bound struct {
	SQL string // with $n placeholders
	// Names[i] is the parameter bound to $(i+1). Each name appears once: a
	// placeholder used twice reuses its $n.
	Names []string
}

// Placeholder is one :name in a statement.
type Placeholder struct {
	Name   string
	Offset int // byte offset of the colon in the input
}

// Bind replaces each :name placeholder in a PostgreSQL statement with a
// positional $n, and lists the placeholders in order of appearance.
//
// It reads the statement as PostgreSQL's lexer does, so these pass through
// untouched: :: casts (:from::date becomes $1::date), := named arguments,
// and colons in string literals ('…' with doubled quotes, E'…' with
// backslash escapes, U&'…'), quoted identifiers, -- and nested /* */
// comments and dollar-quoted bodies ($$…$$, $tag$…$tag$). Strings are read
// with standard_conforming_strings on, PostgreSQL's default.
//
// A colon followed by a name is a placeholder unless it separates the bounds
// of an array slice, which is when the colon directly follows a name, a
// number, ")", "]" or a quoted identifier (arr[lo:hi], arr[1:n], f(x)[a:b]),
// or comes first inside a subscript (arr[:hi]). "[" opens a subscript when
// it follows an operand; after ARRAY, "(", "," and the like it builds an
// array, so ARRAY[:a, :b] binds both. To slice up to a parameter, leave a
// space before it: arr[1: :n].
//
// Positional $1 parameters in the input are an error: opsboard queries name
// their parameters.
func Bind(sql string) (*Bound, []Placeholder, error) {
	b, phs, err := bind(sql)
	if err != nil {
		line, col := position(sql, err.offset)
		return nil, nil, apperr.Invalid("%d:%d: %s", line, col, err.msg)
	}
	return b, phs, nil
}

func bind(sql string) (*Bound, []Placeholder, *syntaxError) {
	toks, err := lex(sql)
	if err != nil {
		return nil, nil, err
	}
	b := &Bound{}
	var (
		out   strings.Builder
		phs   []Placeholder
		index = map[string]int{}
		done  int
	)
	for _, t := range toks {
		switch t.kind {
		case tokPositional:
			return nil, nil, &syntaxError{t.start, "use :name parameters, not " + sql[t.start:t.end]}
		case tokPlaceholder:
			name := sql[t.start+1 : t.end]
			n, ok := index[name]
			if !ok {
				b.Names = append(b.Names, name)
				n = len(b.Names)
				index[name] = n
			}
			out.WriteString(sql[done:t.start])
			out.WriteString("$" + strconv.Itoa(n))
			done = t.end
			phs = append(phs, Placeholder{Name: name, Offset: t.start})
		}
	}
	out.WriteString(sql[done:])
	b.SQL = out.String()
	return b, phs, nil
}

// Args lists the values for $1..$n from values by name. The error names the
// first parameter without a value.
func (b *Bound) Args(values map[string]any) ([]any, error) {
	args := make([]any, len(b.Names))
	for i, name := range b.Names {
		v, ok := values[name]
		if !ok {
			return nil, apperr.Invalid("no value for parameter %q", name)
		}
		args[i] = v
	}
	return args, nil
}

// position gives the 1-based line and column (in characters) of a byte
// offset in src.
func position(src string, offset int) (line, col int) {
	before := src[:offset]
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return strings.Count(before, "\n") + 1, len([]rune(before[lineStart:])) + 1
}

// syntaxError is a problem at a byte offset of a statement.
type syntaxError struct {
	offset int
	msg    string
}

type tokenKind uint8

const (
	tokSpace tokenKind = iota
	tokComment
	tokWord // keyword, identifier or number
	tokString
	tokQuotedIdent
	tokDollarString
	tokPlaceholder // :name
	tokPositional  // $1
	tokSemicolon
	tokOp // any other byte, or a :: cast
)

type token struct {
	kind       tokenKind
	start, end int
}

// significant reports whether t is more than whitespace or a comment.
func (t token) significant() bool { return t.kind != tokSpace && t.kind != tokComment }

// lex splits a PostgreSQL statement into tokens, finely enough to find
// placeholders and statement ends; operators and numbers are not parsed.
func lex(src string) ([]token, *syntaxError) {
	var toks []token
	for i := 0; i < len(src); {
		start, c := i, src[i]
		kind := tokOp
		var err *syntaxError
		switch {
		case isSpace(c):
			for i < len(src) && isSpace(src[i]) {
				i++
			}
			kind = tokSpace
		case c == '-' && at(src, i+1) == '-':
			if n := strings.IndexByte(src[i:], '\n'); n >= 0 {
				i += n
			} else {
				i = len(src)
			}
			kind = tokComment
		case c == '/' && at(src, i+1) == '*':
			i, err = blockComment(src, i)
			kind = tokComment
		case c == '\'':
			i, err = quoted(src, i, false)
			kind = tokString
		case c == '"':
			i, err = quoted(src, i, false)
			kind = tokQuotedIdent
		case c == '$':
			kind, i, err = dollar(src, i)
		case c == ':':
			switch {
			case at(src, i+1) == ':':
				i += 2
			case isNameStart(at(src, i+1)) && placeholderAt(src, toks, i):
				i++
				for i < len(src) && isNameByte(src[i]) {
					i++
				}
				kind = tokPlaceholder
			default:
				i++
			}
		case c == ';':
			i++
			kind = tokSemicolon
		case isWordStart(c):
			for i < len(src) && isWordByte(src[i]) {
				i++
			}
			kind = tokWord
			switch word := src[start:i]; {
			case (word == "E" || word == "e") && at(src, i) == '\'':
				i, err = quoted(src, i, true)
				kind = tokString
			case (word == "U" || word == "u") && at(src, i) == '&' && (at(src, i+1) == '\'' || at(src, i+1) == '"'):
				kind = tokString
				if src[i+1] == '"' {
					kind = tokQuotedIdent
				}
				i, err = quoted(src, i+1, false)
			}
		default:
			i++
		}
		if err != nil {
			err.offset = start // of E'... and U&'..., not of the quote
			return nil, err
		}
		toks = append(toks, token{kind, start, i})
	}
	return toks, nil
}

// placeholderAt reports whether the colon at src[i], followed by a name, is
// a placeholder rather than an array slice separator (see Bind). toks are
// the tokens before it.
func placeholderAt(src string, toks []token, i int) bool {
	if i > 0 {
		if p := src[i-1]; isWordByte(p) || p == ')' || p == ']' || p == '"' {
			return false
		}
	}
	k := lastSignificant(toks)
	if k < 0 || src[toks[k].start:toks[k].end] != "[" {
		return true
	}
	// The colon comes first inside brackets: a subscript if they follow an
	// operand, an ARRAY[...] constructor otherwise.
	j := lastSignificant(toks[:k])
	if j < 0 {
		return true
	}
	t := toks[j]
	switch t.kind {
	case tokWord:
		return strings.EqualFold(src[t.start:t.end], "array")
	case tokQuotedIdent, tokPlaceholder, tokPositional:
		return false
	case tokOp:
		s := src[t.start:t.end]
		return s != ")" && s != "]"
	}
	return true
}

func lastSignificant(toks []token) int {
	for k := len(toks) - 1; k >= 0; k-- {
		if toks[k].significant() {
			return k
		}
	}
	return -1
}

// quoted returns the end of the quoted string or identifier whose opening
// quote is at src[i]; a doubled quote stands for itself, and with
// backslashes set a backslash escapes the next byte (E'...').
func quoted(src string, i int, backslashes bool) (int, *syntaxError) {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch c := src[j]; {
		case backslashes && c == '\\':
			j++
		case c == q && at(src, j+1) == q:
			j++
		case c == q:
			return j + 1, nil
		}
	}
	if q == '"' {
		return 0, &syntaxError{i, "unterminated quoted identifier"}
	}
	return 0, &syntaxError{i, "unterminated quoted string"}
}

// blockComment returns the end of the /* comment at src[i]; like
// PostgreSQL's, block comments nest.
func blockComment(src string, i int) (int, *syntaxError) {
	depth := 0
	for j := i; j < len(src); {
		switch {
		case src[j] == '/' && at(src, j+1) == '*':
			depth++
			j += 2
		case src[j] == '*' && at(src, j+1) == '/':
			depth--
			j += 2
			if depth == 0 {
				return j, nil
			}
		default:
			j++
		}
	}
	return 0, &syntaxError{i, "unterminated /* comment"}
}

// dollar reads what starts with the "$" at src[i]: a positional parameter
// ($1), a dollar-quoted string ($$...$$, $tag$...$tag$) or a lone "$".
func dollar(src string, i int) (tokenKind, int, *syntaxError) {
	j := i + 1
	if isDigit(at(src, j)) {
		for isDigit(at(src, j)) {
			j++
		}
		return tokPositional, j, nil
	}
	if j < len(src) && isTagStart(src[j]) {
		for j < len(src) && (isTagStart(src[j]) || isDigit(src[j])) {
			j++
		}
	}
	if at(src, j) != '$' {
		return tokOp, i + 1, nil
	}
	delim := src[i : j+1]
	n := strings.Index(src[j+1:], delim)
	if n < 0 {
		return 0, 0, &syntaxError{i, "unterminated dollar-quoted string " + delim}
	}
	return tokDollarString, j + 1 + n + len(delim), nil
}

// at is src[i], or 0 past the end.
func at(src string, i int) byte {
	if i < len(src) {
		return src[i]
	}
	return 0
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Placeholder names are ASCII identifiers.
func isNameStart(c byte) bool { return isLetter(c) || c == '_' }
func isNameByte(c byte) bool  { return isNameStart(c) || isDigit(c) }

// PostgreSQL identifiers may hold non-ASCII letters and, after the first
// character, "$"; numbers are read as words too.
func isWordStart(c byte) bool { return isNameByte(c) || c >= 0x80 }
func isWordByte(c byte) bool  { return isWordStart(c) || c == '$' }
func isTagStart(c byte) bool  { return isNameStart(c) || c >= 0x80 }
