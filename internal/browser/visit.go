package browser

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Visit is what a person's browser would have seen on a page.
type Visit struct {
	// ConsoleErrors are the console errors and warnings, failed
	// console.assert calls and uncaught exceptions (or promise rejections),
	// in order, as "type: text (url:line)". Chromium's own "Failed to load
	// resource" lines are left out: FailedRequests has them.
	ConsoleErrors []string
	// FailedRequests are the requests that failed with a network error or
	// an HTTP status >= 400, as "404 Not Found http://…" or
	// "net::ERR_… http://…". Requests blocked for leaving the page's origin
	// are not repeated here.
	FailedRequests []string
	// OffHostRequests are the URLs of requests to any origin other than the
	// page's own scheme://host:port (data: and blob: URLs excepted). They
	// were blocked and never left the machine.
	OffHostRequests []string
	// Title is the document title.
	Title string
}

// visitHeight is the viewport height of a Visit.
const visitHeight = 900

// consoleDrain bounds the wait for the last console messages of a Visit.
const consoleDrain = 5 * time.Second

// Visit loads pageURL in a tab width CSS pixels wide, waits until the page is
// ready (see PDF), calls eval (if not nil) with a context in which Eval runs
// JavaScript in that tab, and reports the console errors, failed requests,
// off-origin requests and title seen meanwhile.
//
// When the page fails to load or eval fails, Visit returns the error
// together with what it saw up to then (the *Visit is nil only when no tab
// could be opened).
func (b *Browser) Visit(ctx context.Context, pageURL string, width int, eval func(ctx context.Context) error) (*Visit, error) {
	t, err := b.openTab(ctx, pageURL, width, visitHeight, false)
	if err != nil {
		return nil, err
	}
	defer t.close()

	var requests requestLog
	if err := chromedp.Listen(t.ctx, requests.record); err != nil {
		return nil, t.fail("visiting", err)
	}
	consoleCtx, stopConsole := context.WithCancel(t.ctx)
	defer stopConsole()
	console := chromedp.Console(consoleCtx) // subscribed now, read at the end

	v := &Visit{}
	err = t.load()
	if err == nil {
		v.Title, err = chromedp.Run(t.ctx, chromedp.Title())
	}
	if err == nil && eval != nil {
		if err = eval(t.ctx); err != nil {
			err = t.fail("checking", err)
		}
	}

	v.ConsoleErrors = t.drainConsole(console, stopConsole)
	v.OffHostRequests = t.blockedURLs()
	v.FailedRequests = requests.failures(t.origin, v.OffHostRequests)
	return v, err
}

// drainConsole reads the console messages up to a marker it logs itself, so
// that every message the page wrote before is in; it gives up after
// consoleDrain.
func (t *tab) drainConsole(console iter.Seq2[chromedp.ConsoleMessage, error], stop context.CancelFunc) []string {
	marker := "opsboard-visit-end-" + rand.Text()
	timer := time.AfterFunc(consoleDrain, stop)
	defer timer.Stop()
	logMarker := fmt.Sprintf("console.debug(%q)", marker)
	if _, err := chromedp.Run(t.ctx, chromedp.Evaluate[chromedp.Void](logMarker)); err != nil {
		stop() // no marker will come: take what is queued
	}

	var lines []string
	for m, err := range console {
		if err != nil || m.Text == marker {
			break
		}
		if m.Source == "network" {
			continue // "Failed to load resource": reported as a failed request
		}
		switch m.Type {
		case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException, "assert":
			line := m.String()
			if m.URL != "" {
				line += fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
			}
			lines = append(lines, line)
		}
	}
	return lines
}

// requestLog records the network events of a tab. Its record method runs on
// chromedp's event loop, so it only stores.
type requestLog struct {
	mu     sync.Mutex
	urls   map[network.RequestID]string
	failed []failedRequest
}

// failedRequest is a request that got an error status or no response.
type failedRequest struct {
	url, reason string
}

// record is a chromedp.Listen func.
func (l *requestLog) record(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if l.urls == nil {
			l.urls = make(map[network.RequestID]string)
		}
		l.urls[ev.RequestID] = ev.Request.URL
	case *network.EventResponseReceived:
		if r := ev.Response; r.Status >= 400 {
			reason := fmt.Sprintf("%d %s", r.Status, r.StatusText)
			l.failed = append(l.failed, failedRequest{url: r.URL, reason: reason})
		}
	case *network.EventLoadingFailed:
		if !ev.Canceled {
			l.failed = append(l.failed, failedRequest{url: l.urls[ev.RequestID], reason: ev.ErrorText})
		}
	}
}

// failures lists the failed requests, leaving out those in blocked and the
// browser's own request for the page's /favicon.ico (which a browser
// console does not show either).
func (l *requestLog) failures(origin string, blocked []string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, f := range l.failed {
		if strings.HasPrefix(f.reason, "net::ERR_BLOCKED_BY_CLIENT") && slices.Contains(blocked, f.url) {
			continue
		}
		if u, err := url.Parse(f.url); err == nil && u.Path == "/favicon.ico" {
			if o, err := originOf(f.url); err == nil && o == origin {
				continue
			}
		}
		out = append(out, f.reason+" "+f.url)
	}
	return out
}

// Eval evaluates a JavaScript expression in the tab of ctx, which must be
// the context Visit passes to its eval callback, awaits it if it is a
// promise, and decodes its JSON value into out (which may be nil to discard
// it). An exception thrown by the expression is returned as the error.
func Eval(ctx context.Context, expression string, out any) error {
	if chromedp.FromContext(ctx) == nil {
		return errors.New("browser.Eval: ctx is not the context of a Visit callback")
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("evaluating %s: %w", shorten(expression), err)
	}
	if out == nil || len(raw) == 0 { // undefined leaves out as it is
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decoding the value of %s: %w", shorten(expression), err)
	}
	return nil
}

// shorten cuts a JavaScript expression for an error message.
func shorten(s string) string {
	const limit = 80
	if r := []rune(s); len(r) > limit {
		return fmt.Sprintf("%q…", string(r[:limit]))
	}
	return fmt.Sprintf("%q", s)
}
