package cli_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"github.com/opsboard/opsboard/internal/cli"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/mail/mailtest"
)

var sendFormRE = regexp.MustCompile(`<form method="post" action="/reports/ops-daily/send"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)">`)

// An editor's "Send now" on /reports, against a real serve: a new run is
// rendered, mailed through SMTP and listed in the archive as sent from the
// web.
func TestServeSendsAReportFromTheWeb(t *testing.T) {
	browsertest.Need(t)
	withDemo(t)
	smtp := mailtest.Start(t, mailtest.Options{})

	// Pick a free loopback port for serve.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	env := map[string]string{
		"DATABASE_URL": dbtest.URL(t), "OPSBOARD_TIMEZONE": "America/New_York",
		"OPSBOARD_SMTP_URL": smtp.URL(), "OPSBOARD_FROM": "opsboard@example.com",
	}
	go func() {
		done <- cli.Main(ctx, []string{"--dir", "../..", "serve", "--addr", addr, "--scheduler=false"},
			io.Discard, io.Discard, func(k string) string { return env[k] })
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d", code)
		}
	}()

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + addr
	var body string
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := c.Get(base + "/reports")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m := sendFormRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("/reports has no \"Send now\" form for ops-daily (no accounts: the local admin may send):\n%s", body)
	}

	ny, _ := time.LoadLocation("America/New_York")
	day := time.Now().In(ny).AddDate(0, 0, -1).Format("2006-01-02")
	resp, err := c.PostForm(base+"/reports/ops-daily/send", url.Values{"csrf": {m[1]}, "date": {day}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/reports/ops-daily" {
		t.Fatalf("send now: %d to %q, want 303 to the report's archive", resp.StatusCode, resp.Header.Get("Location"))
	}
	msgs := smtp.WaitFor(1, 10*time.Second)
	if len(msgs) == 0 {
		t.Fatal("no mail arrived")
	}
	if got := string(msgs[0].Data); !strings.Contains(got, "Subject: Ops daily "+day) {
		t.Errorf("mail subject does not name the day %s:\n%.400s", day, got)
	}

	resp, err = c.Get(base + "/reports/ops-daily")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	row := regexp.MustCompile(`(?s)<tr>\s*<td><a href="/reports/ops-daily/` + day + `\?run=\d+">` + day + `</a></td>.*?</tr>`).FindString(string(b))
	if !strings.Contains(row, ">sent<") || !strings.Contains(row, "<td>web</td>") {
		t.Errorf("the archive does not list the run as sent from the web: %q", row)
	}
	for _, who := range []string{"ops-leads@example.com", "marketing@example.com (cc)"} {
		if !strings.Contains(row, who) {
			t.Errorf("the archive's run does not say it went to %s: %q", who, row)
		}
	}
}
