package natstest

import (
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// unreachableRoute is what the members of a partitionable cluster advertise as their
// route address: nothing listens on port 1, so a member told about another by gossip
// cannot reach it around the relays, and only the configured routes (the relays) work.
const unreachableRoute = "127.0.0.1:1"

// Partitionable makes StartCluster route every member to every other through a relay of
// its own, one per ordered pair, so that Cluster.Isolate can cut a member off from the
// rest of the cluster while its clients stay connected to it, and Cluster.Heal can join
// it again. Members advertise no reachable route address, so no route bypasses a relay.
// Only StartCluster uses it.
func Partitionable() Option { return func(c *config) { c.partitionable = true } }

// relay forwards route connections from one cluster member to another's cluster port.
// While cut it closes what it relays and every connection it accepts.
type relay struct {
	ln     net.Listener
	target func() string // the destination's cluster address; "" while it is not known

	mu     sync.Mutex
	cut    bool
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// startRelay listens on a random loopback port and relays to target(); it stops when the
// test ends.
func startRelay(t testing.TB, target func() string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(r.close)
	return r
}

// url returns the route URL that leads through the relay.
func (r *relay) url() string {
	return "nats://" + net.JoinHostPort(loopback, strconv.Itoa(r.ln.Addr().(*net.TCPAddr).Port))
}

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
		go r.pipe(out, in)
		go r.pipe(in, out)
	}
}

// pipe copies src to dst and, when either side ends, closes both.
func (r *relay) pipe(dst, src net.Conn) {
	defer r.wg.Done()
	_, _ = io.Copy(dst, src)
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
	}
}

func (r *relay) close() {
	r.mu.Lock()
	r.closed = true
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.ln.Close()
	r.wg.Wait()
}

// Isolate cuts member i off from every other member: its routes close and cannot form
// again until Heal. Its clients stay connected to it. It fails the test for a cluster
// not started with Partitionable.
func (c *Cluster) Isolate(t testing.TB, i int) {
	t.Helper()
	if c.relays == nil {
		t.Fatal("natstest: Isolate needs a cluster started with Partitionable")
	}
	for j := range c.servers {
		if j != i {
			c.relays[i][j].setCut(true)
			c.relays[j][i].setCut(true)
		}
	}
}

// Heal lets every route form again after Isolate; the members reconnect their routes
// within about a second. Follow it with WaitReady when the test needs the cluster whole.
func (c *Cluster) Heal(t testing.TB) {
	t.Helper()
	if c.relays == nil {
		t.Fatal("natstest: Heal needs a cluster started with Partitionable")
	}
	for _, row := range c.relays {
		for _, r := range row {
			if r != nil {
				r.setCut(false)
			}
		}
	}
}

// startRelays makes the relays of a partitionable cluster: relays[i][j] leads from
// member i to member j's cluster port (once j has started and has one).
func startRelays(t testing.TB, servers []*Server) [][]*relay {
	relays := make([][]*relay, len(servers))
	for i := range servers {
		relays[i] = make([]*relay, len(servers))
		for j, to := range servers {
			if j != i {
				relays[i][j] = startRelay(t, to.clusterAddr)
			}
		}
	}
	return relays
}

// clusterAddr returns host:port of the member's cluster listener, "" before it started.
func (s *Server) clusterAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.clusterPort == 0 {
		return ""
	}
	return net.JoinHostPort(loopback, strconv.Itoa(s.st.clusterPort))
}
