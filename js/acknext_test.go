package js_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// A worker walks a stream with AckNext alone: every message arrives once, in order, and
// each one is acknowledged; at the end of the stream it waits for the next publication,
// and with nothing coming it returns ErrTimeout with the last message acknowledged.
func TestAckNext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "AN", Subjects: []string{"an.>"}})
	e.fill(t, "an", 10)
	ctx := ctxT(t, 20*time.Second)
	pc, err := e.j.PullSubscribe(ctx, "an.>", "worker", js.AckWait(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Stop()
	m, err := pc.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for want := 2; want <= 10; want++ {
		prev := m
		if m, err = m.AckNext(ctxT(t, 5*time.Second)); err != nil {
			t.Fatalf("ack-next to %d: %v", want, err)
		}
		if string(m.Data) != strconv.Itoa(want) {
			t.Fatalf("got %q, want %d", m.Data, want)
		}
		if err := prev.Ack(); !errors.Is(err, js.ErrMsgAlreadyAcked) {
			t.Fatalf("second ack of %d: %v", want-1, err)
		}
	}
	waitAckFloor(t, e.j, "AN", "worker", 9)

	// Nothing stored yet: the request waits for the next publication.
	go func() {
		time.Sleep(200 * time.Millisecond)
		e.j.Publish(ctxT(t, 5*time.Second), "an.11", []byte("11"))
	}()
	if m, err = m.AckNext(ctxT(t, 5*time.Second)); err != nil || string(m.Data) != "11" {
		t.Fatalf("ack-next waiting for a publication: %v %v", m, err)
	}

	start := time.Now()
	if _, err := m.AckNext(ctxT(t, 500*time.Millisecond)); !errors.Is(err, js.ErrTimeout) {
		t.Fatalf("ack-next at the end: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("ack-next at the end took %v", d)
	}
	if err := m.Ack(); !errors.Is(err, js.ErrMsgAlreadyAcked) {
		t.Fatalf("ack after a timed-out ack-next: %v", err)
	}
	waitAckFloor(t, e.j, "AN", "worker", 11)

	// Cancelled while waiting: ctx's error at once, nothing left subscribed.
	e.fill(t, "an", 1) // 12
	m, err = pc.Next(ctxT(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	e.c.Flush(ctxT(t, 5*time.Second))
	subs := e.s.Server().NumSubscriptions()
	cctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := m.AckNext(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ack-next: %v", err)
	}
	waitFor(t, 5*time.Second, "the ack-next subscription to go", func() bool {
		return e.s.Server().NumSubscriptions() == subs
	})
	waitAckFloor(t, e.j, "AN", "worker", 12)
	if ci := consumerInfo(t, e.j, "AN", "worker"); ci.NumAckPending != 0 || ci.NumRedelivered != 0 {
		t.Fatalf("ack pending %d, redelivered %d", ci.NumAckPending, ci.NumRedelivered)
	}
}

// AckNext on a push consumer's message acknowledges it and says that the consumer does
// not serve requests; on a message without reply it sends nothing.
func TestAckNextRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "ANP", Subjects: []string{"anp.>"}})
	e.fill(t, "anp", 2)
	sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "anp.>", js.Durable("push"), js.ManualAck())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	m, err := sub.Next(ctxT(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AckNext(ctxT(t, 5*time.Second)); !errors.Is(err, js.ErrConsumerConfig) {
		t.Fatalf("ack-next on push: %v", err)
	}
	waitAckFloor(t, e.j, "ANP", "push", 1)
	if _, err := (&js.Msg{Subject: "x"}).AckNext(ctxT(t, time.Second)); !errors.Is(err, js.ErrMsgNoReply) {
		t.Fatalf("ack-next without reply: %v", err)
	}
}
