package catalog

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// pos is where a node starts in a file: 1-based line and column
// (in characters); zero when unknown.
type pos struct{ line, col int }

// positions records where the values of a definition's keys start, so that
// checks made later (references, result columns) can point at the exact
// line. Keys are the YAML key ("query", "x"), or key and item for list and
// map entries ("y:csat", "params:channel").
type positions map[string]pos

// at returns the position recorded for key (and item, when given), falling
// back to the key's own position and then to def.
func (ps positions) at(def pos, key string, item ...string) pos {
	if len(item) > 0 {
		if p, ok := ps[key+":"+item[0]]; ok {
			return p
		}
	}
	if p, ok := ps[key]; ok {
		return p
	}
	return def
}

// yamlDecoder walks a parsed YAML document and collects every problem it
// finds, each located at the offending node.
type yamlDecoder struct {
	file    string
	errs    Errors
	anchors map[string]ast.Node
	// typos holds, per mapping, the known keys that an unknown key was
	// reported as a likely misspelling of ("chrat" → "chart"), so that the
	// key is not also reported missing.
	typos map[ast.Node]map[string]bool
}

// entry is one key of a mapping, with its value resolved through tags,
// anchors and aliases.
type entry struct {
	key   string
	keyAt pos
	value ast.Node
}

// parseYAML parses src as a single YAML document and returns its root node
// with a decoder to read it. A syntax error, an empty file or more than one
// document is recorded in the decoder and root is nil.
func parseYAML(file string, src []byte) (ast.Node, *yamlDecoder) {
	d := &yamlDecoder{file: file, anchors: map[string]ast.Node{}}
	// Duplicate keys are reported by the decoder, so that the rest of the
	// file is still checked.
	f, err := parser.ParseBytes(src, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		d.syntaxError(err)
		return nil, d
	}
	var docs []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc.Body)
		}
	}
	switch {
	case len(docs) == 0:
		d.errs = append(d.errs, &Error{File: file, Msg: "empty file"})
		return nil, d
	case len(docs) > 1:
		d.errorf(nodePos(docs[1]), "more than one YAML document (a line \"---\" starts another); put one definition in each file")
		return nil, d
	}
	ast.Walk(anchorCollector(d.anchors), docs[0])
	return docs[0], d
}

// syntaxError records a parse error from go-yaml at the position of its token.
func (d *yamlDecoder) syntaxError(err error) {
	e := &Error{File: d.file, Msg: "bad YAML: " + err.Error()}
	if ye, ok := errors.AsType[yaml.Error](err); ok {
		e.Msg = "bad YAML: " + ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			e.Line, e.Col = tk.Position.Line, tk.Position.Column
		}
	}
	d.errs = append(d.errs, e)
}

type anchorCollector map[string]ast.Node

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil {
		a[an.Name.GetToken().Value] = an.Value
	}
	return a
}

// errorf records a problem at a position. A problem already recorded
// there (in a mapping merged into several places) is recorded once.
func (d *yamlDecoder) errorf(at pos, format string, args ...any) {
	e := &Error{File: d.file, Line: at.line, Col: at.col, Msg: fmt.Sprintf(format, args...)}
	if slices.ContainsFunc(d.errs, func(x *Error) bool { return *x == *e }) {
		return
	}
	d.errs = append(d.errs, e)
}

