package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/opsboard/opsboard/internal/apperr"
)

// PDFOptions are the options of Browser.PDF.
type PDFOptions struct {
	// HeaderHTML and FooterHTML are Chromium header/footer templates: HTML
	// in which elements of class pageNumber, totalPages, date, title and url
	// receive those values. The template must set its own font-size (the
	// default is 0). Empty means no header (footer).
	HeaderHTML, FooterHTML string
	// Landscape prints on A4 turned sideways.
	Landscape bool
}

// The viewport of a PDF tab: the printable area of A4 in CSS pixels (96 per
// inch) with Chromium's default 1 cm margins, 190 mm (277 mm in landscape)
// wide, so that charts sized to their container at load fit on the paper.
const (
	printableWidthPortrait  = 718
	printableWidthLandscape = 1047
	printableHeight         = 1047
)

// PDF loads url in a new tab and waits until the page is ready: the load
// event, web fonts, then <body data-charts-ready="true"> (up to 15 s when
// the attribute is present with another value; a page without it gets 2 s
// to add it, then counts as a page without charts), then two animation
// frames and 100 ms. It prints the page on A4 with backgrounds, CSS @page
// size winning, and returns the PDF bytes.
//
// The viewport is as wide as the printable area (718 px, 1047 px landscape).
// A main document answering with HTTP status >= 400, a failed navigation and
// charts never ready are errors naming url.
func (b *Browser) PDF(ctx context.Context, url string, opts PDFOptions) ([]byte, error) {
	width := printableWidthPortrait
	if opts.Landscape {
		width = printableWidthLandscape
	}
	// The tab of the previous print is reused: navigating it keeps its
	// renderer, where ECharts is already compiled (0.3 s instead of 0.8 s
	// per print in BenchmarkReportPDF). A call that fails closes its tab.
	t, err := b.openTab(ctx, url, width, printableHeight, true)
	if err != nil {
		return nil, err
	}
	printed := false
	defer func() {
		if printed {
			b.keepWarm(t)
		} else {
			t.close()
		}
	}()
	if err := t.load(); err != nil {
		return nil, err
	}

	pdfOpts := []chromedp.PDFOption{
		chromedp.PDFPaper(chromedp.PaperA4),
		chromedp.PDFPrintBackground(),
		chromedp.PDFPreferCSSPageSize(),
		chromedp.PDFStream(),
	}
	if opts.Landscape {
		pdfOpts = append(pdfOpts, chromedp.PDFLandscape())
	}
	if opts.HeaderHTML != "" || opts.FooterHTML != "" {
		// Given only one template, Chromium prints its own default for the
		// other; an empty span prints nothing.
		header, footer := opts.HeaderHTML, opts.FooterHTML
		if header == "" {
			header = "<span></span>"
		}
		if footer == "" {
			footer = "<span></span>"
		}
		pdfOpts = append(pdfOpts, chromedp.PDFHeaderTemplate(header), chromedp.PDFFooterTemplate(footer))
	}
	data, err := chromedp.Run(t.ctx, chromedp.PrintToPDF(pdfOpts...))
	if err != nil {
		return nil, t.fail("printing to PDF", err)
	}
	printed = true
	return data, nil
}

// Screenshot loads url in a tab width CSS pixels wide, lets the viewport grow
// to the full height of the page, waits until the page is ready (see PDF) and
// returns a PNG of the whole page, or of the first element matching selector
// when selector is not empty. One CSS pixel is one image pixel. No element
// matching gives an error of kind apperr.ErrNotFound.
func (b *Browser) Screenshot(ctx context.Context, url string, width int, selector string) ([]byte, error) {
	t, err := b.openFullPage(ctx, url, width)
	if err != nil {
		return nil, err
	}
	defer t.close()

	clip := page.Viewport{Width: float64(width), Height: t.height, Scale: 1}
	if selector != "" {
		boxes, err := t.elements(selector)
		if err != nil {
			return nil, err
		}
		if len(boxes) == 0 {
			return nil, apperr.NotFound("no element matches %q on %s", selector, url)
		}
		clip = boxes[0].viewport()
	}
	return t.capture(clip)
}

