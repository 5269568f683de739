package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Query is a query file: a header of "-- key: value" lines, then one SQL
// statement.
type Query struct {
	Name        string // path below sql/ without .sql: "support/first_response"
	File        string // "sql/support/first_response.sql"
	Title       string
	Description string
	Unit        string  // count, percent, ratio, score, currency, hours, days or ""
	Better      string  // higher, lower or ""
	Params      []Param // declared parameters, in declaration order
	// Metric is how the query's value combines and how sure it is (the
	// metric model); its zero value is a plain value, as before the model.
	Metric Metric
	// Columns are what "-- column:" lines declare about result columns.
	Columns []ColumnMeta
	// Background ("-- refresh: background") serves the last result at once
	// once it has expired, while a fresh one is computed: for queries over
	// the whole history (cohorts, churn) that would hold a page up.
	Background bool
	// Settle is what "-- settle: N days" declares (a daily grain and when
	// a day stops changing); nil when the query declares none.
	Settle *Settle
	// Key ("-- key: a, b") names the columns that name a row of a table
	// with a settle window; the other columns combine across days.
	Key     []string
	keyLine int
	// SQL is the statement alone: without the header, the final ";" and any
	// whitespace or comments around it, so it can be wrapped in a subquery.
	SQL   string
	Line  int    // line in the file where the statement starts
	Bound *Bound // SQL with its placeholders bound
}

var (
	units         = []string{"count", "percent", "ratio", "score", "currency", "hours", "days"}
	betters       = []string{"higher", "lower"}
	headerKeys    = []string{"title", "description", "unit", "better", "params", "aggregate", "sample", "spread", "min_sample", "column", "refresh", "settle", "key"}
	isoCurrencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	headerKeyRE   = regexp.MustCompile(`^([a-z_][a-z0-9_]*)(\s*):(.*)$`)
)

// LoadQueries parses every root/sql/**/*.sql file, keyed by query name.
// Files and directories whose names start with "." are skipped. A missing
// sql directory holds no queries. The error is an Errors with the problems
// of every file; the map then still holds the queries that parsed.
func LoadQueries(root string) (map[string]*Query, error) {
	fsys := os.DirFS(root)
	queries := map[string]*Query{}
	var errs Errors
	fail := func(path string, err error) {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		errs = append(errs, &Error{File: path, Msg: err.Error()})
	}
	walkErr := fs.WalkDir(fsys, "sql", func(path string, d fs.DirEntry, err error) error {
		switch {
		case path == "sql" && errors.Is(err, fs.ErrNotExist):
			return fs.SkipAll
		case err != nil:
			fail(path, err)
			return nil
		case path == "sql" && !d.IsDir():
			fail(path, errors.New("not a directory"))
			return nil
		case path != "sql" && strings.HasPrefix(d.Name(), "."):
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		case d.IsDir() || !strings.HasSuffix(path, ".sql"):
			return nil
		}
		src, err := fs.ReadFile(fsys, path)
		if err != nil {
			fail(path, err)
			return nil
		}
		name := strings.TrimSuffix(strings.TrimPrefix(path, "sql/"), ".sql")
		q, err := ParseQuery(name, path, src)
		if err != nil {
			qerrs, _ := errors.AsType[Errors](err)
			errs = append(errs, qerrs...)
			return nil
		}
		queries[name] = q
		return nil
	})
	if walkErr != nil {
		fail("sql", walkErr)
	}
	return queries, errs.Err()
}

// ParseQuery parses the query file named name whose contents are src. file
// is the path used in errors. The error is an Errors listing every problem
// found.
//
// The header is the leading run of "--" lines (blank lines allowed). A line
// "-- key: value" sets title (required), description (repeated lines add
// to it), unit, better or params; a lowercase key outside that list is an
// error, to catch typos. Any other comment line, including capitalised prose
// such as "-- Note: ...", is just a comment.
//
// params declares parameters as "name type = default", separated by commas:
//
//	-- params: channel text = 'all', min_orders int = 5, since date = '2024-01-01'
//
// Text defaults are single-quoted, a doubled quote standing for one; other
// defaults may be quoted or not.
func ParseQuery(name, file string, src []byte) (*Query, error) {
	p := &queryParser{
		file:  file,
		text:  strings.TrimPrefix(string(src), "\ufeff"),
		names: map[string]int{},
	}
	q := &Query{Name: name, File: file}
	body := p.header(q)
	p.statement(q, body)
	p.checkMetric(q)
	p.checkSettle(q)
	if err := p.errs.Err(); err != nil {
		return nil, err
	}
	return q, nil
}

