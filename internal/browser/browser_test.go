package browser_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/opsboard/opsboard/internal/browser"
	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"image"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
)

// pages are the test pages, by path. {{OTHER}} is replaced with the URL of
// a second server, which counts as another host.
var pages = map[string]string{
	// A report-like page: the print style hides the screen-only text and
	// shows the print-only one.
	"/print": `<!doctype html><html><head><title>Print test</title><style>
		@page { size: A4; margin: 15mm; }
		body { font-family: sans-serif; }
		.print-only { display: none; }
		@media print {
			.screen-only { display: none; }
			.print-only { display: block; background: #eef; }
		}
	</style></head><body data-charts-ready="true">
		<h1>Fulfilment and customer health</h1>
		<p class="screen-only">Shown on screen only</p>
		<p class="print-only">Printed summary for marketing</p>
	</body></html>`,

	// Charts drawn late: the marker appears, and data-charts-ready is set,
	// only after 300 ms. Without the wait the PDF would not have it.
	"/late": `<!doctype html><html><head><title>Late charts</title><style>
		body { margin: 0; font-family: sans-serif; }
		#marker { width: 240px; height: 40px; background: rgb(255, 0, 0); color: white; }
	</style></head><body>
		<h1>Charts below</h1>
		<div id="charts"></div>
		<script>
		setTimeout(() => {
			const m = document.createElement("div");
			m.id = "marker";
			m.textContent = "MARKER DRAWN";
			document.getElementById("charts").appendChild(m);
			document.body.dataset.chartsReady = "true";
		}, 300);
		</script>
	</body></html>`,

	// A page that announces charts (data-charts-ready="false") and draws
	// them after the 2 s grace for pages without charts.
	"/slow": `<!doctype html><html><head><title>Slow charts</title></head>
	<body data-charts-ready="false"><div id="charts"></div><script>
		setTimeout(() => {
			document.getElementById("charts").textContent = "SLOW CHART DRAWN";
			document.body.dataset.chartsReady = "true";
		}, 2500);
	</script></body></html>`,

	// Never ready: for cancellation.
	"/never": `<!doctype html><html><body data-charts-ready="false">waiting</body></html>`,

	// A tall page for full-page screenshots, with three "charts".
	"/tall": `<!doctype html><html><head><style>
		body { margin: 0; }
		.block { height: 500px; }
		.chart { width: 200px; height: 100px; margin: 10px; background: rgb(0, 0, 255); }
		#c2 { width: 300px; height: 150px; }
	</style></head><body data-charts-ready="true">
		<div class="chart" id="c1"></div>
		<div class="block"></div>
		<div class="chart" id="c2"></div>
		<div class="block"></div>
		<div class="chart" id="c3"></div>
		<div class="block"></div>
	</body></html>`,

	// Everything Visit must notice.
	"/visit": `<!doctype html><html><head><title>Visit test</title></head>
	<body data-charts-ready="true">
		<img src="/missing.png" alt="missing">
		<img src="http://example.invalid/x.png" alt="off host">
		<img src="{{OTHER}}/tracker.png" alt="other port">
		<img src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==" alt="inline">
		<script>
		console.error("visit-console-error", 42);
		console.warn("visit-console-warning");
		console.log("not an error");
		fetch("{{OTHER}}/beacon").catch(() => {});
		setTimeout(() => { throw new Error("visit-uncaught") }, 0);
		</script>
	</body></html>`,
}

// testServers starts the page server and a second server on another port
// (another host:port), which counts the requests that reach it.
func testServers(t testing.TB) (site *httptest.Server, otherHits *atomic.Int64) {
	t.Helper()
	otherHits = new(atomic.Int64)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
	}))
	t.Cleanup(other.Close)
	site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, strings.ReplaceAll(body, "{{OTHER}}", other.URL))
	}))
	t.Cleanup(site.Close)
	return site, otherHits
}

// pdfText extracts the text of a PDF with pdftotext.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("PDF starts with %q, want %%PDF", pdf[:min(len(pdf), 8)])
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext not found (install poppler-utils)")
		}
		t.Skip("pdftotext not found (install poppler-utils)")
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// decodePNG checks the magic bytes and decodes the image.
func decodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot starts with %q, want the PNG signature", data[:min(len(data), 8)])
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding the PNG: %v", err)
	}
	return img
}

