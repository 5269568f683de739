package dbtest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy stands between a client and PostgreSQL on 127.0.0.1, so that a
// test can take a database away (connections refused, pooled ones cut)
// and bring it back on the same port.
type Proxy struct {
	tb     testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

// StartProxy starts a proxy to the database of rawURL and returns it with
// the URL that goes through it. It is taken down when the test ends.
func StartProxy(tb testing.TB, rawURL string) (*Proxy, string) {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	p := StartProxyAt(tb, "127.0.0.1:0", u.Host)
	u.Host = p.Addr()
	return p, u.String()
}

// StartProxyAt starts a proxy listening on addr (":0" for any port) that
// forwards to target (host:port). It is taken down when the test ends.
func StartProxyAt(tb testing.TB, addr, target string) *Proxy {
	tb.Helper()
	p := &Proxy{tb: tb, target: target, addr: addr}
	p.Up()
	tb.Cleanup(p.Down)
	return p
}

// Addr is the host:port the proxy listens on.
func (p *Proxy) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// UpTo listens again, forwarding to a new target (a cluster that came
// back on another port).
func (p *Proxy) UpTo(target string) {
	p.tb.Helper()
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
	p.Up()
}

// Up listens (again) on the proxy's port.
func (p *Proxy) Up() {
	p.tb.Helper()
	ln, err := net.Listen("tcp", p.Addr())
	if err != nil {
		p.tb.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	target := p.target
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			db, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			if p.ln != ln { // went down meanwhile
				p.mu.Unlock()
				c.Close()
				db.Close()
				return
			}
			p.conns = append(p.conns, c, db)
			p.mu.Unlock()
			go func() { io.Copy(db, c); db.Close() }()
			go func() { io.Copy(c, db); c.Close() }()
		}
	}()
}

// Down stops listening and cuts every connection.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
