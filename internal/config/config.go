// Package config builds opsboard's one configuration struct from the
// environment and command-line flags. The struct is passed down; nothing
// reads the environment after startup.
package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/apperr"
)

// Config is everything opsboard is told from outside.
type Config struct {
	// Dir is the definitions root holding sql/, dashboards/ and reports/.
	Dir string
	// DatabaseURL holds opsboard's own tables, and the data unless DataURL is set.
	// Empty means: start the embedded cluster under DataDir.
	DatabaseURL string
	// DataURL, when set, is where user queries run (a replica or warehouse).
	DataURL string
	// DataSchemas are the schemas user queries see (their search_path), in
	// order; never opsboard's own.
	DataSchemas []string
	// DataPool is the size of the warehouse's connection pool, and so the
	// most user queries that run at once.
	DataPool int
	// DataDir holds the embedded cluster and other local state.
	DataDir string
	// Location is the business time zone: what "a day" means.
	Location *time.Location
	// QueryTimeout is the statement_timeout of every user query.
	QueryTimeout time.Duration
	// MaxRows caps the rows kept from one query.
	MaxRows int
	// WebMaxRows caps the rows kept from one query shown on a web page or a
	// share link (CSV downloads and reports keep MaxRows).
	WebMaxRows int
	// CacheTTL is how long query results are reused.
	CacheTTL time.Duration
	// CacheBytes bounds the memory the query cache holds.
	CacheBytes int64
	// MaxRangeDays is the longest date range a query is run for.
	MaxRangeDays int

	// SchedulerInterval is how often the report scheduler and the alert
	// checks look for work that is due.
	SchedulerInterval time.Duration
	// RetryBackoff is the wait after the first failed attempt of a
	// delivery, a notice or a scheduled render; each further failure
	// doubles it, up to an hour.
	RetryBackoff time.Duration

	SMTPURL string // smtp://user:pass@host:port; a secret: never log it
	From    string
	BaseURL string
	Chrome  string // path to Chromium; empty: search PATH

	LogFormat string // text | json
	LogLevel  string // debug | info | warn | error

	// AuthProxyHeader names the header in which a single sign-on proxy
	// passes the signed-in user's email (auth-proxy mode); empty: off.
	AuthProxyHeader string
	// TrustedProxies are the addresses whose forwarding headers (the
	// auth-proxy header, X-Forwarded-For, X-Forwarded-Proto,
	// X-Forwarded-Host) are believed.
	TrustedProxies []netip.Prefix
	// AuthProxyDefaultRole is the role of a proxy user without an account.
	AuthProxyDefaultRole access.Role
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration
	// MetricsPublic serves /metrics without a login to anyone.
	MetricsPublic bool
}

// Proxy is the trust in reverse proxies the web server applies.
func (c Config) Proxy() *access.Proxy {
	return &access.Proxy{Header: c.AuthProxyHeader, Trusted: c.TrustedProxies, DefaultRole: c.AuthProxyDefaultRole}
}

