package js_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

func TestPushEphemeralHandlerAutoAck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "PE", Subjects: []string{"pe.>"}})
	e.fill(t, "pe", 100)
	col := newCollector()
	sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "pe.>", js.Handler(func(m *js.Msg) { col.add(t, m) }))
	if err != nil {
		t.Fatal(err)
	}
	if sub.C() != nil {
		t.Fatal("C() with a handler")
	}
	if _, err := sub.Next(context.Background()); !errors.Is(err, js.ErrHandlerSet) {
		t.Fatalf("Next with handler: %v", err)
	}
	waitFor(t, 10*time.Second, "100 messages", func() bool { return col.all(100) })
	waitAckFloor(t, e.j, "PE", sub.Consumer(), 100)
	name := sub.Consumer()
	sub.Unsubscribe()
	sub.Unsubscribe()
	<-sub.Done()
	waitFor(t, 5*time.Second, "the ephemeral consumer deleted", func() bool {
		_, err := e.j.Manager().ConsumerInfo(ctxT(t, time.Second), "PE", name)
		return errors.Is(err, jsm.ErrConsumerNotFound)
	})
}

func TestPushDurableManualAckChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "PD", Subjects: []string{"pd.>"}})
	e.fill(t, "pd", 50)
	ctx := ctxT(t, 10*time.Second)
	sub, err := e.j.Subscribe(ctx, "pd.>", js.Durable("audit"), js.ManualAck(), js.DeliverAll(), js.AckWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 25; i++ {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		md, _ := m.Metadata()
		if md.Sequence.Stream != uint64(i) {
			t.Fatalf("seq %d, want %d", md.Sequence.Stream, i)
		}
		m.Ack()
	}
	waitAckFloor(t, e.j, "PD", "audit", 25)
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	// The durable stays; a new subscription binds to it and goes on.
	sub, err = e.j.Subscribe(ctx, "pd.>", js.Bind("PD", "audit"))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	// What the first subscription had been sent but not taken comes again after AckWait,
	// possibly after 50: wait for every sequence, not for the last.
	acked := map[uint64]bool{}
	for m := range sub.C() {
		md, _ := m.Metadata()
		if md.Sequence.Stream <= 25 {
			t.Fatalf("redelivered %d", md.Sequence.Stream)
		}
		m.Ack()
		if acked[md.Sequence.Stream] = true; len(acked) == 25 {
			break
		}
	}
	waitAckFloor(t, e.j, "PD", "audit", 50)
	if _, err := e.j.Subscribe(ctx, "pd.>", js.Bind("PD", "missing")); !errors.Is(err, jsm.ErrConsumerNotFound) {
		t.Fatalf("bind to missing: %v", err)
	}
}

func TestPushQueueGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "PQ", Subjects: []string{"pq.>"}})
	ctx := ctxT(t, 10*time.Second)
	col := newCollector()
	var a, b atomic.Int64
	s1, err := e.j.QueueSubscribe(ctx, "pq.>", "workers", js.Durable("w"), js.Handler(func(m *js.Msg) { a.Add(1); col.add(t, m) }))
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Unsubscribe()
	s2, err := e.j.QueueSubscribe(ctx, "pq.>", "workers", js.Durable("w"), js.Handler(func(m *js.Msg) { b.Add(1); col.add(t, m) }))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Unsubscribe()
	e.c.Flush(ctx)
	e.fill(t, "pq", 200)
	waitFor(t, 10*time.Second, "200 messages", func() bool { return col.all(200) })
	waitAckFloor(t, e.j, "PQ", "w", 200)
	if a.Load() == 0 || b.Load() == 0 || a.Load()+b.Load() != 200 {
		t.Fatalf("split %d/%d", a.Load(), b.Load())
	}
	if _, err := e.j.Subscribe(ctx, "pq.>", js.Durable("w")); !errors.Is(err, js.ErrConsumerConfig) {
		t.Fatalf("non-queue bind to a queue consumer: %v", err)
	}
}

