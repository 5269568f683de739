package catalog

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
)

// ParamType is the type of a query parameter, as written in a params header.
type ParamType string

// The parameter types.
const (
	Text    ParamType = "text"
	Int     ParamType = "int"
	Numeric ParamType = "numeric"
	Date    ParamType = "date"
	Bool    ParamType = "bool"
)

var paramTypes = []ParamType{Text, Int, Numeric, Date, Bool}

// dateLayout is how a date parameter is written.
const dateLayout = "2006-01-02"

// Param is a parameter a query can bind as :name.
type Param struct {
	Name string
	Type ParamType
	// Default is the value bound when none is given, of the Go type Parse
	// returns. Built-in parameters have none: their values come from the
	// range being shown.
	Default any
	// DefaultText is the default as a raw value (text unquoted), so that
	// Parse(DefaultText) gives Default. It fills forms and URLs.
	DefaultText string
	Line        int // line of the declaration in the query file; 0 for built-ins
}

// Builtins are always available: from (date, inclusive), to (date,
// exclusive) and day (date: the last day of the range).
var Builtins = []Param{
	{Name: "from", Type: Date},
	{Name: "to", Type: Date},
	{Name: "day", Type: Date},
}

func builtin(name string) bool {
	for _, p := range Builtins {
		if p.Name == name {
			return true
		}
	}
	return false
}

// Parse converts a raw string (from a URL, -p k=v, a YAML lock) to the Go
// value bound for this type: text → string, int → int64, numeric → float64,
// date → time.Time (UTC midnight, written YYYY-MM-DD), bool → bool
// (true/false, yes/no, on/off, 1/0, any case). Text is taken as is; other
// types ignore surrounding spaces. The error names the parameter and the
// expected type and is apperr.ErrInvalid.
func (p Param) Parse(raw string) (any, error) {
	s := strings.TrimSpace(raw)
	switch p.Type {
	case Text:
		return raw, nil
	case Int:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
		return nil, apperr.Invalid("parameter %q: %q is not an int", p.Name, raw)
	case Numeric:
		// ParseFloat also takes "NaN", "Inf" and hex; none of them is a
		// PostgreSQL numeric literal a person would type.
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && !strings.ContainsAny(s, "xX") {
			return f, nil
		}
		return nil, apperr.Invalid("parameter %q: %q is not a number", p.Name, raw)
	case Date:
		if t, err := time.Parse(dateLayout, s); err == nil {
			return t, nil
		}
		return nil, apperr.Invalid("parameter %q: %q is not a date (YYYY-MM-DD)", p.Name, raw)
	case Bool:
		switch strings.ToLower(s) {
		case "true", "yes", "on", "1":
			return true, nil
		case "false", "no", "off", "0":
			return false, nil
		}
		return nil, apperr.Invalid("parameter %q: %q is not a bool (true or false)", p.Name, raw)
	}
	return nil, apperr.Invalid("parameter %q has unknown type %q", p.Name, p.Type)
}
