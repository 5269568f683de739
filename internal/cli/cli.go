// Package cli is opsboard's command line: it parses the command and its
// flags into a config.Config, opens what the command needs and runs it.
// Every scheduled job is also a command here, so cron, a person and a test
// can all run it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/config"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // arguments after the name
	run     func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error
	flags   func(fs *flag.FlagSet) // registers the command's own flags
}

func commands() []*command {
	return []*command{
		demoCommand(),
		demoDataCommand(),
		validateCommand(),
		queryCommand(),
		serveCommand(),
		reportCommand(),
		refreshCommand(),
		sendCommand(),
		migrateCommand(),
		shareCommand(),
		userCommand(),
	}
}

// usageError is a mistake in how the command was called: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// Main runs the command line and returns the exit status: 0 on success, 1 on
// an error the user can act on, 2 on bad usage.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "opsboard:", err)
		return 1
	}
	global := flag.NewFlagSet("opsboard", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	tz := cfg.Location.String()
	registerGlobal(global, &cfg, &tz)
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "opsboard: %v\n", err)
		printUsage(stderr)
		return 2
	}
	rest := global.Args()
	if len(rest) == 0 {
		printUsage(stderr)
		return 2
	}
	name := rest[0]
	if name == "help" {
		printUsage(stdout)
		return 0
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == name {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "opsboard: unknown command %q\n", name)
		printUsage(stderr)
		return 2
	}

	fs := flag.NewFlagSet("opsboard "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed below, once
	registerGlobal(fs, &cfg, &tz)
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: opsboard %s %s\n\n%s\n\nflags:\n", cmd.name, cmd.usage, cmd.summary)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(interleaved(fs, rest[1:])); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "opsboard %s: %v\n", name, err)
		usage(stderr)
		return 2
	}
	if cfg.Location, err = config.LoadLocation(tz); err != nil {
		fmt.Fprintln(stderr, "opsboard:", err)
		return 2
	}
	e := &env{cfg: cfg, stdout: stdout, stderr: stderr, log: newLogger(stderr, cfg), now: time.Now}
	err = cmd.run(ctx, e, fs, fs.Args())
	var ue *usageError
	var ce catalog.Errors
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "opsboard %s: %s\n", name, ue.msg)
		return 2
	case errors.As(err, &ce):
		// Paths as the user can open them: below --dir.
		for _, line := range ce {
			shown := *line
			if cfg.Dir != "." && shown.File != "" && !filepath.IsAbs(shown.File) {
				shown.File = filepath.Join(cfg.Dir, shown.File)
			}
			fmt.Fprintln(stderr, &shown)
		}
		fmt.Fprintf(stderr, "opsboard %s: %d problem(s) in the definitions under %s\n", name, len(ce), cfg.Dir)
		return 1
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "opsboard %s: interrupted\n", name)
		return 1
	default:
		fmt.Fprintf(stderr, "opsboard %s: %s\n", name, oneLine(err))
		return 1
	}
}

// registerGlobal adds the flags every command accepts, before or after the
// command's name.
func registerGlobal(fs *flag.FlagSet, cfg *config.Config, tz *string) {
	fs.StringVar(&cfg.Dir, "dir", cfg.Dir, "definitions root (holds sql/, dashboards/, reports/)")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "log format: text or json")
	fs.StringVar(tz, "timezone", *tz, "business time zone (IANA name; env OPSBOARD_TIMEZONE)")
}

// interleaved lets flags follow positional arguments ("query kpi/csat -p a=b"):
// it moves every flag (and its value) before the positionals.
func interleaved(fs *flag.FlagSet, args []string) []string {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return append(flags, positional...)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "opsboard turns SQL files into the daily operations dashboard and report.")
	fmt.Fprintln(w, "\nusage: opsboard [--dir PATH] COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'opsboard COMMAND --help' for a command's flags.")
	fmt.Fprintln(w, `
Environment:
  DATABASE_URL                        opsboard's own tables (default: the embedded cluster)
  OPSBOARD_DATA_URL                   where queries run, as a read-only role (default: DATABASE_URL)
  OPSBOARD_DATA_SCHEMAS, OPSBOARD_DATA_POOL   the schemas queries see (public); warehouse connections (10)
  OPSBOARD_DATA_DIR                   the embedded cluster without DATABASE_URL (default ./.opsboard)
  OPSBOARD_PG_BIN                     PostgreSQL's bin directory for that cluster (default: searched)
  OPSBOARD_TIMEZONE                   the business time zone (default UTC)
  OPSBOARD_QUERY_TIMEOUT, OPSBOARD_MAX_ROWS, OPSBOARD_WEB_MAX_ROWS, OPSBOARD_MAX_RANGE_DAYS
  OPSBOARD_CACHE_TTL, OPSBOARD_CACHE_MB
  OPSBOARD_SMTP_URL, OPSBOARD_FROM    mail (smtp://user:pass@host:587, smtps://…)
  OPSBOARD_SCHEDULER_INTERVAL         how often scheduled reports and alert checks are looked for (default 20s)
  OPSBOARD_RETRY_BACKOFF              the wait after a first failed delivery or render, doubled each time up to 1h (default 1m)
  OPSBOARD_BASE_URL                   the public address, for links in mails and share links
  OPSBOARD_CHROME                     the Chromium binary for PDF and PNG
  OPSBOARD_SESSION_TTL                how long a sign-in lasts (default 12h)
  OPSBOARD_AUTH_PROXY_HEADER, OPSBOARD_AUTH_PROXY_TRUSTED, OPSBOARD_AUTH_PROXY_DEFAULT_ROLE
                                      single sign-on through a trusted reverse proxy
  OPSBOARD_METRICS_PUBLIC=1           /metrics without a sign-in
  OPSBOARD_LOG_FORMAT, OPSBOARD_LOG_LEVEL`)
}

func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	level := slog.LevelInfo
	switch cfg.LogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// oneLine flattens an error to a single line for the terminal.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
