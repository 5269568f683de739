package catalog

import (
	"strconv"
	"strings"
)

// DayColumn is the first column of a Daily statement's result: the day
// each row was computed for.
const DayColumn = "opsboard_day"

// Daily rewrites the statement so that one round trip computes it for each
// day of a range: the statement runs once per day (a lateral join over the
// days), with :from bound to the day, :to to the next day and :day to the
// day, and every row comes back with its day first. Its parameters are
// "from" and "to" (the range of days) and then the statement's own
// parameters. A tile's sparkline is one such query instead of one query per
// point. Nil when the statement does not use the range (it would give the
// same row every day).
func (b *Bound) Daily() *Bound {
	uses := false
	for _, n := range b.Names {
		if n == "from" || n == "to" || n == "day" {
			uses = true
		}
	}
	if !uses {
		return nil
	}
	toks, err := lex(b.SQL)
	if err != nil {
		return nil
	}
	out := &Bound{Names: []string{"from", "to"}}
	renumber := map[int]int{}
	var inner strings.Builder
	done := 0
	for _, t := range toks {
		if t.kind != tokPositional {
			continue
		}
		k, err := strconv.Atoi(b.SQL[t.start+1 : t.end])
		if err != nil || k < 1 || k > len(b.Names) {
			return nil
		}
		inner.WriteString(b.SQL[done:t.start])
		switch name := b.Names[k-1]; name {
		case "from", "day":
			inner.WriteString("d." + DayColumn)
		case "to":
			inner.WriteString("(d." + DayColumn + " + 1)")
		default:
			n, ok := renumber[k]
			if !ok {
				out.Names = append(out.Names, name)
				n = len(out.Names)
				renumber[k] = n
			}
			inner.WriteString("$" + strconv.Itoa(n))
		}
		done = t.end
	}
	inner.WriteString(b.SQL[done:])
	out.SQL = "SELECT d." + DayColumn + ", q.* FROM (SELECT generate_series($1::date, $2::date - 1, interval '1 day')::date AS " +
		DayColumn + ") AS d CROSS JOIN LATERAL (\n" + inner.String() + "\n) AS q ORDER BY 1"
	return out
}
