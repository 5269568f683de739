package browser

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Readiness timings; see readyJS.
const (
	// chartsTimeout is how long a page that has data-charts-ready on <body>
	// gets to set it to "true".
	chartsTimeout = 15 * time.Second
	// chartsGrace is how long a page without the attribute gets to add it
	// before it is taken for a page without charts.
	chartsGrace = 2 * time.Second
	// settle is the pause after the last animation frame, so SVG charts are
	// laid out before anything is printed or captured.
	settle = 100 * time.Millisecond
)

// readyJS resolves to "ready" once the page is ready to be printed, or to
// "timeout" when <body data-charts-ready> exists but never becomes "true".
// It is evaluated after the load event. Format verbs: chartsTimeout,
// chartsGrace and settle in milliseconds.
const readyJS = `(async (timeout, grace, settle) => {
	const fontsReady = () => (document.fonts && document.fonts.ready) ? document.fonts.ready : Promise.resolve();
	const frame = () => new Promise(r => { requestAnimationFrame(() => requestAnimationFrame(r)); setTimeout(r, 250); });
	await fontsReady();
	const start = performance.now();
	for (;;) {
		const state = document.body ? document.body.dataset.chartsReady : undefined;
		if (state === "true") break;
		const waited = performance.now() - start;
		if (state === undefined && waited >= grace) break;
		if (waited >= timeout) return "timeout";
		await new Promise(r => setTimeout(r, 25));
	}
	await fontsReady();
	await frame();
	await new Promise(r => setTimeout(r, settle));
	return "ready";
})(%d, %d, %d)`

// errClosed is returned by calls on a closed Browser.
var errClosed = apperr.Unavailable("browser: Chromium is not running (closed, or exited)")

// tab is one browser tab. It is opened blank (often ahead of need, as the
// Browser's spare), then bound to one call's page and context, and closed at
// the end of that call.
type tab struct {
	ctx    context.Context // chromedp context of the tab
	target *chromedp.Target
	cancel context.CancelFunc // closes the tab and waits for it
	// width and height are the viewport set by resize, 0 before.
	width, height int

	// Set by bind.
	caller context.Context // the context of the call using the tab
	url    string
	close  func() // closes the tab
	unbind func() // detaches the tab from the call's context (see keepWarm)

	intercepting bool // request interception is on (from the first bind)
	prints       int  // calls served, for keepWarm

	mu      sync.Mutex
	origin  string   // scheme://host:port of url; requests elsewhere are refused
	blocked []string // URLs of requests refused because they leave the origin
}

// newTab opens a blank tab, which lives until its cancel func is called or
// the Browser closes.
func (b *Browser) newTab() (*tab, error) {
	tctx, cancel := chromedp.NewContext(b.tabsCtx)
	// The first Run on tctx creates the target and binds it to tctx.
	if err := chromedp.Do(tctx); err != nil {
		cancel()
		return nil, err
	}
	return &tab{ctx: tctx, target: chromedp.FromContext(tctx).Target, cancel: cancel}, nil
}

// keepSpare keeps one blank tab open ahead of need, so that a call does not
// wait for Chromium to create and attach a tab (a few hundred ms). It runs
// until the Browser closes.
func (b *Browser) keepSpare() {
	defer b.spareDone.Done()
	for {
		t, err := b.newTab()
		if err == nil {
			// Most calls print reports: pay for that viewport now, as
			// Chromium takes 100-200 ms to apply one.
			if err = t.resize(printableWidthPortrait, printableHeight); err != nil {
				t.cancel()
			}
		}
		if err != nil {
			select {
			case <-b.tabsCtx.Done():
				return
			case <-time.After(time.Second): // try again; calls open their own tabs meanwhile
				continue
			}
		}
		select {
		case b.spare <- t:
		case <-b.tabsCtx.Done():
			t.cancel()
			return
		}
	}
}

// openTab returns a tab for a call with context ctx on pageURL, with a
// viewport of width×height CSS pixels and request blocking in place, ready
// to load. The tab closes when ctx ends; the caller must call t.close (or
// b.keepWarm). With warm, the tab of the last print is used when there is
// one.
func (b *Browser) openTab(ctx context.Context, pageURL string, width, height int, warm bool) (*tab, error) {
	if b.tabsCtx.Err() != nil {
		return nil, errClosed
	}
	origin, err := originOf(pageURL)
	if err != nil {
		return nil, apperr.Invalid("browser: page URL %q: %v", pageURL, err)
	}
	if !loopbackHost(pageURL) {
		return nil, apperr.Invalid("browser: page URL %q: Chromium here only loads pages served on loopback (127.0.0.1, [::1] or localhost)", pageURL)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening %s: %w", pageURL, context.Cause(ctx))
	}

	var t *tab
	if warm {
		t = b.takeWarm()
	}
	if t == nil {
		t = b.takeSpare()
	}
	if t == nil {
		if t, err = b.newTab(); err != nil {
			if b.tabsCtx.Err() != nil {
				return nil, errClosed
			}
			return nil, fmt.Errorf("opening a tab for %s: %w", pageURL, err)
		}
	}
	if err := t.bind(ctx, pageURL, origin, width, height); err != nil {
		t.close()
		return nil, t.fail("opening a tab for", err)
	}
	return t, nil
}

// takeSpare returns the spare tab if one is ready and still alive, else nil.
func (b *Browser) takeSpare() *tab {
	for {
		select {
		case t := <-b.spare:
			if !alive(t) { // the tab died while waiting (renderer crash)
				t.cancel()
				continue
			}
			return t
		default:
			return nil
		}
	}
}

