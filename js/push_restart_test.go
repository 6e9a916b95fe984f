package js_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// Push subscriptions keep delivering across a server restart: an ephemeral consumer and
// a durable one both get every message published before and after, and the messages
// are acknowledged.
func TestPushServerRestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []js.SubOption
	}{
		{"ephemeral", nil},
		{"durable", []js.SubOption{js.Durable("dur")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.stream(t, jsm.StreamConfig{Name: "PR", Subjects: []string{"pr.>"}})
			e.fill(t, "pr", 20)
			col := newCollector()
			errs := make(chan error, 100)
			opts := append([]js.SubOption{js.IdleHeartbeat(200 * time.Millisecond), js.AckWait(2 * time.Second),
				js.Handler(func(m *js.Msg) { col.add(t, m) }),
				js.ErrHandler(func(err error) {
					select {
					case errs <- err:
					default:
					}
				})}, tc.opts...)
			sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "pr.>", opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()
			waitFor(t, 10*time.Second, "the first 20", func() bool { return col.all(20) })
			waitAckFloor(t, e.j, "PR", sub.Consumer(), 20)
			e.s.Restart(t)
			waitFor(t, 10*time.Second, "the reconnect", func() bool { return e.c.Stats().Reconnects > 0 && e.c.IsConnected() })
			e.fill(t, "pr.b", 20)
			waitFor(t, 20*time.Second, "the 20 after the restart", func() bool { return col.all(40) })
			waitAckFloor(t, e.j, "PR", sub.Consumer(), 40)
			close(errs)
			for err := range errs {
				t.Logf("reported: %v", err)
			}
		})
	}
}

// An ephemeral consumer that vanished under a push subscription (deleted here, as the
// server does past the inactive threshold while the client is away) is noticed by the
// missed heartbeats and created again from the first message the application did not
// acknowledge: nothing handed over unacknowledged is lost, nothing acknowledged comes
// again, and the new consumer goes when the subscription does.
func TestPushEphemeralRecreated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "PX", Subjects: []string{"px.>"}})
	e.fill(t, "px", 10)
	col := newCollector()
	var reported sync.Map
	var deleted atomic.Bool
	sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "px.>", js.IdleHeartbeat(200*time.Millisecond), js.ManualAck(),
		js.Handler(func(m *js.Msg) {
			col.add(t, m)
			if md, _ := m.Metadata(); md.Sequence.Stream <= 7 || deleted.Load() {
				m.Ack()
			}
		}),
		js.ErrHandler(func(err error) { reported.Store(err.Error(), err) }))
	if err != nil {
		t.Fatal(err)
	}
	first := sub.Consumer()
	waitFor(t, 10*time.Second, "the first 10", func() bool { return col.all(10) })
	waitAckFloor(t, e.j, "PX", first, 7)
	deleted.Store(true)
	if err := e.j.Manager().DeleteConsumer(ctxT(t, 5*time.Second), "PX", first); err != nil {
		t.Fatal(err)
	}
	e.fill(t, "px.b", 5)
	waitFor(t, 15*time.Second, "a new consumer", func() bool { return sub.Consumer() != first })
	second := sub.Consumer()
	waitFor(t, 10*time.Second, "messages 11-15", func() bool { return col.all(15) })
	waitAckFloor(t, e.j, "PX", second, 15)
	col.mu.Lock()
	for seq := uint64(1); seq <= 15; seq++ {
		want := 1
		if seq >= 8 && seq <= 10 {
			want = 2 // handed over unacknowledged: delivered again by the new consumer
		}
		if col.seen[seq] != want {
			t.Errorf("stream sequence %d delivered %d times, want %d", seq, col.seen[seq], want)
		}
	}
	col.mu.Unlock()
	var noHB, recreated bool
	reported.Range(func(_, v any) bool {
		err := v.(error)
		noHB = noHB || errors.Is(err, js.ErrNoHeartbeat)
		recreated = recreated || errors.Is(err, js.ErrConsumerDeleted)
		return true
	})
	if !noHB || !recreated {
		t.Errorf("reported: missed heartbeats %v, re-created %v", noHB, recreated)
	}
	if sub.Err() != nil {
		t.Fatalf("subscription ended: %v", sub.Err())
	}
	sub.Unsubscribe()
	waitFor(t, 5*time.Second, "the re-created consumer deleted", func() bool {
		_, err := e.j.Manager().ConsumerInfo(ctxT(t, time.Second), "PX", second)
		return errors.Is(err, jsm.ErrConsumerNotFound)
	})
}

// A durable push consumer deleted under its subscription ends it with
// ErrConsumerDeleted once the heartbeats stop.
func TestPushDurableDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "PY", Subjects: []string{"py.>"}})
	sub, err := e.j.Subscribe(ctxT(t, 5*time.Second), "py.>", js.Durable("d"), js.IdleHeartbeat(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.j.Manager().DeleteConsumer(ctxT(t, 5*time.Second), "PY", "d"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription did not end")
	}
	if !errors.Is(sub.Err(), js.ErrConsumerDeleted) {
		t.Fatalf("err %v", sub.Err())
	}
	if _, ok := <-sub.C(); ok {
		t.Fatal("C() not closed")
	}
}
