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
