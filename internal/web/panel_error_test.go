package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// A panel whose query the database refuses says so on the page, naming
// the query file to open.
func TestPanelErrorNamesTheQueryFile(t *testing.T) {
	root := writeDefs(t, map[string]string{
		"sql/broken.sql":        "-- title: Broken\nSELECT d::date AS day, nope AS n\nFROM generate_series(:from::date, :to::date - 1, '1 day') d",
		"dashboards/mixed.yaml": "title: Mixed\npanels:\n  - {title: Broken one, query: broken, chart: line, x: day, y: n}\n",
	})
	ts := startServer(t, demoDB(t), root)
	code, body, _ := get(t, ts.URL+"/d/mixed")
	i := strings.Index(body, `data-error="true"`)
	if code != http.StatusOK || i < 0 {
		t.Fatalf("/d/mixed = %d without a failed panel", code)
	}
	if panel := body[i:min(len(body), i+400)]; !strings.Contains(panel, "sql/broken.sql") || !strings.Contains(panel, `column &#34;nope&#34; does not exist`) {
		t.Errorf("the failed panel does not name its query file and the problem:\n%s", panel)
	}
}
