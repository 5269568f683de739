package web

import "testing"

// The sign-in form's "next" only ever leads to a page of this site.
func TestSafeNext(t *testing.T) {
	cases := map[string]string{
		"/d/daily-ops?range=last_7_days": "/d/daily-ops?range=last_7_days",
		"/reports/ops-daily":             "/reports/ops-daily",
		"//evil.example/":                "",
		"/\t/evil.example":               "",
		"/\\evil.example":                "",
		"/%09/evil.example":              "/%09/evil.example", // escaped: a path on this site
		"https://evil.example/":          "",
		"javascript:alert(1)":            "",
		"/login?next=/x":                 "",
		"/logout":                        "",
		"":                               "",
		"/\r\nSet-Cookie: x=1":           "",
		"/ok\x7f":                        "",
	}
	for in, want := range cases {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
