package js_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// A publish with a Nats-Msg-Id whose request is lost with the link is sent again after
// the reconnect and acknowledged within its ctx. The loss is staged: the first attempt
// goes to a subscriber that never answers (as a socket the server was closing would
// swallow it), then a stream takes over the subject and the server drops the client's
// connection. Before, the publish waited out its whole ctx and failed.
func TestPublishWithMsgIDSurvivesLinkLoss(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := connect(t, e.s.URL(), conn.WithName("linkloss"))
	j := js.New(c)
	hole := connect(t, e.s.URL())
	var arrived atomic.Int64
	hsub, err := hole.Subscribe("ll.x", conn.WithHandler(func(*conn.Msg) { arrived.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	hole.Flush(ctxT(t, 5*time.Second))

	type result struct {
		ack *js.PubAck
		err error
	}
	res := make(chan result, 1)
	ctx := ctxT(t, 20*time.Second)
	go func() {
		ack, err := j.Publish(ctx, "ll.x", []byte("v"), js.MsgID("once"))
		res <- result{ack, err}
	}()
	waitFor(t, 10*time.Second, "the first attempt swallowed", func() bool { return arrived.Load() == 1 })
	hsub.Unsubscribe()
	hole.Flush(ctxT(t, 5*time.Second))
	e.stream(t, jsm.StreamConfig{Name: "LL", Subjects: []string{"ll.>"}, Storage: jsm.MemoryStorage})
	e.s.Kick(t, "linkloss")

	select {
	case r := <-res:
		if r.err != nil || r.ack.Stream != "LL" || r.ack.Sequence != 1 {
			t.Fatalf("publish across the link loss: %+v %v", r.ack, r.err)
		}
	case <-ctx.Done():
		t.Fatal("the publish never returned")
	}
	// Stored once: a publish with the same id is a duplicate of sequence 1.
	ack, err := j.Publish(ctxT(t, 5*time.Second), "ll.x", []byte("v"), js.MsgID("once"))
	if err != nil || !ack.Duplicate || ack.Sequence != 1 {
		t.Fatalf("same id again: %+v %v", ack, err)
	}

	// Without a Msg-Id the message is not sent again: the publish waits for its ctx.
	if _, err := hole.Subscribe("nl.x", conn.WithHandler(func(*conn.Msg) { arrived.Add(1) })); err != nil {
		t.Fatal(err)
	}
	hole.Flush(ctxT(t, 5*time.Second))
	arrived.Store(0)
	short, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	pubErr := make(chan error, 1)
	go func() {
		_, err := j.Publish(short, "nl.x", nil)
		pubErr <- err
	}()
	waitFor(t, 10*time.Second, "the request swallowed", func() bool { return arrived.Load() == 1 })
	e.s.Kick(t, "linkloss")
	if err := <-pubErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("publish without id across a link loss: %v", err)
	}
	if n := arrived.Load(); n != 1 {
		t.Fatalf("the publish without id was sent %d times", n)
	}
}
