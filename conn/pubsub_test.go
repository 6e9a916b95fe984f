package conn_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

func TestPublishSubscribeChannel(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 5*time.Second)
	sub, err := c.Subscribe("orders.*")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := c.Publish(fmt.Sprintf("orders.%d", i), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != fmt.Sprintf("orders.%d", i) || string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("message %d: got %s %q", i, m.Subject, m.Data)
		}
		if m.Sub != sub {
			t.Fatal("message does not name its subscription")
		}
	}
	if got := sub.Delivered(); got != 100 {
		t.Fatalf("Delivered = %d, want 100", got)
	}
	st := c.Stats()
	if st.OutMsgs != 100 || st.InMsgs != 100 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHeadersRoundTrip(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 5*time.Second)
	sub, _ := c.Subscribe("h")
	c.Flush(ctx)
	h := conn.Header{}
	h.Set("X-Trace", "abc")
	h.Add("multi", "1")
	h.Add("multi", "2")
	h.Set("CaseKept", "v")
	if err := c.PublishMsg(&conn.Msg{Subject: "h", Reply: "r.1", Header: h, Data: []byte("body")}); err != nil {
		t.Fatal(err)
	}
	m, err := sub.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, m.Header); diff != "" {
		t.Fatalf("header mismatch (-sent +got):\n%s", diff)
	}
	if m.Reply != "r.1" || string(m.Data) != "body" {
		t.Fatalf("got reply %q data %q", m.Reply, m.Data)
	}
	if m.Header.Get("x-trace") != "abc" {
		t.Fatal("case-insensitive lookup failed")
	}
	if code, _ := m.Status(); code != 0 {
		t.Fatalf("status %d on a plain message", code)
	}
	// Bad header keys and values are refused and nothing is sent.
	for _, bad := range []conn.Header{{"bad key": {"v"}}, {"k": {"line\r\nbreak"}}, {"a:b": {"v"}}} {
		if err := c.PublishMsg(&conn.Msg{Subject: "h", Header: bad}); !errors.Is(err, conn.ErrBadHeader) {
			t.Fatalf("header %v: err %v, want ErrBadHeader", bad, err)
		}
	}
	c.Flush(ctx)
	if n, _ := sub.Pending(); n != 0 {
		t.Fatalf("a refused message was delivered (%d pending)", n)
	}
}

func TestHandlerAndQueueGroup(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 5*time.Second)
	var a, b atomic.Int64
	var wg sync.WaitGroup
	wg.Add(200)
	for _, n := range []*atomic.Int64{&a, &b} {
		if _, err := c.QueueSubscribe("work", "workers", conn.WithHandler(func(*conn.Msg) { n.Add(1); wg.Done() })); err != nil {
			t.Fatal(err)
		}
	}
	sub, _ := c.Subscribe("work", conn.WithHandler(func(*conn.Msg) {}))
	if sub.C() != nil {
		t.Fatal("handler subscription has a channel")
	}
	if _, err := sub.Next(ctx); !errors.Is(err, conn.ErrHandlerSet) {
		t.Fatalf("Next on handler sub: %v", err)
	}
	c.Flush(ctx)
	for range 200 {
		c.Publish("work", nil)
	}
	wg.Wait()
	if a.Load()+b.Load() != 200 || a.Load() == 0 || b.Load() == 0 {
		t.Fatalf("queue group split %d/%d", a.Load(), b.Load())
	}
	eventually(t, 5*time.Second, "plain subscriber gets all", func() bool { return sub.Delivered() == 200 })
}

func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.MaxPayload(1024))
	c := connect(t, s.URL())
	ctx := testCtx(t, 5*time.Second)
	for _, subj := range []string{"", "a..b", ".a", "a.", "a b", "a\tb", "a.>.b"} {
		if _, err := c.Subscribe(subj); !errors.Is(err, conn.ErrBadSubject) {
			t.Errorf("Subscribe(%q): %v, want ErrBadSubject", subj, err)
		}
	}
	for _, subj := range []string{"", "a b", "a..b", "a.>.b", "a\r\nPUB x 1"} {
		if err := c.Publish(subj, nil); !errors.Is(err, conn.ErrBadSubject) {
			t.Errorf("Publish(%q): %v, want ErrBadSubject", subj, err)
		}
	}
	// Wildcard tokens may be published to, as the server allows (the JetStream API uses them).
	if err := c.Publish("a.>", nil); err != nil {
		t.Errorf("Publish(a.>): %v", err)
	}
	if _, err := c.QueueSubscribe("a", "bad queue"); !errors.Is(err, conn.ErrBadQueueName) {
		t.Errorf("bad queue: %v", err)
	}
	if _, err := c.Subscribe("a", conn.WithHandler(nil)); !errors.Is(err, conn.ErrNilHandler) {
		t.Errorf("nil handler: %v", err)
	}
	if c.MaxPayload() != 1024 {
		t.Fatalf("MaxPayload = %d", c.MaxPayload())
	}
	err := c.Publish("a", make([]byte, 1025))
	if !errors.Is(err, conn.ErrMaxPayload) {
		t.Fatalf("oversized: %v", err)
	}
	h := conn.Header{"K": {strings.Repeat("v", 1000)}}
	if err := c.PublishMsg(&conn.Msg{Subject: "a", Header: h, Data: make([]byte, 100)}); !errors.Is(err, conn.ErrMaxPayload) {
		t.Fatalf("oversized with headers: %v", err)
	}
	// The connection is untouched: it still works and never disconnected.
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish("a", make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Reconnects != 0 || st.OutMsgs != 2 {
		t.Fatalf("stats after refusals: %+v", st)
	}
	if c.Status() != conn.StatusConnected {
		t.Fatalf("status %v", c.Status())
	}
}

