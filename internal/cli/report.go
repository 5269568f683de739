package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/delivery"
	"github.com/opsboard/opsboard/internal/mail"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
)

// reportDate parses --date, defaulting to yesterday in loc: the day a
// report run this morning covers.
func reportDate(e *env, raw string, loc *time.Location) (time.Time, error) {
	if raw == "" {
		return query.Today(e.now(), loc).AddDate(0, 0, -1), nil
	}
	d, err := time.Parse(query.DateLayout, raw)
	if err != nil {
		return time.Time{}, usagef("--date must be YYYY-MM-DD, not %q", raw)
	}
	return d, nil
}

func (e *env) producer(cat *catalog.Catalog) (*report.Producer, error) {
	var p *report.Producer
	cfg := report.Config{
		Catalog: func() *catalog.Catalog { return cat }, Runner: e.runner(),
		Location: e.cfg.Location, Chrome: e.cfg.Chrome,
		Events: e.reportEvents(func() *catalog.Catalog { return p.Definitions() }),
		Log:    e.log,
	}
	if e.db != nil {
		cfg.Prints = e.db // PDFs printed once, by the morning or the first run
	}
	p, err := report.NewProducer(cfg)
	return p, err
}

func reportCommand() *command {
	var date, format, out string
	var perChart, fresh bool
	return &command{
		name:    "report",
		summary: "Render a report for a date as PDF, HTML or PNG (nothing is sent or archived).",
		usage:   "NAME [--date YYYY-MM-DD] [--format pdf|html|png] [--charts] [--fresh] [--out PATH]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&date, "date", "", "the last day the report covers (default: yesterday)")
			fs.StringVar(&format, "format", "pdf", "pdf, html or png")
			fs.BoolVar(&perChart, "charts", false, "with --format png: one PNG per chart, into the --out directory")
			fs.StringVar(&out, "out", "", "output file (default NAME-DATE.FORMAT; - for stdout)")
			fs.BoolVar(&fresh, "fresh", false, "with --format pdf: print anew, even when the same page's PDF is kept (printed by the morning or an earlier run)")
		},
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			if len(args) != 1 {
				return usagef("needs one report name")
			}
			if format != "pdf" && format != "html" && format != "png" {
				return usagef("--format must be pdf, html or png, not %q", format)
			}
			cat, err := loadCatalog(e)
			if err != nil {
				return err
			}
			if err := e.openWarehouse(ctx); err != nil {
				return err
			}
			defer e.close()
			e.openStoreIfReachable(ctx) // the morning's results, when kept
			p, err := e.producer(cat)
			if err != nil {
				return err
			}
			defer p.Close()
			r, err := p.Lookup(args[0])
			if err != nil {
				return err
			}
			loc, err := p.Location(r)
			if err != nil {
				return err
			}
			d, err := reportDate(e, date, loc)
			if err != nil {
				return err
			}
			if format == "png" || (format == "pdf" && (fresh || !p.Printed(ctx, r.Name, d))) {
				p.Prewarm(ctx) // Chromium starts while the report is computed
			}
			o, err := p.Render(ctx, r.Name, d)
			if err != nil {
				return err
			}
			if format == "png" && perChart {
				return writeChartPNGs(ctx, e, p, o, out)
			}
			var body []byte
			switch format {
			case "html":
				body = o.HTML
			case "pdf":
				if fresh {
					body, err = p.Print(ctx, o)
				} else {
					body, err = p.PDF(ctx, o)
				}
			case "png":
				body, err = p.PNG(ctx, o)
			}
			if err != nil {
				return err
			}
			if out == "" {
				out = fmt.Sprintf("%s-%s.%s", r.Name, d.Format(query.DateLayout), format)
			}
			if out == "-" {
				_, err = e.stdout.Write(body)
				return err
			}
			if err := os.WriteFile(out, body, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s (%d bytes)", out, len(body))
			if o.Partial() {
				fmt.Fprintf(e.stdout, " — partial: %s", strings.Join(o.Failures, "; "))
			}
			fmt.Fprintln(e.stdout)
			return nil
		},
	}
}

// writeChartPNGs renders each chart of the report as its own PNG in dir.
func writeChartPNGs(ctx context.Context, e *env, p *report.Producer, o *report.Output, dir string) error {
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	images, order, err := p.ChartImages(ctx, o)
	if err != nil {
		return err
	}
	for _, id := range order {
		name := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.png", o.Report.Name, o.Date.Format(query.DateLayout), id))
		if err := os.WriteFile(name, images[id], 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", name)
	}
	return nil
}

func sendCommand() *command {
	var date, to string
	return &command{
		name:    "send",
		summary: "Produce a report for a date, archive it and email it now.",
		usage:   "NAME [--date YYYY-MM-DD] [--to a@example.com,b@example.com]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&date, "date", "", "the last day the report covers (default: yesterday)")
			fs.StringVar(&to, "to", "", "send only to these addresses instead of the report's recipients")
		},
		run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
			if len(args) != 1 {
				return usagef("needs one report name")
			}
			cat, err := loadCatalog(e)
			if err != nil {
				return err
			}
			if err := e.open(ctx, true); err != nil {
				return err
			}
			defer e.close()
			svc, closeSvc, err := e.deliveryService(cat)
			if err != nil {
				return err
			}
			defer closeSvc()
			if svc.Transport == nil {
				return usagef("mail is not configured: set OPSBOARD_SMTP_URL (smtp://user:pass@host:port) and OPSBOARD_FROM")
			}
			svc.Producer.Prewarm(ctx)
			r, err := svc.Producer.Lookup(args[0])
			if err != nil {
				return err
			}
			loc, err := svc.Producer.Location(r)
			if err != nil {
				return err
			}
			d, err := reportDate(e, date, loc)
			if err != nil {
				return err
			}
			var recipients []string
			for _, a := range strings.Split(to, ",") {
				if a = strings.TrimSpace(a); a != "" {
					recipients = append(recipients, a)
				}
			}
			run, err := svc.Send(ctx, r.Name, d, delivery.SendOptions{To: recipients, Trigger: "command"})
			if run != nil {
				fmt.Fprintf(e.stdout, "run %d of %s for %s: %s\n", run.ID, r.Name, d.Format(query.DateLayout), run.Status)
			}
			return err
		},
	}
}

// deliveryService wires the report producer, the mail transport and the
// archive together.
func (e *env) deliveryService(cat *catalog.Catalog) (*delivery.Service, func(), error) {
	p, err := e.producer(cat)
	if err != nil {
		return nil, nil, err
	}
	svc := &delivery.Service{DB: e.db, Producer: p, From: e.cfg.From, BaseURL: e.cfg.BaseURL, Log: e.log,
		Backoff: delivery.DoublingBackoff(e.cfg.RetryBackoff)}
	if e.cfg.SMTPURL != "" {
		if e.cfg.From == "" {
			p.Close()
			return nil, nil, usagef("OPSBOARD_FROM must be set with OPSBOARD_SMTP_URL (the sender address)")
		}
		sender, err := mail.NewSender(mail.Config{URL: e.cfg.SMTPURL, From: e.cfg.From})
		if err != nil {
			p.Close()
			return nil, nil, err
		}
		svc.Transport = sender
	}
	return svc, func() { p.Close() }, nil
}