func TestFind(t *testing.T) {
	const want = "Chromium not found: install it (Debian/Ubuntu: apt-get install chromium) or set OPSBOARD_CHROME to its path"
	t.Setenv("PATH", "")

	t.Run("empty PATH", func(t *testing.T) {
		_, err := browser.Find("")
		if err == nil || err.Error() != want {
			t.Fatalf("browser.Find(\"\") error = %v, want %q", err, want)
		}
		if !errors.Is(err, apperr.ErrUnavailable) {
			t.Errorf("Find error is not apperr.ErrUnavailable: %v", err)
		}
	})

	t.Run("missing explicit path", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "no-such-chromium")
		_, err := browser.Find(missing)
		if err == nil {
			t.Fatal("Find of a missing path succeeded")
		}
		msg := err.Error()
		if !errors.Is(err, apperr.ErrUnavailable) || strings.Contains(msg, "\n") ||
			!strings.HasPrefix(msg, "Chromium not found") || !strings.Contains(msg, missing) ||
			!strings.HasSuffix(msg, "install it (Debian/Ubuntu: apt-get install chromium) or set OPSBOARD_CHROME to its path") {
			t.Errorf("browser.Find(%q) error = %q, want one line naming the path and the fix, of kind unavailable", missing, msg)
		}
	})

	t.Run("explicit path", func(t *testing.T) {
		exe, err := os.Executable() // any executable file will do
		if err != nil {
			t.Skip(err)
		}
		got, err := browser.Find(exe)
		if err != nil || got != exe {
			t.Errorf("browser.Find(%q) = %q, %v; want the path back", exe, got, err)
		}
	})
}

