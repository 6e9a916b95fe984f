package natstest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// relay forwards TCP connections to a target: route connections from one cluster member
// to another's cluster port (Partitionable), or clients to a server (Proxy). While cut
// it closes what it relays and every connection it accepts; while silent it keeps them
// open but passes nothing on, holding what it read until it is heard again (as TCP does
// across a network that drops every packet for a while).
type relay struct {
	ln     net.Listener
	target func() string // the destination's address; "" while it is not known
	// forward copies what the accepted side sends to the target (copyAll by default).
	forward func(dst io.Writer, src io.Reader) error

	mu     sync.Mutex
	heard  sync.Cond // broadcast when silent ends, and on cut and close
	cut    bool
	silent bool
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// startRelay listens on a random loopback port and relays to target(), what comes in
// through forward (nil: as it comes); it stops when the test ends.
func startRelay(t testing.TB, target func() string, forward func(dst io.Writer, src io.Reader) error) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	if forward == nil {
		forward = copyAll
	}
	r := &relay{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	r.heard.L = &r.mu
	r.forward = func(dst io.Writer, src io.Reader) error { return forward(r.gate(dst), src) }
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(r.close)
	return r
}

// url returns the nats:// URL that leads through the relay.
func (r *relay) url() string { return "nats://" + r.ln.Addr().String() }

func (r *relay) accept() {
	defer r.wg.Done()
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		cut := r.cut
		r.mu.Unlock()
		addr := r.target()
		if cut || addr == "" {
			in.Close()
			continue
		}
		out, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			in.Close()
			continue
		}
		if !r.track(in, out) {
			continue
		}
		r.wg.Add(2)
		go r.pipe(out, in, r.forward)
		go r.pipe(in, out, func(dst io.Writer, src io.Reader) error { return copyAll(r.gate(dst), src) })
	}
}

// copyAll copies src to dst as it comes, until either fails.
func copyAll(dst io.Writer, src io.Reader) error {
	_, err := io.Copy(dst, src)
	return err
}

// gate returns dst behind the relay's silence: a write waits while the relay is silent.
func (r *relay) gate(dst io.Writer) io.Writer { return gatedWriter{r: r, w: dst} }

type gatedWriter struct {
	r *relay
	w io.Writer
}

func (g gatedWriter) Write(b []byte) (int, error) {
	g.r.mu.Lock()
	for g.r.silent && !g.r.cut && !g.r.closed {
		g.r.heard.Wait()
	}
	g.r.mu.Unlock()
	return g.w.Write(b)
}

// pipe copies src to dst with copy and, when either side ends, closes both.
func (r *relay) pipe(dst, src net.Conn, copy func(dst io.Writer, src io.Reader) error) {
	defer r.wg.Done()
	_ = copy(dst, src)
	r.mu.Lock()
	delete(r.conns, src)
	delete(r.conns, dst)
	r.mu.Unlock()
	src.Close()
	dst.Close()
}

// track registers a relayed pair, or closes it and reports false when the relay is cut
// or closed.
func (r *relay) track(in, out net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cut || r.closed {
		in.Close()
		out.Close()
		return false
	}
	r.conns[in], r.conns[out] = struct{}{}, struct{}{}
	return true
}

// setCut cuts the relay (closing what it relays) or lets connections through again.
func (r *relay) setCut(cut bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cut = cut
	if cut {
		for c := range r.conns {
			c.Close()
		}
		r.heard.Broadcast()
	}
}

// setSilent silences the relay or lets what it holds and reads pass again.
func (r *relay) setSilent(silent bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.silent = silent
	if !silent {
		r.heard.Broadcast()
	}
}

func (r *relay) close() {
	r.mu.Lock()
	r.closed = true
	for c := range r.conns {
		c.Close()
	}
	r.heard.Broadcast()
	r.mu.Unlock()
	r.ln.Close()
	r.wg.Wait()
}
