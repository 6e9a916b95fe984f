package js_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// A Drain whose ctx ends while a handler is stuck returns ctx's error at once and ends
// the flow: no further handler call starts, and Done closes only when the stuck call
// returns. For every kind of consumer with a handler.
func TestDrainDeadline(t *testing.T) {
	t.Parallel()
	type flow struct {
		drain func(context.Context) error
		done  <-chan struct{}
	}
	kinds := map[string]func(t *testing.T, e *env, h func(*js.Msg)) flow{
		"push": func(t *testing.T, e *env, h func(*js.Msg)) flow {
			sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "dd.>", js.Handler(h))
			if err != nil {
				t.Fatal(err)
			}
			return flow{sub.Drain, sub.Done()}
		},
		"ordered": func(t *testing.T, e *env, h func(*js.Msg)) flow {
			sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "dd.>", js.Ordered(), js.Handler(h))
			if err != nil {
				t.Fatal(err)
			}
			return flow{sub.Drain, sub.Done()}
		},
		"pull": func(t *testing.T, e *env, h func(*js.Msg)) flow {
			pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "dd.>", "proc")
			if err != nil {
				t.Fatal(err)
			}
			if err := pc.Consume(context.Background(), h); err != nil {
				t.Fatal(err)
			}
			return flow{pc.Drain, pc.Done()}
		},
	}
	for name, start := range kinds {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.stream(t, jsm.StreamConfig{Name: "DD", Subjects: []string{"dd.>"}})
			e.fill(t, "dd", 5)
			release := make(chan struct{})
			var calls atomic.Int64
			f := start(t, e, func(m *js.Msg) {
				calls.Add(1)
				<-release
			})
			waitFor(t, 5*time.Second, "the first handler call", func() bool { return calls.Load() == 1 })
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			if err := f.drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("drain: %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("drain returned after %v", d)
			}
			select {
			case <-f.done:
				t.Fatal("done while a handler runs")
			default:
			}
			close(release)
			select {
			case <-f.done:
			case <-time.After(5 * time.Second):
				t.Fatal("not done after the handler returned")
			}
			if n := calls.Load(); n != 1 {
				t.Fatalf("%d handler calls, want 1", n)
			}
		})
	}
}

// The connection's Drain with a Consume running: it returns once every message the
// consumer received was handled and acknowledged (acks flushed before the close), and no
// handler runs after it returned.
func TestConnDrainWaitsForConsume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "CD", Subjects: []string{"cd.>"}, Storage: jsm.MemoryStorage})
	e.fill(t, "cd", 200)
	c := connect(t, e.s.URL())
	j := js.New(c)
	pc, err := j.PullSubscribe(ctxT(t, 10*time.Second), "cd.>", "d", js.AckExplicit())
	if err != nil {
		t.Fatal(err)
	}
	var handled, after atomic.Int64
	var returned atomic.Bool
	if err := pc.Consume(ctxT(t, 10*time.Second), func(m *js.Msg) {
		if returned.Load() {
			after.Add(1)
		}
		time.Sleep(time.Millisecond)
		if m.Ack() == nil {
			handled.Add(1)
		}
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "twenty messages handled", func() bool { return handled.Load() >= 20 })
	if err := c.Drain(ctxT(t, 20*time.Second)); err != nil {
		t.Fatalf("drain: %v", err)
	}
	returned.Store(true)
	n := handled.Load()
	select {
	case <-pc.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the consumer never ended")
	}
	if a := after.Load(); a != 0 {
		t.Fatalf("%d handler calls after the connection's Drain returned", a)
	}
	// The server takes acks in on a queue of the consumer's own, so the floor can lag
	// the flush a moment; it gets there only if the acks left before the close.
	waitAckFloor(t, e.j, "CD", "d", uint64(n))
}
