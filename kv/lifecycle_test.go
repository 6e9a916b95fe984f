package kv_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/kv"
)

// TestWatcherLifecycleFromReceiver makes each call that ends a watcher — Stop, Drain,
// and the connection's Close — from the goroutine ranging over its C(), while the
// watcher holds more than C() buffers. The call must return and C() must close (ending
// the range). A Drain delivers everything first; after Stop only what C() had
// buffered may still be received (Close does not wait for the watcher to end, so one
// more in its hands may come).
func TestWatcherLifecycleFromReceiver(t *testing.T) {
	t.Parallel()
	const keys = 100
	for _, call := range []string{"Stop", "Drain", "ConnClose"} {
		t.Run(call, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			b := e.bucket(t, kv.Config{Bucket: "life"})
			for i := range keys {
				put(t, b, fmt.Sprint("k", i), "v")
			}
			base := e.c.Stats().InMsgs
			w, err := b.WatchAll(ctxT(t, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			// The watcher holds more than C() buffers before anyone receives.
			waitFor(t, 10*time.Second, "C() full", func() bool { return len(w.C()) == cap(w.C()) })
			// And every value has reached the connection (after the answer to the
			// consumer's creation): a Drain hands over what was received, and under load
			// the server may still be sending when C() is full.
			waitFor(t, 10*time.Second, "every value read", func() bool { return e.c.Stats().InMsgs >= base+1+keys })
			// A Drain delivers every value and the end-of-initial-values marker.
			natstest.LifecycleFromReceiver(t, w.C(), call, w.Stop, w.Drain, func() { e.c.Close() }, keys+1)
		})
	}
}

// The usual shutdown: a goroutine drains the watcher, then closes the connection at
// once, while another still receives from C(): Drain returns once the server stopped
// sending, and the receiver still gets every entry, after the close.
func TestWatcherDrainThenClose(t *testing.T) {
	t.Parallel()
	const keys = 200
	e := newEnv(t)
	b := e.bucket(t, kv.Config{Bucket: "shut"})
	for i := range keys {
		put(t, b, fmt.Sprint("k", i), "v")
	}
	base := e.c.Stats().InMsgs
	w, err := b.WatchAll(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// Every value has reached the connection (the server's count of delivered messages is
	// no proof: an UNSUB can overtake those still in its queues), after the one answer to
	// the consumer's creation.
	waitFor(t, 10*time.Second, "every value read", func() bool { return e.c.Stats().InMsgs >= base+1+keys })
	// And the end-of-initial-values marker.
	natstest.DrainThenClose(t, w.C(), w.Drain, func() { e.c.Close() }, keys+1)
}
