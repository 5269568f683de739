package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Catalog is one consistent set of definitions: every query, dashboard and
// report under a definitions root, checked against each other.
type Catalog struct {
	Dir        string
	Queries    map[string]*Query
	Dashboards map[string]*Dashboard
	Reports    map[string]*Report
	// Alerts are the alert rules (alerts/*.yaml), EventSources the
	// queries whose rows are events (events/*.yaml); see alert.go, event.go.
	Alerts       map[string]*Alert
	EventSources map[string]*EventSource

	// broken holds the files that exist but did not parse ("sql/x.sql",
	// "dashboards/x.yaml"): their own errors say what is wrong, so a
	// reference to one is not also reported as unknown.
	broken map[string]bool
}

// DashboardNames returns the dashboard names in order.
func (c *Catalog) DashboardNames() []string { return sortedNames(c.Dashboards) }

// QueryNames returns the query names in order.
func (c *Catalog) QueryNames() []string { return sortedNames(c.Queries) }

// ReportNames returns the report names in order.
func (c *Catalog) ReportNames() []string { return sortedNames(c.Reports) }

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// fileNameRE is what a dashboard or report name may look like: it ends up
// in URLs and on the command line.
var fileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// Load reads every definition under root: root/sql/**/*.sql,
// root/dashboards/*.yaml, root/reports/*.yaml, root/alerts/*.yaml and
// root/events/*.yaml (.yml too; names starting
// with "." are skipped, a missing directory holds nothing), then checks the
// references between them: queries named by tiles, panels and filters,
// filter parameters, report dashboards and report parameters.
//
// The Catalog holds everything that parsed, even when some references are
// wrong; the error is an Errors with every problem in every file, sorted.
// A report without a title takes its dashboard's.
func Load(root string) (*Catalog, error) {
	c := &Catalog{Dir: root, Dashboards: map[string]*Dashboard{}, Reports: map[string]*Report{},
		Alerts: map[string]*Alert{}, EventSources: map[string]*EventSource{}}
	var errs Errors
	queries, err := LoadQueries(root)
	if qerrs, ok := errors.AsType[Errors](err); ok {
		errs = append(errs, qerrs...)
	} else if err != nil {
		errs = append(errs, &Error{File: "sql", Msg: err.Error()})
	}
	c.Queries = queries
	if c.Queries == nil {
		c.Queries = map[string]*Query{}
	}
	fsys := os.DirFS(root)
	errs = append(errs, loadDir(fsys, "dashboards", ParseDashboard, c.Dashboards)...)
	errs = append(errs, loadDir(fsys, "reports", ParseReport, c.Reports)...)
	errs = append(errs, loadDir(fsys, "alerts", ParseAlert, c.Alerts)...)
	errs = append(errs, loadDir(fsys, "events", ParseEventSource, c.EventSources)...)
	c.broken = map[string]bool{}
	for _, e := range errs {
		c.broken[e.File] = true
	}
	errs = append(errs, c.check()...)
	errs = append(errs, c.checkAlerts()...)
	errs = append(errs, c.checkEventSources()...)
	return c, errs.Err()
}

// loadDir parses every dir/*.yaml file of fsys into m, keyed by name.
func loadDir[T any](fsys fs.FS, dir string, parse func(name, file string, src []byte) (*T, error), m map[string]*T) Errors {
	entries, err := fs.ReadDir(fsys, dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return Errors{{File: dir, Msg: pathError(err)}}
	}
	var errs Errors
	files := map[string]string{}
	for _, de := range entries {
		ext := ""
		for _, x := range []string{".yaml", ".yml"} {
			if strings.HasSuffix(de.Name(), x) {
				ext = x
			}
		}
		if de.IsDir() || ext == "" || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		file := dir + "/" + de.Name()
		name := strings.TrimSuffix(de.Name(), ext)
		if !fileNameRE.MatchString(name) {
			errs = append(errs, &Error{File: file, Msg: fmt.Sprintf("bad file name %q: the name is used in URLs, so use letters, digits, - and _", de.Name())})
			continue
		}
		if other, dup := files[name]; dup {
			errs = append(errs, &Error{File: file, Msg: fmt.Sprintf("%s also defines %q; keep one", other, name)})
			continue
		}
		files[name] = file
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			errs = append(errs, &Error{File: file, Msg: pathError(err)})
			continue
		}
		v, err := parse(name, file, src)
		if err != nil {
			perrs, _ := errors.AsType[Errors](err)
			errs = append(errs, perrs...)
			continue
		}
		m[name] = v
	}
	return errs
}

