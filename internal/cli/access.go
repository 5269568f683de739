package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/store"
)

// shareCommand is "opsboard share create|list|revoke".
func shareCommand() *command {
	var (
		dashboard, report, expires, label string
		showSQL                           bool
		params                            = paramFlags{}
	)
	createOnly := []string{"dashboard", "report", "param", "p", "expires", "label", "show-sql"}
	return &command{
		name:    "share",
		summary: "Create, list and revoke share links: read-only, expiring, with locked filters, no account needed.",
		usage:   "create --dashboard NAME | --report NAME [--param name=value ...] [--expires 30d] [--label TEXT] [--show-sql]\n       opsboard share list\n       opsboard share revoke ID",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dashboard, "dashboard", "", "create: the dashboard the link shows")
			fs.StringVar(&report, "report", "", "create: the report whose archive the link shows")
			fs.Var(params, "param", "create: lock a filter to a value, `name=value` (repeatable)")
			fs.Var(params, "p", "create: short for --param")
			fs.StringVar(&expires, "expires", "30d", "create: how long the link works, like 7d, 30d, 2w or 12h (at most 366d)")
			fs.StringVar(&label, "label", "", "create: a note shown on the shared page and in the list")
			fs.BoolVar(&showSQL, "show-sql", false, "create: show each query's SQL in the shared page's glossary (by default it says what each number means in words only)")
		},
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			if len(args) == 0 {
				return usagef("needs create, list or revoke")
			}
			if args[0] != "create" {
				if f := setFlag(fs, createOnly); f != "" {
					return usagef("--%s only goes with create", f)
				}
			}
			switch args[0] {
			case "create":
				if len(args) != 1 {
					return usagef("create takes flags only, not %q", strings.Join(args[1:], " "))
				}
				return shareCreate(ctx, e, shareOptions{dashboard, report, params, expires, label, showSQL})
			case "list":
				if len(args) != 1 {
					return usagef("list takes no arguments")
				}
				return shareList(ctx, e)
			case "revoke":
				if len(args) != 2 {
					return usagef("revoke needs one link ID (see 'opsboard share list')")
				}
				id, err := strconv.ParseInt(args[1], 10, 64)
				if err != nil || id <= 0 {
					return usagef("%q is not a link ID (see 'opsboard share list')", args[1])
				}
				return shareRevoke(ctx, e, id)
			}
			return usagef("unknown subcommand %q: use create, list or revoke", args[0])
		},
	}
}

// setFlag returns the first of names that was set on the command line.
func setFlag(fs *flag.FlagSet, names []string) string {
	found := ""
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if f.Name == n && found == "" {
				found = n
			}
		}
	})
	return found
}

// shareOptions are the flags of share create.
type shareOptions struct {
	dashboard, report string
	params            paramFlags
	expires, label    string
	showSQL           bool
}

// defaultServeURL is where serve listens when not told otherwise: share
// links printed without OPSBOARD_BASE_URL point there.
const defaultServeURL = "http://127.0.0.1:8080"

