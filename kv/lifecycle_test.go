package kv_test

import (
	"context"
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
			w, err := b.WatchAll(ctxT(t, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			// The watcher holds more than C() buffers before anyone receives.
			waitFor(t, 10*time.Second, "C() full", func() bool { return len(w.C()) == cap(w.C()) })
			total, extra := natstest.RangeWithCall(t, w.C(), 10, func() {
				switch call {
				case "Stop":
					w.Stop()
				case "Drain":
					w.Drain(context.Background())
				case "ConnClose":
					e.c.Close()
				}
			})
			if call == "Drain" && total != keys+1 { // and the end-of-initial-values marker
				t.Fatalf("Drain from the receiver: %d entries received, want %d", total, keys+1)
			}
			if call == "Stop" && extra != 0 {
				t.Fatalf("%d entries received after %s returned, beyond what C() held", extra, call)
			}
		})
	}
}
