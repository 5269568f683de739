package web

import (
	"html/template"
	"strings"
	"sync"
	"time"
)

// viewCache keeps the rendered content of dashboard views: a warm
// dashboard is then the layout around it, not the KPI arithmetic, the
// chart options and the templates again. An entry lives exactly as long as the cached query results it was
// built from (dashboard.View.Reusable), and the cache is emptied with the
// query cache when the definitions change or a view is refreshed.
type viewCache struct {
	mu      sync.Mutex
	entries map[string]viewEntry
}

type viewEntry struct {
	content template.HTML
	expires time.Time
}

// maxViews bounds the cache: distinct URL combinations of filters and
// ranges are many, but the ones people open in a day are few.
const maxViews = 512

func newViewCache() *viewCache { return &viewCache{entries: map[string]viewEntry{}} }

// viewKey names a view: the dashboard, the canonical URL query and the
// business date that relative ranges resolve against.
func viewKey(parts ...string) string { return strings.Join(parts, "\x00") }

func (c *viewCache) get(key string, now time.Time) (template.HTML, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		return "", false
	}
	return e.content, true
}

func (c *viewCache) put(key string, content template.HTML, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxViews {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxViews {
			clear(c.entries)
		}
	}
	c.entries[key] = viewEntry{content: content, expires: expires}
}

func (c *viewCache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
