package js_test

import (
	"context"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// exampleJetStream starts an in-process JetStream server and connects to it.
func exampleJetStream() (c *conn.Conn, stop func()) {
	url, stopServer := natstest.Example(true)
	c, err := conn.Connect(context.Background(), url)
	if err != nil {
		panic(err)
	}
	return c, func() { c.Close(); stopServer() }
}

func ExampleClient_Publish() {
	c, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	j := js.New(c)
	j.Manager().AddStream(ctx, jsm.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}})

	ack, err := j.Publish(ctx, "orders.new", []byte("42"), js.MsgID("order-42"))
	fmt.Println(ack.Stream, ack.Sequence, ack.Duplicate, err)
	ack, err = j.Publish(ctx, "orders.new", []byte("42"), js.MsgID("order-42"))
	fmt.Println(ack.Stream, ack.Sequence, ack.Duplicate, err)
	_, err = j.Publish(ctx, "nowhere", nil)
	fmt.Println(err != nil)
	// Output:
	// ORDERS 1 false <nil>
	// ORDERS 1 true <nil>
	// true
}

func ExampleClient_PullSubscribe() {
	c, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	j := js.New(c)
	j.Manager().AddStream(ctx, jsm.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}})
	for i := range 3 {
		j.Publish(ctx, fmt.Sprintf("orders.%d", i), []byte(fmt.Sprint("order ", i)))
	}

	pc, err := j.PullSubscribe(ctx, "orders.>", "processor")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pc.Stop()
	msgs, err := pc.Fetch(ctx, 10, js.FetchNoWait())
	for _, m := range msgs {
		md, _ := m.Metadata()
		fmt.Println(md.Sequence.Stream, string(m.Data))
		m.AckSync(ctx)
	}
	fmt.Println(err)
	// Output:
	// 1 order 0
	// 2 order 1
	// 3 order 2
	// <nil>
}

func ExampleClient_OrderedConsumer() {
	c, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	j := js.New(c)
	j.Manager().AddStream(ctx, jsm.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}})
	for i := range 3 {
		j.Publish(ctx, "events.tick", []byte(fmt.Sprint(i)))
	}

	oc, err := j.OrderedConsumer(ctx, "events.>")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer oc.Stop()
	for range 3 {
		m, _ := oc.Next(ctx)
		fmt.Print(string(m.Data), " ")
	}
	fmt.Println()
	// Output: 0 1 2
}
