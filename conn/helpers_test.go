package conn_test

import (
	"context"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// testCtx returns a ctx that ends with the test or after d.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// connect dials url and closes the connection when the test ends.
func connect(t testing.TB, url string, opts ...conn.Option) *conn.Conn {
	t.Helper()
	c, err := conn.Connect(testCtx(t, 10*time.Second), url, opts...)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// events collects connection events for assertions.
type events struct {
	ch chan conn.Event
}

func newEvents() *events { return &events{ch: make(chan conn.Event, 1024)} }

func (e *events) handler(ev conn.Event) { e.ch <- ev }

// wait returns the next event of kind, failing the test after d.
func (e *events) wait(t testing.TB, kind conn.EventKind, d time.Duration) conn.Event {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev := <-e.ch:
			if ev.Kind == kind {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no %v event within %v", kind, d)
		}
	}
}
