package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/mail"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
)

//go:embed templates/email.html
var emailFiles embed.FS

var emailTemplate = template.Must(template.ParseFS(emailFiles, "templates/email.html"))

// Email is everything a report email is built from.
type Email struct {
	Output     *Output
	PDF        []byte
	Charts     map[string][]byte // PNG per chart element id
	ArchiveURL string            // the run's page in opsboard (its archived copy); "" when no base URL is configured
	From       string
}

type emailTile struct {
	page.TileBlock
	Color, TargetColor string
	// Row starts a row of Outlook's ghost table (every third tile but the
	// first): Outlook lays the tiles out in that table, other mail apps
	// let them wrap.
	Row bool
}

// Outlook for Windows (Word's engine) knows no inline-block: the tiles sit
// in a table only it reads, inside conditional comments (html/template
// would drop comments written in the template itself).
var (
	msoOpen  = template.HTML(`<!--[if mso]><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td width="33%" valign="top"><![endif]-->`)
	msoCell  = template.HTML(`<!--[if mso]></td><td width="33%" valign="top"><![endif]-->`)
	msoRow   = template.HTML(`<!--[if mso]></td></tr><tr><td width="33%" valign="top"><![endif]-->`)
	msoClose = template.HTML(`<!--[if mso]></td></tr></table><![endif]-->`)
	// The page is 640 px at most (max-width), and narrower on a phone;
	// Outlook, which ignores max-width, gets a 640 px table.
	msoPage    = template.HTML(`<!--[if mso]><table role="presentation" width="640" align="center" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->`)
	msoPageEnd = template.HTML(`<!--[if mso]></td></tr></table><![endif]-->`)
)

// emailChart is one panel in the email: its image (by content id) or a
// line of text in its place, and its caption, as under the chart on the
// page.
type emailChart struct {
	Title, CID, Text, Note string
}

var toneColors = map[string]string{"good": "#14804a", "bad": "#c2362b", "neutral": "#5f6b7a", "": "#5f6b7a"}

// Message builds the email: a table-based HTML body with inline CSS (it
// reads in Outlook and Gmail), a plain-text alternative, each chart as an
// inline PNG referenced by cid:, and the PDF attached.
func (e *Email) Message() (*mail.Message, error) {
	o := e.Output
	data := page.Report(o.View, o.Report.Title, o.Report.Description)
	var tiles []emailTile
	for _, t := range data.Tiles {
		et := emailTile{TileBlock: t, Color: toneColors[t.Tone], TargetColor: "#5f6b7a"}
		if t.TargetClass == "met" {
			et.TargetColor = toneColors["good"]
		} else if t.TargetClass == "missed" {
			et.TargetColor = toneColors["bad"]
		}
		et.Row = len(tiles) > 0 && len(tiles)%3 == 0
		tiles = append(tiles, et)
	}

	msg := &mail.Message{From: e.From, To: o.Report.To, Cc: o.Report.Cc, Subject: o.Subject}
	var charts []emailChart
	for i, p := range o.View.Panels {
		ec := emailChart{Title: p.Title}
		if i < len(data.Panels) {
			ec.Note = data.Panels[i].Note
		}
		id := chartElementID(i, p.ID)
		switch png, ok := e.Charts[id]; {
		case p.Err != nil:
			ec.Text = "This panel could not be computed: " + p.Err.Error()
		case ok:
			ec.CID = "chart-" + p.ID + "@opsboard"
			msg.Inline = append(msg.Inline, mail.Part{Name: "chart-" + p.ID + ".png", ContentID: ec.CID, ContentType: "image/png", Data: png})
		case p.Frame == nil || len(p.Frame.Rows) == 0:
			ec.Text = "No data for this period."
		default:
			ec.Text = "Shown in the attached PDF."
		}
		charts = append(charts, ec)
	}

	var html bytes.Buffer
	err := emailTemplate.Execute(&html, map[string]any{
		"Subject": o.Subject, "Title": o.Report.Title, "Period": data.Period, "TimeZone": data.TimeZone,
		"Comparison": data.Comparison, "Partial": o.Partial(), "Failures": o.Failures,
		"Tiles": tiles, "MsoOpen": msoOpen, "MsoCell": msoCell, "MsoRow": msoRow, "MsoClose": msoClose,
		"MsoPage": msoPage, "MsoPageEnd": msoPageEnd, "Highlights": o.Highlights, "Charts": charts, "ArchiveURL": e.ArchiveURL,
		"WithPDF": attaches(o.Report, catalog.AttachPDF),
	})
	if err != nil {
		return nil, err
	}
	msg.HTML = html.String()
	msg.Text = plainText(o, data, e.ArchiveURL, attaches(o.Report, catalog.AttachPDF))
	stem := o.Report.Name + "-" + o.Date.Format(query.DateLayout)
	if len(e.PDF) > 0 && attaches(o.Report, catalog.AttachPDF) {
		msg.Attachments = append(msg.Attachments, mail.Part{Name: stem + ".pdf", ContentType: "application/pdf", Data: e.PDF})
	}
	if attaches(o.Report, catalog.AttachCSV) {
		for _, p := range o.View.Panels {
			if p.Frame == nil || p.Err != nil {
				continue
			}
			var buf bytes.Buffer
			if err := p.Frame.WriteCSV(&buf); err != nil {
				return nil, err
			}
			msg.Attachments = append(msg.Attachments, mail.Part{
				Name: stem + "-" + p.ID + "-" + fileSlug(p.Title) + ".csv", ContentType: "text/csv", Data: buf.Bytes(),
			})
		}
	}
	return msg, nil
}

// attaches reports whether the report attaches the given kind; a report
// that names no attachments gets the PDF.
func attaches(r *catalog.Report, kind string) bool {
	if len(r.Attach) == 0 {
		return kind == catalog.AttachPDF
	}
	for _, a := range r.Attach {
		if a == kind {
			return true
		}
	}
	return false
}

// fileSlug makes an ASCII file-name part of a title.
func fileSlug(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// chartElementID is the DOM id the page gives panel i's chart; it must
// match what page.Panel renders.
func chartElementID(i int, panelID string) string { return page.ChartID(i, panelID) }

func plainText(o *Output, data page.ReportData, archiveURL string, withPDF bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s · %s · compared with %s\n", o.Report.Title, data.Period, data.TimeZone, data.Comparison)
	if archiveURL != "" {
		fmt.Fprintf(&b, "Open it in opsboard: %s\n", archiveURL)
	}
	b.WriteString("\n")
	if o.Partial() {
		b.WriteString("PARTIAL REPORT: some parts could not be computed:\n")
		for _, f := range o.Failures {
			fmt.Fprintf(&b, "  - %s\n", f)
		}
		b.WriteString("\n")
	}
	for _, t := range data.Tiles {
		value := t.Value
		if t.Err != "" {
			value = "could not compute"
		}
		fmt.Fprintf(&b, "%-28s %12s  %s\n", t.Label, value, t.Delta)
	}
	if len(o.Highlights) > 0 {
		b.WriteString("\nHighlights\n")
		for _, h := range o.Highlights {
			fmt.Fprintf(&b, "  - %s\n", h)
		}
	}
	if withPDF {
		b.WriteString("\nThe full report with its charts is attached as a PDF.\n")
	}
	if archiveURL != "" {
		fmt.Fprintf(&b, "This run in opsboard: %s\n", archiveURL)
	}
	return b.String()
}
