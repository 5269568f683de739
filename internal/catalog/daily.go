package catalog

import (
	"strconv"
	"strings"
)

// DayColumn is the first column of a Daily statement's result: the day
// each row was computed for.
const DayColumn = "opsboard_day"

// DayParam and NextDayParam name the parameters of a Daily statement's
// n-th day: the day itself (bound to :from and :day) and the next one
// (bound to :to).
func DayParam(n int) string     { return "opsboard_day_" + strconv.Itoa(n) }
func NextDayParam(n int) string { return "opsboard_next_" + strconv.Itoa(n) }

// Daily rewrites the statement so that one round trip computes it for each
// of days consecutive days: the statement once per day, joined with UNION
// ALL, with :from and :day bound to the day and :to to the next, every row
// led by its day. Each day has parameters of its own, so that PostgreSQL
// plans every day with its dates known (a lateral join over the days would
// share one generic plan, and miss partial indexes: the backlog query went
// from 2 ms a day to 600). Its parameters are, for each day, DayParam(n)
// when the statement uses :from or :day and NextDayParam(n) when it uses
// :to, then the statement's own. A tile's
// sparkline is one such query instead of one query per point. Nil when the
// statement does not use the range (every day would give the same row).
func (b *Bound) Daily(days int) *Bound {
	// A day's parameters are only those the statement uses: PostgreSQL
	// refuses a parameter it cannot type.
	usesDay, usesNext := false, false
	for _, n := range b.Names {
		switch n {
		case "from", "day":
			usesDay = true
		case "to":
			usesNext = true
		}
	}
	if !usesDay && !usesNext || days < 1 {
		return nil
	}
	toks, err := lex(b.SQL)
	if err != nil {
		return nil
	}
	out := &Bound{}
	dayOf, nextOf := map[int]string{}, map[int]string{}
	for n := range days {
		if usesDay {
			out.Names = append(out.Names, DayParam(n))
			dayOf[n] = "$" + strconv.Itoa(len(out.Names))
		}
		if usesNext {
			out.Names = append(out.Names, NextDayParam(n))
			nextOf[n] = "$" + strconv.Itoa(len(out.Names))
		}
	}
	own := map[int]int{} // the statement's $k → its $n in the daily form
	for k, name := range b.Names {
		if name != "from" && name != "to" && name != "day" {
			out.Names = append(out.Names, name)
			own[k+1] = len(out.Names)
		}
	}
	var sql strings.Builder
	for n := range days {
		day, next := dayOf[n], nextOf[n]
		if n > 0 {
			sql.WriteString("\nUNION ALL\n")
		}
		if day != "" {
			sql.WriteString("SELECT (" + day + "::date) AS " + DayColumn + ", q.* FROM (\n")
		} else {
			sql.WriteString("SELECT ((" + next + "::date) - 1) AS " + DayColumn + ", q.* FROM (\n")
		}
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
			switch b.Names[k-1] {
			case "from", "day":
				sql.WriteString(day)
			case "to":
				sql.WriteString(next)
			default:
				sql.WriteString("$" + strconv.Itoa(own[k]))
			}
			done = t.end
		}
		sql.WriteString(b.SQL[done:])
		sql.WriteString("\n) AS q")
	}
	out.SQL = sql.String()
	return out
}
