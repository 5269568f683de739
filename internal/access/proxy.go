package access

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Proxy says which reverse proxies in front of opsboard are believed. From
// a trusted address, X-Forwarded-For names the client (for the login rate
// limit), X-Forwarded-Proto: https marks the connection as secure (for the
// Secure cookie flag), and, in auth-proxy mode, Header names the signed-in
// user. From any other address those headers are ignored.
type Proxy struct {
	// Header carries the signed-in user's email (auth-proxy mode), e.g.
	// X-Forwarded-Email; empty: no auth proxy.
	Header string
	// Trusted are the proxies' addresses.
	Trusted []netip.Prefix
	// DefaultRole is the role of a proxy user who has no account.
	DefaultRole Role
}

// ParseNetworks reads a comma-separated list of CIDR prefixes and single
// addresses ("10.0.0.0/8, 192.0.2.7").
func ParseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.Contains(part, "/") {
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, apperr.Invalid("%q is not an address or CIDR prefix", part)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, apperr.Invalid("%q is not an address or CIDR prefix", part)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// AuthProxy reports whether auth-proxy mode is on.
func (p *Proxy) AuthProxy() bool { return p != nil && p.Header != "" }

// Trusts reports whether the request comes straight from a trusted proxy.
func (p *Proxy) Trusts(r *http.Request) bool {
	if p == nil {
		return false
	}
	a, ok := peer(r)
	return ok && p.trusts(a)
}

func (p *Proxy) trusts(a netip.Addr) bool {
	for _, n := range p.Trusted {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// User returns the email the auth proxy vouches for, or "" when the
// request does not come from a trusted proxy or carries no such header.
//
// A header that appears more than once, or lists several addresses, gives
// "": a proxy that appends to the client's header instead of replacing it
// would otherwise let the client choose.
func (p *Proxy) User(r *http.Request) string {
	if !p.AuthProxy() || !p.Trusts(r) {
		return ""
	}
	values := r.Header.Values(p.Header)
	if len(values) != 1 || strings.Contains(values[0], ",") {
		return ""
	}
	return NormalizeEmail(values[0])
}

// ClientIP is the address of the client: the peer, or when the peer is a
// trusted proxy, the nearest address in X-Forwarded-For that is not one.
func (p *Proxy) ClientIP(r *http.Request) string {
	a, ok := peer(r)
	if !ok {
		return r.RemoteAddr
	}
	if p.Trusts(r) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			a = h.Unmap()
			if !p.trusts(a) {
				break
			}
		}
	}
	return a.String()
}

// IsHTTPS reports whether the client reached opsboard over HTTPS: directly,
// or through a trusted proxy that says so.
func (p *Proxy) IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return p.Trusts(r) && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// Host is the host the client asked for: r.Host, or X-Forwarded-Host when
// a trusted proxy rewrote it.
func (p *Proxy) Host(r *http.Request) string {
	if h := r.Header.Get("X-Forwarded-Host"); h != "" && p.Trusts(r) {
		return strings.TrimSpace(strings.Split(h, ",")[0])
	}
	return r.Host
}

// IsLoopback reports whether the request comes straight from a program on
// this machine: a loopback peer that is not a configured proxy and carries
// none of the headers proxies add.
func (p *Proxy) IsLoopback(r *http.Request) bool {
	a, ok := peer(r)
	if !ok || !a.IsLoopback() || p.trusts(a) {
		return false
	}
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip", "X-Forwarded-Host"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	return true
}

// LoopbackHost reports whether a Host header (host or host:port) names
// this machine: localhost, a name under .localhost, or a loopback address.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

func peer(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
