package catalog

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Alert is one alerts/*.yaml file: a rule that watches one tile's number
// on a schedule and notifies by email and webhook when it is in breach,
// once per period, and once more when it recovers.
type Alert struct {
	Name        string // file name without .yaml: "on-time-below-target"
	File        string // "alerts/on-time-below-target.yaml"
	Title       string // default: "<tile label> <condition>" (set by Load)
	Description string
	Dashboard   string            // the dashboard the tile is on
	Tile        string            // the tile's query name
	Params      map[string]string // filter values the tile is computed with
	// Condition is AlertBelow, AlertAbove or AlertChange.
	Condition string
	// Threshold is the value below or above which the rule fires; for
	// below and above it defaults to the tile's target (set by Load).
	Threshold *float64
	// Direction is the change that fires AlertChange: "up", "down" or
	// "any"; default the bad direction of the query's "better" (set by Load).
	Direction string
	// Range is the period looked at: "today" (today so far), or a report
	// period ("yesterday", "last_7_days", "N days", …).
	Range string
	// Compare is how AlertChange picks the earlier period; default the
	// dashboard's compare (set by Load).
	Compare  string
	Schedule string    // cron spec as written
	Cron     *Schedule // Schedule parsed
	TimeZone string    // IANA name; empty: the process default
	Email    []string
	Webhooks []Webhook
	Line     int

	at positions // where dashboard, tile, each param and condition are written
}

// Webhook is where an alert posts JSON.
type Webhook struct {
	// URL is the address, or empty when URLEnv names an environment
	// variable holding it (a Slack webhook's address is a secret: keep it
	// out of git).
	URL    string
	URLEnv string
	// Format is WebhookSlack ({"text": …}, which Slack and Microsoft Teams
	// incoming webhooks accept) or WebhookGeneric (every field).
	Format string
	Line   int
}

// Target names the webhook without its secret: "url:ADDRESS" or "env:NAME".
func (w Webhook) Target() string {
	if w.URLEnv != "" {
		return "env:" + w.URLEnv
	}
	return "url:" + w.URL
}

// Alert conditions.
const (
	AlertBelow  = "below"
	AlertAbove  = "above"
	AlertChange = "change" // a change larger than normal variation
)

// Webhook formats.
const (
	WebhookSlack   = "slack"
	WebhookGeneric = "generic"
)

// AlertToday is the range of today so far.
const AlertToday = "today"

var (
	alertKeys       = []string{"title", "description", "dashboard", "tile", "params", "condition", "threshold", "direction", "range", "compare", "schedule", "timezone", "email", "webhooks"}
	webhookKeys     = []string{"url", "url_env", "format"}
	alertConditions = []string{AlertBelow, AlertAbove, AlertChange}
	alertDirections = []string{"up", "down", "any"}
	webhookFormats  = []string{WebhookSlack, WebhookGeneric}
	envNameRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// AlertNames returns the alert rule names in order.
func (c *Catalog) AlertNames() []string { return sortedNames(c.Alerts) }

// ParamsText names the filter values the rule's tile is computed with, by
// parameter: "channel web, region north"; empty when the rule sets none
// and the tile shows the filters' defaults.
func (a *Alert) ParamsText() string {
	var parts []string
	for _, name := range sortedNames(a.Params) {
		parts = append(parts, name+" "+a.Params[name])
	}
	return strings.Join(parts, ", ")
}

// Watched names the number the rule watches for people: the tile's label
// and, when the rule sets filters, their values, "Orders (channel web)",
// so that it is not mistaken for the dashboard's default view.
func (a *Alert) Watched(label string) string {
	if p := a.ParamsText(); p != "" {
		return label + " (" + p + ")"
	}
	return label
}

// DashboardPath is the address of the dashboard view showing what the
// rule watches: its filter values and, unless it looks at today so far
// (which a dashboard cannot show), its range.
func (a *Alert) DashboardPath() string {
	q := a.paramValues()
	if a.Range != "" && a.Range != AlertToday {
		q.Set("range", a.Range)
	}
	return a.viewPath(q)
}

// PeriodPath is the address of the dashboard view showing what the rule
// found for one period (from inclusive, to exclusive): its filter values,
// that period as dates and the rule's comparison, so that a notice opened
// days later still shows the number it speaks of. Today so far has no
// such view: it is DashboardPath.
func (a *Alert) PeriodPath(from, to time.Time) string {
	if a.Range == AlertToday || !from.Before(to) {
		return a.DashboardPath()
	}
	q := a.paramValues()
	q.Set("range", "custom")
	q.Set("from", from.Format("2006-01-02"))
	q.Set("to", to.AddDate(0, 0, -1).Format("2006-01-02"))
	if a.Compare != "" {
		q.Set("compare", a.Compare)
	}
	return a.viewPath(q)
}

// paramValues are the rule's filter values as a dashboard address sets them.
func (a *Alert) paramValues() url.Values {
	q := url.Values{}
	for name, v := range a.Params {
		q.Set(name, v)
	}
	return q
}

// viewPath is the address of the rule's dashboard with query q.
func (a *Alert) viewPath(q url.Values) string {
	path := "/d/" + url.PathEscape(a.Dashboard)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return path
}

// Location returns the rule's time zone, or def when it names none.
func (a *Alert) Location(def *time.Location) (*time.Location, error) {
	if a.TimeZone == "" {
		return def, nil
	}
	return time.LoadLocation(a.TimeZone)
}

// ParseAlert parses the alert rule src. name is the rule name (the file
// name without .yaml) and file the path used in errors. The error is an
// Errors listing every problem found, each with its line. The dashboard,
// the tile, the params and what the condition needs of the tile's query
// are checked by Load.
func ParseAlert(name, file string, src []byte) (*Alert, error) {
	root, d := parseYAML(file, src)
	if root == nil {
		return nil, d.errs.Err()
	}
	a := &Alert{Name: name, File: file, Line: nodePos(root).line, Range: DefaultPeriod, at: positions{}}
	d.alert(a, root)
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return a, nil
}

func (d *yamlDecoder) alert(a *Alert, root ast.Node) {
	es, ok := d.mapping(root, "alert", alertKeys)
	if !ok {
		return
	}
	text := func(key string, dst *string) (entry, bool) {
		e, ok := es[key]
		if ok {
			*dst, _ = d.str(e)
			a.at[key] = nodePos(e.value)
		}
		return e, ok
	}
	text("title", &a.Title)
	text("description", &a.Description)
	if text("dashboard", &a.Dashboard); a.Dashboard == "" {
		d.missing(root, es, "alert", "dashboard", "the name of a dashboards/*.yaml file")
	}
	if text("tile", &a.Tile); a.Tile == "" {
		d.missing(root, es, "alert", "tile", "the query of one of the dashboard's tiles, e.g. kpi/on_time_rate")
	}
	if e, ok := es["params"]; ok {
		a.Params = d.params(e, a.at)
	}
	if e, ok := text("condition", &a.Condition); ok && a.Condition != "" && !slices.Contains(alertConditions, a.Condition) {
		d.errorf(nodePos(e.value), "condition: unknown condition %q (use %s)%s",
			a.Condition, strings.Join(alertConditions, ", "), suggestion(a.Condition, alertConditions))
	}
	if a.Condition == "" {
		d.missing(root, es, "alert", "condition", strings.Join(alertConditions, " | "))
	}
	if e, ok := es["threshold"]; ok {
		if _, null := e.value.(*ast.NullNode); !null {
			if v, ok := d.float(e); ok {
				a.Threshold = &v
			}
		}
		a.at["threshold"] = nodePos(e.value)
		if a.Condition == AlertChange {
			d.errorf(nodePos(e.value), "threshold: condition change has no threshold: it fires on a change larger than the metric's normal variation")
		}
	}
	if e, ok := text("direction", &a.Direction); ok && a.Direction != "" {
		switch {
		case !slices.Contains(alertDirections, a.Direction):
			d.errorf(nodePos(e.value), "direction: unknown direction %q (use up, down or any)", a.Direction)
		case a.Condition != AlertChange && a.Condition != "":
			d.errorf(nodePos(e.value), "direction: only condition change has a direction (below and above say it)")
		}
	}
	if e, ok := es["range"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			a.Range = s
			a.at["range"] = nodePos(e.value)
			switch {
			case s == AlertToday:
				if a.Condition == AlertChange {
					d.errorf(nodePos(e.value), "range: condition change compares whole periods; today is not over (use yesterday or longer)")
				}
			case strings.Contains(s, "..") || !checkRange(s):
				d.errorf(nodePos(e.value), "range: unknown range %q (use today, %s or 'N days')%s",
					s, strings.Join(RangePresets, ", "), suggestion(s, append([]string{AlertToday}, RangePresets...)))
			}
		}
	}
	if e, ok := text("compare", &a.Compare); ok && a.Compare != "" {
		switch {
		case !slices.Contains(CompareModes, a.Compare):
			d.errorf(nodePos(e.value), "compare: unknown comparison %q (use %s)%s",
				a.Compare, strings.Join(CompareModes, ", "), suggestion(a.Compare, CompareModes))
		case a.Condition != AlertChange && a.Condition != "":
			d.errorf(nodePos(e.value), "compare: only condition change compares with an earlier period")
		case a.Compare == "none":
			d.errorf(nodePos(e.value), "compare: condition change needs an earlier period to compare with")
		}
	}
	if e, ok := es["schedule"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			a.Schedule = s
			sched, err := ParseSchedule(s)
			if err != nil {
				d.errorf(nodePos(e.value), "%v", err)
			}
			a.Cron = sched
		}
	}
	if a.Schedule == "" {
		d.missing(root, es, "alert", "schedule", `when to check, in cron: "*/30 * * * *"`)
	}
	if e, ok := es["timezone"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			a.TimeZone = s
			if _, err := time.LoadLocation(s); err != nil {
				d.errorf(nodePos(e.value), "timezone: unknown time zone %q (want an IANA name like America/New_York)", s)
			}
		}
	}
	before := len(d.errs)
	a.Email = d.addresses(es, "email")
	if e, ok := es["webhooks"]; ok {
		items, _ := d.list(e)
		for _, n := range items {
			if w, ok := d.webhook(n); ok {
				a.Webhooks = append(a.Webhooks, w)
			}
		}
	}
	if len(a.Email) == 0 && len(a.Webhooks) == 0 && len(d.errs) == before && !d.misspelt(root, "email", "webhooks") {
		d.errorf(nodePos(root), "alert notifies nobody: add email: [ops@example.com] or webhooks: [{url_env: OPSBOARD_SLACK_WEBHOOK}]")
	}
}

