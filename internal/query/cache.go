package query

import (
	"container/list"
	"sync"
	"time"

	"github.com/opsboard/opsboard/internal/frame"
)

// cache keeps query results for their time to live, within a bound in
// bytes: past it, the least recently used results go first, so that a
// visitor asking for many distinct ranges cannot make the process hold
// more than the bound.
type cache struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	order    *list.List // front: most recently used; values are *cacheEntry
	entries  map[string]*list.Element
}

type cacheEntry struct {
	key      string
	frame    *frame.Frame
	expires  time.Time
	computed time.Time
	size     int64
}

func newCache(maxBytes int64) *cache {
	return &cache{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns the result cached under key while it is fresh at now, with
// when it expires and when it was computed.
func (c *cache) get(key string, now time.Time) (*frame.Frame, time.Time, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, time.Time{}, time.Time{}, false
	}
	e := el.Value.(*cacheEntry)
	if now.After(e.expires) {
		return nil, time.Time{}, time.Time{}, false // kept for stale; LRU evicts it
	}
	c.order.MoveToFront(el)
	return e.frame, e.expires, e.computed, true
}

// stale returns the result cached under key whether or not it is still
// fresh, with when it was computed (results of queries refreshed in the
// background are shown past their life while a new one is computed).
func (c *cache) stale(key string) (*frame.Frame, time.Time, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, time.Time{}, time.Time{}, false
	}
	c.order.MoveToFront(el)
	e := el.Value.(*cacheEntry)
	return e.frame, e.expires, e.computed, true
}

// put keeps f under key until expires, and reports whether it did: a
// result larger than a quarter of the bound is not kept (it would push
// out everything else for one view).
func (c *cache) put(key string, f *frame.Frame, expires, computed time.Time) bool {
	size := f.Size()
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
	if size > c.maxBytes/4 {
		return false
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, frame: f, expires: expires, computed: computed, size: size})
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
	return true
}

func (c *cache) remove(el *list.Element) {
	e := c.order.Remove(el).(*cacheEntry)
	delete(c.entries, e.key)
	c.bytes -= e.size
}

// purge empties the cache.
func (c *cache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.order.Init()
	c.bytes = 0
}

// size is the bytes the cache holds now.
func (c *cache) size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
