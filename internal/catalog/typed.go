package catalog

import (
	"strconv"
	"strings"
)

// pgTypes is the PostgreSQL type each parameter type is bound as.
var pgTypes = map[ParamType]string{Text: "text", Int: "bigint", Numeric: "numeric", Date: "date", Bool: "boolean"}

// typePlaceholders casts every $n to its parameter's declared type,
// ($1::date), so PostgreSQL never has to guess: `SELECT :n` returns a
// number, not text, and `placed_at >= :from` compares against midnight of
// the business day. phs are the placeholders of sql as Bind found them.
func typePlaceholders(bound *Bound, sql string, phs []Placeholder, typeOf func(name string) (ParamType, bool)) {
	index := make(map[string]int, len(bound.Names))
	for i, n := range bound.Names {
		index[n] = i + 1
	}
	var out strings.Builder
	done := 0
	for _, ph := range phs {
		out.WriteString(sql[done:ph.Offset])
		n := strconv.Itoa(index[ph.Name])
		if t, ok := typeOf(ph.Name); ok && pgTypes[t] != "" {
			out.WriteString("($" + n + "::" + pgTypes[t] + ")")
		} else {
			out.WriteString("$" + n)
		}
		done = ph.Offset + 1 + len(ph.Name)
	}
	out.WriteString(sql[done:])
	bound.SQL = out.String()
}