func (d *yamlDecoder) webhook(n ast.Node) (Webhook, bool) {
	w := Webhook{Line: nodePos(n).line, Format: WebhookSlack}
	if s, ok := scalarText(n); ok { // a bare address
		w.URL = s
		return w, d.checkWebhookURL(nodePos(n), s)
	}
	es, ok := d.mapping(n, "webhook", webhookKeys)
	if !ok {
		return w, false
	}
	before := len(d.errs)
	u, hasURL := es["url"]
	v, hasEnv := es["url_env"]
	if hasURL {
		if w.URL, _ = d.str(u); w.URL != "" {
			d.checkWebhookURL(nodePos(u.value), w.URL)
		}
	}
	if hasEnv {
		if w.URLEnv, _ = d.str(v); w.URLEnv != "" && !envNameRE.MatchString(w.URLEnv) {
			d.errorf(nodePos(v.value), "webhook: url_env %q is not an environment variable name", w.URLEnv)
		}
	}
	switch {
	case hasURL && hasEnv:
		d.errorf(v.keyAt, "webhook has both url and url_env; keep one")
	case w.URL == "" && w.URLEnv == "" && !d.misspelt(n, "url", "url_env"):
		d.errorf(nodePos(n), "webhook needs url: ADDRESS or url_env: VARIABLE (the variable holding the address)")
	}
	if e, ok := es["format"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			w.Format = s
			if !slices.Contains(webhookFormats, s) {
				d.errorf(nodePos(e.value), "webhook: unknown format %q (use slack or generic)", s)
			}
		}
	}
	return w, len(d.errs) == before
}

