package web_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/browser"
	"github.com/opsboard/opsboard/internal/browser/browsertest"
)

// sharedPage is what the browser test reads off a shared dashboard.
type sharedPage struct {
	Path          string   `json:"path"`
	Title         string   `json:"title"`
	ChannelSelect bool     `json:"channelSelect"`
	Locked        string   `json:"locked"`
	RegionSelect  bool     `json:"regionSelect"`
	Channels      []string `json:"channels"` // first column of the table panel
	Regions       []string `json:"regions"`
	Fetched       []string `json:"fetched"` // channels of the panel's JSON, fetched by the page with the lock's channel
	Glossary      bool     `json:"glossary"`
	Outside       []string `json:"outside"` // links that leave the share link
	Text          string   `json:"text"`
}

const readSharedPage = `(async () => {
  const label = [...document.querySelectorAll('#view-controls label')].find(l => l.textContent.includes('Sales channel'));
  const rows = [...document.querySelectorAll('#panel-p1 tbody tr')];
  let fetched = [];
  if (location.pathname.startsWith('/s/')) {
    const data = await fetch(location.pathname + '/panels/p1.json?channel=web').then(r => r.json());
    fetched = data.rows.map(r => r.channel);
  }
  return {
    path: location.pathname,
    title: (document.querySelector('h1') || {}).textContent || '',
    channelSelect: !!document.querySelector('select[name=channel]'),
    locked: label && label.querySelector('.locked') ? label.querySelector('.locked').textContent.trim() : '',
    regionSelect: !!document.querySelector('select[name=region]'),
    channels: rows.map(tr => tr.cells[0].textContent.trim()),
    regions: rows.map(tr => tr.cells[1].textContent.trim()),
    fetched: fetched,
    glossary: !!document.getElementById('q-orders_by_channel'),
    outside: [...document.querySelectorAll('a[href], form[action]')]
      .map(el => el.getAttribute('href') ?? el.getAttribute('action'))
      .filter(h => h !== '' && !h.startsWith(location.pathname)),
    text: document.body.innerText,
  };
})()`

// A share link in a browser that never signed in: the dashboard shows,
// the locked filter is shown as locked (no control for it), and changing
// it in the address still shows only the locked data; the rest of the
// server sends the browser to the sign-in form.
func TestShareLinkInBrowser(t *testing.T) {
	b := browsertest.NeedBrowser(t)
	db := demoDB(t)
	addUser(t, db, "lead@example.com", "editor")
	hs := startAuthServer(t, db, writeDefs(t, shareDefs), false, nil)
	token, shared := newShare(t, db, access.ShareDashboard, "by-channel", map[string]string{"channel": "web"}, time.Hour, "Marketing")
	link := hs.URL + "/s/" + token

	visit := func(url string) sharedPage {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var p sharedPage
		v, err := b.Visit(ctx, url, 1280, func(ctx context.Context) error {
			return browser.Eval(ctx, readSharedPage, &p)
		})
		if err != nil {
			t.Fatalf("visiting %s: %v", url, err)
		}
		for _, msg := range v.ConsoleErrors {
			t.Errorf("%s: console: %s", url, msg)
		}
		for _, r := range v.FailedRequests {
			t.Errorf("%s: failed request: %s", url, r)
		}
		for _, r := range v.OffHostRequests {
			t.Errorf("%s: request to another host: %s", url, r)
		}
		return p
	}
	onlyWeb := func(what string, channels []string) {
		t.Helper()
		if len(channels) == 0 {
			t.Errorf("%s: no rows", what)
		}
		for _, c := range channels {
			if c != "web" {
				t.Errorf("%s: a %q row, want only web", what, c)
			}
		}
	}

	for _, q := range []string{"", "?channel=web", "?channel=web&region=north"} {
		p := visit(link + q)
		if p.Title != "Orders by channel" || !p.Glossary {
			t.Errorf("%s: title %q, glossary %v; want the dashboard and its glossary", q, p.Title, p.Glossary)
		}
		if p.ChannelSelect || p.Locked != "web" || !p.RegionSelect {
			t.Errorf("%s: channel select %v, locked %q, region select %v; want channel locked to web, region selectable", q, p.ChannelSelect, p.Locked, p.RegionSelect)
		}
		onlyWeb(q+" table", p.Channels)
		onlyWeb(q+" JSON fetched with channel=web", p.Fetched)
		if q == "?channel=web&region=north" && slices.ContainsFunc(p.Regions, func(r string) bool { return r != "north" }) {
			t.Errorf("%s: regions %v, want only north", q, p.Regions)
		}
		if len(p.Outside) > 0 {
			t.Errorf("%s: links that leave the share link: %v", q, p.Outside)
		}
	}

	for _, path := range []string{"/d/finance", "/d/by-channel", "/kpis"} {
		if p := visit(hs.URL + path); p.Path != "/login" {
			t.Errorf("the same browser opening %s ends at %s, want /login", path, p.Path)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	png, err := b.Screenshot(ctx, link, 1280, "")
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join(artifactDir(t), "share-dashboard.png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)

	if err := db.RevokeShareLink(context.Background(), shared.ID); err != nil {
		t.Fatal(err)
	}
	// The browser gets the expired page, with its status (Visit reports
	// a page that answers 410 as an error).
	if _, err := b.Visit(ctx, link, 1280, nil); err == nil || !strings.Contains(err.Error(), "410") {
		t.Errorf("after revoking, visiting the link: %v, want 410 Gone", err)
	}
}
