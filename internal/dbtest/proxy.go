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
	p := &Proxy{tb: tb, target: u.Host, addr: "127.0.0.1:0"}
	p.Up()
	tb.Cleanup(p.Down)
	u.Host = p.addr
	return p, u.String()
}

// Up listens (again) on the proxy's port.
func (p *Proxy) Up() {
	p.tb.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.tb.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			db, err := net.Dial("tcp", p.target)
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