func shareCreate(ctx context.Context, e *env, o shareOptions) error {
	kind, target := access.ShareDashboard, o.dashboard
	switch {
	case o.dashboard != "" && o.report != "":
		return usagef("a link shows one thing: --dashboard or --report, not both")
	case o.report != "":
		kind, target = access.ShareReport, o.report
	case o.dashboard == "":
		return usagef("needs --dashboard NAME or --report NAME")
	}
	expiry, err := access.ParseExpiry(o.expires)
	if err != nil {
		return usagef("--expires: %v", err)
	}
	if len(o.label) > 200 {
		return usagef("--label is too long (200 characters at most)")
	}
	if !utf8.ValidString(o.label) || strings.ContainsRune(o.label, 0) {
		return usagef("--label is not text (it has a NUL byte or invalid UTF-8)")
	}
	cat, err := loadCatalog(e)
	if err != nil {
		return err
	}
	if err := access.CheckShare(cat, kind, target, o.params); err != nil {
		if errors.Is(err, apperr.ErrInvalid) {
			// A --param the link cannot take is bad usage, as a
			// parameter a query does not take is.
			return usagef("%v", err)
		}
		return err
	}
	if err := e.open(ctx, true); err != nil {
		return err
	}
	defer e.close()
	token, hash := access.NewToken()
	link, err := e.db.CreateShareLink(ctx, hash, store.ShareLink{
		Kind: kind, Target: target, Params: store.Params(o.params), Label: o.label,
		CreatedBy: "command line", ExpiresAt: e.now().Add(expiry), ShowSQL: o.showSQL,
	})
	if err != nil {
		return err
	}
	// The address goes to stdout alone, so a script can capture it; the
	// rest is for the person at the terminal.
	base := e.cfg.BaseURL
	if base == "" {
		base = defaultServeURL
	}
	fmt.Fprintln(e.stdout, access.ShareURL(base, token))
	what := kind + " " + terminalText(target)
	if len(o.params) > 0 {
		what += " locked to " + formatParams(o.params)
	}
	fmt.Fprintf(e.stderr, "share link %d shows %s until %s.\n", link.ID, what, link.ExpiresAt.In(e.cfg.Location).Format("2006-01-02 15:04 MST"))
	if o.showSQL {
		fmt.Fprintln(e.stderr, "Its glossary shows the SQL of each query.")
	} else {
		fmt.Fprintln(e.stderr, "Its glossary says what each number means in words, without the SQL (--show-sql adds it).")
	}
	if e.cfg.BaseURL != "" {
		fmt.Fprintf(e.stderr, "The address is below OPSBOARD_BASE_URL (%s).\n", terminalText(e.cfg.BaseURL))
	} else {
		fmt.Fprintf(e.stderr, "The address is below %s, where 'opsboard serve' listens by default; OPSBOARD_BASE_URL is not set. "+
			"Set it to the address people reach opsboard at (https://opsboard.example.com) to print links that work for them.\n", defaultServeURL)
	}
	fmt.Fprintln(e.stderr, "This is the only time the address is shown: opsboard keeps only its hash. Revoke it with 'opsboard share revoke "+strconv.FormatInt(link.ID, 10)+"'.")
	return nil
}

// formatParams writes locked parameters as "channel=web, region=north",
// safe for a terminal.
func formatParams(p map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(p) {
		parts = append(parts, terminalText(k+"="+p[k]))
	}
	return strings.Join(parts, ", ")
}

func shareList(ctx context.Context, e *env) error {
	if err := e.open(ctx, true); err != nil {
		return err
	}
	defer e.close()
	links, err := e.db.ListShareLinks(ctx)
	if err != nil {
		return err
	}
	if len(links) == 0 {
		fmt.Fprintln(e.stdout, "no share links (make one with 'opsboard share create --dashboard NAME')")
		return nil
	}
	when := func(t time.Time) string { return t.In(e.cfg.Location).Format("2006-01-02 15:04") }
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tTARGET\tPARAMS\tLABEL\tCREATED\tEXPIRES\tLAST USED\tUSES\tSTATUS")
	for _, l := range links {
		last := "never"
		if l.LastUsedAt.Valid {
			last = when(l.LastUsedAt.Time)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", l.ID, l.Kind, terminalText(l.Target), dash(formatParams(l.Params)),
			dash(terminalText(oneLineText(l.Label))), when(l.CreatedAt), when(l.ExpiresAt), last, l.UseCount, l.Status)
	}
	return tw.Flush()
}

func shareRevoke(ctx context.Context, e *env, id int64) error {
	if err := e.open(ctx, true); err != nil {
		return err
	}
	defer e.close()
	if err := e.db.RevokeShareLink(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "revoked share link %d: it now answers \"This link has expired\"\n", id)
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }

