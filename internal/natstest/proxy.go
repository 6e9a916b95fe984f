package natstest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Proxy relays client connections to a server: what the server sends passes as it
// comes, what clients send passes frame by frame, so that a test can make chosen
// publishes vanish on the way (DropPublishes). The server never sees them and nobody is
// told — what a client lives through when a server loses a request it had accepted,
// which no real failure makes happen on cue.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	prefix  string // publishes whose subject starts with it are dropped ...
	left    int    // ... this many more of them
	dropped []string
	conns   map[net.Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// StartProxy listens on a random loopback port and relays each connection to the
// server s. It stops, closing every relayed connection, when the test ends.
func StartProxy(t testing.TB, s *Server) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: s.Addr(), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// URL returns the URL clients connect to.
func (p *Proxy) URL() string { return "nats://" + p.ln.Addr().String() }

// DropPublishes makes the next n publishes (PUB or HPUB) of any client whose subject
// starts with prefix vanish; it replaces what an earlier call left to drop.
func (p *Proxy) DropPublishes(prefix string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prefix, p.left = prefix, n
}

// Dropped returns the subjects of the publishes dropped so far, in order.
func (p *Proxy) Dropped() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.dropped...)
}

// drop reports whether the publish to subject is to vanish, counting it if so.
func (p *Proxy) drop(subject string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.left <= 0 || !strings.HasPrefix(subject, p.prefix) {
		return false
	}
	p.left--
	p.dropped = append(p.dropped, subject)
	return true
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		if !p.track(client, server) {
			return
		}
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			_, _ = io.Copy(client, server)
			p.untrack(client, server)
		}()
		go func() {
			defer p.wg.Done()
			_ = p.relayFrames(server, client)
			p.untrack(client, server)
		}()
	}
}

// track registers a relayed pair, or closes it and reports false once the proxy closed.
func (p *Proxy) track(client, server net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		client.Close()
		server.Close()
		return false
	}
	p.conns[client], p.conns[server] = struct{}{}, struct{}{}
	return true
}

// untrack closes both sides of a pair once either direction ended.
func (p *Proxy) untrack(client, server net.Conn) {
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
	client.Close()
	server.Close()
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

// relayFrames copies a client's protocol to the server one frame at a time: a line,
// and for PUB and HPUB the payload that follows, leaving out the publishes to drop.
func (p *Proxy) relayFrames(dst io.Writer, src io.Reader) error {
	r := bufio.NewReaderSize(src, 64<<10)
	w := bufio.NewWriterSize(dst, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return err
		}
		frame, subject := line, ""
		if f := bytes.Fields(line); len(f) >= 3 && (bytes.EqualFold(f[0], []byte("PUB")) || bytes.EqualFold(f[0], []byte("HPUB"))) {
			size, err := strconv.Atoi(string(f[len(f)-1]))
			if err != nil {
				return err
			}
			payload := make([]byte, size+2) // and its CRLF
			if _, err := io.ReadFull(r, payload); err != nil {
				return err
			}
			frame, subject = append(line, payload...), string(f[1])
		}
		if subject == "" || !p.drop(subject) {
			if _, err := w.Write(frame); err != nil {
				return err
			}
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
}
