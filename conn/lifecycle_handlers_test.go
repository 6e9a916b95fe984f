package conn_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

// Lifecycle calls made from inside handlers other than the subscription's own (whose case
// TestLifecycleFromInsideHandlers covers): another subscription's handler and the event
// handler. Each call must return, end the target subscription, and — for Unsubscribe and
// Close — no handler of the target may start after it returned; the drains deliver every
// message received before them instead.
func TestLifecycleFromOtherHandlers(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	calls := []struct {
		name  string
		drain bool // delivers what was received; handler calls after the return are expected
		call  func(c *conn.Conn, sub *conn.Subscription)
	}{
		{"Unsubscribe", false, func(_ *conn.Conn, sub *conn.Subscription) { sub.Unsubscribe() }},
		{"SubDrain", true, func(_ *conn.Conn, sub *conn.Subscription) { sub.Drain(context.Background()) }},
		{"Close", false, func(c *conn.Conn, _ *conn.Subscription) { c.Close() }},
		{"ConnDrain", true, func(c *conn.Conn, _ *conn.Subscription) { c.Drain(context.Background()) }},
	}
	// A kind arranges for f to run once inside its kind of handler on c.
	kinds := []struct {
		name    string
		trigger func(t *testing.T, c *conn.Conn, hook *atomic.Pointer[func()], subject string, release <-chan struct{})
	}{
		{"OtherSubscriptionHandler", func(t *testing.T, c *conn.Conn, hook *atomic.Pointer[func()], subject string, _ <-chan struct{}) {
			if _, err := c.Subscribe(subject+".other", conn.WithHandler(func(*conn.Msg) { runHook(hook) })); err != nil {
				t.Fatal(err)
			}
			c.Flush(testCtx(t, 5*time.Second))
			c.Publish(subject+".other", nil)
		}},
		{"QueueSubscriptionHandler", func(t *testing.T, c *conn.Conn, hook *atomic.Pointer[func()], subject string, _ <-chan struct{}) {
			if _, err := c.QueueSubscribe(subject+".q", "g", conn.WithHandler(func(*conn.Msg) { runHook(hook) })); err != nil {
				t.Fatal(err)
			}
			c.Flush(testCtx(t, 5*time.Second))
			c.Publish(subject+".q", nil)
		}},
		{"EventHandler", func(t *testing.T, c *conn.Conn, _ *atomic.Pointer[func()], subject string, release <-chan struct{}) {
			// A subscription with room for one message whose handler waits for the first
			// slow consumer event: the third message is dropped and the event runs the hook
			// (see the event handler below), after releasing this handler so that the drains
			// do not wait for it forever.
			if _, err := c.Subscribe(subject+".slow", conn.WithPendingLimits(1, 0), conn.WithHandler(func(*conn.Msg) {
				<-release
			})); err != nil {
				t.Fatal(err)
			}
			c.Flush(testCtx(t, 5*time.Second))
			for range 3 {
				c.Publish(subject+".slow", nil)
			}
		}},
	}
	const n = 1000
	for _, k := range kinds {
		for _, lc := range calls {
			t.Run(k.name+"/"+lc.name, func(t *testing.T) {
				t.Parallel()
				subject := "life2." + k.name + "." + lc.name
				var hook atomic.Pointer[func()]
				release := make(chan struct{})
				c := connect(t, s.URL(), conn.WithEventHandler(func(e conn.Event) {
					if e.Kind == conn.EventSlowConsumer {
						close(release)
						runHook(&hook)
					}
				}))
				var returned atomic.Bool
				var handled, startedAfter atomic.Int64
				target, err := c.Subscribe(subject, conn.WithHandler(func(*conn.Msg) {
					if returned.Load() {
						startedAfter.Add(1)
					}
					handled.Add(1)
					time.Sleep(50 * time.Microsecond)
				}))
				if err != nil {
					t.Fatal(err)
				}
				ctx := testCtx(t, 20*time.Second)
				c.Flush(ctx)
				for range n {
					c.Publish(subject, nil)
				}
				// Every message has reached the client once the PONG is back.
				c.Flush(ctx)
				done := make(chan struct{})
				f := func() {
					lc.call(c, target)
					returned.Store(true)
					close(done)
				}
				hook.Store(&f)
				k.trigger(t, c, &hook, subject, release)
				select {
				case <-done:
				case <-ctx.Done():
					t.Fatal("the lifecycle call deadlocked")
				}
				select {
				case <-target.Done():
				case <-ctx.Done():
					t.Fatal("target subscription never ended")
				}
				if lc.drain {
					if got := handled.Load(); got != n {
						t.Fatalf("drain delivered %d of %d", got, n)
					}
				} else if a := startedAfter.Load(); a != 0 {
					t.Fatalf("%d handler calls started after %s returned", a, lc.name)
				}
				if lc.name == "Close" || lc.name == "ConnDrain" {
					select {
					case <-c.Done():
					case <-ctx.Done():
						t.Fatal("connection never closed")
					}
				}
			})
		}
	}
}

// runHook runs the function in hook once, the first time any handler calls it.
func runHook(hook *atomic.Pointer[func()]) {
	f := hook.Swap(nil)
	if f != nil {
		(*f)()
	}
}
