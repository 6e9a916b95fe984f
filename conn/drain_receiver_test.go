package conn_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
)

// A subscription without handler drained from the goroutine receiving from its C():
// Drain cannot wait for that receiver, so it returns once the server's messages are
// fenced in, and the receiver gets every one of them before C() closes. A Drain that
// waited for the receiver never returned (no deadline) or dropped the rest.
// (The connection's Drain, by contrast, waits for such receivers, since the consumers
// of js and kv are among them: see TestConnDrainWaitsForConsume in js.)
func TestSubscriptionDrainFromReceiver(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	const call = "SubDrain"
	c := connect(t, s.URL())
	sub, err := c.Subscribe("dr." + call)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	c.Flush(ctx)
	const n = 100
	for i := range n {
		c.Publish("dr."+call, []byte(fmt.Sprint(i)))
	}
	// Every message has reached the client once the PONG is back.
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var drainErr error
	total, _ := natstest.RangeWithCall(t, sub.C(), 10, func() { drainErr = sub.Drain(context.Background()) })
	if drainErr != nil || total != n {
		t.Fatalf("Drain from the receiver: %v, %d of %d received", drainErr, total, n)
	}
	select {
	case <-sub.Done():
	case <-ctx.Done():
		t.Fatal("Done never closed")
	}
}

// The usual shutdown: another goroutine drains the subscription, then closes the
// connection at once; the receiver still gets every message, after the close.
func TestSubscriptionDrainThenClose(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	sub, err := c.Subscribe("dc")
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 20*time.Second)
	c.Flush(ctx)
	const n = 200
	for i := range n {
		c.Publish("dc", []byte(fmt.Sprint(i)))
	}
	got := make(chan int, 1)
	go func() {
		k := 0
		for range sub.C() {
			k++
			time.Sleep(100 * time.Microsecond)
		}
		got <- k
	}()
	if err := sub.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case k := <-got:
		if k != n {
			t.Fatalf("the receiver got %d of %d after Drain and Close", k, n)
		}
	case <-ctx.Done():
		t.Fatal("C() never closed")
	}
}
