package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// PrintStore keeps report PDFs by fingerprint (opsboard's store).
type PrintStore interface {
	// LoadPrint returns the PDF kept under fingerprint and not expired at
	// now; an error when there is none.
	LoadPrint(ctx context.Context, fingerprint string, now time.Time) ([]byte, error)
	SavePrint(ctx context.Context, fingerprint, report string, day time.Time, body []byte, printed, expires time.Time) error
	// HasPrint reports whether a PDF of report for day is kept.
	HasPrint(ctx context.Context, report string, day, now time.Time) (bool, error)
}

// printVersion changes with what a PDF shows beyond its page and footer
// (the print options in package browser), so that no print made before is
// read back.
const printVersion = "1"

const (
	// printWait bounds each read or write of a kept print: a slow store
	// costs a print at most this twice, and then it prints as without one.
	printWait = time.Second
	// printKeep is how long a print made outside the morning is kept.
	printKeep = 24 * time.Hour
)

// fingerprint names what a print shows: the report page (without the time
// it was rendered), the footer and the print options. The page names its
// stylesheets and scripts by their content's hash, so a new version of
// them is a new fingerprint too.
func fingerprint(subject string, page []byte) string {
	h := sha256.New()
	h.Write([]byte(printVersion + "\x00" + footer(subject) + "\x00"))
	h.Write(page)
	return hex.EncodeToString(h.Sum(nil))
}

// keptPrint returns the kept PDF of o's page, or nil.
func (p *Producer) keptPrint(ctx context.Context, o *Output) []byte {
	if p.prints == nil || o.fingerprint == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, printWait)
	defer cancel()
	body, err := p.prints.LoadPrint(ctx, o.fingerprint, time.Now())
	if err != nil {
		return nil
	}
	return body
}

// keepPrint keeps body, the PDF of o's page, until o's results expire (a
// day when they were not computed ahead). A partial report is not kept:
// its next print may find the failed parts back.
func (p *Producer) keepPrint(ctx context.Context, o *Output, body []byte) {
	if p.prints == nil || o.fingerprint == "" || o.Partial() {
		return
	}
	now := time.Now()
	until := o.keepUntil
	if until.IsZero() {
		until = now.Add(printKeep)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), printWait)
	defer cancel()
	// Not kept (the store is down or slow): printed again next time.
	_ = p.prints.SavePrint(ctx, o.fingerprint, o.Report.Name, o.Date, body, now, until)
}

// Printed reports whether a PDF of report name for date is kept: whether
// its next print is likely a read, with no Chromium to start.
func (p *Producer) Printed(ctx context.Context, name string, date time.Time) bool {
	if p.prints == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, printWait)
	defer cancel()
	ok, err := p.prints.HasPrint(ctx, name, date, time.Now())
	return err == nil && ok
}