// FromEnv reads the configuration from environment variables through getenv
// (os.Getenv in production, a map in tests). Flags are applied afterwards by
// the command line.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Dir:          ".",
		DatabaseURL:  getenv("DATABASE_URL"),
		DataURL:      getenv("OPSBOARD_DATA_URL"),
		DataDir:      or(getenv("OPSBOARD_DATA_DIR"), ".opsboard"),
		QueryTimeout: 30 * time.Second,
		MaxRows:      100000,
		WebMaxRows:   10000,
		CacheTTL:     5 * time.Minute,
		CacheBytes:   256 << 20,
		MaxRangeDays: 1096,
		DataPool:     10,
		DataSchemas:  []string{"public"},
		SMTPURL:      getenv("OPSBOARD_SMTP_URL"),
		From:         getenv("OPSBOARD_FROM"),
		BaseURL:      getenv("OPSBOARD_BASE_URL"),
		Chrome:       getenv("OPSBOARD_CHROME"),
		LogFormat:    or(getenv("OPSBOARD_LOG_FORMAT"), "text"),
		LogLevel:     or(getenv("OPSBOARD_LOG_LEVEL"), "info"),
	}
	c.SchedulerInterval, c.RetryBackoff = 20*time.Second, time.Minute
	var err error
	if c.Location, err = LoadLocation(or(getenv("OPSBOARD_TIMEZONE"), "UTC")); err != nil {
		return c, apperr.Invalid("OPSBOARD_TIMEZONE: %v", err)
	}
	if v := getenv("OPSBOARD_QUERY_TIMEOUT"); v != "" {
		if c.QueryTimeout, err = time.ParseDuration(v); err != nil || c.QueryTimeout <= 0 {
			return c, apperr.Invalid("OPSBOARD_QUERY_TIMEOUT: %q is not a duration like 30s", v)
		}
	}
	for _, d := range []struct {
		name string
		into *time.Duration
	}{
		{"OPSBOARD_SCHEDULER_INTERVAL", &c.SchedulerInterval},
		{"OPSBOARD_RETRY_BACKOFF", &c.RetryBackoff},
	} {
		if v := getenv(d.name); v != "" {
			if *d.into, err = time.ParseDuration(v); err != nil || *d.into <= 0 {
				return c, apperr.Invalid("%s: %q is not a positive duration like 20s", d.name, v)
			}
		}
	}
	if v := getenv("OPSBOARD_MAX_ROWS"); v != "" {
		if c.MaxRows, err = strconv.Atoi(v); err != nil || c.MaxRows <= 0 {
			return c, apperr.Invalid("OPSBOARD_MAX_ROWS: %q is not a positive number", v)
		}
	}
	for _, n := range []struct {
		name string
		into *int
	}{
		{"OPSBOARD_WEB_MAX_ROWS", &c.WebMaxRows},
		{"OPSBOARD_MAX_RANGE_DAYS", &c.MaxRangeDays},
		{"OPSBOARD_DATA_POOL", &c.DataPool},
	} {
		if v := getenv(n.name); v != "" {
			if *n.into, err = strconv.Atoi(v); err != nil || *n.into <= 0 {
				return c, apperr.Invalid("%s: %q is not a positive number", n.name, v)
			}
		}
	}
	if v := getenv("OPSBOARD_CACHE_MB"); v != "" {
		mb, err := strconv.Atoi(v)
		if err != nil || mb <= 0 {
			return c, apperr.Invalid("OPSBOARD_CACHE_MB: %q is not a positive number of megabytes", v)
		}
		c.CacheBytes = int64(mb) << 20
	}
	if v := getenv("OPSBOARD_DATA_SCHEMAS"); v != "" {
		c.DataSchemas = nil
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "opsboard" {
				return c, apperr.Invalid("OPSBOARD_DATA_SCHEMAS: user queries never see opsboard's own schema %q", s)
			}
			if s != "" {
				c.DataSchemas = append(c.DataSchemas, s)
			}
		}
		if len(c.DataSchemas) == 0 {
			return c, apperr.Invalid("OPSBOARD_DATA_SCHEMAS: %q names no schema", v)
		}
	}
	if v := getenv("OPSBOARD_CACHE_TTL"); v != "" {
		if c.CacheTTL, err = time.ParseDuration(v); err != nil || c.CacheTTL < 0 {
			return c, apperr.Invalid("OPSBOARD_CACHE_TTL: %q is not a duration like 5m", v)
		}
	}
	if err := c.accessFromEnv(getenv); err != nil {
		return c, err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, apperr.Invalid("OPSBOARD_LOG_FORMAT: %q is not text or json", c.LogFormat)
	}
	return c, nil
}

// accessFromEnv reads the settings of accounts, sessions and the auth proxy.
func (c *Config) accessFromEnv(getenv func(string) string) error {
	var err error
	c.AuthProxyHeader = strings.TrimSpace(getenv("OPSBOARD_AUTH_PROXY_HEADER"))
	if c.TrustedProxies, err = access.ParseNetworks(getenv("OPSBOARD_AUTH_PROXY_TRUSTED")); err != nil {
		return apperr.Invalid("OPSBOARD_AUTH_PROXY_TRUSTED: %v", err)
	}
	if c.AuthProxyHeader != "" && len(c.TrustedProxies) == 0 {
		return apperr.Invalid("OPSBOARD_AUTH_PROXY_HEADER needs OPSBOARD_AUTH_PROXY_TRUSTED: the proxy addresses whose header is believed")
	}
	if c.AuthProxyDefaultRole, err = access.ParseRole(or(getenv("OPSBOARD_AUTH_PROXY_DEFAULT_ROLE"), "viewer")); err != nil {
		return apperr.Invalid("OPSBOARD_AUTH_PROXY_DEFAULT_ROLE: %v", err)
	}
	c.SessionTTL = 12 * time.Hour
	if v := getenv("OPSBOARD_SESSION_TTL"); v != "" {
		if c.SessionTTL, err = time.ParseDuration(v); err != nil || c.SessionTTL <= 0 {
			return apperr.Invalid("OPSBOARD_SESSION_TTL: %q is not a duration like 12h", v)
		}
	}
	switch v := getenv("OPSBOARD_METRICS_PUBLIC"); v {
	case "", "0", "false":
	case "1", "true":
		c.MetricsPublic = true
	default:
		return apperr.Invalid("OPSBOARD_METRICS_PUBLIC: %q is not 1 or 0", v)
	}
	return nil
}

// LoadLocation loads an IANA time zone, with a message that says what is wrong.
func LoadLocation(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (use an IANA name like America/New_York)", name)
	}
	return loc, nil
}

func or(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