// nodePos returns where n starts. A block mapping's own token is its first
// ":", so its position is taken from its first key.
func nodePos(n ast.Node) pos {
	switch m := n.(type) {
	case nil:
		return pos{}
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 {
			return nodePos(m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return nodePos(m.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return pos{}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}

// resolve looks through tags, anchors and aliases to the node that holds
// the value.
func (d *yamlDecoder) resolve(n ast.Node) ast.Node {
	for range 100 { // an alias cycle cannot loop forever
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := d.anchors[v.Value.GetToken().Value]
			if !ok {
				return n
			}
			n = target
		default:
			return n
		}
	}
	return n
}

// describe names the kind of a value for error messages: `text "wide"`,
// `a list`, `the number 3`.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode:
		return "nothing"
	case *ast.StringNode:
		return strconv.Quote(v.Value)
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + v.GetToken().Value
	case *ast.BoolNode:
		return v.GetToken().Value
	case *ast.AliasNode:
		return "an unknown alias"
	}
	return "a " + n.Type().String()
}

// mapping reads n as a mapping whose keys must be among known. what names
// the thing for messages ("panel"). Unknown keys, duplicate keys and
// non-text keys are reported and left out. ok is false when n is not a
// mapping at all.
func (d *yamlDecoder) mapping(n ast.Node, what string, known []string) (entries map[string]entry, ok bool) {
	n = d.resolve(n)
	var m *ast.MappingNode
	switch v := n.(type) {
	case *ast.MappingNode:
		m = v
	case *ast.MappingValueNode: // a mapping with one key can come back bare
		m = &ast.MappingNode{Values: []*ast.MappingValueNode{v}}
	default:
		d.errorf(nodePos(n), "%s: want a mapping of keys (%s: ...), got %s", what, known[0], describe(n))
		return nil, false
	}
	entries = map[string]entry{}
	var add func(m *ast.MappingNode, merged bool)
	// Keys written in the mapping win over merged ones ("<<: *defaults"),
	// wherever the merge key stands.
	add = func(m *ast.MappingNode, merged bool) {
		for _, mv := range m.Values {
			if mv.Key.IsMergeKey() {
				continue
			}
			key := d.resolve(mv.Key)
			at := nodePos(mv.Key)
			name, isText := scalarText(key)
			if !isText || name == "" {
				d.errorf(at, "%s: keys must be plain names, got %s", what, describe(key))
				continue
			}
			if first, dup := entries[name]; dup {
				if !merged {
					d.errorf(at, "%s: duplicate key %q (first on line %d)", what, name, first.keyAt.line)
				}
				continue
			}
			if strings.HasPrefix(name, "x-") {
				continue // an extension key: a place to hold YAML anchors
			}
			if !slices.Contains(known, name) {
				if s := closest(name, known); s != "" {
					d.errorf(at, "unknown key %q in %s (did you mean %q?)", name, what, s)
					if d.typos == nil {
						d.typos = map[ast.Node]map[string]bool{}
					}
					if d.typos[n] == nil {
						d.typos[n] = map[string]bool{}
					}
					d.typos[n][s] = true
				} else {
					d.errorf(at, "unknown key %q in %s (known: %s)", name, what, strings.Join(known, ", "))
				}
				continue
			}
			entries[name] = entry{key: name, keyAt: at, value: d.resolve(mv.Value)}
		}
		for _, mv := range m.Values {
			if mv.Key.IsMergeKey() {
				d.merge(mv.Value, add)
			}
		}
	}
	add(m, false)
	return entries, true
}

// misspelt reports whether an unknown key of the mapping n was reported
// as a likely misspelling of one of keys: that error says what is missing,
// once (the README promises each problem once).
func (d *yamlDecoder) misspelt(n ast.Node, keys ...string) bool {
	typos := d.typos[d.resolve(n)]
	return slices.ContainsFunc(keys, func(k string) bool { return typos[k] })
}

// merge applies a YAML merge key ("<<: *defaults"): keys already set win.
func (d *yamlDecoder) merge(n ast.Node, add func(*ast.MappingNode, bool)) {
	switch v := d.resolve(n).(type) {
	case *ast.MappingNode:
		add(v, true)
	case *ast.SequenceNode:
		for _, item := range v.Values {
			if m, ok := d.resolve(item).(*ast.MappingNode); ok {
				add(m, true)
			} else {
				d.errorf(nodePos(item), "<<: want a mapping to merge, got %s", describe(d.resolve(item)))
			}
		}
	default:
		d.errorf(nodePos(n), "<<: want a mapping to merge, got %s", describe(v))
	}
}

// scalarText returns a scalar's text as written, so that "0.00" stays
// "0.00" and 2024 becomes "2024". Null and collections are not text.
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	}
	return "", false
}

