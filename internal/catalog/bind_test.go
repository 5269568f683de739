package catalog

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/opsboard/opsboard/internal/apperr"
)

func TestBind(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		sql   string
		names []string
	}{
		{"plain", "SELECT * FROM t WHERE a = :a AND b = :b", "SELECT * FROM t WHERE a = $1 AND b = $2", []string{"a", "b"}},
		{"reused", "WHERE (:channel = 'all' OR channel = :channel) AND d >= :from", "WHERE ($1 = 'all' OR channel = $1) AND d >= $2", []string{"channel", "from"}},
		{"no placeholders", "SELECT 1", "SELECT 1", nil},
		{"at start and end", ":a+:b", "$1+$2", []string{"a", "b"}},
		{"name with digits and _", "x = :min_orders2", "x = $1", []string{"min_orders2"}},
		{"cast", "SELECT x::date, '1'::int", "SELECT x::date, '1'::int", nil},
		{"placeholder cast", "WHERE d >= :from::date", "WHERE d >= $1::date", []string{"from"}},
		{"cast of parenthesised placeholder", "(:n)::int", "($1)::int", []string{"n"}},
		{"named argument", "SELECT f(a := 1, b => :b)", "SELECT f(a := 1, b => $1)", []string{"b"}},
		{"string", "SELECT 'a:b', :x", "SELECT 'a:b', $1", []string{"x"}},
		{"string with doubled quote", "SELECT 'it''s :x', :y", "SELECT 'it''s :x', $1", []string{"y"}},
		{"escape string", `SELECT E'it\'s :x', :y`, `SELECT E'it\'s :x', $1`, []string{"y"}},
		{"escape string lowercase", `SELECT e'\\', :y`, `SELECT e'\\', $1`, []string{"y"}},
		{"backslash in standard string", `SELECT 'C:\', :y`, `SELECT 'C:\', $1`, []string{"y"}},
		{"unicode string", `SELECT U&'d\0061t:x', :y`, `SELECT U&'d\0061t:x', $1`, []string{"y"}},
		{"unicode identifier", `SELECT U&"a:b" FROM t WHERE :y`, `SELECT U&"a:b" FROM t WHERE $1`, []string{"y"}},
		{"bit string", `SELECT B'101', X'1F', :y`, `SELECT B'101', X'1F', $1`, []string{"y"}},
		{"quoted identifier", `SELECT "col:x", "a""b:c" FROM t WHERE :y`, `SELECT "col:x", "a""b:c" FROM t WHERE $1`, []string{"y"}},
		{"line comment", "SELECT 1 -- :x\n, :y", "SELECT 1 -- :x\n, $1", []string{"y"}},
		{"line comment at end", "SELECT :y -- :x", "SELECT $1 -- :x", []string{"y"}},
		{"nested block comment", "SELECT /* :x /* nested */ :y */ :z", "SELECT /* :x /* nested */ :y */ $1", []string{"z"}},
		{"dollar quote", "SELECT $$ :x ' $$, :y", "SELECT $$ :x ' $$, $1", []string{"y"}},
		{"tagged dollar quote", "SELECT $fn$ :x $$ :z $fn$, :y", "SELECT $fn$ :x $$ :z $fn$, $1", []string{"y"}},
		{"dollar in identifier", "SELECT a$1, :y", "SELECT a$1, $1", []string{"y"}},
		{"slice with numbers", "SELECT arr[1:2], :y", "SELECT arr[1:2], $1", []string{"y"}},
		{"slice with names", "SELECT arr[lo:hi]", "SELECT arr[lo:hi]", nil},
		{"slice of expression", "SELECT (f(x))[a:b], g(x)[(i):j]", "SELECT (f(x))[a:b], g(x)[(i):j]", nil},
		{"slice without lower bound", "SELECT arr[:hi], arr [ :hi]", "SELECT arr[:hi], arr [ :hi]", nil},
		{"slice up to a placeholder", "SELECT arr[1: :n], arr[:n:m]", "SELECT arr[1: $1], arr[:n:m]", []string{"n"}},
		{"subscript by placeholder", "SELECT arr[:i + 1]", "SELECT arr[:i + 1]", nil},
		{"array constructor", "SELECT ARRAY[:a, :b], array [:c], ARRAY[[:d]]", "SELECT ARRAY[$1, $2], array [$3], ARRAY[[$4]]", []string{"a", "b", "c", "d"}},
		{"name glued to a name", "SELECT a:b", "SELECT a:b", nil},
		{"psql variables", `SELECT :'v', :"w"`, `SELECT :'v', :"w"`, nil},
		{"colon before digit", "SELECT :1", "SELECT :1", nil},
		{"semicolon kept", "SELECT :a; ", "SELECT $1; ", []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, phs, err := Bind(tt.in)
			if err != nil {
				t.Fatalf("Bind(%q): %v", tt.in, err)
			}
			if got, want := b.SQL, tt.sql; got != want {
				t.Errorf("Bind(%q).SQL = %q, want %q", tt.in, got, want)
			}
			if got, want := b.Names, tt.names; !slices.Equal(got, want) {
				t.Errorf("Bind(%q).Names = %q, want %q", tt.in, got, want)
			}
			for _, ph := range phs {
				if got, want := tt.in[ph.Offset:ph.Offset+1+len(ph.Name)], ":"+ph.Name; got != want {
					t.Errorf("Bind(%q): placeholder at offset %d reads %q, want %q", tt.in, ph.Offset, got, want)
				}
			}
		})
	}
}

func TestBindPlaceholders(t *testing.T) {
	in := "SELECT :a,\n :b, :a"
	_, got, err := Bind(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Placeholder{{"a", 7}, {"b", 12}, {"a", 16}}
	if !slices.Equal(got, want) {
		t.Errorf("Bind(%q) placeholders = %v, want %v", in, got, want)
	}
}

func TestBindErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"SELECT * FROM t WHERE a = $1", "1:27: use :name parameters, not $1"},
		{"SELECT 1,\n  $12", "2:3: use :name parameters, not $12"},
		{"SELECT 'abc", "1:8: unterminated quoted string"},
		{`SELECT E'abc\'`, "1:8: unterminated quoted string"},
		{`SELECT "abc`, "1:8: unterminated quoted identifier"},
		{"SELECT /* a /* b */", "1:8: unterminated /* comment"},
		{"SELECT $x$ a $$", "1:8: unterminated dollar-quoted string $x$"},
		{"SELECT 'é', $1", "1:13: use :name parameters, not $1"},
	}
	for _, tt := range tests {
		_, _, err := Bind(tt.in)
		if err == nil {
			t.Errorf("Bind(%q) succeeded, want error %q", tt.in, tt.want)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Bind(%q) error = %q, want %q", tt.in, got, tt.want)
		}
		if !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("Bind(%q) error %q is not apperr.ErrInvalid", tt.in, err)
		}
	}
}

func TestArgs(t *testing.T) {
	b, _, err := Bind("SELECT :b, :a, :b")
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Args(map[string]any{"a": int64(1), "b": "x", "unused": true})
	if err != nil {
		t.Fatalf("Args: %v", err)
	}
	if want := []any{"x", int64(1)}; !slices.Equal(got, want) {
		t.Errorf("Args = %v, want %v", got, want)
	}

	_, err = b.Args(map[string]any{"b": "x"})
	if err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("Args without a: error = %v, want one naming parameter \"a\"", err)
	}
}
