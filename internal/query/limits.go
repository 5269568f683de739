package query

import (
	"context"
	"sync"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Limits bound how many queries run on the warehouse at once, so that no
// visitor, and no crowd of share-link visitors, can take its whole pool.
// Cached results cost nothing and are never limited.
type Limits struct {
	// Global is the most queries running at once; default 10 (the
	// warehouse pool's default size).
	Global int
	// PerVisitor is the most one visitor (an account, an address, a share
	// link) runs at once; default 4.
	PerVisitor int
	// Anonymous is the most all share-link visitors together run at once;
	// default half of Global, so signed-in people and reports always find
	// room.
	Anonymous int
	// Wait is how long a query waits for a slot before the visitor is told
	// to try again; default 20s.
	Wait time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.Global <= 0 {
		l.Global = 10
	}
	if l.PerVisitor <= 0 {
		l.PerVisitor = 4
	}
	if l.Anonymous <= 0 {
		l.Anonymous = max(1, l.Global/2)
	}
	if l.Wait <= 0 {
		l.Wait = 20 * time.Second
	}
	return l
}

// gate hands out the slots Limits allow.
type gate struct {
	limits    Limits
	global    chan struct{}
	anonymous chan struct{}

	mu       sync.Mutex
	visitors map[string]*visitorSlots
}

type visitorSlots struct {
	slots chan struct{}
	users int // callers holding or waiting for a slot; the entry goes at 0
}

func newGate(l Limits) *gate {
	l = l.withDefaults()
	return &gate{limits: l, global: make(chan struct{}, l.Global), anonymous: make(chan struct{}, l.Anonymous),
		visitors: map[string]*visitorSlots{}}
}

// enter waits for the slots a query of this visitor needs and returns the
// function that gives them back. Visitor "" (the scheduler, a command)
// needs only a global slot.
func (g *gate) enter(ctx context.Context, visitor string, anonymous bool) (func(), error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, g.limits.Wait)
	defer cancel()
	var held []chan struct{}
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			<-held[i]
		}
		if visitor != "" {
			g.leave(visitor)
		}
	}
	var chans []chan struct{}
	if visitor != "" {
		chans = append(chans, g.join(visitor))
	}
	if anonymous {
		chans = append(chans, g.anonymous)
	}
	chans = append(chans, g.global)
	for _, c := range chans {
		select {
		case c <- struct{}{}:
			held = append(held, c)
		case <-ctx.Done():
			release()
			if err := parent.Err(); err != nil {
				return nil, err
			}
			return nil, apperr.Unavailable("opsboard is running as many queries as it allows at once; try again in a moment")
		}
	}
	return release, nil
}

func (g *gate) join(visitor string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := g.visitors[visitor]
	if !ok {
		v = &visitorSlots{slots: make(chan struct{}, g.limits.PerVisitor)}
		g.visitors[visitor] = v
	}
	v.users++
	return v.slots
}

func (g *gate) leave(visitor string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if v := g.visitors[visitor]; v != nil {
		if v.users--; v.users == 0 {
			delete(g.visitors, visitor)
		}
	}
}