// str reads a text value. Numbers and booleans count as their text; null
// is empty.
func (d *yamlDecoder) str(e entry) (string, bool) {
	if _, null := e.value.(*ast.NullNode); null {
		return "", true
	}
	s, ok := scalarText(e.value)
	if !ok {
		d.errorf(nodePos(e.value), "%s: want text, got %s", e.key, describe(e.value))
		return "", false
	}
	return s, true
}

// item is one text element of a list value, with its position.
type item struct {
	text string
	at   pos
}

// strs reads a list of text values; a single text value is a list of one.
// Null is an empty list.
func (d *yamlDecoder) strs(e entry) ([]item, bool) {
	switch v := e.value.(type) {
	case *ast.NullNode:
		return nil, true
	case *ast.SequenceNode:
		items, ok := make([]item, 0, len(v.Values)), true
		for _, n := range v.Values {
			n = d.resolve(n)
			s, isText := scalarText(n)
			if !isText {
				d.errorf(nodePos(n), "%s: want a list of text, got %s in it", e.key, describe(n))
				ok = false
				continue
			}
			items = append(items, item{s, nodePos(n)})
		}
		return items, ok
	}
	s, ok := scalarText(e.value)
	if !ok {
		d.errorf(nodePos(e.value), "%s: want text or a list of text, got %s", e.key, describe(e.value))
		return nil, false
	}
	return []item{{s, nodePos(e.value)}}, true
}

// list reads a list value; its items are resolved. Null is an empty list.
func (d *yamlDecoder) list(e entry) ([]ast.Node, bool) {
	switch v := e.value.(type) {
	case *ast.NullNode:
		return nil, true
	case *ast.SequenceNode:
		items := make([]ast.Node, len(v.Values))
		for i, n := range v.Values {
			items[i] = d.resolve(n)
		}
		return items, true
	}
	d.errorf(nodePos(e.value), "%s: want a list, got %s", e.key, describe(e.value))
	return nil, false
}

// int reads a whole number.
func (d *yamlDecoder) int(e entry) (int, bool) {
	// go-yaml reads 0x1f, 0o17 and 1_000 too; the value is what counts.
	if v, ok := e.value.(*ast.IntegerNode); ok {
		switch x := v.Value.(type) {
		case int64:
			return int(x), true
		case uint64: // go-yaml's type for positive numbers
			if x <= math.MaxInt {
				return int(x), true
			}
		}
	}
	d.errorf(nodePos(e.value), "%s: want a whole number, got %s", e.key, describe(e.value))
	return 0, false
}

// float reads a number.
func (d *yamlDecoder) float(e entry) (float64, bool) {
	if f, ok := number(e.value); ok {
		return f, true
	}
	d.errorf(nodePos(e.value), "%s: want a number, got %s", e.key, describe(e.value))
	return 0, false
}

func number(n ast.Node) (float64, bool) {
	switch v := n.(type) {
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			return float64(x), true
		case uint64:
			return float64(x), true
		}
	case *ast.FloatNode:
		return v.Value, true
	}
	return 0, false
}

// Closest returns the candidate nearest to word (ignoring case) when it is
// close enough to be a likely misspelling of it, else "": for "did you
// mean" hints outside the definitions (a URL's query keys).
func Closest(word string, candidates []string) string { return closest(word, candidates) }

// closest returns the candidate nearest to word when it is close enough to
// be a likely typo, else "".
func closest(word string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		dist := editDistance(strings.ToLower(word), strings.ToLower(c))
		if bestDist < 0 || dist < bestDist {
			best, bestDist = c, dist
		}
	}
	limit := 1
	if n := len([]rune(word)); n > 4 {
		limit = 2
	}
	if n := len([]rune(word)); n > 10 {
		limit = 3
	}
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of neighbours
// each cost 1, so "titel" is 1 away from "title".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// suggestion formats " (did you mean %q?)" for the closest candidate, or
// "" when none is close.
func suggestion(word string, candidates []string) string {
	if s := closest(word, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}