// checkWebhookURL accepts absolute http and https addresses.
func (d *yamlDecoder) checkWebhookURL(at pos, s string) bool {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		d.errorf(at, "webhook: %q is not a URL", s)
	case u.Scheme != "https" && u.Scheme != "http":
		d.errorf(at, "webhook: url %q: want an https:// (or http://) address, not %q", s, u.Scheme)
	case u.Host == "":
		d.errorf(at, "webhook: url %q has no host", s)
	default:
		return true
	}
	return false
}

// checkAlerts cross-checks the alert rules against the dashboards and
// queries, and fills in the defaults that come from them: title,
// threshold (the tile's target), direction (the query's bad direction)
// and compare (the dashboard's).
func (c *Catalog) checkAlerts() Errors {
	var errs Errors
	errorf := func(file string, at pos, format string, args ...any) {
		errs = append(errs, &Error{File: file, Line: at.line, Col: at.col, Msg: fmt.Sprintf(format, args...)})
	}
	dashboards := c.DashboardNames()
	for _, name := range c.AlertNames() {
		a := c.Alerts[name]
		def := pos{a.Line, 0}
		d, ok := c.Dashboards[a.Dashboard]
		if !ok {
			hint := suggestion(a.Dashboard, dashboards)
			if hint == "" {
				hint = fmt.Sprintf(" (no dashboards/%s.yaml)", a.Dashboard)
			}
			errorf(a.File, a.at.at(def, "dashboard"), "unknown dashboard %q%s", a.Dashboard, hint)
			continue
		}
		i := slices.IndexFunc(d.Tiles, func(t Tile) bool { return t.Query == a.Tile })
		if i < 0 {
			var tiles []string
			for _, t := range d.Tiles {
				tiles = append(tiles, t.Query)
			}
			known := "it has none"
			if len(tiles) > 0 {
				known = "tiles: " + strings.Join(tiles, ", ")
			}
			errorf(a.File, a.at.at(def, "tile"), "tile %q is not a tile of dashboard %s%s (%s)", a.Tile, d.Name, suggestion(a.Tile, tiles), known)
			continue
		}
		tile := d.Tiles[i]
		q, ok := c.Queries[tile.Query]
		if !ok {
			continue // the dashboard reports it
		}
		if a.Title == "" {
			a.Title = a.Watched(tile.Name(q)) + " " + map[string]string{AlertBelow: "below target", AlertAbove: "above target", AlertChange: "changed unusually"}[a.Condition]
		}
		errs = append(errs, c.checkFilterParams(a.File, a.at, def, d, a.Params)...)
		switch a.Condition {
		case AlertBelow, AlertAbove:
			if a.Threshold == nil && tile.Target == nil {
				errorf(a.File, a.at.at(def, "condition"), "condition %s needs a threshold: add threshold: N (the tile %q has no target)", a.Condition, a.Tile)
			}
			if a.Threshold == nil {
				a.Threshold = tile.Target
			}
		case AlertChange:
			switch q.Metric.Aggregate {
			case "":
				errorf(a.File, a.at.at(def, "condition"), "condition change weighs a change against the metric's normal variation, and %s declares no metric model (add -- aggregate: and -- sample: to %s)", q.Name, q.File)
			case Last:
				errorf(a.File, a.at.at(def, "condition"), "condition change weighs a change against the metric's normal variation, and %s is a level (aggregate last), which has none: use condition above or below", q.Name)
			}
			if a.Compare == "" {
				a.Compare = d.Compare
			}
			if a.Compare == "none" {
				errorf(a.File, a.at.at(def, "condition"), "condition change needs an earlier period: dashboard %s compares with none, so add compare: previous_period", d.Name)
			}
			if a.Direction == "" {
				switch q.Better {
				case "higher":
					a.Direction = "down"
				case "lower":
					a.Direction = "up"
				default:
					a.Direction = "any"
				}
			}
		}
	}
	return errs
}

