package natstest

import (
	"bufio"
	"bytes"
	"io"
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
	r *relay

	mu      sync.Mutex
	prefix  string // publishes whose subject starts with it are dropped ...
	left    int    // ... this many more of them
	dropped []string
}

// StartProxy listens on a random loopback port and relays each connection to the
// server s. It stops, closing every relayed connection, when the test ends.
func StartProxy(t testing.TB, s *Server) *Proxy {
	t.Helper()
	p := &Proxy{}
	addr := s.Addr()
	p.r = startRelay(t, func() string { return addr }, p.relayFrames)
	return p
}

// URL returns the URL clients connect to.
func (p *Proxy) URL() string { return p.r.url() }

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