// terminalText escapes what in s could drive a terminal, the way
// strconv.Quote does: control characters (ESC, newlines, tabs, DEL, the C1
// range) and bytes that are not UTF-8. Everything else stays as it is, so
// names in any script remain readable. Text that people gave opsboard
// (labels, addresses) goes through it before it is printed.
func terminalText(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"): // a byte that is not UTF-8
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// userCommand is "opsboard user add|list|remove".
func userCommand() *command {
	var role string
	return &command{
		name:    "user",
		summary: "Add, list and remove accounts (roles: viewer, editor, admin).",
		usage:   "add EMAIL --role viewer|editor|admin   (password from stdin, else one is generated)\n       opsboard user list\n       opsboard user remove EMAIL",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&role, "role", "viewer", "add: viewer (dashboards, reports, glossary), editor (+ re-send reports, share links) or admin (+ accounts)")
		},
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			if len(args) == 0 {
				return usagef("needs add, list or remove")
			}
			if args[0] != "add" && setFlag(fs, []string{"role"}) != "" {
				return usagef("--role only goes with add")
			}
			switch args[0] {
			case "add":
				if len(args) != 2 {
					return usagef("add needs one email address")
				}
				return userAdd(ctx, e, args[1], role)
			case "list":
				if len(args) != 1 {
					return usagef("list takes no arguments")
				}
				return userList(ctx, e)
			case "remove":
				if len(args) != 2 {
					return usagef("remove needs one email address")
				}
				return userRemove(ctx, e, args[1])
			}
			return usagef("unknown subcommand %q: use add, list or remove", args[0])
		},
	}
}

// readPassword returns the password piped to the command on stdin, or ""
// when stdin is a terminal or empty. Tests replace it.
var readPassword = func() (string, error) {
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice != 0 {
		return "", nil
	}
	line, err := bufio.NewReader(io.LimitReader(os.Stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func userAdd(ctx context.Context, e *env, rawEmail, rawRole string) error {
	email, err := access.CheckEmail(rawEmail)
	if err != nil {
		return usagef("%v", err)
	}
	role, err := access.ParseRole(rawRole)
	if err != nil {
		return usagef("--role: %v", err)
	}
	password, err := readPassword()
	if err != nil {
		return err
	}
	generated := password == ""
	if generated {
		password = access.GeneratePassword()
	}
	hash, err := access.HashPassword(password)
	if err != nil {
		return err
	}
	if err := e.open(ctx, true); err != nil {
		return err
	}
	defer e.close()
	if _, err := e.db.CreateUser(ctx, email, role.String(), hash); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added %s (%s)\n", terminalText(email), role)
	if generated {
		fmt.Fprintf(e.stdout, "password: %s\n", password)
		fmt.Fprintln(e.stderr, "This is the only time the password is shown. To set your own, pipe it in: opsboard user add EMAIL --role R < file")
	}
	return nil
}

func userList(ctx context.Context, e *env) error {
	if err := e.open(ctx, true); err != nil {
		return err
	}
	defer e.close()
	users, err := e.db.ListUsers(ctx)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		fmt.Fprintln(e.stdout, "no accounts: serve needs no sign-in and listens on loopback only (add one with 'opsboard user add EMAIL --role admin')")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tROLE\tCREATED\tSESSIONS")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", terminalText(u.Email), terminalText(u.Role), u.CreatedAt.In(e.cfg.Location).Format("2006-01-02 15:04"), u.Sessions)
	}
	return tw.Flush()
}

func userRemove(ctx context.Context, e *env, rawEmail string) error {
	email := access.NormalizeEmail(rawEmail)
	if err := e.open(ctx, true); err != nil {
		return err
	}
	defer e.close()
	err := e.db.RemoveUser(ctx, email)
	if errors.Is(err, apperr.ErrNotFound) {
		return apperr.NotFound("there is no account for %s", terminalText(email))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "removed %s and ended its sessions\n", terminalText(email))
	if has, err := e.db.HasUsers(ctx); err == nil && !has && e.cfg.AuthProxyHeader == "" {
		fmt.Fprintln(e.stderr, "That was the last account: on loopback, serve needs no sign-in again (every visitor acts as admin); a server listening beyond loopback refuses every request until an account is added.")
	}
	return nil
}
