package natstest

import (
	"fmt"
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