func TestStartClose(t *testing.T) {
	path := browsertest.Need(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the profile directory goes

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := browser.Start(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	cancel() // ctx bounds the startup only: the browser must outlive it
	profiles, _ := filepath.Glob(filepath.Join(tmp, "chromedp-runner*"))
	if len(profiles) != 1 {
		t.Errorf("profile directories while running = %v, want one", profiles)
	}
	site, _ := testServers(t)
	if _, err := b.PDF(context.Background(), site.URL+"/print", browser.PDFOptions{}); err != nil {
		t.Errorf("PDF after the Start context ended: %v", err)
	}

	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if profiles, _ := filepath.Glob(filepath.Join(tmp, "chromedp-runner*")); len(profiles) != 0 {
		t.Errorf("profile directories after Close = %v, want none", profiles)
	}
	if _, err := b.PDF(context.Background(), site.URL+"/print", browser.PDFOptions{}); !errors.Is(err, apperr.ErrUnavailable) {
		t.Errorf("PDF after Close error = %v, want apperr.ErrUnavailable", err)
	}
}

func TestStartCanceled(t *testing.T) {
	path := browsertest.Need(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if b, err := browser.Start(ctx, path); err == nil {
		b.Close()
		t.Fatal("Start with a canceled context succeeded")
	}
}

func TestBrowser(t *testing.T) {
	b := browsertest.NeedBrowser(t)
	site, otherHits := testServers(t)
	// Not defer: the parallel subtests run after this function returns.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)

	// The subtests run in parallel on the one browser: it must be safe for
	// concurrent use.
	t.Run("PDF with print style", func(t *testing.T) {
		t.Parallel()
		pdf, err := b.PDF(ctx, site.URL+"/print", browser.PDFOptions{
			FooterHTML: `<div style="font-size:9px;width:100%;text-align:center">Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>`,
		})
		if err != nil {
			t.Fatal(err)
		}
		text := pdfText(t, pdf)
		for _, want := range []string{"Fulfilment and customer health", "Printed summary for marketing", "Page 1 of 1"} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text lacks %q; got:\n%s", want, text)
			}
		}
		if strings.Contains(text, "Shown on screen only") {
			t.Errorf("PDF has the screen-only text; the print style was not applied:\n%s", text)
		}
	})

	t.Run("PDF landscape", func(t *testing.T) {
		t.Parallel()
		pdf, err := b.PDF(ctx, site.URL+"/late", browser.PDFOptions{Landscape: true, HeaderHTML: `<div style="font-size:9px">Ops daily</div>`})
		if err != nil {
			t.Fatal(err)
		}
		if text := pdfText(t, pdf); !strings.Contains(text, "Ops daily") {
			t.Errorf("landscape PDF lacks the header; got:\n%s", text)
		}
	})

	t.Run("PDF waits for charts", func(t *testing.T) {
		t.Parallel()
		pdf, err := b.PDF(ctx, site.URL+"/late", browser.PDFOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if text := pdfText(t, pdf); !strings.Contains(text, "MARKER DRAWN") {
			t.Errorf("PDF lacks the marker drawn after 300 ms; got:\n%s", text)
		}
	})

	t.Run("PDF waits past the grace when charts are announced", func(t *testing.T) {
		t.Parallel()
		pdf, err := b.PDF(ctx, site.URL+"/slow", browser.PDFOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if text := pdfText(t, pdf); !strings.Contains(text, "SLOW CHART DRAWN") {
			t.Errorf("PDF lacks the chart drawn after 2.5 s; got:\n%s", text)
		}
	})

	t.Run("Screenshot of a late element", func(t *testing.T) {
		t.Parallel()
		data, err := b.Screenshot(ctx, site.URL+"/late", 800, "#marker")
		if err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, data)
		if got := img.Bounds().Size(); got != image.Pt(240, 40) {
			t.Errorf("marker screenshot is %v, want 240x40", got)
		}
		if r, g, bl, _ := img.At(60, 20).RGBA(); r>>8 < 250 || g>>8 > 5 || bl>>8 > 5 {
			t.Errorf("marker pixel = %d,%d,%d; want red", r>>8, g>>8, bl>>8)
		}
	})

	t.Run("Screenshot of the full page", func(t *testing.T) {
		t.Parallel()
		const width = 640
		data, err := b.Screenshot(ctx, site.URL+"/tall", width, "")
		if err != nil {
			t.Fatal(err)
		}
		size := decodePNG(t, data).Bounds().Size()
		if size.X != width || size.Y < 1500 {
			t.Errorf("full-page screenshot is %v, want %d wide and at least 1500 high", size, width)
		}
	})

	t.Run("Screenshot with no match", func(t *testing.T) {
		t.Parallel()
		_, err := b.Screenshot(ctx, site.URL+"/tall", 640, "#nothing")
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("error = %v, want apperr.ErrNotFound", err)
		}
	})

	t.Run("ScreenshotAll", func(t *testing.T) {
		t.Parallel()
		shots, ids, err := b.ScreenshotAll(ctx, site.URL+"/tall", 640, ".chart")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"c1", "c2", "c3"}; !slices.Equal(ids, want) {
			t.Fatalf("ids = %v, want %v", ids, want)
		}
		want := map[string]image.Point{"c1": {200, 100}, "c2": {300, 150}, "c3": {200, 100}}
		for id, size := range want {
			if got := decodePNG(t, shots[id]).Bounds().Size(); got != size {
				t.Errorf("#%s screenshot is %v, want %v", id, got, size)
			}
		}
	})

	t.Run("Visit", func(t *testing.T) {
		t.Parallel()
		var imgs int
		var answer string
		v, err := b.Visit(ctx, site.URL+"/visit", 1024, func(ctx context.Context) error {
			if err := browser.Eval(ctx, `document.images.length`, &imgs); err != nil {
				return err
			}
			return browser.Eval(ctx, `new Promise(r => setTimeout(() => r("later"), 10))`, &answer)
		})
		if err != nil {
			t.Fatal(err)
		}
		if v.Title != "Visit test" {
			t.Errorf("Title = %q, want %q", v.Title, "Visit test")
		}
		if imgs != 4 || answer != "later" {
			t.Errorf("Eval gave %d images and %q, want 4 and \"later\"", imgs, answer)
		}
		wantIn := func(field string, list []string, subs ...string) {
			t.Helper()
			for _, sub := range subs {
				if !slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, sub) }) {
					t.Errorf("%s lacks %q; got %q", field, sub, list)
				}
			}
		}
		wantIn("ConsoleErrors", v.ConsoleErrors, "error: visit-console-error 42", "warning: visit-console-warning", "visit-uncaught")
		wantIn("FailedRequests", v.FailedRequests, "404 Not Found "+site.URL+"/missing.png")
		wantIn("OffHostRequests", v.OffHostRequests, "http://example.invalid/x.png", "/tracker.png", "/beacon")
		if slices.ContainsFunc(v.ConsoleErrors, func(s string) bool { return strings.Contains(s, "not an error") }) {
			t.Errorf("ConsoleErrors has a console.log line: %q", v.ConsoleErrors)
		}
		if len(v.FailedRequests) != 1 {
			t.Errorf("FailedRequests = %q, want only the 404", v.FailedRequests)
		}
		if slices.ContainsFunc(v.OffHostRequests, func(s string) bool { return strings.HasPrefix(s, "data:") }) {
			t.Errorf("OffHostRequests has the data: image: %q", v.OffHostRequests)
		}
		if n := otherHits.Load(); n != 0 {
			t.Errorf("the other host got %d requests, want 0 (blocked)", n)
		}
	})

	t.Run("Visit with a failing check", func(t *testing.T) {
		t.Parallel()
		v, err := b.Visit(ctx, site.URL+"/print", 800, func(ctx context.Context) error {
			return browser.Eval(ctx, `(() => { throw new Error("check-failed") })()`, nil)
		})
		if err == nil || !strings.Contains(err.Error(), "check-failed") {
			t.Errorf("error = %v, want the exception of the check", err)
		}
		if v == nil || v.Title != "Print test" {
			t.Errorf("Visit = %+v, want what was seen so far", v)
		}
	})

	t.Run("HTTP error of the page", func(t *testing.T) {
		t.Parallel()
		url := site.URL + "/no-such-page"
		_, err := b.PDF(ctx, url, browser.PDFOptions{})
		if err == nil || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "404") {
			t.Errorf("error = %v, want one naming %s and 404", err, url)
		}
	})

	t.Run("concurrent calls", func(t *testing.T) {
		t.Parallel()
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for i := range cap(errs) {
			wg.Go(func() {
				var err error
				if i%2 == 0 {
					_, err = b.PDF(ctx, site.URL+"/print", browser.PDFOptions{})
				} else {
					_, err = b.Screenshot(ctx, site.URL+"/tall", 400, "#c2")
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("localhost and [::1]", func(t *testing.T) {
		t.Parallel()
		urls := []string{strings.Replace(site.URL, "127.0.0.1", "localhost", 1) + "/print"}
		if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
			v6 := httptest.NewUnstartedServer(site.Config.Handler)
			v6.Listener.Close()
			v6.Listener = ln
			v6.Start()
			t.Cleanup(v6.Close)
			urls = append(urls, v6.URL+"/print")
		}
		for _, url := range urls {
			if _, err := b.PDF(ctx, url, browser.PDFOptions{}); err != nil {
				t.Errorf("PDF of %s: %v", url, err)
			}
		}
	})

	t.Run("page not on loopback", func(t *testing.T) {
		t.Parallel()
		_, err := b.PDF(ctx, "http://example.invalid/report", browser.PDFOptions{})
		if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("error = %v, want apperr.ErrInvalid saying pages must be on loopback", err)
		}
	})

	t.Run("navigation failure", func(t *testing.T) {
		t.Parallel()
		closed := httptest.NewServer(http.NotFoundHandler())
		url := closed.URL + "/gone"
		closed.Close()
		_, err := b.Screenshot(ctx, url, 800, "")
		if err == nil || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "ERR_CONNECTION_REFUSED") {
			t.Errorf("error = %v, want one naming %s and the network error", err, url)
		}
	})

	t.Run("caller context ends", func(t *testing.T) {
		t.Parallel()
		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := b.PDF(short, site.URL+"/never", browser.PDFOptions{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("PDF returned %v after its context ended", d)
		}
		if _, err := b.PDF(ctx, site.URL+"/print", browser.PDFOptions{}); err != nil {
			t.Errorf("PDF after a canceled one: %v", err)
		}
	})
}

// BenchmarkStart measures a cold start of Chromium (and its Close):
// go test -run '^$' -bench Start -benchtime 5x ./internal/browser/
func BenchmarkStart(b *testing.B) {
	path := browsertest.Need(b)
	var starting time.Duration
	for b.Loop() {
		start := time.Now()
		br, err := browser.Start(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		starting += time.Since(start)
		br.Close()
	}
	b.ReportMetric(float64(starting.Milliseconds())/float64(b.N), "ms-to-start/op")
}

// BenchmarkPDF measures a PDF of a small page with a warm browser.
func BenchmarkPDF(b *testing.B) {
	br := browsertest.NeedBrowser(b)
	site, _ := testServers(b)
	for _, page := range []string{"/print", "/late"} {
		b.Run(page, func(b *testing.B) {
			for b.Loop() {
				if _, err := br.PDF(context.Background(), site.URL+page, browser.PDFOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Consecutive prints reuse the last print's tab (its renderer has the
// page's scripts compiled): each PDF still shows its own page, and the
// reused tab still refuses requests to other hosts.
func TestPrintsReuseAWarmTab(t *testing.T) {
	b := browsertest.NeedBrowser(t)
	site, otherHits := testServers(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	print := func(path string) string {
		t.Helper()
		pdf, err := b.PDF(ctx, site.URL+path, browser.PDFOptions{})
		if err != nil {
			t.Fatalf("PDF of %s: %v", path, err)
		}
		return pdfText(t, pdf)
	}
	if text := print("/print"); !strings.Contains(text, "Fulfilment and customer health") {
		t.Errorf("first print lacks its page's text:\n%s", text)
	}
	print("/visit") // asks another host for /beacon
	if text := print("/late"); !strings.Contains(text, "MARKER DRAWN") || strings.Contains(text, "Fulfilment") {
		t.Errorf("third print shows the wrong page:\n%s", text)
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("a page printed in a reused tab reached another host %d times", n)
	}
	// The tab of the last print is still open, on that page, for the next.
	url, answers, ok := b.WarmTab()
	switch {
	case !ok:
		t.Errorf("no tab kept warm after three prints")
	case url != site.URL+"/late" || !answers:
		t.Errorf("kept tab is on %q (alive %v), want the last printed page", url, answers)
	}
}
