package report

import (
	"strings"
	"testing"
)

// Each chart keeps its caption (the panel's note) under its image, and the
// email links back to the run in opsboard, at the top and at the end.
func TestEmailKeepsCaptionsAndLinksToTheRun(t *testing.T) {
	o := testOutput(nil)
	o.View.Panels[0].Note = "Orders placed each day; cancelled ones excluded."
	o.View.Panels[1].Note = "Deliveries against the promised day."
	const run = "https://ops.example.com/reports/ops-daily/2026-11-21?run=7"
	e := &Email{Output: o, Charts: map[string][]byte{"c0_p1": []byte("\x89PNG")}, From: "opsboard@example.com", ArchiveURL: run}
	msg, err := e.Message()
	if err != nil {
		t.Fatal(err)
	}
	img := strings.Index(msg.HTML, `src="cid:chart-p1@opsboard"`)
	note := strings.Index(msg.HTML, "Orders placed each day; cancelled ones excluded.")
	next := img + strings.Index(msg.HTML[max(img, 0):], ">Broken<")
	if img < 0 || note < img || note > next {
		t.Errorf("the first chart's caption is not under its image (image at %d, caption at %d, next panel at %d)", img, note, next)
	}
	if !strings.Contains(msg.HTML, "Deliveries against the promised day.") {
		t.Errorf("a panel that could not be drawn lost its caption")
	}
	if n := strings.Count(msg.HTML, `href="`+strings.ReplaceAll(run, "&", "&amp;")+`"`); n != 2 {
		t.Errorf("%d links to the run in the HTML, want one under the title and one at the end", n)
	}
	top := strings.Index(msg.HTML, "Open this report in opsboard")
	if top < 0 || top > strings.Index(msg.HTML, "CSAT") {
		t.Errorf("the link to the run is not under the title")
	}
	if first := strings.Index(msg.Text, run); first < 0 || first > strings.Index(msg.Text, "CSAT") {
		t.Errorf("the text body does not start with the link to the run:\n%s", msg.Text)
	}

	e.ArchiveURL = ""
	if msg, err = e.Message(); err != nil || strings.Contains(msg.HTML, "in opsboard") {
		t.Errorf("without a base URL the email still offers a link to opsboard (%v)", err)
	}
}
