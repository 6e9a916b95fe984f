package conn_test

import (
	"errors"
	"fmt"
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

	// The handler stalls on its 1st call until release1 and on its 12th until release2.
	h, stalledCalls, release := stallOn(t, 1, 12)
	release1, release2 := release[0], release[1]
	stalled, err := c.Subscribe("iso.stalled", conn.WithPendingLimits(10, 0), conn.WithHandler(h))
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

// A handler subscription takes what is queued in batches, but a message counts as
// pending, toward Pending and the limits, until its handler call starts; and a lifecycle
// call from another goroutine waits for the running handler only, not for the rest of
// the batch, which is never handled.
func TestBatchedMessagesStayPendingUntilHandled(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 20*time.Second)

	// The handler stalls on its 1st call until release1 and on its 2nd until release2.
	h, calls, release := stallOn(t, 1, 2)
	release1, release2 := release[0], release[1]
	sub, err := c.Subscribe("batch", conn.WithPendingLimits(5, 0), conn.WithHandler(h))
	if err != nil {
		t.Fatal(err)
	}
	c.Flush(ctx)
	c.Publish("batch", nil)
	eventually(t, 5*time.Second, "the first call to stall", func() bool { return calls.Load() == 1 })
	for range 5 {
		c.Publish("batch", nil)
	}
	c.Flush(ctx)
	eventually(t, 5*time.Second, "five queued", func() bool { n, _ := sub.Pending(); return n == 5 })

	// Released, the goroutine takes the five as one batch and stalls on the first of
	// them: the other four are held, and still pending.
	release1()
	eventually(t, 5*time.Second, "the second call to stall", func() bool { return calls.Load() == 2 })
	if n, _ := sub.Pending(); n != 4 {
		t.Fatalf("pending %d while the batch's first message is handled, want 4", n)
	}
	for range 3 {
		c.Publish("batch", nil)
	}
	c.Flush(ctx)
	if n, _ := sub.Pending(); n != 5 {
		t.Fatalf("pending %d after three more, want 5 (the limit)", n)
	}
	if d := sub.Dropped(); d != 2 {
		t.Fatalf("dropped %d, want 2", d)
	}

	unsubscribed := make(chan struct{})
	go func() {
		sub.Unsubscribe()
		close(unsubscribed)
	}()
	eventually(t, 5*time.Second, "the subscription ended", func() bool { return !sub.IsValid() })
	select { // a bounded look for what must not happen: Unsubscribe ending early
	case <-unsubscribed:
		t.Fatal("Unsubscribe returned while a handler was running")
	case <-time.After(50 * time.Millisecond):
	}
	release2()
	select {
	case <-unsubscribed:
	case <-time.After(5 * time.Second):
		t.Fatal("Unsubscribe still waiting after the running handler returned")
	}
	if got := calls.Load(); got != 2 {
		t.Fatalf("%d handler calls after Unsubscribe, want 2", got)
	}
	if _, err := c.RTT(ctx); err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 2 {
		t.Fatalf("%d handler calls once Unsubscribe returned, want 2", got)
	}
}

// stallOn returns a handler that counts its calls in calls and, on the calls numbered
// in at (from 1), waits until the matching release is called. Every release also runs
// at cleanup; registered after connect's, that is before the Close that waits for the
// handler.
func stallOn(t *testing.T, at ...int64) (h func(*conn.Msg), calls *atomic.Int64, release []func()) {
	calls = new(atomic.Int64)
	gates := map[int64]chan struct{}{}
	for _, n := range at {
		ch := make(chan struct{})
		gates[n] = ch
		release = append(release, sync.OnceFunc(func() { close(ch) }))
	}
	t.Cleanup(func() {
		for _, r := range release {
			r()
		}
	})
	h = func(*conn.Msg) {
		if ch, ok := gates[calls.Add(1)]; ok {
			<-ch
		}
	}
	return h, calls, release
}

// A channel subscription's goroutine also takes its queue in batches: messages it holds
// while it waits to hand over the first of them still count as pending.
func TestChannelSubscriptionCountsHeldAsPending(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 10*time.Second)
	sub, err := c.Subscribe("held", conn.WithPendingLimits(4, 0))
	if err != nil {
		t.Fatal(err)
	}
	c.Flush(ctx)
	c.Publish("held", nil)
	eventually(t, 5*time.Second, "the first in hand-off", func() bool { return sub.Delivered() == 1 })
	for range 5 { // four queued behind it, one dropped
		c.Publish("held", nil)
	}
	c.Flush(ctx)
	if n, _ := sub.Pending(); n != 4 || sub.Dropped() != 1 {
		t.Fatalf("pending %d, dropped %d; want 4 and 1", n, sub.Dropped())
	}
	// Each Next lets the goroutine hand over the next one; the rest, held in one batch
	// after the first Next, stay pending.
	for want := 3; want >= 0; want-- {
		if _, err := sub.Next(ctx); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, fmt.Sprint(want, " pending"), func() bool {
			n, _ := sub.Pending()
			return n == want && sub.Delivered() == uint64(6-want-1)
		})
	}
}
