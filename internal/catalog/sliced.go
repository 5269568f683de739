package catalog

import (
	"strconv"
	"strings"
)

// SliceColumn is the first column of a Sliced statement's result: the
// first day of the slice each row was computed for.
const SliceColumn = "opsboard_slice"

// Parameters of a Sliced statement's n-th slice: its first day (bound to
// :from), the day after its last (:to) and its last day (:day).
func SliceFrom(n int) string { return "opsboard_from_" + strconv.Itoa(n) }
func SliceTo(n int) string   { return "opsboard_to_" + strconv.Itoa(n) }
func SliceDay(n int) string  { return "opsboard_day_" + strconv.Itoa(n) }

// Sliced rewrites the statement so that one round trip computes it for
// each of n slices of a range (a tile's sparkline): the statement once per
// slice, joined with UNION ALL, every row led by its slice's first day.
// Each slice has parameters of its own, so that PostgreSQL plans every
// slice with its dates known (a lateral join over the days shares one
// generic plan and misses partial indexes: the backlog query went from
// 2 ms a day to 600). Only the range parameters used are bound
// (PostgreSQL cannot type an unused one): for each slice SliceFrom, which
// labels its rows, and SliceTo and SliceDay as the statement uses :to and
// :day, then the statement's own. Nil when the statement does not use the
// range (every slice would give the same row).
func (b *Bound) Sliced(n int) *Bound {
	uses := map[string]bool{}
	for _, name := range b.Names {
		if name == "from" || name == "to" || name == "day" {
			uses[name] = true
		}
	}
	if len(uses) == 0 || n < 1 {
		return nil
	}
	uses["from"] = true // the rows' label, whatever the statement uses
	toks, err := lex(b.SQL)
	if err != nil {
		return nil
	}
	out := &Bound{}
	param := make([]map[string]string, n) // per slice: range name → "$k"
	for i := range n {
		param[i] = map[string]string{}
		for _, r := range []struct{ name, param string }{{"from", SliceFrom(i)}, {"to", SliceTo(i)}, {"day", SliceDay(i)}} {
			if uses[r.name] {
				out.Names = append(out.Names, r.param)
				param[i][r.name] = "$" + strconv.Itoa(len(out.Names))
			}
		}
	}
	own := map[int]string{} // the statement's $k → its $n in the sliced form
	for k, name := range b.Names {
		if !uses[name] {
			out.Names = append(out.Names, name)
			own[k+1] = "$" + strconv.Itoa(len(out.Names))
		}
	}
	var sql strings.Builder
	for i := range n {
		if i > 0 {
			sql.WriteString("\nUNION ALL\n")
		}
		sql.WriteString("SELECT (" + param[i]["from"] + "::date) AS " + SliceColumn + ", q.* FROM (\n")
		done := 0
		for _, t := range toks {
			if t.kind != tokPositional {
				continue
			}
			k, err := strconv.Atoi(b.SQL[t.start+1 : t.end])
			if err != nil || k < 1 || k > len(b.Names) {
				return nil
			}
			sql.WriteString(b.SQL[done:t.start])
			if p, ok := param[i][b.Names[k-1]]; ok {
				sql.WriteString(p)
			} else {
				sql.WriteString(own[k])
			}
			done = t.end
		}
		sql.WriteString(b.SQL[done:])
		sql.WriteString("\n) AS q")
	}
	out.SQL = sql.String()
	return out
}
