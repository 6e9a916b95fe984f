package conn

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
)

// server is one entry of the server pool.
type server struct {
	url        *url.URL
	explicit   bool   // given by the user; never pruned
	tlsName    string // host name to verify a discovered bare-IP server's certificate against
	attempts   int    // failed reconnect attempts in a row
	lastAuth   string // the last auth error text this server gave, for the stop-after-twice rule
	lameDuck   bool   // announced lame duck mode: try it last
	everUp     bool
	authFailed bool
}

func (s *server) addr() string { return s.url.Host }

// isWebSocket reports whether the server is reached over WebSocket (ws:// or wss://).
func (s *server) isWebSocket() bool { return s.url.Scheme == "ws" || s.url.Scheme == "wss" }

func (s *server) String() string { return s.url.Redacted() }

// serverPool is the list of servers the connection actor owns: the explicit URLs and those
// the cluster announced.
type serverPool struct {
	servers   []*server
	randomize bool
}

func newServerPool(urls string, noRandomize bool) (*serverPool, error) {
	p := &serverPool{randomize: !noRandomize}
	for _, raw := range strings.Split(urls, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := parseServerURL(raw)
		if err != nil {
			return nil, err
		}
		p.servers = append(p.servers, &server{url: u, explicit: true})
	}
	if len(p.servers) == 0 {
		return nil, fmt.Errorf("%w: no server URL given", ErrInvalidOption)
	}
	if p.randomize && len(p.servers) > 1 {
		rand.Shuffle(len(p.servers), func(i, j int) { p.servers[i], p.servers[j] = p.servers[j], p.servers[i] })
	}
	return p, nil
}

// parseServerURL accepts "host", "host:port" and scheme://[userinfo@]host[:port].
func parseServerURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "nats://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: server URL %q: %v", ErrInvalidOption, raw, err)
	}
	port := "4222"
	switch u.Scheme {
	case "nats", "tls":
	case "ws":
		port = "80"
	case "wss":
		port = "443"
	default:
		return nil, fmt.Errorf("%w: server URL %q: scheme %q not supported (nats://, tls://, ws://, wss://)", ErrInvalidOption, raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: server URL %q has no host", ErrInvalidOption, raw)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	return u, nil
}

func (p *serverPool) anyTLS() bool {
	for _, s := range p.servers {
		if s.url.Scheme == "tls" {
			return true
		}
	}
	return false
}

// addDiscovered adds the servers an INFO announced that the pool does not have yet and
// returns their URLs. tlsHost is the host name of the server in use, kept for bare-IP ones.
func (p *serverPool) addDiscovered(urls []string, scheme, tlsHost string) []string {
	var added []string
	var fresh []*server
	for _, raw := range urls {
		u, err := parseServerURL(scheme + "://" + raw)
		if err != nil || p.has(u.Host) {
			continue
		}
		s := &server{url: u}
		if net.ParseIP(u.Hostname()) != nil {
			s.tlsName = tlsHost
		}
		fresh = append(fresh, s)
		added = append(added, u.String())
	}
	if p.randomize {
		rand.Shuffle(len(fresh), func(i, j int) { fresh[i], fresh[j] = fresh[j], fresh[i] })
	}
	p.servers = append(p.servers, fresh...)
	return added
}

// pruneDiscovered removes the discovered servers a cluster no longer announces (a server
// that left). Explicit servers and the one in use are never removed.
func (p *serverPool) pruneDiscovered(urls []string, cur *server) {
	announced := map[string]bool{}
	for _, raw := range urls {
		if u, err := parseServerURL("nats://" + raw); err == nil {
			announced[strings.ToLower(u.Host)] = true
		}
	}
	kept := p.servers[:0]
	for _, s := range p.servers {
		if s.explicit || s == cur || announced[strings.ToLower(s.url.Host)] {
			kept = append(kept, s)
		}
	}
	clear(p.servers[len(kept):])
	p.servers = kept
}

func (p *serverPool) has(hostport string) bool {
	for _, s := range p.servers {
		if strings.EqualFold(s.url.Host, hostport) {
			return true
		}
	}
	return false
}

// order returns the servers to try on a reconnect pass: every server but cur, lame-duck ones
// last, then cur itself last.
func (p *serverPool) order(cur *server) []*server {
	out := make([]*server, 0, len(p.servers))
	var last []*server
	for _, s := range p.servers {
		switch {
		case s == cur:
		case s.lameDuck:
			last = append(last, s)
		default:
			out = append(out, s)
		}
	}
	out = append(out, last...)
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

// remove drops s from the pool.
func (p *serverPool) remove(s *server) {
	for i, x := range p.servers {
		if x == s {
			p.servers = append(p.servers[:i], p.servers[i+1:]...)
			return
		}
	}
}
