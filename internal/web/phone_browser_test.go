package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/browser/browsertest"
	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/page"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/report"
	"github.com/opsboard/opsboard/internal/store"
)

// A phone as the tests emulate it: an iPhone-sized viewport in CSS pixels,
// drawn at three device pixels each, with mobile layout rules (the
// viewport meta tag, overlay scrollbars) and touch.
const (
	phoneWidth  = 390
	phoneHeight = 844
	phoneScale  = 3
)

// phoneBrowser is a headless Chromium whose tabs emulate the phone.
type phoneBrowser struct{ ctx context.Context }

func startPhoneBrowser(t *testing.T) *phoneBrowser {
	t.Helper()
	path := browsertest.Need(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		// Nothing but loopback resolves: no request leaves the machine.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting Chromium: %v", err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return &phoneBrowser{ctx: ctx}
}

// phoneView is what a page looks like on the phone.
type phoneView struct {
	ScrollWidth int      `json:"scrollWidth"`
	Wider       []string `json:"wider"` // elements that reach beyond the viewport
	Height      float64  `json:"height"`
	Data        any      `json:"data"` // what the visit's check returned
	PNG         []byte   `json:"-"`
}

// phoneJS measures the page: its scroll width, the elements that stick out
// on the right (the outermost few), its height, and the check's value.
const phoneJS = `(async () => {
	const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
	for (let i = 0; i < 300 && document.body && document.body.dataset.chartsReady === "false"; i++) {
		await new Promise(r => setTimeout(r, 50));
	}
	await frame();
	const w = document.documentElement.clientWidth;
	const wider = [...document.querySelectorAll("body *")].filter(el => {
		const r = el.getBoundingClientRect();
		return r.width > 0 && r.right > w + 0.5 && !el.closest("[data-scroll-x]");
	}).filter((el, _, all) => !all.includes(el.parentElement)).slice(0, 8).map(el =>
		el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/\s+/g, ".") : "") +
		" (right " + Math.round(el.getBoundingClientRect().right) + ")");
	const check = %s;
	return {scrollWidth: document.documentElement.scrollWidth, wider, height: document.documentElement.scrollHeight, data: check};
})()`

// visit opens url on the phone, waits for its charts, measures it and
// takes a screenshot of the whole page (one CSS pixel a PNG pixel). check
// is a JavaScript expression whose value comes back in Data ("null": none).
func (b *phoneBrowser) visit(t *testing.T, url, check string) phoneView {
	t.Helper()
	return b.visitAt(t, url, check, phoneWidth, phoneHeight, phoneScale, true)
}

// visitAt is visit on a screen of width×height CSS pixels at scale device
// pixels each, laid out as a phone when mobile.
func (b *phoneBrowser) visitAt(t *testing.T, url, check string, width, height int, scale float64, mobile bool) phoneView {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	ctx, cancelTime := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTime()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	target := chromedp.FromContext(ctx).Target
	if _, err := cdp.Call(ctx, target, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: int64(width), Height: int64(height), DeviceScaleFactor: scale, Mobile: mobile,
	}); err != nil {
		t.Fatalf("emulating a phone: %v", err)
	}
	if _, err := cdp.Call(ctx, target, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: mobile, MaxTouchPoints: 5}); err != nil {
		t.Fatalf("emulating touch: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	if check == "" {
		check = "null"
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[phoneView](fmt.Sprintf(phoneJS, check), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("measuring %s: %v", url, err)
	}
	res, err := cdp.Call(ctx, target, cdppage.CaptureScreenshot, cdppage.CaptureScreenshotParams{
		Format:                cdppage.CaptureScreenshotFormatPng,
		Clip:                  &cdppage.Viewport{Width: float64(width), Height: min(v.Height, 6000), Scale: 1 / scale},
		CaptureBeyondViewport: new(true),
	})
	if err != nil {
		t.Fatalf("screenshot of %s: %v", url, err)
	}
	v.PNG = res.Data
	return v
}

// placeholderPNG is a chart-sized image for the email's inline charts.
func placeholderPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1200, 600))
	for y := 0; y < 600; y++ {
		for x := 0; x < 1200; x++ {
			img.Set(x, y, color.RGBA{R: uint8(47 + x%40), G: 111, B: 222, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every page type, on a phone (390×844 CSS pixels at 3×, mobile, touch):
// nothing is wider than the screen, so no page scrolls sideways; wide
// tables scroll inside their own box. Screenshots are left in artifacts/
// (phone-*.png) to be looked at.
func TestPagesFitAPhone(t *testing.T) {
	b := startPhoneBrowser(t)
	db := demoDB(t)
	mustHaveNoUsers(t, db)
	root := "../.."
	srv, hs, _ := startWebServer(t, root, withPreview(t, root))
	ctx := context.Background()

	// A run in the archive: the daily report as rendered for yesterday.
	cat := srv.Catalog()
	runner := query.NewRunner(dbtest.Warehouse(t), query.Options{Location: time.UTC, Timeout: 20 * time.Second})
	producer, err := report.NewProducer(report.Config{Catalog: func() *catalog.Catalog { return cat }, Runner: runner, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	day := query.Today(time.Now(), time.UTC).AddDate(0, 0, -1)
	o, err := producer.Render(ctx, "ops-daily", day)
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.CreateRun(ctx, "ops-daily", day, "command", "UTC", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRendered(ctx, run.ID, o.Subject, string(o.HTML), nil, nil, nil, false, nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(ctx, run.ID, store.RunSent); err != nil {
		t.Fatal(err)
	}
	token, _ := newShare(t, db, access.ShareDashboard, "daily-ops", nil, time.Hour, "Marketing")

	// The email as a phone's mail app shows it: its HTML, with the inline
	// chart images in place.
	charts := map[string][]byte{}
	for i, p := range o.View.Panels {
		charts[page.ChartID(i, p.ID)] = placeholderPNG(t)
	}
	msg, err := (&report.Email{Output: o, Charts: charts, From: "opsboard@example.com",
		ArchiveURL: "https://ops.example.com/reports/ops-daily/" + day.Format("2006-01-02") + "?run=" + strconv.FormatInt(run.ID, 10)}).Message()
	if err != nil {
		t.Fatal(err)
	}
	email := msg.HTML
	for _, part := range msg.Inline {
		email = strings.ReplaceAll(email, "cid:"+part.ContentID, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(part.Data))
	}
	mail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(email))
	}))
	t.Cleanup(mail.Close)

	pages := []struct{ name, url string }{
		{"dashboard", hs.URL + "/d/daily-ops"},
		{"dashboard-customers", hs.URL + "/d/customer-impact"},
		{"glossary", hs.URL + "/kpis"},
		{"reports", hs.URL + "/reports"},
		{"report-history", hs.URL + "/reports/ops-daily"},
		{"run", hs.URL + "/reports/ops-daily/" + day.Format("2006-01-02") + "?run=" + strconv.FormatInt(run.ID, 10)},
		{"preview", hs.URL + "/reports/ops-daily/preview"},
		{"shares", hs.URL + "/shares"},
		{"share-link", hs.URL + "/s/" + token},
		{"events", hs.URL + "/events"},
		{"alerts", hs.URL + "/alerts"},
		{"email", mail.URL},
	}
	// The email's tiles wrap: three to a row on a desktop, two on a phone.
	const tilesInFirstRow = `(() => { const ts = [...document.querySelectorAll("div.tile")]; return ts.filter(el => el.offsetTop === ts[0].offsetTop).length; })()`
	if v := b.visitAt(t, mail.URL, tilesInFirstRow, 1000, 900, 1, false); v.Data != float64(3) || v.ScrollWidth > 1000 {
		t.Errorf("email on a desktop: %v tiles in the first row (want 3), %d px wide", v.Data, v.ScrollWidth)
	} else if err := os.WriteFile(filepath.Join(artifactDir(t), "desktop-email.png"), v.PNG, 0o644); err != nil {
		t.Fatal(err)
	}
	if v := b.visit(t, mail.URL, tilesInFirstRow); v.Data != float64(2) {
		t.Errorf("email on a phone: %v tiles in the first row, want 2", v.Data)
	}

	pages = append(pages, struct{ name, url string }{"reload-banner", hs.URL + "/d/daily-ops"})
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			if p.name == "reload-banner" {
				srv.ReloadFailed([]string{
					`dashboards/daily-ops.yaml:12:5: unknown key "tilte" in panel (did you mean "title"?)`,
					`sql/delivery/on_time_daily.sql:9:22: EXPLAIN failed: column "promised_att" does not exist`,
				})
				defer srv.SetCatalog(cat)
			}
			check := `(() => { const b = document.querySelector("[data-reload-problems]"); return b ? b.innerText : ""; })()`
			v := b.visit(t, p.url, check)
			banner, _ := v.Data.(string)
			if want := p.name == "reload-banner"; want != strings.Contains(banner, "dashboards/daily-ops.yaml:12:5: unknown key") ||
				want != strings.Contains(banner, "sql/delivery/on_time_daily.sql:9:22") {
				t.Errorf("%s: the reload banner reads %q; want it shown (with each problem): %v", p.url, banner, want)
			}
			out := filepath.Join(artifactDir(t), "phone-"+p.name+".png")
			if err := os.WriteFile(out, v.PNG, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", out)
			if v.ScrollWidth > phoneWidth {
				t.Errorf("%s is %d px wide on a %d px phone: it scrolls sideways; too wide: %s", p.url, v.ScrollWidth, phoneWidth, strings.Join(v.Wider, ", "))
			}
		})
	}
}
