package conn_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

// A handler that does not return holds up nothing but its own subscription: other
// handlers, requests, Flush and RTT on the same connection go on; its overflow is dropped,
// counted and reported once per episode, and a second episode is reported again.
// (TestSlowConsumerDropsAndReports covers a channel subscription nobody reads.)
func TestStalledHandlerIsolated(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	ev := newEvents()
	c := connect(t, s.URL(), conn.WithEventHandler(ev.handler))
	ctx := testCtx(t, 20*time.Second)

	// The handler stalls on its 1st call until r1 is closed and on its 12th until r2 is.
	r1, r2 := make(chan struct{}), make(chan struct{})
	var once1, once2 sync.Once
	release1 := func() { once1.Do(func() { close(r1) }) }
	release2 := func() { once2.Do(func() { close(r2) }) }
	// Registered after connect's, so it runs before the Close that waits for the handler.
	t.Cleanup(func() { release1(); release2() })
	var stalledCalls atomic.Int64
	stalled, err := c.Subscribe("iso.stalled", conn.WithPendingLimits(10, 0), conn.WithHandler(func(*conn.Msg) {
		switch stalledCalls.Add(1) {
		case 1:
			<-r1
		case 12:
			<-r2
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	var fastCalls atomic.Int64
	if _, err := c.Subscribe("iso.fast", conn.WithHandler(func(*conn.Msg) { fastCalls.Add(1) })); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe("iso.echo", conn.WithHandler(func(m *conn.Msg) { m.Respond(m.Data) })); err != nil {
		t.Fatal(err)
	}
	c.Flush(ctx)

	// Stall the handler, then overflow its pending queue.
	c.Publish("iso.stalled", nil)
	eventually(t, 5*time.Second, "the stalled handler to start", func() bool { return stalledCalls.Load() == 1 })
	for range 100 {
		c.Publish("iso.stalled", nil)
	}
	// Interleave the other traffic with more overflow.
	for i := range 1000 {
		c.Publish("iso.fast", nil)
		if i%10 == 0 {
			c.Publish("iso.stalled", nil)
		}
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("flush with a stalled handler: %v", err)
	}
	if _, err := c.RTT(ctx); err != nil {
		t.Fatalf("RTT with a stalled handler: %v", err)
	}
	for i := range 20 {
		m, err := c.Request(ctx, "iso.echo", []byte{byte(i)})
		if err != nil || len(m.Data) != 1 || m.Data[0] != byte(i) {
			t.Fatalf("request %d with a stalled handler: %v %v", i, m, err)
		}
	}
	eventually(t, 10*time.Second, "every fast message handled", func() bool { return fastCalls.Load() == 1000 })

	e := ev.wait(t, conn.EventSlowConsumer, 5*time.Second)
	if e.Sub != stalled || !errors.Is(e.Err, conn.ErrSlowConsumer) {
		t.Fatalf("slow consumer event %+v", e)
	}
	// 200 published beyond the one in the handler: 10 are queued, the rest dropped.
	if d := stalled.Dropped(); d != 190 {
		t.Fatalf("dropped %d, want 190", d)
	}
	if got := c.Stats().Dropped; got != 190 {
		t.Fatalf("connection counted %d drops, want 190", got)
	}
	if c.Status() != conn.StatusConnected {
		t.Fatalf("status %v", c.Status())
	}

	// Released, the handler gets the queued ten; a second overflow is a second episode.
	release1()
	eventually(t, 5*time.Second, "the queued messages handled", func() bool { return stalledCalls.Load() == 11 })
	if m, _ := stalled.Pending(); m != 0 {
		t.Fatalf("%d still pending", m)
	}
	select {
	case e := <-ev.ch:
		t.Fatalf("unexpected event %v before the second episode", e)
	default:
	}
	c.Publish("iso.stalled", nil)
	eventually(t, 5*time.Second, "the handler stalled again", func() bool { return stalledCalls.Load() == 12 })
	for range 20 {
		c.Publish("iso.stalled", nil)
	}
	c.Flush(ctx)
	e = ev.wait(t, conn.EventSlowConsumer, 5*time.Second)
	if e.Sub != stalled {
		t.Fatalf("second event for %v", e.Sub.Subject())
	}
	// Of the 20 behind the stalled call, ten are queued and ten dropped.
	if d := stalled.Dropped(); d != 200 {
		t.Fatalf("dropped %d after the second episode, want 200", d)
	}
	release2()
	eventually(t, 5*time.Second, "the second queue handled", func() bool { return stalledCalls.Load() == 22 })
}
