package natstest

import (
	"fmt"
	"strings"
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

// routesSettle is how long the route connections of a cluster must not change before
// Silence counts them as settled.
const routesSettle = 1500 * time.Millisecond

// Silence cuts member i off without a word: its routes stay open but carry nothing, in
// either direction, until Heal, as across a network that drops every packet. The
// servers notice only by their route pings (every 2 minutes unless configured) or, with
// JetStream, by missed Raft heartbeats. Its clients stay connected to it.
//
// It first waits until the number of route connections has not changed for 1.5 s,
// longer than a server waits before it reconnects a route (1 s): route pools keep
// forming, and duplicate routes closing and coming back, for a while after the cluster
// counts as ready, and a route caught half-made by the silence would close.
func (c *Cluster) Silence(t testing.TB, i int) {
	t.Helper()
	last, since := -1, time.Now()
	waitFor(t, clusterTimeout, func() error {
		n := 0
		for _, s := range c.servers {
			if srv := s.Server(); srv != nil {
				n += srv.NumRoutes()
			}
		}
		if n != last {
			last, since = n, time.Now()
		}
		if d := time.Since(since); d < routesSettle {
			return fmt.Errorf("%d route connections, unchanged for %v", n, d)
		}
		return nil
	})
	c.pairsOf(t, i, func(r *relay) { r.setSilent(true) })
}

// Isolate cuts member i off from every other member: its routes close and cannot form
// again until Heal. Its clients stay connected to it. It fails the test for a cluster
// not started with Partitionable.
func (c *Cluster) Isolate(t testing.TB, i int) {
	t.Helper()
	c.pairsOf(t, i, func(r *relay) { r.setCut(true) })
}

// pairsOf calls f with the relays between member i and each other member, both ways.
func (c *Cluster) pairsOf(t testing.TB, i int, f func(*relay)) {
	t.Helper()
	c.mustPartition(t)
	for j := range c.servers {
		if j != i {
			f(c.relays[i][j])
			f(c.relays[j][i])
		}
	}
}

// Heal ends every Isolate and Silence: routes form again (within about a second after
// Isolate) and silenced ones pass what they held. Follow it with WaitReady when the
// test needs the cluster whole.
func (c *Cluster) Heal(t testing.TB) {
	t.Helper()
	c.mustPartition(t)
	for _, row := range c.relays {
		for _, r := range row {
			if r != nil {
				r.setCut(false)
				r.setSilent(false)
			}
		}
	}
}

// mustPartition fails the test unless the cluster was started with Partitionable.
func (c *Cluster) mustPartition(t testing.TB) {
	t.Helper()
	if c.relays == nil {
		t.Fatal("natstest: Isolate, Silence and Heal need a cluster started with Partitionable")
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
				relays[i][j] = startRelay(t, to.clusterAddr, nil)
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
	return strings.TrimPrefix(s.clusterURLLocked(), "nats://")
}