// Flow control and heartbeats: a slow reader gets everything.
func TestPushFlowControl(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "PF", Subjects: []string{"pf.>"}})
	const n = 3000
	payload := make([]byte, 1024)
	for i := 0; i < n; i++ {
		if _, err := e.j.PublishAsync("pf.x", payload); err != nil {
			t.Fatal(err)
		}
	}
	<-e.j.PublishAsyncComplete()
	sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "pf.>", js.EnableFlowControl(), js.IdleHeartbeat(500*time.Millisecond),
		js.AckNone())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ctx := ctxT(t, 30*time.Second)
	last := uint64(0)
	for i := 0; i < n; i++ {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %d: %v", i, err)
		}
		md, _ := m.Metadata()
		if md.Sequence.Stream <= last {
			t.Fatalf("out of order")
		}
		last = md.Sequence.Stream
		if i%500 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if last != n {
		t.Fatalf("last %d", last)
	}
}

func TestPushDrainFromHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "PH", Subjects: []string{"ph.>"}})
	e.fill(t, "ph", 10)
	var sub *js.Subscription
	var calls atomic.Int64
	ready := make(chan struct{})
	sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "ph.>", js.Handler(func(m *js.Msg) {
		<-ready
		if calls.Add(1) == 3 {
			sub.Drain(context.Background())
			sub.Unsubscribe()
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	select {
	case <-sub.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not done")
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d calls", n)
	}
}

func TestSubscribeOrdered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "SO", Subjects: []string{"so.>"}})
	e.fill(t, "so", 20)
	sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "so.>", js.Ordered())
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 10*time.Second)
	for i := 1; i <= 20; i++ {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if md, _ := m.Metadata(); md.Sequence.Stream != uint64(i) {
			t.Fatalf("seq %d, want %d", md.Sequence.Stream, i)
		}
	}
	if sub.Consumer() == "" {
		t.Fatal("no consumer name")
	}
	sub.Unsubscribe()
	<-sub.Done()
	if _, ok := <-sub.C(); ok {
		t.Fatal("C open after Unsubscribe")
	}
}

// A heartbeat carrying Nats-Consumer-Stalled is answered on the subject it names, and
// delivery goes on. The server sends it when a flow-control reply went missing; here a
// raw client sends it to the deliver subject, as the server would.
func TestPushStalledHeartbeatAnswered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "PS", Subjects: []string{"ps.>"}})
	sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "ps.>", js.EnableFlowControl(), js.IdleHeartbeat(time.Second), js.AckNone())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ci := consumerInfo(t, e.j, "PS", sub.Consumer())
	answered := make(chan struct{}, 1)
	watch := connect(t, e.s.URL())
	if _, err := watch.Subscribe("stall.answer", conn.WithHandler(func(*conn.Msg) {
		select {
		case answered <- struct{}{}:
		default:
		}
	})); err != nil {
		t.Fatal(err)
	}
	watch.Flush(ctxT(t, 5*time.Second))

	raw, err := net.Dial("tcp", e.s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	hdr := "NATS/1.0 100 Idle Heartbeat\r\nNats-Consumer-Stalled: stall.answer\r\n\r\n"
	fmt.Fprintf(raw, "CONNECT {\"verbose\":false,\"headers\":true}\r\nHPUB %s %d %d\r\n%s\r\nPING\r\n",
		ci.Config.DeliverSubject, len(hdr), len(hdr), hdr)
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled heartbeat was not answered")
	}
	if _, err := e.j.Publish(ctxT(t, 5*time.Second), "ps.a", []byte("after")); err != nil {
		t.Fatal(err)
	}
	m, err := sub.Next(ctxT(t, 5*time.Second))
	if err != nil || string(m.Data) != "after" {
		t.Fatalf("delivery after the stalled heartbeat: %v %v", m, err)
	}
}