func pathError(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// check cross-checks the references between the loaded files.
func (c *Catalog) check() Errors {
	var errs Errors
	errorf := func(file string, at pos, format string, args ...any) {
		errs = append(errs, &Error{File: file, Line: at.line, Col: at.col, Msg: fmt.Sprintf(format, args...)})
	}
	queryNames := c.QueryNames()
	// A query or dashboard whose file failed to parse is not unknown: its
	// file's own errors are the news.
	missingQuery := func(name string) bool {
		_, ok := c.Queries[name]
		return !ok && !c.broken["sql/"+name+".sql"]
	}
	unknownQuery := func(name string) string {
		if s := closest(name, queryNames); s != "" {
			return fmt.Sprintf("unknown query %q (did you mean %q?)", name, s)
		}
		return fmt.Sprintf("unknown query %q (no sql/%s.sql)", name, name)
	}
	for _, name := range c.DashboardNames() {
		d := c.Dashboards[name]
		for _, t := range d.Tiles {
			if missingQuery(t.Query) {
				errorf(d.File, t.at.at(pos{t.Line, 0}, "query"), "tile: %s", unknownQuery(t.Query))
			}
		}
		for _, p := range d.Panels {
			if missingQuery(p.Query) {
				errorf(d.File, p.at.at(pos{p.Line, 0}, "query"), "panel %q: %s", p.Title, unknownQuery(p.Query))
			}
		}
		// A filter's param must be declared by a query it feeds; with an
		// unknown query on the dashboard that cannot be told.
		declared, allKnown := []string{}, true
		for _, qn := range d.UsedQueries() {
			q, ok := c.Queries[qn]
			allKnown = allKnown && ok
			if ok {
				for _, p := range q.Params {
					if !slices.Contains(declared, p.Name) {
						declared = append(declared, p.Name)
					}
				}
			}
		}
		for _, f := range d.Filters {
			if f.OptionsQuery != "" {
				if missingQuery(f.OptionsQuery) {
					errorf(d.File, f.at.at(pos{f.Line, 0}, "options_query"), "filter %q: options_query: %s", f.Param, unknownQuery(f.OptionsQuery))
				}
			}
			if allKnown && !slices.Contains(declared, f.Param) {
				known := "none declares any"
				if len(declared) > 0 {
					known = "declared: " + strings.Join(declared, ", ")
				}
				errorf(d.File, f.at.at(pos{f.Line, 0}, "param"), "filter param %q is not a parameter of any query on this dashboard%s (%s)",
					f.Param, suggestion(f.Param, declared), known)
			}
		}
	}
	dashboards := c.DashboardNames()
	for _, name := range c.ReportNames() {
		r := c.Reports[name]
		d, ok := c.Dashboards[r.Dashboard]
		if !ok && (c.broken["dashboards/"+r.Dashboard+".yaml"] || c.broken["dashboards/"+r.Dashboard+".yml"]) {
			continue
		}
		if !ok {
			hint := suggestion(r.Dashboard, dashboards)
			if hint == "" {
				hint = fmt.Sprintf(" (no dashboards/%s.yaml)", r.Dashboard)
			}
			errorf(r.File, r.at.at(pos{r.Line, 0}, "dashboard"), "unknown dashboard %q%s", r.Dashboard, hint)
			continue
		}
		if r.Title == "" {
			r.Title = d.Title
		}
		var filters []string
		for _, f := range d.Filters {
			filters = append(filters, f.Param)
		}
		for _, param := range sortedNames(r.Params) {
			at := r.at.at(pos{r.Line, 0}, "params", param)
			i := slices.IndexFunc(d.Filters, func(f Filter) bool { return f.Param == param })
			if i < 0 {
				known := "it has none"
				if len(filters) > 0 {
					known = "filters: " + strings.Join(filters, ", ")
				}
				errorf(r.File, at, "params: %q is not a filter of dashboard %s%s (%s)", param, d.Name, suggestion(param, filters), known)
				continue
			}
			f, v := d.Filters[i], r.Params[param]
			if len(f.Options) > 0 && !slices.Contains(f.Options, v) {
				errorf(r.File, at, "params: %s %q is not one of the filter's options (%s)", param, v, strings.Join(f.Options, ", "))
				continue
			}
			if p, ok := c.param(d, param); ok {
				if _, err := p.Parse(v); err != nil {
					errorf(r.File, at, "params: %v", err)
				}
			}
		}
	}
	return errs
}

// param returns the declaration of a parameter in the first query of d
// that declares it.
func (c *Catalog) param(d *Dashboard, name string) (Param, bool) {
	for _, qn := range d.UsedQueries() {
		if q, ok := c.Queries[qn]; ok {
			if i := slices.IndexFunc(q.Params, func(p Param) bool { return p.Name == name }); i >= 0 {
				return q.Params[i], true
			}
		}
	}
	return Param{}, false
}

// UsedQueries lists the queries the dashboard's tiles and panels run, in
// order, without repeats. Filters' options queries are not included.
func (d *Dashboard) UsedQueries() []string {
	var names []string
	add := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, t := range d.Tiles {
		add(t.Query)
	}
	for _, p := range d.Panels {
		add(p.Query)
	}
	return names
}

// CheckColumns checks the columns each panel names against the result
// columns of its query. columns maps a query name to the names of the
// columns it returns (the CLI gets them by running each query with LIMIT
// 0); queries missing from it are not checked. Tiles and filter option
// queries must return at least one column.
func (c *Catalog) CheckColumns(columns map[string][]string) Errors {
	var errs Errors
	for _, name := range c.QueryNames() {
		if cols, ok := columns[name]; ok {
			errs = append(errs, c.Queries[name].checkResultColumns(cols)...)
		}
	}
	for _, name := range c.DashboardNames() {
		d := c.Dashboards[name]
		for _, t := range d.Tiles {
			if cols, ok := columns[t.Query]; ok && len(cols) == 0 {
				at := t.at.at(pos{t.Line, 0}, "query")
				errs = append(errs, &Error{File: d.File, Line: at.line, Col: at.col,
					Msg: fmt.Sprintf("tile %q: query %s returns no columns (a tile needs a number, or a column named value)", t.label(), t.Query)})
			}
		}
		for _, f := range d.Filters {
			if cols, ok := columns[f.OptionsQuery]; ok && f.OptionsQuery != "" && len(cols) == 0 {
				at := f.at.at(pos{f.Line, 0}, "options_query")
				errs = append(errs, &Error{File: d.File, Line: at.line, Col: at.col,
					Msg: fmt.Sprintf("filter %q: query %s returns no columns (its first column lists the options)", f.Param, f.OptionsQuery)})
			}
		}
		for _, p := range d.Panels {
			cols, ok := columns[p.Query]
			if !ok {
				continue
			}
			for _, ref := range p.columnRefs() {
				if slices.Contains(cols, ref.column) {
					continue
				}
				at := p.at.at(pos{p.Line, 0}, ref.key, ref.column)
				errs = append(errs, &Error{File: d.File, Line: at.line, Col: at.col,
					Msg: fmt.Sprintf("panel %q: query %s returns no column %q (it has: %s)", p.Title, p.Query, ref.column, strings.Join(cols, ", "))})
			}
		}
	}
	errs = append(errs, c.checkEventColumns(columns)...)
	return errs.sorted()
}

type columnRef struct{ key, column string }

// columnRefs lists the result columns a panel names, with the key naming
// each: x, y, series, value, columns. y2 is left out: it repeats columns
// of y.
func (p *Panel) columnRefs() []columnRef {
	var refs []columnRef
	one := func(key, col string) {
		if col != "" {
			refs = append(refs, columnRef{key, col})
		}
	}
	one("x", p.X)
	for _, c := range p.Y {
		one("y", c)
	}
	one("series", p.Series)
	one("value", p.Value)
	for _, c := range p.Columns {
		one("columns", c)
	}
	return refs
}

// Name is how people see the tile named: its label, else its query's
// title (q, which may be nil), else the query's name.
func (t Tile) Name(q *Query) string {
	switch {
	case t.Label != "":
		return t.Label
	case q != nil && q.Title != "":
		return q.Title
	}
	return t.Query
}

func (t *Tile) label() string {
	if t.Label != "" {
		return t.Label
	}
	return t.Query
}

// Warnings are what is valid but likely to mislead: a tile or panel whose
// query does not take one of its dashboard's filters shows the same number
// whatever that filter says (the page then says "all …").
func (c *Catalog) Warnings() Errors {
	var out Errors
	for _, name := range c.DashboardNames() {
		d := c.Dashboards[name]
		check := func(what, queryName string, line int) {
			q, ok := c.Queries[queryName]
			if !ok {
				return
			}
			for _, f := range d.Filters {
				if _, takes := q.Param(f.Param); !takes {
					out = append(out, &Error{File: d.File, Line: line,
						Msg: fmt.Sprintf("%s (query %s) does not take filter %q: it shows the same numbers whatever the filter says (the page marks it)", what, queryName, f.Param)})
				}
			}
		}
		for _, t := range d.Tiles {
			check(fmt.Sprintf("tile %q", t.label()), t.Query, t.Line)
		}
		for _, p := range d.Panels {
			check(fmt.Sprintf("panel %q", p.Title), p.Query, p.Line)
		}
	}
	return out.sorted()
}
