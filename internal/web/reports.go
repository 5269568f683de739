package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/store"
)

func (s *Server) registerReportRoutes(r *mux.Router) {
	r.Handle("/reports", s.handle(s.reportsPage)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/reports/{name}", s.handle(s.reportsPage)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/reports/{name}/preview", s.handle(s.previewReport)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/reports/{name}/{date:[0-9]{4}-[0-9]{2}-[0-9]{2}}.pdf", s.handle(s.archivedPDF)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/reports/{name}/{date:[0-9]{4}-[0-9]{2}-[0-9]{2}}", s.handle(s.archivedPage)).Methods(http.MethodGet, http.MethodHead)
}

// runRow is one archived run as the list shows it.
type runRow struct {
	Date, Report, Status, Tone, Trigger, Delivered, Finished string
	Errors, ErrorsShort                                      string
	Link, PDF                                                string
	SendAgain                                                string // where an editor posts to send this day again
	Deliveries                                               []deliveryRow
}

// deliveryRow is one recipient's copy of a run.
type deliveryRow struct {
	Recipient, Kind, Status, Tone, When, Error string
	Attempts                                   int
}

var deliveryTones = map[string]string{"sent": "good", "failed": "bad", "pending": "warn"}

func newDeliveryRow(d store.Delivery, loc *time.Location) deliveryRow {
	row := deliveryRow{Recipient: d.Recipient, Kind: d.Kind, Status: d.Status, Tone: deliveryTones[d.Status], Attempts: d.Attempts, Error: d.LastError}
	switch {
	case d.SentAt.Valid:
		row.When = clock(d.SentAt.Time, loc)
	case d.Status == "pending" && d.Attempts > 0:
		row.When = "next try " + clock(d.NextAttemptAt, loc)
	}
	return row
}

var statusTones = map[string]string{
	store.RunSent: "good", store.RunPartial: "warn", store.RunFailed: "bad",
	store.RunRunning: "", store.RunRendered: "warn",
}

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request) error {
	if s.db == nil {
		return apperr.Unavailable("the archive needs opsboard's database")
	}
	name := mux.Vars(r)["name"]
	c := s.Catalog()
	type definition struct{ Name, Title, Dashboard, Schedule, Recipients, Next string }
	data := struct {
		Heading, Lede string
		Definitions   []definition
		Runs          []runRow
		Yesterday     string // the default date of "send now" and "preview"
		Today         string // the latest date a preview may be for
		CanSend       bool   // this server can mail reports
		CanPreview    bool   // this server can render a report to preview
		MailMissing   string // what this server lacks to send mail
		FirstRun      string // the next scheduled run of the reports listed, in words
		ArchiveDown   string // why the runs are not listed: opsboard's database is not answering
	}{Heading: "Reports", Lede: "Every run is archived: the page as it was sent, its PDF, and who received it."}
	now := time.Now()
	var first time.Time
	for _, n := range c.ReportNames() {
		if name != "" && n != name {
			continue
		}
		rep := c.Reports[n]
		sched, next := "sent by hand only", ""
		if rep.Cron != nil {
			loc, err := rep.Location(s.runner.Location())
			if err != nil {
				loc = s.runner.Location()
			}
			sched = "sent " + rep.Cron.Describe() + " " + loc.String()
			if t := rep.Cron.Next(now, loc); !t.IsZero() {
				next = clock(t, loc)
				if first.IsZero() || t.Before(first) {
					first, data.FirstRun = t, rep.Title+", "+next
				}
			}
		}
		data.Definitions = append(data.Definitions, definition{rep.Name, rep.Title, rep.Dashboard, sched,
			strings.Join(append(append([]string{}, rep.To...), rep.Cc...), ", "), next})
	}
	if name != "" {
		if len(data.Definitions) == 0 {
			return notFound("There is no report called %q.", name)
		}
		data.Heading, data.Lede = data.Definitions[0].Title, "The history of this report: every run, newest first."
	}
	runs, deliveries, err := s.archive(r.Context(), name)
	if err != nil {
		// Like a dashboard whose database is down: the page still lists
		// what it knows (the definitions, from the files) and says that
		// the archive cannot be read now, naming no host or port.
		s.log.Error("reading the report archive", "path", r.URL.Path, "err", err)
		data.ArchiveDown = "The archive cannot be read right now: opsboard's database is not answering. " +
			"The runs show again once it answers; /healthz says how it stands."
	}
	for _, run := range runs {
		row := newRunRow(run, "/reports/"+run.Report, s.runner.Location())
		for _, d := range deliveries[run.ID] {
			row.Deliveries = append(row.Deliveries, newDeliveryRow(d, s.runner.Location()))
		}
		if _, ok := c.Reports[run.Report]; ok {
			row.SendAgain = "/reports/" + run.Report + "/" + row.Date + "/send"
		}
		data.Runs = append(data.Runs, row)
	}
	data.CanSend = s.auth.resend != nil
	data.CanPreview = s.preview != nil
	data.MailMissing = s.mailMissing
	if data.MailMissing == "" && !data.CanSend {
		data.MailMissing = "this server has no delivery service"
	}
	today := query.Today(now, s.runner.Location())
	data.Yesterday = today.AddDate(0, 0, -1).Format(query.DateLayout)
	data.Today = today.Format(query.DateLayout)
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, "reports", s.page(data.Heading, "reports", false, data))
}

