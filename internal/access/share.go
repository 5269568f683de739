package access

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/catalog"
)

// What a share link shows.
const (
	// ShareDashboard shows one dashboard, with its locked parameters.
	ShareDashboard = "dashboard"
	// ShareReport shows one report's archive.
	ShareReport = "report"
)

// Share link lifetimes.
const (
	DefaultShareExpiry = 30 * 24 * time.Hour
	MaxShareExpiry     = 366 * 24 * time.Hour
)

// ParseExpiry reads a share link's lifetime: "30d", "2w", "12h", "90m" or
// any Go duration; at most a year.
func ParseExpiry(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultShareExpiry, nil
	}
	var d time.Duration
	var err error
	switch unit := s[len(s)-1]; unit {
	case 'd', 'w':
		var n int
		n, err = strconv.Atoi(s[:len(s)-1])
		d = time.Duration(n) * 24 * time.Hour
		if unit == 'w' {
			d *= 7
		}
	default:
		d, err = time.ParseDuration(s)
	}
	switch {
	case err != nil || d <= 0:
		return 0, apperr.Invalid("expiry %q is not a duration like 30d, 2w or 12h", s)
	case d > MaxShareExpiry:
		return 0, apperr.Invalid("expiry %q is too long: a share link lasts at most 366 days", s)
	}
	return d, nil
}

// CheckShare checks what a new share link would show against the
// definitions: the dashboard or report must exist, and every locked
// parameter must be one of the dashboard's filters with one of its options
// (a filter whose options come from a query accepts any value here; the
// dashboard refuses a wrong one when the link is opened).
func CheckShare(c *catalog.Catalog, kind, target string, params map[string]string) error {
	switch kind {
	case ShareDashboard:
		d, ok := c.Dashboards[target]
		if !ok {
			return apperr.NotFound("there is no dashboard called %q (known: %s)", target, strings.Join(c.DashboardNames(), ", "))
		}
		for k, v := range params {
			i := slices.IndexFunc(d.Filters, func(f catalog.Filter) bool { return f.Param == k })
			if i < 0 {
				var names []string
				for _, f := range d.Filters {
					names = append(names, f.Param)
				}
				return apperr.Invalid("dashboard %q has no filter %q to lock (its filters: %s)", target, k, strings.Join(names, ", "))
			}
			if f := d.Filters[i]; len(f.Options) > 0 && !slices.Contains(f.Options, v) {
				return apperr.Invalid("filter %q of dashboard %q has no option %q (options: %s)", k, target, v, strings.Join(f.Options, ", "))
			}
			if v == "" {
				return apperr.Invalid("locked parameter %q needs a value", k)
			}
		}
	case ShareReport:
		if _, ok := c.Reports[target]; !ok {
			return apperr.NotFound("there is no report called %q (known: %s)", target, strings.Join(c.ReportNames(), ", "))
		}
		if len(params) > 0 {
			return apperr.Invalid("a report link shows the archive as it was sent: it takes no parameters")
		}
	default:
		return apperr.Invalid("a share link shows a dashboard or a report, not %q", kind)
	}
	return nil
}

// SharePath is the path of a share link.
func SharePath(token string) string { return "/s/" + token }

// ShareURL is the address of a share link below base (OPSBOARD_BASE_URL),
// or its path alone when base is empty.
func ShareURL(base, token string) string {
	return strings.TrimRight(base, "/") + SharePath(token)
}