// Param returns the parameter name, declared or built in.
func (q *Query) Param(name string) (Param, bool) {
	for _, ps := range [][]Param{q.Params, Builtins} {
		if i := slices.IndexFunc(ps, func(p Param) bool { return p.Name == name }); i >= 0 {
			return ps[i], true
		}
	}
	return Param{}, false
}

type queryParser struct {
	file string
	text string
	errs Errors
	// names holds every declared parameter name, valid declaration or not,
	// so a broken declaration does not also make its uses unknown.
	names map[string]int
	order []string
	seen  map[string]bool // header keys that may appear once
	// keyLine is the line of each header key that may appear once.
	keyLine map[string]int
}

func (p *queryParser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *queryParser) errorAt(offset int, msg string) {
	line, col := position(p.text, offset)
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Col: col, Msg: msg})
}

// header reads the header into q and returns the offset where the
// statement part of the file begins.
func (p *queryParser) header(q *Query) int {
	p.seen = map[string]bool{}
	off, line := 0, 0
	for off < len(p.text) {
		line++
		next := len(p.text)
		if n := strings.IndexByte(p.text[off:], '\n'); n >= 0 {
			next = off + n + 1
		}
		l := strings.TrimSpace(p.text[off:next])
		if l != "" && !strings.HasPrefix(l, "--") {
			break
		}
		if l != "" {
			p.headerLine(q, line, strings.TrimSpace(l[2:]))
		}
		off = next
	}
	if q.Title == "" && !p.seen["title"] {
		p.errorf(1, "missing title (start the file with -- title: ...)")
	}
	return off
}

func (p *queryParser) headerLine(q *Query, line int, comment string) {
	m := headerKeyRE.FindStringSubmatch(comment)
	if m == nil {
		return
	}
	key, val := m[1], strings.TrimSpace(m[3])
	switch key {
	case "title", "unit", "better", "aggregate", "sample", "spread", "min_sample", "settle", "key":
		if p.seen[key] {
			p.errorf(line, "%s is set twice", key)
			return
		}
		p.seen[key] = true
		if p.keyLine == nil {
			p.keyLine = map[string]int{}
		}
		p.keyLine[key] = line
	}
	switch key {
	case "title":
		if val == "" {
			p.errorf(line, "title is empty")
		}
		q.Title = val
	case "description":
		if val != "" && q.Description != "" {
			q.Description += " "
		}
		q.Description += val
	case "unit":
		p.checkUnit(line, "unit", val)
		q.Unit = val
	case "column":
		p.column(q, line, val)
	case "settle":
		p.settle(q, line, val)
	case "key":
		q.keyLine = line
		for _, name := range strings.Split(val, ",") {
			name = strings.TrimSpace(name)
			if !isName(name) {
				p.errorf(line, "key: %q is not a result column name (letters, digits and _)", name)
				continue
			}
			q.Key = append(q.Key, name)
		}
	case "refresh":
		switch val {
		case "background":
			q.Background = true
		case "wait":
		default:
			p.errorf(line, "refresh: %q is not background or wait", val)
		}
	case "better":
		if !slices.Contains(betters, val) {
			p.errorf(line, "unknown better %q (known: %s)", val, strings.Join(betters, ", "))
		}
		q.Better = val
	case "aggregate":
		if !slices.Contains(Aggregates, val) {
			p.errorf(line, "unknown aggregate %q (known: %s)", val, strings.Join(Aggregates, ", "))
		}
		q.Metric.Aggregate = val
	case "sample", "spread":
		if !isName(val) {
			p.errorf(line, "%s: %q is not a result column name (letters, digits and _)", key, val)
		}
		if key == "sample" {
			q.Metric.Sample, q.Metric.sampleLine = val, line
		} else {
			q.Metric.Spread, q.Metric.spreadLine = val, line
		}
	case "min_sample":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			p.errorf(line, "min_sample: %q is not a whole number of at least 0", val)
		}
		q.Metric.MinSample = n
	case "params":
		if val != "" {
			for _, decl := range splitParams(val) {
				p.param(q, line, strings.TrimSpace(decl))
			}
		}
	default:
		// "-- see: x" is a key; "-- see https://x" and "-- 10:30 run" are not.
		if rest := m[3]; m[2] == "" && (rest == "" || isSpace(rest[0])) {
			p.errorf(line, "unknown header key %q (known: %s)", key, strings.Join(headerKeys, ", "))
		}
	}
}

// splitParams splits a params value on the commas outside quotes.
func splitParams(s string) []string {
	var decls []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			quoted = !quoted
		case ',':
			if !quoted {
				decls = append(decls, s[start:i])
				start = i + 1
			}
		}
	}
	return append(decls, s[start:])
}

