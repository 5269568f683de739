package chart

import (
	"encoding/json"
	"html"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/opsboard/opsboard/internal/browser/browsertest"
)

// The browser writes every number exactly as the server does: a table of
// values and formats goes through Spec.Format in Go and opsboardFormat in
// Chromium, and the two must agree character for character.
func TestBrowserFormatsExactlyAsGo(t *testing.T) {
	chrome := browsertest.Need(t)
	values := []float64{0, 1, -1, 0.5, 2.5, 0.125, 0.935, 0.9995, -0.0004, 4.321, 4.325, 54.2, 999.995, 1000, 1234.5,
		1234.5678, -1234, 12345.675, 99999.95, 100000, 123456, 1.5e6, 2.45e9, 1e15, 3.333333, 1e-7, math.NaN()}
	var specs []Spec
	for _, unit := range []string{"", "count", "percent", "ratio", "score", "currency", "currency EUR", "currency CHF", "currency JPY", "hours", "days"} {
		specs = append(specs, SpecFor(unit, ""), SpecFor(unit, "").Axis())
	}
	for _, pattern := range []string{"0.00", "0.0%", "0,0", "$0,0", "0,0.0 h", "0%"} {
		specs = append(specs, SpecFor("", pattern))
	}
	type row struct {
		Spec  Spec     `json:"spec"`
		Value *float64 `json:"value"` // null: a missing value (NaN in Go)
		Go    string   `json:"go"`
	}
	var rows []row
	for _, s := range specs {
		for _, v := range values {
			r := row{Spec: s, Go: s.Format(v)}
			if !math.IsNaN(v) {
				r.Value = &v
			}
			rows = append(rows, r)
		}
	}
	table, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	page := `<!doctype html><html><body><pre id="out"></pre><script>` + FormatJS + `
var rows = ` + string(table) + `;
var bad = [];
rows.forEach(function (r) {
  var got = opsboardFormat(r.spec, r.value);
  if (got !== r.go) bad.push({spec: r.spec, value: r.value, go: r.go, browser: got});
});
document.getElementById("out").textContent = JSON.stringify({n: rows.length, bad: bad});
</script></body></html>`
	file := filepath.Join(t.TempDir(), "format.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := runChromium(t, chrome, "--dump-dom", "file://"+file)
	m := regexp.MustCompile(`<pre id="out">([^<]*)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page wrote no result:\n%.500s", dom)
	}
	var result struct {
		N   int `json:"n"`
		Bad []struct {
			Spec    Spec     `json:"spec"`
			Value   *float64 `json:"value"`
			Go      string   `json:"go"`
			Browser string   `json:"browser"`
		} `json:"bad"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &result); err != nil {
		t.Fatal(err)
	}
	if result.N != len(rows) {
		t.Fatalf("the browser checked %d values, want %d", result.N, len(rows))
	}
	for _, b := range result.Bad {
		v := "null"
		if b.Value != nil {
			v = formatG(*b.Value)
		}
		t.Errorf("%+v of %s: Go %q, browser %q", b.Spec, v, b.Go, b.Browser)
	}
}

func formatG(v float64) string { b, _ := json.Marshal(v); return string(b) }
