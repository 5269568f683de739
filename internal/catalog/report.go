package catalog

import (
	"io"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Report is one reports/*.yaml file: a dashboard rendered for a period and
// mailed on a schedule.
type Report struct {
	Name        string // file name without .yaml: "ops-daily"
	File        string // "reports/ops-daily.yaml"
	Title       string // empty in the file: the dashboard's title (set by Load)
	Description string
	Dashboard   string // the dashboard rendered
	Period      string // range spec relative to the run time; default "yesterday"
	TimeZone    string // IANA name; empty: the process default
	Schedule    string // cron spec as written; empty: not scheduled, run by hand only
	To, Cc      []string
	// Webhooks are chat channels (Slack, Teams, any HTTP endpoint) the
	// report is also posted to: a short summary, the highlights, and the
	// link to the run.
	Webhooks []Webhook
	Subject  string            // text/template over SubjectData; default DefaultSubject
	Attach   []string          // subset of "pdf", "csv"; default [pdf]
	OnError  string            // OnErrorFail or OnErrorSendPartial
	Params   map[string]string // filter values locked for the report
	Line     int

	// Cron is Schedule parsed; nil when the report is not scheduled.
	Cron *Schedule

	at positions // where dashboard and each param are written
}

// Report defaults and choices.
const (
	DefaultPeriod  = "yesterday"
	DefaultSubject = "{{.Title}} — {{.Date}}"

	// OnErrorFail fails the run loudly when a panel fails.
	OnErrorFail = "fail"
	// OnErrorSendPartial sends the report marked as partial.
	OnErrorSendPartial = "send_partial"

	AttachPDF = "pdf"
	AttachCSV = "csv"
)

var (
	reportKeys    = []string{"title", "description", "dashboard", "period", "timezone", "schedule", "to", "cc", "subject", "attach", "on_error", "params", "webhooks"}
	attachKinds   = []string{AttachPDF, AttachCSV}
	onErrorValues = []string{OnErrorFail, OnErrorSendPartial}
)

// SubjectData is what a report's subject template can use.
type SubjectData struct {
	Date   string // the report's date, YYYY-MM-DD
	Title  string // the report's title
	Report string // the report's name
	Period string // the period shown, in words
}

// FormatSubject executes the report's subject template.
func (r *Report) FormatSubject(data SubjectData) (string, error) {
	t, err := subjectTemplate(r.Subject)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

func subjectTemplate(text string) (*template.Template, error) {
	return template.New("subject").Option("missingkey=error").Parse(text)
}

// Location returns the report's time zone, or def when it names none.
func (r *Report) Location(def *time.Location) (*time.Location, error) {
	if r.TimeZone == "" {
		return def, nil
	}
	return time.LoadLocation(r.TimeZone)
}

// ParseReport parses the report definition src. name is the report name
// (the file name without .yaml) and file the path used in errors. The error
// is an Errors listing every problem found, each with its line. Whether the
// dashboard exists and the params are its filters is checked by Load.
func ParseReport(name, file string, src []byte) (*Report, error) {
	root, d := parseYAML(file, src)
	if root == nil {
		return nil, d.errs.Err()
	}
	r := &Report{
		Name: name, File: file, Line: nodePos(root).line,
		Period: DefaultPeriod, Subject: DefaultSubject, Attach: []string{AttachPDF}, OnError: OnErrorFail,
		at: positions{},
	}
	d.report(r, root)
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

func (d *yamlDecoder) report(r *Report, root ast.Node) {
	es, ok := d.mapping(root, "report", reportKeys)
	if !ok {
		return
	}
	if e, ok := es["title"]; ok {
		r.Title, _ = d.str(e)
	}
	if e, ok := es["description"]; ok {
		r.Description, _ = d.str(e)
	}
	if e, ok := es["dashboard"]; ok {
		r.Dashboard, _ = d.str(e)
		r.at["dashboard"] = nodePos(e.value)
	}
	if r.Dashboard == "" {
		d.missing(root, es, "report", "dashboard", "the name of a dashboards/*.yaml file")
	}
	if e, ok := es["period"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			r.Period = s
			if !checkRange(s) {
				d.errorf(nodePos(e.value), "period: unknown period %q (use %s or 'N days')%s",
					s, strings.Join(RangePresets, ", "), suggestion(s, RangePresets))
			}
		}
	}
	if e, ok := es["timezone"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			r.TimeZone = s
			if _, err := time.LoadLocation(s); err != nil {
				d.errorf(nodePos(e.value), "timezone: unknown time zone %q (want an IANA name like America/New_York)", s)
			}
		}
	}
	if e, ok := es["schedule"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			r.Schedule = s
			sched, err := ParseSchedule(s)
			switch {
			case err != nil:
				d.errorf(nodePos(e.value), "%v", err)
			case sched.TimesADay() > 1:
				// A run is one report for one date: a second time on the
				// same day would find that day's run made and send nothing.
				d.errorf(nodePos(e.value), "schedule %q fires %s a day (%s); a report is made once per day, so only the first would be sent: "+
					"give it one time of day, like \"0 7 * * *\", and add a report file per further time", s, timesWord(sched.TimesADay()), timesList(sched))
				sched = nil
			}
			r.Cron = sched
		}
	}
	before := len(d.errs)
	r.To = d.addresses(es, "to")
	if e, ok := es["to"]; ok && len(r.To) == 0 && len(d.errs) == before {
		d.errorf(nodePos(e.value), "report: to is empty (who gets it: [ops@example.com])")
	} else if !ok {
		d.missing(root, es, "report", "to", "who gets it: [ops@example.com]")
	}
	r.Cc = d.addresses(es, "cc")
	if e, ok := es["subject"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			r.Subject = s
			t, err := subjectTemplate(s)
			if err == nil {
				err = t.Execute(io.Discard, SubjectData{})
			}
			if err != nil {
				d.errorf(nodePos(e.value), "subject: %s (fields: .Date .Title .Report .Period)", templateProblem(err))
			}
		}
	}
	if e, ok := es["webhooks"]; ok {
		items, _ := d.list(e)
		for _, n := range items {
			if w, ok := d.webhook(n); ok {
				r.Webhooks = append(r.Webhooks, w)
			}
		}
	}
	if e, ok := es["attach"]; ok {
		items, _ := d.strs(e)
		r.Attach = []string{}
		for _, it := range items {
			switch {
			case !slices.Contains(attachKinds, it.text):
				d.errorf(it.at, "attach: unknown attachment %q (use %s)", it.text, strings.Join(attachKinds, ", "))
			case slices.Contains(r.Attach, it.text):
				d.errorf(it.at, "attach: %q is listed twice", it.text)
			default:
				r.Attach = append(r.Attach, it.text)
			}
		}
	}
	if e, ok := es["on_error"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			r.OnError = s
			if !slices.Contains(onErrorValues, s) {
				d.errorf(nodePos(e.value), "on_error: unknown value %q (use %s)", s, strings.Join(onErrorValues, " or "))
			}
		}
	}
	if e, ok := es["params"]; ok {
		r.Params = d.params(e, r.at)
	}
}

func timesWord(n int) string {
	if n == 2 {
		return "twice"
	}
	return strconv.Itoa(n) + " times"
}

// timesList names a schedule's times of day, the first few of them.
func timesList(s *Schedule) string {
	const shown = 4
	times := s.Times(shown)
	if n := s.TimesADay(); n > shown {
		return "at " + strings.Join(times, ", ") + " and " + strconv.Itoa(n-shown) + " more"
	}
	return "at " + strings.Join(times[:len(times)-1], ", ") + " and " + times[len(times)-1]
}

// addresses reads a list of email addresses (or a single one) under key.
func (d *yamlDecoder) addresses(es map[string]entry, key string) []string {
	e, ok := es[key]
	if !ok {
		return nil
	}
	items, _ := d.strs(e)
	var out []string
	for _, it := range items {
		if _, err := mail.ParseAddress(it.text); err != nil {
			d.errorf(it.at, "%s: %q is not an email address", key, it.text)
			continue
		}
		out = append(out, it.text)
	}
	return out
}

// params reads a mapping of parameter names to text values, recording
// where each name is written in at.
func (d *yamlDecoder) params(e entry, at positions) map[string]string {
	if _, null := e.value.(*ast.NullNode); null {
		return nil
	}
	m, ok := d.resolve(e.value).(*ast.MappingNode)
	if !ok {
		d.errorf(nodePos(e.value), "params: want a mapping of parameter: value, got %s", describe(e.value))
		return nil
	}
	out := map[string]string{}
	for _, mv := range m.Values {
		key, _ := scalarText(d.resolve(mv.Key))
		keyAt := nodePos(mv.Key)
		if !isName(key) {
			d.errorf(keyAt, "params: %q is not a parameter name", key)
			continue
		}
		if _, dup := out[key]; dup {
			d.errorf(keyAt, "params: %q is set twice", key)
			continue
		}
		v := d.resolve(mv.Value)
		s, ok := scalarText(v)
		if !ok {
			d.errorf(nodePos(v), "params: %s: want a value, got %s", key, describe(v))
			continue
		}
		out[key] = s
		at["params:"+key] = keyAt
	}
	return out
}

var (
	templatePrefixRE = regexp.MustCompile(`^template: subject:\d+(:\d+)?: `)
	unknownFieldRE   = regexp.MustCompile(`can't evaluate field (\w+)`)
)

// templateProblem shortens a text/template error to what the person
// editing the subject needs.
func templateProblem(err error) string {
	msg := err.Error()
	if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
		return "unknown field ." + m[1]
	}
	return "bad template: " + templatePrefixRE.ReplaceAllString(msg, "")
}
