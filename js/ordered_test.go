package js_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// expectInOrder reads from next until it has seen data "from".."to" in order, failing
// on anything out of order (a gap or a repeat).
func expectInOrder(t *testing.T, next func(context.Context) (*js.Msg, error), from, to int) {
	t.Helper()
	ctx := ctxT(t, 20*time.Second)
	for want := from; want <= to; want++ {
		m, err := next(ctx)
		if err != nil {
			t.Fatalf("waiting for %d: %v", want, err)
		}
		if got := string(m.Data); got != strconv.Itoa(want) {
			t.Fatalf("got %s, want %d", got, want)
		}
	}
}

// fillData publishes data from..to (as decimal strings) to subject.
func (e *env) fillData(t *testing.T, subject string, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if _, err := e.j.Publish(ctxT(t, 5*time.Second), subject, []byte(strconv.Itoa(i))); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
}

func TestOrderedConsumer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "O", Subjects: []string{"o.>"}})
	e.fillData(t, "o.a", 1, 300)
	oc, err := e.j.OrderedConsumer(ctxT(t, 5*time.Second), "o.>", js.IdleHeartbeat(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	expectInOrder(t, oc.Next, 1, 300)
	e.fillData(t, "o.a", 301, 310)
	expectInOrder(t, oc.Next, 301, 310)

	// The consumer is deleted under it: it is replaced and goes on where it was.
	first := oc.ConsumerName()
	if err := e.j.Manager().DeleteConsumer(ctxT(t, 5*time.Second), "O", first); err != nil {
		t.Fatal(err)
	}
	e.fillData(t, "o.a", 311, 320)
	expectInOrder(t, oc.Next, 311, 320)
	if oc.Resets() == 0 || oc.ConsumerName() == first {
		t.Fatalf("not reset: %d, %s", oc.Resets(), oc.ConsumerName())
	}
	ci := consumerInfo(t, e.j, "O", oc.ConsumerName())
	if ci.Config.AckPolicy != jsm.AckNone || !ci.Config.MemoryStorage || ci.Config.Replicas != 1 {
		t.Fatalf("consumer config %+v", ci.Config)
	}
	oc.Stop()
	if _, ok := <-oc.C(); ok {
		t.Fatal("C open after Stop")
	}
	waitFor(t, 5*time.Second, "the consumer deleted", func() bool {
		_, err := e.j.Manager().ConsumerInfo(ctxT(t, time.Second), "O", ci.Name)
		return err != nil
	})
}

// Across server restarts: no gaps, no duplicates.
func TestOrderedConsumerServerRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "OR", Subjects: []string{"or.>"}})
	e.fillData(t, "or.a", 1, 200)
	oc, err := e.j.OrderedConsumer(ctxT(t, 5*time.Second), "or.>", js.IdleHeartbeat(200*time.Millisecond),
		js.ErrHandler(func(err error) { t.Logf("%s %v", time.Now().Format("05.000"), err) }))
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Stop()
	next := oc.Next
	// restart restarts the server and waits until the client is on the new one: a
	// publish written to the old socket in the instant before the client saw it close
	// is lost with the socket, and the test's publishes are not what is under test.
	restart := func() {
		before := e.c.Stats().Reconnects
		e.s.Restart(t)
		waitFor(t, 10*time.Second, "the client to reconnect", func() bool { return e.c.Stats().Reconnects > before })
	}
	expectInOrder(t, next, 1, 100)
	restart()
	expectInOrder(t, next, 101, 200)
	e.fillData(t, "or.a", 201, 250)
	expectInOrder(t, next, 201, 250)
	restart()
	e.fillData(t, "or.a", 251, 260)
	expectInOrder(t, next, 251, 260)
	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if m, err := oc.Next(short); err == nil {
		t.Fatalf("extra message %s", m.Data)
	}
	if err := oc.Drain(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
}

func TestOrderedDeliverPolicies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "OP", Subjects: []string{"op.>"}})
	e.fillData(t, "op.a", 1, 10)
	oc, err := e.j.OrderedConsumer(ctxT(t, 5*time.Second), "op.>", js.StartSequence(6))
	if err != nil {
		t.Fatal(err)
	}
	expectInOrder(t, oc.Next, 6, 10)
	oc.Stop()
	oc, err = e.j.OrderedConsumer(ctxT(t, 5*time.Second), "op.>", js.DeliverNew())
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Stop()
	e.fillData(t, "op.a", 11, 12)
	expectInOrder(t, oc.Next, 11, 12)
}