// bind ties the tab to a call: ctx ends it, its requests are limited to
// origin, and its viewport is width×height. A tab kept warm is bound again
// for each call.
func (t *tab) bind(ctx context.Context, pageURL, origin string, width, height int) error {
	t.caller, t.url = ctx, pageURL
	t.mu.Lock()
	t.origin, t.blocked = origin, nil
	t.mu.Unlock()
	stop := context.AfterFunc(ctx, t.cancel)
	t.unbind = func() { stop() }
	t.close = func() {
		stop()
		t.cancel()
	}
	if err := t.resize(width, height); err != nil {
		return err
	}
	if t.intercepting {
		return nil
	}
	paused := chromedp.Events(t.ctx, fetch.RequestPaused) // subscribe before enabling
	go t.intercept(paused)
	_, err := cdp.Call(t.ctx, t.target, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: "*"}},
	})
	t.intercepting = err == nil
	return err
}

// maxWarmPrints bounds how many prints one warm tab serves before it is
// closed and a fresh one takes over.
const maxWarmPrints = 200

// keepWarm keeps t, whose call went well, for the next print instead of
// closing it (one tab at most; another is closed). The page it shows stays
// until the next call navigates away.
func (b *Browser) keepWarm(t *tab) {
	t.prints++
	t.unbind()
	if t.prints >= maxWarmPrints || b.tabsCtx.Err() != nil || !alive(t) {
		t.cancel()
		return
	}
	select {
	case b.warm <- t:
	default:
		t.cancel()
	}
}

// takeWarm returns the kept tab, if there is one and it is alive.
func (b *Browser) takeWarm() *tab {
	select {
	case t := <-b.warm:
		if alive(t) {
			return t
		}
		t.cancel()
	default:
	}
	return nil
}

// alive reports whether the tab's target still exists.
func alive(t *tab) bool {
	detached, err := chromedp.Detached(t.ctx)
	if err != nil {
		return false
	}
	select {
	case <-detached:
		return false
	default:
		return true
	}
}

// fail describes an error of the tab's call as "what URL: err", reporting
// the call's own context error when that is why the tab stopped.
func (t *tab) fail(what string, err error) error {
	if t.caller != nil && t.caller.Err() != nil {
		err = context.Cause(t.caller)
	}
	return fmt.Errorf("%s %s: %w", what, t.url, err)
}

// resize sets the viewport to width×height CSS pixels at a device scale of 1,
// so one CSS pixel is one screenshot pixel.
func (t *tab) resize(width, height int) error {
	if width == t.width && height == t.height {
		return nil
	}
	_, err := cdp.Call(t.ctx, t.target, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width:             int64(width),
		Height:            int64(height),
		DeviceScaleFactor: 1,
	})
	if err != nil {
		return err
	}
	t.width, t.height = width, height
	return nil
}

// intercept lets through each paused request to the page's own origin and
// fails every other one, so that nothing reaches another host.
func (t *tab) intercept(paused iter.Seq2[fetch.EventRequestPaused, error]) {
	for ev, err := range paused {
		if err != nil {
			return // the tab is gone
		}
		if t.allowed(ev.Request.URL) {
			_, err = cdp.Call(t.ctx, t.target, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		} else {
			t.mu.Lock()
			t.blocked = append(t.blocked, ev.Request.URL)
			t.mu.Unlock()
			_, err = cdp.Call(t.ctx, t.target, fetch.FailRequest, fetch.FailRequestParams{
				RequestID:   ev.RequestID,
				ErrorReason: network.ErrorReasonBlockedByClient,
			})
		}
		if err != nil && t.ctx.Err() != nil {
			return
		}
	}
}

// allowed reports whether a request to u may proceed: same origin as the
// page, or an in-memory URL.
func (t *tab) allowed(u string) bool {
	for _, scheme := range []string{"data:", "blob:", "about:"} {
		if strings.HasPrefix(u, scheme) {
			return true
		}
	}
	origin, err := originOf(u)
	t.mu.Lock()
	defer t.mu.Unlock()
	return err == nil && origin == t.origin
}

// blockedURLs returns the URLs refused so far.
func (t *tab) blockedURLs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.blocked...)
}

// originOf returns scheme://host:port of an http(s) URL, with the default
// port spelled out so that equal origins compare equal.
func originOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	switch {
	case scheme != "http" && scheme != "https":
		return "", errors.New("not an http(s) URL")
	case u.Hostname() == "":
		return "", errors.New("no host")
	case port == "" && scheme == "http":
		port = "80"
	case port == "":
		port = "443"
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port, nil
}

// loopbackHost reports whether the host of an http(s) URL is one that
// hostResolverRules lets Chromium reach.
func loopbackHost(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "127.0.0.1" || host == "::1"
}

// load navigates to the tab's URL and waits until the page is ready: the
// load event, web fonts, the charts (see readyJS) and a short settle.
func (t *tab) load() error {
	resp, err := chromedp.Run(t.ctx, chromedp.NavigateResponse(t.url))
	var loadErr *chromedp.LoadError
	switch {
	case errors.As(err, &loadErr) && t.caller.Err() == nil:
		return fmt.Errorf("loading %s: %s", t.url, loadErr.ErrorText)
	case err != nil:
		return t.fail("loading", err)
	case resp != nil && resp.Status >= 400:
		return fmt.Errorf("loading %s: HTTP status %d %s", t.url, resp.Status, resp.StatusText)
	}

	js := fmt.Sprintf(readyJS, chartsTimeout.Milliseconds(), chartsGrace.Milliseconds(), settle.Milliseconds())
	state, err := chromedp.Run(t.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return t.fail("waiting for", err)
	}
	if state != "ready" {
		return fmt.Errorf("%s: charts not drawn after %s (<body data-charts-ready> never became \"true\")", t.url, chartsTimeout)
	}
	return nil
}
