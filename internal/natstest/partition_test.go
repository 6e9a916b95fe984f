package natstest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Isolate cuts a member's routes, and none forms again around the relays (by gossip,
// to a member's real cluster port) until Heal; then the cluster is whole again and
// messages cross the routes.
func TestClusterIsolateAndHeal(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 3, JetStream(), Partitionable())
	remotes := func(want ...int) func() error {
		return func() error {
			for i, s := range c.Servers() {
				if got := s.Server().NumRemotes(); got != want[i] {
					return fmt.Errorf("%s has routes to %d servers, want %d", s.Name(), got, want[i])
				}
			}
			return nil
		}
	}
	for round := range 2 {
		c.Isolate(t, 0)
		waitFor(t, 10*time.Second, remotes(0, 1, 1))
		// Gossip would reconnect n1 at once if it could: watch it stay cut off a while.
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if err := remotes(0, 1, 1)(); err != nil {
				t.Fatalf("round %d, while isolated: %v", round, err)
			}
		}
		c.Heal(t)
		c.WaitReady(t)
	}

	messageCrosses(t, c, 2, 0)
}

// Silence keeps the routes up but lets nothing through, either way; Heal delivers what
// was held, as TCP would after the network came back.
func TestClusterSilenceAndHeal(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 3, Partitionable())
	sub := dialRaw(t, c.Server(0).Addr())
	sub.mustConnect(nil)
	sub.send("SUB x.y 1\r\nPING\r\n")
	if l := sub.next(); l != "PONG" {
		t.Fatalf("got %q", l)
	}
	waitFor(t, clusterTimeout, func() error {
		if c.Server(2).Server().GlobalAccount().SubscriptionInterest("x.y") {
			return nil
		}
		return fmt.Errorf("n3 has no interest in x.y yet")
	})
	c.Silence(t, 0)
	pub := dialRaw(t, c.Server(2).Addr())
	pub.mustConnect(nil)
	pub.send("PUB x.y 5\r\nheld!\r\nPING\r\n")
	if l := pub.next(); l != "PONG" {
		t.Fatalf("publisher got %q", l)
	}
	// Nothing but the server's own INFO and PING may reach the subscriber for a while.
	sub.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		l, err := sub.r.ReadString('\n')
		if err != nil {
			break // the deadline
		}
		switch {
		case strings.HasPrefix(l, "INFO "):
		case strings.HasPrefix(l, "PING"):
			sub.send("PONG\r\n")
		default:
			t.Fatalf("a silenced member received %q", l)
		}
	}
	for _, s := range c.Servers() {
		if got := s.Server().NumRemotes(); got != 2 {
			t.Fatalf("%s has routes to %d servers while silenced, want 2 (they stay open)", s.Name(), got)
		}
	}
	c.Heal(t)
	if l := sub.next(); !strings.HasPrefix(l, "MSG x.y 1 5") {
		t.Fatalf("after the heal the subscriber got %q", l)
	}
	if l := sub.line(); l != "held!" {
		t.Fatalf("payload %q", l)
	}
}
