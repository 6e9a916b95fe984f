package natstest

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clusterTimeout bounds the wait for routes and, with JetStream, a meta leader; the
// first election of a JetStream cluster takes a few seconds.
const clusterTimeout = 30 * time.Second

// clusterName is the name of every cluster this package starts.
const clusterName = "natstest"

// Cluster is a set of in-process nats-servers routed to each other on loopback. Each
// member is a *Server with its own ports and store; restarting a member keeps them, so
// the cluster re-forms.
type Cluster struct {
	servers []*Server
	relays  [][]*relay // relays[i][j] carries member i's routes to member j; nil unless Partitionable
}

// StartCluster starts n servers named n1..nN in the cluster "natstest", each with the
// given options (with JetStream, each has its own store), and waits until every server
// has a route to every other one and, with JetStream, until a meta leader is elected
// and knows all members. It registers cleanups that shut them all down and fails the
// test on error.
func StartCluster(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("natstest: StartCluster: %d servers", n)
	}
	cfg := newConfig(opts)
	if err := cfg.err(); err != nil {
		t.Fatal(err)
	}
	c := &Cluster{}
	if cfg.partitionable {
		c.startPartitionable(t, n, cfg)
		return c
	}
	// Servers start one after the other, each routed to those already up: the route
	// ports are random, so a server can only name the ones before it. Gossip completes
	// the mesh.
	var routes []string
	for i := range n {
		s := newServer(t, cfg, memberState{
			name:        "n" + strconv.Itoa(i+1),
			clusterName: clusterName,
			routes:      append([]string(nil), routes...),
		})
		s.start(t)
		routes = append(routes, s.clusterURL())
		c.servers = append(c.servers, s)
	}
	// From now on every member names all the others, so that any of them can rejoin
	// after a restart whoever else is down.
	for _, s := range c.servers {
		s.mu.Lock()
		s.st.routes = nil
		for _, r := range routes {
			if r != s.clusterURLLocked() {
				s.st.routes = append(s.st.routes, r)
			}
		}
		s.mu.Unlock()
	}
	c.WaitReady(t)
	return c
}

// startPartitionable starts the members of a Partitionable cluster: each names every
// other member from the start, through the relay for that pair, and advertises no route
// address of its own.
func (c *Cluster) startPartitionable(t testing.TB, n int, cfg *config) {
	for i := range n {
		c.servers = append(c.servers, newServer(t, cfg, memberState{
			name:           "n" + strconv.Itoa(i+1),
			clusterName:    clusterName,
			routeAdvertise: unreachableRoute,
		}))
	}
	c.relays = startRelays(t, c.servers)
	for i, s := range c.servers {
		for j, r := range c.relays[i] {
			if j != i {
				s.st.routes = append(s.st.routes, r.url())
			}
		}
	}
	for _, s := range c.servers {
		s.start(t)
	}
	c.WaitReady(t)
}

// clusterURL returns "nats://127.0.0.1:clusterport" of a cluster member.
func (s *Server) clusterURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clusterURLLocked()
}

func (s *Server) clusterURLLocked() string {
	return "nats://" + net.JoinHostPort(loopback, strconv.Itoa(s.st.clusterPort))
}

// Servers returns the members in start order (n1 first). The slice is a copy.
func (c *Cluster) Servers() []*Server {
	return append([]*Server(nil), c.servers...)
}

// Server returns member i (0-based).
func (c *Cluster) Server(i int) *Server {
	return c.servers[i]
}

// URLs returns the client URLs of all members, comma-separated.
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.servers))
	for i, s := range c.servers {
		urls[i] = s.URL()
	}
	return strings.Join(urls, ",")
}

// Restart restarts member i (see Server.Restart) and waits until the cluster is whole
// again (see WaitReady).
func (c *Cluster) Restart(t testing.TB, i int) {
	t.Helper()
	c.servers[i].Restart(t)
	c.WaitReady(t)
}

// Leader returns the member that is the JetStream meta leader, or nil if there is none
// (or JetStream is off).
func (c *Cluster) Leader() *Server {
	for _, s := range c.servers {
		if srv := s.Server(); srv != nil && srv.Running() && srv.JetStreamIsLeader() {
			return s
		}
	}
	return nil
}

// WaitReady waits until every member is running with all its route connections to each
// other member (the pool's and the pinned accounts') and, with JetStream, until a meta
// leader is elected, sees all members and every member is current with it. It fails the
// test after 30 seconds.
func (c *Cluster) WaitReady(t testing.TB) {
	t.Helper()
	waitFor(t, clusterTimeout, c.ready)
}

// ready returns nil when the cluster is whole, or what it still waits for.
func (c *Cluster) ready() error {
	n := len(c.servers)
	for _, s := range c.servers {
		srv := s.Server()
		if srv == nil || !srv.Running() {
			return fmt.Errorf("server %s is down", s.Name())
		}
		if got := srv.NumRemotes(); got != n-1 {
			return fmt.Errorf("server %s has routes to %d servers, want %d", s.Name(), got, n-1)
		}
		// A remote counts once its first route connection is up; the rest of the pool
		// follows. Until it has, messages of an account whose connection is missing do
		// not cross, nor does its interest (seen: a JetStream API reply lost).
		if got, want := srv.NumRoutes(), (n-1)*s.routeConns(); got != want {
			return fmt.Errorf("server %s has %d route connections, want %d", s.Name(), got, want)
		}
	}
	if !c.servers[0].cfg.jetStream {
		return nil
	}
	leader := c.Leader()
	if leader == nil {
		return fmt.Errorf("no JetStream meta leader")
	}
	if got := len(leader.Server().JetStreamClusterPeers()); got != n {
		return fmt.Errorf("meta leader %s sees %d of %d servers", leader.Name(), got, n)
	}
	for _, s := range c.servers {
		if !s.Server().JetStreamIsCurrent() {
			return fmt.Errorf("server %s is not current with the meta leader", s.Name())
		}
	}
	return nil
}
