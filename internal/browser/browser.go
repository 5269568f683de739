// Package browser drives one warm headless Chromium per process, through
// chromedp. It prints opsboard's own pages to PDF, takes PNG screenshots of
// them (the whole page or each chart), and visits a page the way a person's
// browser would, reporting console errors, failed requests and requests that
// would leave the machine.
//
// Every call opens its own tab, so a *Browser is safe for concurrent use. In
// every tab, requests to anything but the page's own origin (and data:/blob:
// URLs) are blocked, so a rendering never reaches the internet. Chromium
// itself resolves no host name but localhost, which silences its calls to
// Google services; so pages must be served on loopback (127.0.0.1, [::1] or
// localhost), as opsboard serves its own.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opsboard/opsboard/internal/apperr"
)

// fixHint is the one line that tells a person how to get a Chromium.
const fixHint = "install it (Debian/Ubuntu: apt-get install chromium) or set OPSBOARD_CHROME to its path"

// candidates are the names looked up on PATH when no explicit path is given.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Find returns the Chromium executable: explicit (the value of
// OPSBOARD_CHROME, passed in by the caller) when it is not empty, else the
// first of chromium, chromium-browser, google-chrome and google-chrome-stable
// found on PATH. When none is found the error is of kind
// apperr.ErrUnavailable and its one-line message says how to fix it.
func Find(explicit string) (string, error) {
	if explicit != "" {
		path, err := exec.LookPath(explicit)
		if err != nil {
			return "", apperr.Unavailable("Chromium not found at OPSBOARD_CHROME=%q: %s", explicit, fixHint)
		}
		return path, nil
	}
	for _, name := range candidates {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", apperr.Unavailable("Chromium not found: %s", fixHint)
}

// Browser is a running headless Chromium. It is safe for concurrent use:
// each call opens its own tab and closes it before returning.
type Browser struct {
	// ctx is the chromedp context of the browser. It lives until Close,
	// independent of the context given to Start.
	ctx           context.Context
	cancelBrowser context.CancelFunc
	cancelAlloc   context.CancelFunc

	// tabsCtx is the parent of every tab; stopTabs closes them all.
	tabsCtx  context.Context
	stopTabs context.CancelFunc
	// spare hands over the blank tab that keepSpare opens ahead of need.
	spare     chan *tab
	spareDone sync.WaitGroup
	// warm holds the tab of the last print, kept for the next one: its
	// renderer has ECharts compiled, which makes the next print about
	// twice as fast (see PDF).
	warm chan *tab

	closeOnce sync.Once
	closeErr  error
}

// hostResolverRules makes Chromium resolve loopback hosts only. The rules
// apply to IP literals too, so loopback addresses are listed.
const hostResolverRules = "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost, EXCLUDE 127.0.0.1, EXCLUDE ::1, EXCLUDE [::1]"

// closeTimeout bounds the graceful shutdown of the browser in Close.
const closeTimeout = 10 * time.Second

// allocatorOptions are the Chromium flags. Without the background-networking
// family of flags Chromium talks to Google hosts on its own (component
// updates, safe browsing, variations, sync); opsboard must never do that.
func allocatorOptions(execPath string) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no-first-run, disable-sync, disable-background-networking, …
		chromedp.ExecPath(execPath),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,NetworkTimeServiceQuerying"),
		// Chromium 156 still queries accounts.google.com, update.googleapis.com
		// and clients2.google.com despite the flags above. Resolving nothing
		// but loopback names stops all of it before any DNS query; hence
		// pages must be served on loopback (see loopbackHost).
		chromedp.Flag("host-resolver-rules", hostResolverRules),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox on.
		opts = append(opts, chromedp.NoSandbox)
	}
	// No UserDataDir option: the exec allocator then creates a fresh
	// temporary profile directory for this browser and removes it once the
	// process has exited (which Close waits for).
	return opts
}

// Start starts Chromium at execPath (see Find) and waits until it is ready
// for tabs. ctx bounds only the startup: the browser runs until Close.
func Start(ctx context.Context, execPath string) (*Browser, error) {
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(execPath)...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)

	// The first Run binds the process to bctx, which must outlive ctx; so
	// ctx cancels the startup through AfterFunc instead of being passed in.
	stop := context.AfterFunc(ctx, cancelAlloc)
	err := chromedp.Do(bctx)
	if !stop() {
		cancelBrowser()
		cancelAlloc()
		return nil, apperr.Unavailable("starting Chromium (%s): %w", execPath, context.Cause(ctx))
	}
	if err != nil {
		cancelBrowser()
		cancelAlloc()
		return nil, apperr.Unavailable("starting Chromium (%s): %w", execPath, err)
	}
	b := &Browser{ctx: bctx, cancelBrowser: cancelBrowser, cancelAlloc: cancelAlloc, spare: make(chan *tab), warm: make(chan *tab, 1)}
	b.tabsCtx, b.stopTabs = context.WithCancel(bctx)
	b.spareDone.Add(1)
	go b.keepSpare()
	return b, nil
}

// Close shuts Chromium down, waits for the process to exit and removes its
// temporary profile directory. Calls in flight fail. Close is idempotent.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		b.stopTabs()
		b.spareDone.Wait()
		tctx, cancel := context.WithTimeout(b.ctx, closeTimeout)
		defer cancel()
		err := chromedp.Cancel(tctx)
		b.cancelBrowser()
		b.cancelAlloc() // kills a browser that did not stop in time, and waits for the cleanup
		if err != nil && !errors.Is(err, context.Canceled) {
			b.closeErr = fmt.Errorf("closing Chromium: %w", err)
		}
	})
	return b.closeErr
}