// param reads one "name type = default" declaration.
func (p *queryParser) param(q *Query, line int, decl string) {
	head, def, hasDefault := strings.Cut(decl, "=")
	def = strings.TrimSpace(def)
	fields := strings.Fields(head)
	if len(fields) == 0 || len(fields) > 2 {
		p.errorf(line, "bad parameter declaration %q (want: name type = default)", decl)
		return
	}
	name := fields[0]
	if !isName(name) {
		p.errorf(line, "bad parameter name %q (letters, digits and _, not starting with a digit)", name)
		return
	}
	if builtin(name) {
		p.errorf(line, "parameter %q is built in and cannot be declared", name)
		return
	}
	if first, ok := p.names[name]; ok {
		p.errorf(line, "duplicate parameter %q (first declared on line %d)", name, first)
		return
	}
	p.names[name] = line
	p.order = append(p.order, name)
	if len(fields) == 1 {
		p.errorf(line, "parameter %q has no type (known: %s)", name, typeList())
		return
	}
	typ := ParamType(fields[1])
	if !slices.Contains(paramTypes, typ) {
		p.errorf(line, "unknown parameter type %q for %q (known: %s)", typ, name, typeList())
		return
	}
	if !hasDefault || def == "" {
		p.errorf(line, "parameter %q has no default", name)
		return
	}
	param := Param{Name: name, Type: typ, Line: line}
	raw, isQuoted := unquote(def)
	if !isQuoted {
		if typ == Text || strings.Contains(def, "'") {
			p.errorf(line, "bad default for parameter %q (%s): %s (text is single-quoted: 'all')", name, typ, def)
			return
		}
		raw = def
	}
	v, err := param.Parse(raw)
	if err != nil {
		p.errorf(line, "bad default for parameter %q (%s): %q", name, typ, raw)
		return
	}
	param.Default, param.DefaultText = v, raw
	q.Params = append(q.Params, param)
}

// unquote undoes SQL single quoting, where a doubled quote stands for one.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	inner := s[1 : len(s)-1]
	if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
		return "", false
	}
	return strings.ReplaceAll(inner, "''", "'"), true
}

