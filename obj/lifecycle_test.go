package obj_test

import (
	"context"
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
			w, err := st.Watch(ctxT(t, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
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
			if call == "Drain" && total != objects+1 { // and the end-of-initial-values marker
				t.Fatalf("Drain from the receiver: %d records received, want %d", total, objects+1)
			}
			if call == "Stop" && extra != 0 {
				t.Fatalf("%d records received after %s returned, beyond what C() held", extra, call)
			}
		})
	}
}
