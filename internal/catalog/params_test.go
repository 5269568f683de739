package catalog

import (
	"errors"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
)

func TestParamParse(t *testing.T) {
	day := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		typ  ParamType
		raw  string
		want any
	}{
		{Text, "web", "web"},
		{Text, "", ""},
		{Text, " it's ", " it's "},
		{Int, "5", int64(5)},
		{Int, " -12 ", int64(-12)},
		{Numeric, "0.5", 0.5},
		{Numeric, "3", 3.0},
		{Numeric, "-1e3", -1000.0},
		{Date, "2024-01-31", day},
		{Bool, "true", true},
		{Bool, "FALSE", false},
		{Bool, "yes", true},
		{Bool, "no", false},
		{Bool, "on", true},
		{Bool, "1", true},
		{Bool, "0", false},
	}
	for _, tt := range tests {
		p := Param{Name: "p", Type: tt.typ}
		got, err := p.Parse(tt.raw)
		if err != nil {
			t.Errorf("%s Parse(%q): %v, want %#v", tt.typ, tt.raw, err, tt.want)
			continue
		}
		if got != tt.want {
			t.Errorf("%s Parse(%q) = %#v, want %#v", tt.typ, tt.raw, got, tt.want)
		}
	}
	if got, _ := (Param{Name: "d", Type: Date}).Parse("2024-01-31"); got.(time.Time).Location() != time.UTC {
		t.Errorf("date Parse gives location %v, want UTC", got.(time.Time).Location())
	}
}

func TestParamParseErrors(t *testing.T) {
	tests := []struct {
		typ  ParamType
		raw  string
		want string
	}{
		{Int, "abc", `parameter "n": "abc" is not an int`},
		{Int, "1.5", `parameter "n": "1.5" is not an int`},
		{Int, "", `parameter "n": "" is not an int`},
		{Numeric, "abc", `parameter "n": "abc" is not a number`},
		{Numeric, "NaN", `parameter "n": "NaN" is not a number`},
		{Numeric, "Inf", `parameter "n": "Inf" is not a number`},
		{Numeric, "0x10", `parameter "n": "0x10" is not a number`},
		{Date, "2024-02-30", `parameter "n": "2024-02-30" is not a date (YYYY-MM-DD)`},
		{Date, "31/01/2024", `parameter "n": "31/01/2024" is not a date (YYYY-MM-DD)`},
		{Bool, "maybe", `parameter "n": "maybe" is not a bool (true or false)`},
		{"txt", "x", `parameter "n" has unknown type "txt"`},
	}
	for _, tt := range tests {
		p := Param{Name: "n", Type: tt.typ}
		v, err := p.Parse(tt.raw)
		if err == nil {
			t.Errorf("%s Parse(%q) = %#v, want error %q", tt.typ, tt.raw, v, tt.want)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("%s Parse(%q) error = %q, want %q", tt.typ, tt.raw, got, tt.want)
		}
		if !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("%s Parse(%q) error is not apperr.ErrInvalid", tt.typ, tt.raw)
		}
	}
}