func TestSlowConsumerDropsAndReports(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	ev := newEvents()
	c := connect(t, s.URL(), conn.WithEventHandler(ev.handler))
	ctx := testCtx(t, 5*time.Second)
	sub, err := c.Subscribe("slow", conn.WithPendingLimits(10, 0))
	if err != nil {
		t.Fatal(err)
	}
	fast, _ := c.Subscribe("slow")
	c.Flush(ctx)
	for range 50 {
		c.Publish("slow", []byte("x"))
	}
	c.Flush(ctx)
	// The fast subscription is not held up by the stalled one.
	for range 50 {
		if _, err := fast.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e := ev.wait(t, conn.EventSlowConsumer, 5*time.Second)
	if e.Sub != sub || !errors.Is(e.Err, conn.ErrSlowConsumer) {
		t.Fatalf("event %+v", e)
	}
	// One message may be in hand-off to the channel; the rest beyond 10 were dropped.
	if d := sub.Dropped(); d < 39 || d > 40 {
		t.Fatalf("dropped %d, want 39 or 40", d)
	}
	if c.Stats().Dropped != sub.Dropped() {
		t.Fatalf("conn dropped %d, sub %d", c.Stats().Dropped, sub.Dropped())
	}
	// Everything not dropped is delivered: the 10 queued plus one that was in hand-off.
	got := 0
	for uint64(got)+sub.Dropped() < 50 {
		if _, err := sub.Next(ctx); err != nil {
			t.Fatalf("after %d delivered and %d dropped: %v", got, sub.Dropped(), err)
		}
		got++
	}
	if got > 11 {
		t.Fatalf("delivered %d with a pending limit of 10", got)
	}
	// Only one event per episode.
	select {
	case e := <-ev.ch:
		if e.Kind == conn.EventSlowConsumer {
			t.Fatalf("second slow consumer event in one episode")
		}
	default:
	}
}

func TestAutoUnsubscribe(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 5*time.Second)
	sub, _ := c.Subscribe("auto")
	if err := sub.AutoUnsubscribe(0); !errors.Is(err, conn.ErrInvalidOption) {
		t.Fatalf("AutoUnsubscribe(0): %v", err)
	}
	if err := sub.AutoUnsubscribe(3); err != nil {
		t.Fatal(err)
	}
	c.Flush(ctx)
	for range 10 {
		c.Publish("auto", nil)
	}
	n := 0
	for range sub.C() {
		n++
	}
	if n != 3 {
		t.Fatalf("got %d messages, want 3", n)
	}
	if sub.IsValid() {
		t.Fatal("subscription still valid after its limit")
	}
	if _, err := sub.Next(ctx); !errors.Is(err, conn.ErrBadSubscription) {
		t.Fatalf("Next after end: %v", err)
	}
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 5*time.Second)
	var after atomic.Bool
	var calls atomic.Int64
	sub, _ := c.Subscribe("u", conn.WithHandler(func(*conn.Msg) {
		if after.Load() {
			t.Error("handler started after Unsubscribe returned")
		}
		calls.Add(1)
		time.Sleep(100 * time.Microsecond)
	}))
	c.Flush(ctx)
	for range 1000 {
		c.Publish("u", nil)
	}
	eventually(t, 5*time.Second, "some deliveries", func() bool { return calls.Load() > 10 })
	sub.Unsubscribe()
	after.Store(true)
	<-sub.Done()
	if err := sub.Unsubscribe(); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
	}
	if calls.Load() == 1000 {
		t.Fatal("everything was delivered; unsubscribe had nothing to stop")
	}
}

func TestSubscriptionDrainDeliversEverything(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 10*time.Second)
	var n atomic.Int64
	sub, _ := c.Subscribe("d", conn.WithHandler(func(*conn.Msg) {
		time.Sleep(10 * time.Microsecond)
		n.Add(1)
	}))
	c.Flush(ctx)
	for range 2000 {
		c.Publish("d", nil)
	}
	if err := sub.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2000 {
		t.Fatalf("drain delivered %d of 2000", n.Load())
	}
	// Interest is gone.
	c.Publish("d", nil)
	c.Flush(ctx)
	if n.Load() != 2000 {
		t.Fatal("message delivered after drain")
	}
}
