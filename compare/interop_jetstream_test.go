package compare_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsactor/natsactor/compare/internal/testserver"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// jsPair is one natsactor and one nats.go client on the same JetStream server.
type jsPair struct {
	a  *conn.Conn
	aj *js.Client
	g  *nats.Conn
	gj jetstream.JetStream
}

// jsClients starts a JetStream server and connects both clients to it.
func jsClients(t *testing.T) jsPair {
	t.Helper()
	s := testserver.Start(t, true)
	a, err := conn.Connect(testCtx(t, 5*time.Second), s.URL(), conn.WithName("interop-natsactor"))
	if err != nil {
		t.Fatalf("natsactor connect: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	g, err := nats.Connect(s.URL(), nats.Name("interop-natsgo"), nats.NoReconnect())
	if err != nil {
		t.Fatalf("nats.go connect: %v", err)
	}
	t.Cleanup(g.Close)
	gj, err := jetstream.New(g)
	if err != nil {
		t.Fatalf("nats.go jetstream: %v", err)
	}
	return jsPair{a: a, aj: js.New(a), g: g, gj: gj}
}

// nextFrom receives one item from a watcher's channel, converted with conv; nil (and a
// nil error) is the watcher's end-of-initial-values marker.
func nextFrom[I comparable, O any](ctx context.Context, c <-chan I, conv func(I) O) (*O, error) {
	select {
	case i, ok := <-c:
		if !ok {
			return nil, errors.New("watcher closed")
		}
		var zero I
		if i == zero {
			return nil, nil
		}
		o := conv(i)
		return &o, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// jsInteropMsgs is how many messages the JetStream interop tests publish.
const jsInteropMsgs = 10

func msgID(i int) string { return fmt.Sprintf("id-%d", i) }

// Messages natsactor publishes with Nats-Msg-Id are consumed and acknowledged by nats.go;
// a nats.go publish with an ID natsactor used is a duplicate, and the other way round.
func TestJSNatsactorPublishNatsGoConsumes(t *testing.T) {
	t.Parallel()
	p := jsClients(t)
	ctx := testCtx(t, 20*time.Second)
	if _, err := p.aj.Manager().AddStream(ctx, jsm.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= jsInteropMsgs; i++ {
		m := &conn.Msg{Subject: fmt.Sprintf("orders.%d", i), Data: []byte(fmt.Sprint("order ", i)), Header: conn.Header{"X-Order": {fmt.Sprint(i)}}}
		ack, err := p.aj.PublishMsg(ctx, m, js.MsgID(msgID(i)))
		if err != nil {
			t.Fatalf("natsactor publish %d: %v", i, err)
		}
		if ack.Stream != "ORDERS" || ack.Sequence != uint64(i) || ack.Duplicate {
			t.Fatalf("natsactor publish %d: ack %+v", i, ack)
		}
	}
	// The same IDs again, from both clients: duplicates of the original sequence.
	aack, err := p.aj.Publish(ctx, "orders.3", []byte("again"), js.MsgID(msgID(3)))
	if err != nil || !aack.Duplicate || aack.Sequence != 3 {
		t.Fatalf("natsactor duplicate: %+v, %v", aack, err)
	}
	gack, err := p.gj.Publish(ctx, "orders.5", []byte("again"), jetstream.WithMsgID(msgID(5)))
	if err != nil || !gack.Duplicate || gack.Sequence != 5 {
		t.Fatalf("nats.go duplicate of a natsactor message: %+v, %v", gack, err)
	}

	cons, err := p.gj.CreateOrUpdateConsumer(ctx, "ORDERS", jetstream.ConsumerConfig{Durable: "g", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(jsInteropMsgs, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for m := range batch.Messages() {
		i++
		if m.Subject() != fmt.Sprintf("orders.%d", i) || string(m.Data()) != fmt.Sprint("order ", i) ||
			m.Headers().Get("X-Order") != fmt.Sprint(i) || m.Headers().Get(jetstream.MsgIDHeader) != msgID(i) {
			t.Errorf("message %d: %s %q %v", i, m.Subject(), m.Data(), m.Headers())
		}
		md, err := m.Metadata()
		if err != nil || md.Sequence.Stream != uint64(i) || md.NumDelivered != 1 || md.Stream != "ORDERS" || md.Consumer != "g" {
			t.Errorf("message %d: metadata %+v, %v", i, md, err)
		}
		if err := m.DoubleAck(ctx); err != nil {
			t.Errorf("ack %d: %v", i, err)
		}
	}
	if batch.Error() != nil || i != jsInteropMsgs {
		t.Fatalf("fetched %d messages, error %v", i, batch.Error())
	}
	// natsactor sees nats.go's acknowledgements in the consumer's state.
	ci, err := p.aj.Manager().ConsumerInfo(ctx, "ORDERS", "g")
	if err != nil {
		t.Fatal(err)
	}
	if ci.AckFloor.Stream != jsInteropMsgs || ci.NumAckPending != 0 || ci.NumPending != 0 {
		t.Errorf("consumer after nats.go acks: ack floor %d, ack pending %d, pending %d", ci.AckFloor.Stream, ci.NumAckPending, ci.NumPending)
	}
}

// Messages nats.go publishes with Nats-Msg-Id are consumed and acknowledged by natsactor.
func TestJSNatsGoPublishNatsactorConsumes(t *testing.T) {
	t.Parallel()
	p := jsClients(t)
	ctx := testCtx(t, 20*time.Second)
	if _, err := p.gj.CreateStream(ctx, jetstream.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= jsInteropMsgs; i++ {
		m := &nats.Msg{Subject: fmt.Sprintf("orders.%d", i), Data: []byte(fmt.Sprint("order ", i)), Header: nats.Header{"X-Order": {fmt.Sprint(i)}}}
		ack, err := p.gj.PublishMsg(ctx, m, jetstream.WithMsgID(msgID(i)))
		if err != nil {
			t.Fatalf("nats.go publish %d: %v", i, err)
		}
		if ack.Stream != "ORDERS" || ack.Sequence != uint64(i) || ack.Duplicate {
			t.Fatalf("nats.go publish %d: ack %+v", i, ack)
		}
	}
	aack, err := p.aj.Publish(ctx, "orders.4", []byte("again"), js.MsgID(msgID(4)))
	if err != nil || !aack.Duplicate || aack.Sequence != 4 {
		t.Fatalf("natsactor duplicate of a nats.go message: %+v, %v", aack, err)
	}
	// An async natsactor publish with a used ID is a duplicate too.
	f, err := p.aj.PublishAsync("orders.6", []byte("again"), js.MsgID(msgID(6)))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ack := <-f.Ok():
		if !ack.Duplicate || ack.Sequence != 6 {
			t.Errorf("natsactor async duplicate: %+v", ack)
		}
	case err := <-f.Err():
		t.Fatalf("natsactor async duplicate: %v", err)
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}

	pc, err := p.aj.PullSubscribe(ctx, "orders.>", "a", js.BindStream("ORDERS"), js.AckExplicit())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Stop()
	var got []*js.Msg
	for len(got) < jsInteropMsgs {
		msgs, err := pc.Fetch(ctx, jsInteropMsgs-len(got))
		if err != nil {
			t.Fatalf("fetch after %d: %v", len(got), err)
		}
		got = append(got, msgs...)
	}
	for i, m := range got {
		n := i + 1
		if m.Subject != fmt.Sprintf("orders.%d", n) || string(m.Data) != fmt.Sprint("order ", n) ||
			m.Header.Get("X-Order") != fmt.Sprint(n) || m.Header.Get(js.HeaderMsgID) != msgID(n) {
			t.Errorf("message %d: %s %q %v", n, m.Subject, m.Data, m.Header)
		}
		md, err := m.Metadata()
		if err != nil || md.Sequence.Stream != uint64(n) || md.NumDelivered != 1 || md.Stream != "ORDERS" || md.Consumer != "a" {
			t.Errorf("message %d: metadata %+v, %v", n, md, err)
		}
		if err := m.AckSync(ctx); err != nil {
			t.Errorf("ack %d: %v", n, err)
		}
	}
	// nats.go sees natsactor's acknowledgements in the consumer's state.
	cons, err := p.gj.Consumer(ctx, "ORDERS", "a")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ci.AckFloor.Stream != jsInteropMsgs || ci.NumAckPending != 0 || ci.NumPending != 0 {
		t.Errorf("consumer after natsactor acks: ack floor %d, ack pending %d, pending %d", ci.AckFloor.Stream, ci.NumAckPending, ci.NumPending)
	}
	// A message natsactor naks goes back and nats.go's next fetch of the same consumer
	// gets it as a redelivery.
	if _, err := p.gj.Publish(ctx, "orders.nak", []byte("nak me")); err != nil {
		t.Fatal(err)
	}
	m, err := pc.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Nak(); err != nil {
		t.Fatal(err)
	}
	pc.Stop()
	gm, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatalf("nats.go next after natsactor nak: %v", err)
	}
	md, err := gm.Metadata()
	if err != nil || string(gm.Data()) != "nak me" || md.NumDelivered != 2 {
		t.Errorf("redelivery after nak: %q, %+v, %v", gm.Data(), md, err)
	}
	if err := gm.Ack(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		t.Error(err)
	}
}
