package query

import (
	"context"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/frame"
	"github.com/opsboard/opsboard/internal/pg"
)

// maxKeptBytes is the largest result kept in the store; larger ones (a
// table of ten thousand rows) stay in memory only.
const maxKeptBytes = 4 << 20

// storeWait bounds each read or write of a kept result: a slow store costs
// a page at most this twice (a read before computing, a write after), and
// then its numbers are computed as without a store.
const storeWait = time.Second

// recall copies the result kept in the store under key into the memory
// cache when the store's copy is newer than memory's (computed by another
// replica, or before a restart), fresh or not: an expired copy still
// serves a background query while it is recomputed, and any query while
// the data database cannot be reached.
func (r *Runner) recall(ctx context.Context, key string) {
	if r.opts.Results == nil {
		return
	}
	now := r.opts.Now()
	if _, _, _, ok := r.cache.get(key, now); ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storeWait)
	defer cancel()
	kept, err := r.opts.Results.LoadResult(ctx, key)
	if err != nil {
		return // none kept, or the store is down: compute it
	}
	if _, _, computed, ok := r.cache.stale(key); ok && !kept.ComputedAt.After(computed) {
		return
	}
	f, err := frame.Decode(kept.Frame)
	if err != nil {
		return // written by another version; computing it again replaces it
	}
	r.cache.put(key, f, kept.ExpiresAt, kept.ComputedAt)
}

// keep writes a computed result to the store for other replicas and the
// next start. A failed write costs only a recomputation elsewhere.
func (r *Runner) keep(ctx context.Context, key, query string, f *frame.Frame, computed, expires time.Time) {
	if r.opts.Results == nil || f.Size() > maxKeptBytes {
		return
	}
	b, err := frame.Encode(f)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeWait)
	defer cancel()
	_ = r.opts.Results.SaveResult(ctx, key, query, b, computed, expires)
}

// lastKnown answers a failed run: when the data database cannot be
// reached and a result of the same request was computed before (in memory
// or in the store), that result, marked stale with its age, so a page says
// "as of 06:40, the database is not answering" instead of going blank.
// Any other failure is returned as it is.
func (r *Runner) lastKnown(ctx context.Context, q *catalog.Query, key string, values map[string]any, err error) (*Result, error) {
	if !pg.Unreachable(err) {
		return nil, queryError(q, err)
	}
	r.recall(ctx, key)
	f, _, computed, ok := r.cache.stale(key)
	if !ok {
		return nil, queryError(q, err)
	}
	return &Result{Frame: f, Args: values, Cached: true, Stale: true, Unreachable: true, ComputedAt: computed}, nil
}
