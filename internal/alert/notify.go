package alert

import (
	"bytes"
	"fmt"
	"html/template"
	netmail "net/mail"
	"net/url"
	"strings"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/mail"
	"github.com/opsboard/opsboard/internal/store"
	"github.com/opsboard/opsboard/internal/webhook"
)

// Notice kinds and channels, as the store names them.
const (
	kindFired      = "fired"
	kindRecovered  = "recovered"
	channelEmail   = "email"
	channelWebhook = "webhook"
)

// notices builds the notices of a firing (kind fired) or of its recovery:
// one email per address when mail is configured, and one post per
// webhook. A webhook whose url_env is not set is left out (and logged):
// there is nowhere to send it.
func (s *Service) notices(rule *catalog.Alert, o *Outcome, f *store.AlertFiring, kind string) []store.NewNotice {
	log := s.log().With("rule", rule.Name, "kind", kind)
	var out []store.NewNotice
	if len(rule.Email) > 0 {
		if s.Mail == nil {
			log.Warn("alert not mailed: mail is not configured (OPSBOARD_SMTP_URL, OPSBOARD_FROM)", "to", strings.Join(rule.Email, ", "))
		} else if raw, err := s.email(rule, o, f, kind); err != nil {
			log.Error("building the alert email", "err", err)
		} else {
			for _, to := range rule.Email {
				out = append(out, store.NewNotice{Channel: channelEmail, Target: to, Body: raw})
			}
		}
	}
	for _, w := range rule.Webhooks {
		if w.URLEnv != "" && strings.TrimSpace(s.getenv(w.URLEnv)) == "" {
			log.Warn("alert not posted: the webhook's environment variable is not set", "url_env", w.URLEnv)
			continue
		}
		body, err := webhook.Body(w.Format, s.webhookNotice(rule, o, f, kind))
		if err != nil {
			log.Error("building the webhook body", "err", err)
			continue
		}
		out = append(out, store.NewNotice{Channel: channelWebhook, Target: w.Target(), Format: w.Format, Body: body})
	}
	return out
}

// headline is the notice's one line.
func headline(rule *catalog.Alert, kind string) string {
	if kind == kindRecovered {
		return "Recovered: " + rule.Title
	}
	return "Alert: " + rule.Title
}

// text is what the notice says, line by line.
func (s *Service) text(rule *catalog.Alert, o *Outcome, f *store.AlertFiring, kind string) []string {
	lines := []string{o.Message}
	if kind == kindRecovered {
		lines[0] = "Back to normal. " + o.Message
	}
	return lines
}

func (s *Service) link(path string) string {
	if s.BaseURL == "" {
		return ""
	}
	return strings.TrimSuffix(s.BaseURL, "/") + path
}

func (s *Service) historyLink(rule *catalog.Alert) string {
	return s.link("/alerts?rule=" + url.QueryEscape(rule.Name))
}

// dashboardLink opens the dashboard with the rule's filter values, the
// period the notice speaks of and the rule's comparison, so that it shows
// the number the notice gives, whenever it is opened.
func (s *Service) dashboardLink(rule *catalog.Alert, o *Outcome) string {
	return s.link(rule.PeriodPath(o.Period.From, o.Period.To))
}

// webhookNotice is the notice for webhooks: the headline and message, the
// link to the alert's history, and every field for programs.
func (s *Service) webhookNotice(rule *catalog.Alert, o *Outcome, f *store.AlertFiring, kind string) webhook.Notice {
	fields := map[string]any{
		"rule": rule.Name, "title": rule.Title, "state": kind, "firing_id": f.ID,
		"dashboard": rule.Dashboard, "tile": rule.Tile, "label": o.Tile.Label,
		"condition": rule.Condition, "range": rule.Range, "period": o.Key,
		"value": o.Tile.Value, "message": o.Message,
	}
	if rule.Threshold != nil {
		fields["threshold"] = *rule.Threshold
	}
	if len(rule.Params) > 0 {
		fields["params"] = rule.Params
	}
	if rule.Condition == catalog.AlertChange {
		fields["direction"], fields["compare"] = rule.Direction, rule.Compare
		if o.Tile.HasPrevious {
			fields["previous"] = o.Tile.Previous
		}
		if c, ok := o.Tile.Change(); ok && c.Tested {
			fields["z"] = c.Z
		}
	}
	if l := s.dashboardLink(rule, o); l != "" {
		fields["dashboard_url"] = l
	}
	return webhook.Notice{
		Kind: "alert." + kind, Title: headline(rule, kind), Text: strings.Join(s.text(rule, o, f, kind), "\n"),
		Link: s.historyLink(rule), Fields: fields,
	}
}

var emailHTML = template.Must(template.New("alert").Parse(`<!doctype html>
<html><body style="font-family: Helvetica, Arial, sans-serif; color: #1f2933; font-size: 14px">
<table role="presentation" cellpadding="0" cellspacing="0" style="max-width: 600px"><tr><td>
<p style="font-size: 16px; font-weight: bold; color: {{.Color}}; margin: 0 0 12px">{{.Headline}}</p>
{{range .Lines}}<p style="margin: 0 0 8px">{{.}}</p>{{end}}
<p style="margin: 16px 0 0; color: #5f6b7a">{{if .Dashboard}}<a href="{{.Dashboard}}">Open the dashboard</a> · {{end}}{{if .History}}<a href="{{.History}}">Alert history</a> · {{end}}Rule <code>{{.File}}</code></p>
</td></tr></table>
</body></html>`))

// email builds the RFC 5322 message of a notice; every recipient and
// every retry gets these bytes.
func (s *Service) email(rule *catalog.Alert, o *Outcome, f *store.AlertFiring, kind string) ([]byte, error) {
	lines := s.text(rule, o, f, kind)
	color := "#c2362b"
	if kind == kindRecovered {
		color = "#14804a"
	}
	var html bytes.Buffer
	if err := emailHTML.Execute(&html, map[string]any{
		"Headline": headline(rule, kind), "Lines": lines, "Color": color,
		"Dashboard": s.dashboardLink(rule, o), "History": s.historyLink(rule), "File": rule.File,
	}); err != nil {
		return nil, err
	}
	text := strings.Join(lines, "\n\n")
	if l := s.dashboardLink(rule, o); l != "" {
		text += "\n\nDashboard: " + l + "\nAlert history: " + s.historyLink(rule)
	}
	text += "\n\nRule: " + rule.File + "\n"
	return mail.Build(&mail.Message{
		From: s.From, To: rule.Email, Subject: "[opsboard] " + headline(rule, kind),
		Text: text, HTML: html.String(),
		MessageID: fmt.Sprintf("opsboard-alert-%d-%s@%s", f.ID, kind, mailDomain(s.From)),
		Headers:   map[string]string{"X-Opsboard-Alert": rule.Name},
	})
}

func mailDomain(from string) string {
	if a, err := netmail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			return d
		}
	}
	return "opsboard.invalid"
}

func mailPermanent(err error) bool { return mail.IsPermanent(err) }

// redactURL keeps a webhook address's scheme and host: its path is often
// the secret.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(address)"
	}
	if u.Path == "" || u.Path == "/" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// DisplayTarget shows a notice's target for people (the /alerts page)
// without a webhook's secret.
func DisplayTarget(target string) string { return displayTarget(target) }