// checkFilterParams checks params (a report's or an alert's) against the
// filters of dashboard d: each must be a filter, among its fixed options,
// and parse as its parameter's type. at holds where each is written
// ("params:NAME").
func (c *Catalog) checkFilterParams(file string, at positions, def pos, d *Dashboard, params map[string]string) Errors {
	var errs Errors
	var filters []string
	for _, f := range d.Filters {
		filters = append(filters, f.Param)
	}
	for _, param := range sortedNames(params) {
		p := at.at(def, "params", param)
		fail := func(format string, args ...any) {
			errs = append(errs, &Error{File: file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)})
		}
		i := slices.IndexFunc(d.Filters, func(f Filter) bool { return f.Param == param })
		if i < 0 {
			known := "it has none"
			if len(filters) > 0 {
				known = "filters: " + strings.Join(filters, ", ")
			}
			fail("params: %q is not a filter of dashboard %s%s (%s)", param, d.Name, suggestion(param, filters), known)
			continue
		}
		f, v := d.Filters[i], params[param]
		if len(f.Options) > 0 && !slices.Contains(f.Options, v) {
			fail("params: %s %q is not one of the filter's options (%s)", param, v, strings.Join(f.Options, ", "))
			continue
		}
		if decl, ok := c.param(d, param); ok {
			if _, err := decl.Parse(v); err != nil {
				fail("params: %v", err)
			}
		}
	}
	return errs
}