// archive reads the runs of the named report (all reports when name is
// empty), newest first, with their deliveries.
func (s *Server) archive(ctx context.Context, name string) ([]store.RunSummary, map[int64][]store.Delivery, error) {
	runs, err := s.db.ListRuns(ctx, name, 200)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(runs))
	for i, run := range runs {
		ids[i] = run.ID
	}
	deliveries, err := s.db.DeliveriesOf(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	return runs, deliveries, nil
}

func newRunRow(run store.RunSummary, base string, loc *time.Location) runRow {
	date := run.ReportDate.Format(query.DateLayout)
	row := runRow{
		Date: date, Report: run.Report, Status: run.Status, Tone: statusTones[run.Status], Trigger: run.Trigger,
		Delivered: strconv.Itoa(run.Sent) + " of " + strconv.Itoa(run.Recipients),
		Link:      base + "/" + date + "?run=" + strconv.FormatInt(run.ID, 10),
	}
	switch {
	case run.Status == store.RunPartial:
		row.Status = "sent (partial)" // sent, with a panel that failed (send_partial)
	case run.Status == store.RunFailed && run.Sent > 0:
		row.Status = "partly delivered" // some recipients got it, others never will
	case run.Status == store.RunRendered:
		row.Status = "waiting to send" // rendered and archived; deliveries pending
	}
	if run.Failed > 0 {
		row.Delivered += " (" + strconv.Itoa(run.Failed) + " failed)"
	}
	if run.FinishedAt.Valid {
		row.Finished = clock(run.FinishedAt.Time, loc)
	}
	if run.HasPDF {
		row.PDF = base + "/" + date + ".pdf?run=" + strconv.FormatInt(run.ID, 10)
	}
	if errs := strings.Trim(string(run.Errors), "[]"); errs != "" {
		row.Errors = errs
		row.ErrorsShort = errs
		if len(errs) > 80 {
			row.ErrorsShort = errs[:80] + "…"
		}
	}
	return row
}

// previewReport renders a report for the date the URL asks (?date=,
// default yesterday) as it would be sent, without archiving or sending
// anything: what a new report looks like before its first run.
func (s *Server) previewReport(w http.ResponseWriter, r *http.Request) error {
	rep, ok := s.Catalog().Reports[mux.Vars(r)["name"]]
	if !ok {
		return notFound("There is no report called %q.", mux.Vars(r)["name"])
	}
	today := query.Today(time.Now(), s.runner.Location())
	day := r.URL.Query().Get("date")
	if day == "" {
		day = today.AddDate(0, 0, -1).Format(query.DateLayout)
	}
	date, err := time.Parse(query.DateLayout, day)
	if err != nil || date.After(today) {
		return &pageError{status: http.StatusBadRequest, heading: "Not a date to preview",
			message: fmt.Sprintf("%q is not a date up to today: use YYYY-MM-DD.", day), err: apperr.ErrInvalid}
	}
	if s.preview == nil {
		return &pageError{status: http.StatusServiceUnavailable, heading: "Not available",
			message: "This server cannot render reports.", err: apperr.ErrUnavailable}
	}
	html, err := s.preview(r.Context(), rep.Name, date)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	_, err = w.Write(html)
	return err
}

// archivedRun finds the run the URL names: ?run=ID, or the newest
// rendered run of that report and date.
func (s *Server) archivedRun(r *http.Request, name string) (*store.Run, error) {
	if s.db == nil {
		return nil, apperr.Unavailable("the archive needs opsboard's database")
	}
	date, err := time.Parse(query.DateLayout, mux.Vars(r)["date"])
	if err != nil {
		return nil, notFound("Not a date.")
	}
	if id := r.URL.Query().Get("run"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, notFound("No such run.")
		}
		run, err := s.db.RunByID(r.Context(), n)
		if err != nil || run.Report != name || !run.ReportDate.Equal(date) {
			return nil, notFound("No run %s of %s for %s.", id, name, date.Format(query.DateLayout))
		}
		return run, nil
	}
	return s.db.LatestRun(r.Context(), name, date)
}

func (s *Server) archivedPage(w http.ResponseWriter, r *http.Request) error {
	run, err := s.archivedRun(r, mux.Vars(r)["name"])
	if err != nil {
		return err
	}
	if !run.HTML.Valid {
		return notFound("That run has no page: %s.", strings.Join(run.ErrorList(), "; "))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // nothing of an account's stays in the browser after sign-out
	_, err = w.Write([]byte(run.HTML.String))
	return err
}

func (s *Server) archivedPDF(w http.ResponseWriter, r *http.Request) error {
	name := mux.Vars(r)["name"]
	run, err := s.archivedRun(r, name)
	if err != nil {
		return err
	}
	if len(run.PDF) == 0 {
		return notFound("That run has no PDF.")
	}
	w.Header().Set("Cache-Control", "no-store")
	return writePDF(w, run)
}

// writePDF sends an archived run's PDF, named after its report and date.
func writePDF(w http.ResponseWriter, run *store.Run) error {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+run.Report+"-"+run.ReportDate.Format(query.DateLayout)+`.pdf"`)
	_, err := w.Write(run.PDF)
	return err
}

// clock writes a moment in the business time zone, naming the zone.
func clock(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04 MST")
}
