package obj_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/obj"
)

// TestWatcherLifecycleFromReceiver makes each call that ends a Watcher — Stop, Drain,
// and the connection's Close — from the goroutine ranging over its C(), while the
// Watcher holds more than C() buffers. The call must return and C() must close (ending
// the range). A Drain delivers everything first; after Stop only what C() had
// buffered may still be received (Close does not wait for the Watcher to end, so one
// more in its hands may come).
func TestWatcherLifecycleFromReceiver(t *testing.T) {
	t.Parallel()
	const objects = 100
	for _, call := range []string{"Stop", "Drain", "ConnClose"} {
		t.Run(call, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			st := e.store(t, obj.Config{Bucket: "life"})
			for i := range objects {
				if _, err := st.PutString(ctxT(t, 10*time.Second), fmt.Sprint("o", i), "data"); err != nil {
					t.Fatal(err)
				}
			}
			base := e.c.Stats().InMsgs
			w, err := st.Watch(ctxT(t, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			waitFor(t, 10*time.Second, "C() full", func() bool { return len(w.C()) == cap(w.C()) })
			// And every record has reached the connection (after the answers to the
			// consumer's creation and its info): a Drain hands over what was received,
			// and under load the server may still be sending when C() is full.
			waitFor(t, 10*time.Second, "every record read", func() bool { return e.c.Stats().InMsgs >= base+2+objects })
			// A Drain delivers every value and the end-of-initial-values marker.
			natstest.LifecycleFromReceiver(t, w.C(), call, w.Stop, w.Drain, func() { e.c.Close() }, objects+1)
		})
	}
}

// The usual shutdown: Drain, then close the connection at once, while another goroutine
// still receives from C(): the receiver still gets every record, after the close.
func TestWatcherDrainThenClose(t *testing.T) {
	t.Parallel()
	const objects = 100
	e := newEnv(t)
	st := e.store(t, obj.Config{Bucket: "shut"})
	for i := range objects {
		if _, err := st.PutString(ctxT(t, 10*time.Second), fmt.Sprint("o", i), "data"); err != nil {
			t.Fatal(err)
		}
	}
	base := e.c.Stats().InMsgs
	w, err := st.Watch(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// Every record has reached the connection (the server's count of delivered messages is
	// no proof: an UNSUB can overtake those still in its queues), after the two answers to
	// the consumer's creation and its info.
	waitFor(t, 10*time.Second, "every record read", func() bool { return e.c.Stats().InMsgs >= base+2+objects })
	// And the end-of-initial-values marker.
	natstest.DrainThenClose(t, w.C(), w.Drain, func() { e.c.Close() }, objects+1)
}