func typeList() string {
	names := make([]string, len(paramTypes))
	for i, t := range paramTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

func isName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// statement reads the statement that starts at offset start of the file,
// checks there is exactly one and binds it.
func (p *queryParser) statement(q *Query, start int) {
	body := p.text[start:]
	toks, err := lex(body)
	if err != nil {
		p.errorAt(start+err.offset, err.msg)
		return
	}
	first, last, semi := -1, -1, false
	for _, t := range toks {
		switch {
		case !t.significant():
			continue
		case t.kind == tokSemicolon:
			semi = first >= 0
			continue
		case semi:
			p.errorAt(start+t.start, "more than one statement")
			return
		}
		if first < 0 {
			first = t.start
		}
		last = t.end
	}
	if first < 0 {
		p.errorAt(len(p.text), "no SQL statement")
		return
	}
	q.SQL = body[first:last]
	q.Line, _ = position(p.text, start+first)
	if off, msg := readsOnly(body, toks); msg != "" {
		p.errorAt(start+off, msg)
		return
	}
	b, phs, err := bind(q.SQL)
	if err != nil {
		p.errorAt(start+first+err.offset, err.msg)
		return
	}
	reported := map[string]bool{}
	var unknown []string
	for _, ph := range phs {
		if _, ok := p.names[ph.Name]; ok || builtin(ph.Name) || reported[ph.Name] {
			continue
		}
		reported[ph.Name] = true
		unknown = append(unknown, ph.Name)
		known := slices.Clone(p.order)
		for _, b := range Builtins {
			known = append(known, b.Name)
		}
		p.errorAt(start+first+ph.Offset, fmt.Sprintf("unknown parameter \":%s\" (known: %s)", ph.Name, strings.Join(known, ", ")))
	}
	// A declared parameter the statement never uses would let a filter
	// set it and change nothing: the dashboard would show the same number
	// for every value, as if it were filtered. A misspelt use (:chanel for
	// channel) is reported once, as unknown.
	for _, par := range q.Params {
		if !slices.Contains(b.Names, par.Name) && closest(par.Name, unknown) == "" {
			p.errorf(par.Line, "parameter %q is declared but never used by the statement (write :%s where it should filter, or remove it from params)", par.Name, par.Name)
		}
	}
	typePlaceholders(b, q.SQL, phs, func(name string) (ParamType, bool) {
		par, ok := q.Param(name)
		return par.Type, ok
	})
	q.Bound = b
}

// serverAccess are functions that reach the database server's files or
// other servers. A read-only role cannot call them; a query file that does
// is refused before it runs, whatever role the warehouse has.
var serverAccess = map[string]bool{
	"pg_read_file": true, "pg_read_binary_file": true, "pg_ls_dir": true, "pg_stat_file": true,
	"pg_ls_logdir": true, "pg_ls_waldir": true, "pg_ls_tmpdir": true, "pg_ls_archive_statusdir": true,
	"lo_import": true, "lo_export": true, "dblink": true, "dblink_exec": true, "dblink_connect": true,
	"pg_terminate_backend": true, "pg_cancel_backend": true, "pg_reload_conf": true, "pg_rotate_logfile": true,
}

// readsOnly checks that a statement is a query (SELECT, WITH, VALUES or
// TABLE; COPY and everything else are refused) and calls no function that
// reaches the server's files or other servers. It returns the byte offset
// in body of the first problem and its message.
func readsOnly(body string, toks []token) (int, string) {
	firstWord := true
	for _, t := range toks {
		if !t.significant() {
			continue
		}
		if t.kind == tokOp && firstWord && body[t.start:t.end] == "(" {
			continue // (SELECT …) UNION …
		}
		if t.kind != tokWord {
			firstWord = false
			continue
		}
		word := strings.ToLower(body[t.start:t.end])
		if firstWord {
			firstWord = false
			switch word {
			case "select", "with", "values", "table":
			default:
				return t.start, fmt.Sprintf("a query file holds one query (SELECT, WITH, VALUES or TABLE), not %s", strings.ToUpper(word))
			}
		}
		if serverAccess[word] {
			return t.start, fmt.Sprintf("%s reaches the database server's files or other servers; queries read data only", word)
		}
	}
	return 0, ""
}

// checkUnit checks a unit: a known one, or "currency" and an ISO code.
func (p *queryParser) checkUnit(line int, key, val string) {
	if code, ok := strings.CutPrefix(val, "currency "); ok {
		if !isoCurrencyRE.MatchString(strings.TrimSpace(code)) {
			p.errorf(line, "%s currency: %q is not an ISO 4217 code such as EUR or GBP", key, strings.TrimSpace(code))
		}
	} else if !slices.Contains(units, val) {
		p.errorf(line, "unknown %s %q (known: %s)", key, val, strings.Join(units, ", "))
	}
}

// ColumnMeta is what a query declares about one result column:
//
//	-- column: days_early unit=days label="Days early" format=0.0
//	-- column: delivery_csat aggregate=mean sample=delivery_responses
type ColumnMeta struct {
	Name, Unit, Label, Format string
	// Aggregate is how the column combines across days (ColumnAggregates),
	// which a query with a settle window needs for every column it returns
	// besides its value, sample and spread; Sample is the column a mean is
	// weighted by.
	Aggregate, Sample string
	Line              int
}

// columnAttrRE reads one key=value of a column line; values may be
// double-quoted.
var columnAttrRE = regexp.MustCompile(`^\s*([a-z]+)=("(?:[^"\\]|\\.)*"|\S+)`)

// column reads a "-- column: NAME key=value …" line.
func (p *queryParser) column(q *Query, line int, val string) {
	name, rest, _ := strings.Cut(strings.TrimSpace(val), " ")
	if !isName(name) {
		p.errorf(line, "column: %q is not a result column name (letters, digits and _)", name)
		return
	}
	for _, c := range q.Columns {
		if c.Name == name {
			p.errorf(line, "column %q is described twice (first on line %d)", name, c.Line)
			return
		}
	}
	c := ColumnMeta{Name: name, Line: line}
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
		m := columnAttrRE.FindStringSubmatch(rest)
		if m == nil {
			p.errorf(line, "column %s: cannot read %q (want key=value: unit, label, format, aggregate, sample)", name, rest)
			return
		}
		rest = rest[len(m[0]):]
		v := m[2]
		if uq, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = uq
		}
		switch m[1] {
		case "unit":
			p.checkUnit(line, "unit", v)
			c.Unit = v
		case "label":
			c.Label = v
		case "format":
			c.Format = v
		case "aggregate":
			if !slices.Contains(ColumnAggregates, v) {
				p.errorf(line, "column %s: unknown aggregate %q (known: %s)", name, v, strings.Join(ColumnAggregates, ", "))
			}
			c.Aggregate = v
		case "sample":
			if !isName(v) {
				p.errorf(line, "column %s: sample %q is not a result column name (letters, digits and _)", name, v)
			}
			c.Sample = v
		default:
			p.errorf(line, "column %s: unknown key %q (known: unit, label, format, aggregate, sample)", name, m[1])
		}
	}
	q.Columns = append(q.Columns, c)
}