// ScreenshotAll is like Screenshot for every element matching selector (for
// example each chart): it returns one PNG per element, keyed by the element's
// id attribute, and the ids in document order. Every matching element must
// have a unique, non-empty id. No match gives an empty result, not an error.
func (b *Browser) ScreenshotAll(ctx context.Context, url string, width int, selector string) (map[string][]byte, []string, error) {
	t, err := b.openFullPage(ctx, url, width)
	if err != nil {
		return nil, nil, err
	}
	defer t.close()

	boxes, err := t.elements(selector)
	if err != nil {
		return nil, nil, err
	}
	shots := make(map[string][]byte, len(boxes))
	ids := make([]string, 0, len(boxes))
	for i, box := range boxes {
		switch _, dup := shots[box.ID]; {
		case box.ID == "":
			return nil, nil, apperr.Invalid("element %d matching %q on %s has no id attribute", i+1, selector, url)
		case dup:
			return nil, nil, apperr.Invalid("two elements matching %q on %s have the id %q", selector, url, box.ID)
		}
		png, err := t.capture(box.viewport())
		if err != nil {
			return nil, nil, fmt.Errorf("element #%s: %w", box.ID, err)
		}
		shots[box.ID] = png
		ids = append(ids, box.ID)
	}
	return shots, ids, nil
}

// fullPage is a loaded tab whose viewport is as high as its page.
type fullPage struct {
	*tab
	height float64
}

// pageHeightJS is the height of the document in CSS pixels.
const pageHeightJS = `Math.ceil(Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0))`

// frameJS resolves after the next rendered frame (or 250 ms, should the
// page get no frames).
const frameJS = `new Promise(r => { requestAnimationFrame(() => requestAnimationFrame(r)); setTimeout(r, 250); })`

// initialHeight is the viewport height a screenshot tab starts with.
const initialHeight = 800

// openFullPage opens url in a tab width pixels wide, waits until it is
// ready, then makes the viewport as high as the page.
func (b *Browser) openFullPage(ctx context.Context, url string, width int) (*fullPage, error) {
	if width <= 0 {
		return nil, apperr.Invalid("screenshot of %s: width %d is not positive", url, width)
	}
	t, err := b.openTab(ctx, url, width, initialHeight, false)
	if err != nil {
		return nil, err
	}
	if err := t.load(); err != nil {
		t.close()
		return nil, err
	}
	height, err := chromedp.Run(t.ctx, chromedp.Evaluate[float64](pageHeightJS))
	if err == nil && height > initialHeight {
		err = t.resize(width, int(height))
		if err == nil {
			_, err = chromedp.Run(t.ctx, chromedp.Evaluate[chromedp.Void](frameJS, chromedp.EvalAwaitPromise))
		}
	}
	if err != nil {
		t.close()
		return nil, t.fail("sizing the screenshot of", err)
	}
	return &fullPage{tab: t, height: math.Max(height, 1)}, nil
}

// box is where an element sits on the page, in CSS pixels.
type box struct {
	ID                  string
	X, Y, Width, Height float64
}

// viewport returns the box as a screenshot clip, on whole pixels (Chromium
// mishandles fractional clips).
func (b box) viewport() page.Viewport {
	x, y := math.Round(b.X), math.Round(b.Y)
	return page.Viewport{
		X: x, Y: y,
		Width:  math.Round(b.Width + b.X - x),
		Height: math.Round(b.Height + b.Y - y),
		Scale:  1,
	}
}

// elementsJS lists the boxes of the elements matching a selector (format
// verb: the selector as a JSON string), in document order.
const elementsJS = `Array.from(document.querySelectorAll(%s), el => {
	const r = el.getBoundingClientRect();
	return {ID: el.id, X: r.left + window.scrollX, Y: r.top + window.scrollY, Width: r.width, Height: r.height};
})`

// elements returns the boxes of the elements matching selector.
func (t *tab) elements(selector string) ([]box, error) {
	sel, err := json.Marshal(selector)
	if err != nil {
		return nil, err
	}
	boxes, err := chromedp.Run(t.ctx, chromedp.Evaluate[[]box](fmt.Sprintf(elementsJS, sel)))
	var exc *chromedp.ExceptionError
	if errors.As(err, &exc) {
		return nil, apperr.Invalid("selector %q: %v", selector, err)
	}
	if err != nil {
		return nil, t.fail(fmt.Sprintf("finding %q on", selector), err)
	}
	return boxes, nil
}

// capture returns a PNG of the clip, in page coordinates.
func (t *tab) capture(clip page.Viewport) ([]byte, error) {
	if clip.Width < 1 || clip.Height < 1 {
		return nil, fmt.Errorf("screenshot of %s: nothing to capture (%gx%g px)", t.url, clip.Width, clip.Height)
	}
	res, err := cdp.Call(t.ctx, t.target, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format:                page.CaptureScreenshotFormatPng,
		Clip:                  &clip,
		FromSurface:           new(true),
		CaptureBeyondViewport: new(true),
	})
	if err != nil {
		return nil, t.fail("screenshot of", err)
	}
	return res.Data, nil
}
