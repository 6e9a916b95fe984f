package js_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// lcTarget is a running consumer with a handler, as the lifecycle table sees it.
type lcTarget struct {
	stop     func()                          // Unsubscribe or Stop
	drain    func(ctx context.Context) error // Drain
	done     <-chan struct{}
	consumer func() string // its consumer's name, for the error-callback trigger
}

// TestLifecycleFromHandlers makes every lifecycle call of a JetStream consumer — its own
// Unsubscribe/Stop and Drain, the connection's Close and Drain — from inside every kind of
// callback that runs while it consumes: its own message handler, the handler of a core
// subscription on the same connection, and its error callback (made to run by deleting
// its consumer). Each call must return, the consumer must end, and after a Stop,
// Unsubscribe or Close returned no handler call may start.
func TestLifecycleFromHandlers(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	const n = 300
	setup := filledStream(t, s, "L", n)

	kinds := []struct {
		name  string
		start func(t *testing.T, j *js.Client, name string, h func(*js.Msg), onErr func(error)) lcTarget
	}{
		{"Push", func(t *testing.T, j *js.Client, _ string, h func(*js.Msg), onErr func(error)) lcTarget {
			sub, err := j.Subscribe(ctxT(t, 10*time.Second), "l.>", js.DeliverAll(), js.AckNone(), js.Handler(h), js.ErrHandler(onErr), js.IdleHeartbeat(250*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			return lcTarget{func() { sub.Unsubscribe() }, sub.Drain, sub.Done(), sub.Consumer}
		}},
		{"Ordered", func(t *testing.T, j *js.Client, _ string, h func(*js.Msg), onErr func(error)) lcTarget {
			sub, err := j.Subscribe(ctxT(t, 10*time.Second), "l.>", js.Ordered(), js.Handler(h), js.ErrHandler(onErr), js.IdleHeartbeat(250*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			return lcTarget{func() { sub.Unsubscribe() }, sub.Drain, sub.Done(), sub.Consumer}
		}},
		{"Pull", func(t *testing.T, j *js.Client, name string, h func(*js.Msg), onErr func(error)) lcTarget {
			pc, err := j.PullSubscribe(ctxT(t, 10*time.Second), "l.>", name, js.AckNone())
			if err != nil {
				t.Fatal(err)
			}
			if err := pc.Consume(ctxT(t, 10*time.Second), h, js.PullErrHandler(onErr), js.PullHeartbeat(250*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			return lcTarget{pc.Stop, pc.Drain, pc.Done(), pc.Name}
		}},
	}
	calls := []struct {
		name  string
		drain bool // handler calls after the return are expected
		call  func(c *conn.Conn, tg lcTarget)
	}{
		{"Stop", false, func(_ *conn.Conn, tg lcTarget) { tg.stop() }},
		{"Drain", true, func(_ *conn.Conn, tg lcTarget) { tg.drain(context.Background()) }},
		{"ConnClose", false, func(c *conn.Conn, _ lcTarget) { c.Close() }},
		{"ConnDrain", true, func(c *conn.Conn, _ lcTarget) { c.Drain(context.Background()) }},
	}
	wheres := []string{"OwnHandler", "CoreHandler", "ErrHandler"}

	for _, k := range kinds {
		for _, where := range wheres {
			for _, lc := range calls {
				name := k.name + where + lc.name
				t.Run(k.name+"/"+where+"/"+lc.name, func(t *testing.T) {
					t.Parallel()
					c := connect(t, s.URL())
					j := js.New(c)
					var hook atomic.Pointer[func()]
					var returned atomic.Bool
					var handled, startedAfter atomic.Int64
					h := func(*js.Msg) {
						if returned.Load() {
							startedAfter.Add(1)
						}
						if handled.Add(1) == 10 && where == "OwnHandler" {
							runHook(&hook)
						}
						time.Sleep(time.Millisecond)
					}
					onErr := func(error) {
						if where == "ErrHandler" {
							runHook(&hook)
						}
					}
					ctx := ctxT(t, 30*time.Second)
					done := make(chan struct{})
					var tg lcTarget
					started := make(chan struct{}) // tg is set
					f := func() {
						<-started
						lc.call(c, tg)
						returned.Store(true)
						close(done)
					}
					hook.Store(&f)
					if where == "CoreHandler" {
						if _, err := c.Subscribe("hook."+name, conn.WithHandler(func(*conn.Msg) { runHook(&hook) })); err != nil {
							t.Fatal(err)
						}
						c.Flush(ctx)
					}
					tg = k.start(t, j, name, h, onErr)
					close(started)
					waitFor(t, 10*time.Second, "ten messages handled", func() bool { return handled.Load() >= 10 })
					switch where {
					case "CoreHandler":
						c.Publish("hook."+name, nil)
					case "ErrHandler":
						// Deleted under it, the consumer reports the loss (or, pulling, its end)
						// to its error callback.
						if err := setup.Manager().DeleteConsumer(ctx, "L", tg.consumer()); err != nil {
							t.Fatal(err)
						}
					}
					select {
					case <-done:
					case <-ctx.Done():
						t.Fatal("the lifecycle call deadlocked (or was never made)")
					}
					select {
					case <-tg.done:
					case <-ctx.Done():
						t.Fatal("the consumer never ended")
					}
					if a := startedAfter.Load(); !lc.drain && a != 0 {
						t.Fatalf("%d handler calls started after %s returned", a, lc.name)
					}
					if lc.name == "ConnClose" || lc.name == "ConnDrain" {
						select {
						case <-c.Done():
						case <-ctx.Done():
							t.Fatal("the connection never closed")
						}
					}
				})
			}
		}
	}
}

// filledStream makes the memory stream name on subjects "<lower name>.>" holding n
// messages, and returns the Client that made it.
func filledStream(t *testing.T, s *natstest.Server, name string, n int) *js.Client {
	t.Helper()
	j := js.New(connect(t, s.URL()))
	prefix := strings.ToLower(name)
	if _, err := j.Manager().AddStream(ctxT(t, 10*time.Second), jsm.StreamConfig{Name: name, Subjects: []string{prefix + ".>"}, Storage: jsm.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := j.Publish(ctxT(t, 5*time.Second), fmt.Sprint(prefix, ".", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

// runHook runs the function in hook once, the first time any callback calls it.
func runHook(hook *atomic.Pointer[func()]) {
	if f := hook.Swap(nil); f != nil {
		(*f)()
	}
}

// TestDrainFromReceiver drains each consumer that delivers to its user through a channel
// or an iterator from the goroutine receiving from it, after the connection read every
// message: Drain must return nil at once (it cannot wait for its own caller) and the
// receiver must still get every message before C() closes or the iteration ends. A
// Drain waiting for the receiver stalled for the Client's timeout, returned
// DeadlineExceeded and dropped the other 90.
func TestDrainFromReceiver(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	const n = 100
	filledStream(t, s, "R", n)
	// delivered waits until the connection has read every message (the server's count
	// of delivered messages is no proof: it counts those still in its queues, which an
	// UNSUB can overtake). Besides them the connection read one answer, the consumer's
	// creation, before the first message came.
	delivered := func(t *testing.T, c *conn.Conn) {
		waitFor(t, 10*time.Second, "every message read", func() bool { return c.Stats().InMsgs >= n+1 })
	}
	for _, kind := range []string{"Push", "Ordered", "Messages"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := connect(t, s.URL())
			j := js.New(c)
			got := 0
			var drainErr error
			switch kind {
			case "Push":
				sub, err := j.Subscribe(ctxT(t, 10*time.Second), "r.>", js.DeliverAll(), js.AckNone())
				if err != nil {
					t.Fatal(err)
				}
				defer sub.Unsubscribe()
				delivered(t, c)
				for range sub.C() {
					if got++; got == 10 {
						drainErr = sub.Drain(context.Background())
					}
				}
			case "Ordered":
				oc, err := j.OrderedConsumer(ctxT(t, 10*time.Second), "r.>")
				if err != nil {
					t.Fatal(err)
				}
				defer oc.Stop()
				delivered(t, c)
				for range oc.C() {
					if got++; got == 10 {
						drainErr = oc.Drain(context.Background())
					}
				}
				if oc.Resets() != 0 {
					t.Logf("%d resets, last error %v", oc.Resets(), oc.Err())
				}
			case "Messages":
				pc, err := j.PullSubscribe(ctxT(t, 10*time.Second), "r.>", "d", js.AckNone())
				if err != nil {
					t.Fatal(err)
				}
				defer pc.Stop()
				for _, err := range pc.Messages(ctxT(t, 20*time.Second)) {
					if err != nil {
						t.Fatal(err)
					}
					if got++; got == 1 {
						delivered(t, c)
					} else if got == 10 {
						drainErr = pc.Drain(context.Background())
					}
				}
			}
			if drainErr != nil || got != n {
				t.Fatalf("Drain from the receiver: %v, %d of %d received", drainErr, got, n)
			}
		})
	}
}

// TestLifecycleFromAsyncErrHandler closes or drains the connection from inside the
// Client's async publish error handler, reached each way it can be: a publish nobody
// stores (no responders), one whose acknowledgement never comes (the timeout), and one
// pending when the connection closes. The call must return and the connection close.
func TestLifecycleFromAsyncErrHandler(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	hole := connect(t, s.URL())
	if _, err := hole.Subscribe("hole.>", conn.WithHandler(func(*conn.Msg) {})); err != nil {
		t.Fatal(err)
	}
	hole.Flush(ctxT(t, 5*time.Second))
	for _, trigger := range []string{"NoResponders", "Timeout", "ConnClosed"} {
		for _, call := range []string{"ConnClose", "ConnDrain"} {
			t.Run(trigger+"/"+call, func(t *testing.T) {
				t.Parallel()
				c := connect(t, s.URL())
				var hook atomic.Pointer[func()]
				done := make(chan struct{})
				f := func() {
					if call == "ConnClose" {
						c.Close()
					} else {
						c.Drain(context.Background())
					}
					close(done)
				}
				hook.Store(&f)
				j := js.New(c, js.WithPublishAsyncTimeout(200*time.Millisecond), js.WithPublishAsyncErrHandler(func(*conn.Msg, error) { runHook(&hook) }))
				subject := "nostream." + trigger + call
				if trigger != "NoResponders" {
					subject = "hole." + trigger + call
				}
				if _, err := j.PublishAsync(subject, nil); err != nil {
					t.Fatal(err)
				}
				if trigger == "ConnClosed" {
					// The future is pending (the hole never answers) when the connection
					// closes; the close fails it, and its handler closes again.
					c.Flush(ctxT(t, 5*time.Second))
					hook.Store(&f)
					go c.Close()
				}
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					t.Fatal("the call from the async error handler never returned")
				}
				select {
				case <-c.Done():
				case <-time.After(20 * time.Second):
					t.Fatal("the connection never closed")
				}
			})
		}
	}
}

// TestDrainThenCloseLosesNothing is the usual shutdown: a worker ranges over C() (or a
// Messages iteration), another goroutine drains and then closes the connection at once.
// Drain returns once the server stopped sending, after which the connection no longer
// holds what the flow received: the worker still gets all 100 messages, after the close.
func TestDrainThenCloseLosesNothing(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	const n = 100
	filledStream(t, s, "Q", n)
	for _, kind := range []string{"Push", "Ordered", "Messages"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := connect(t, s.URL())
			j := js.New(c)
			got := make(chan int, 1)
			var drain func(context.Context) error
			switch kind {
			case "Push", "Ordered":
				opts := []js.SubOption{js.DeliverAll(), js.AckNone()}
				if kind == "Ordered" {
					opts = []js.SubOption{js.Ordered()}
				}
				sub, err := j.Subscribe(ctxT(t, 10*time.Second), "q.>", opts...)
				if err != nil {
					t.Fatal(err)
				}
				drain = sub.Drain
				go func() {
					k := 0
					for range sub.C() {
						k++
						time.Sleep(time.Millisecond)
					}
					got <- k
				}()
			case "Messages":
				pc, err := j.PullSubscribe(ctxT(t, 10*time.Second), "q.>", "d", js.AckNone())
				if err != nil {
					t.Fatal(err)
				}
				drain = pc.Drain
				go func() {
					k := 0
					for _, err := range pc.Messages(context.Background()) {
						if err != nil {
							break
						}
						k++
						time.Sleep(time.Millisecond)
					}
					got <- k
				}()
			}
			// Every message has reached the connection (besides the consumer's creation).
			waitFor(t, 10*time.Second, "every message read", func() bool { return c.Stats().InMsgs >= n+1 })
			if err := drain(ctxT(t, 10*time.Second)); err != nil {
				t.Fatalf("drain: %v", err)
			}
			c.Close()
			select {
			case k := <-got:
				if k != n {
					t.Fatalf("the worker got %d of %d after Drain and Close", k, n)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the worker's loop never ended")
			}
		})
	}
}
