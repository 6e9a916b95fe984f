package conn_test

import (
	"context"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

// exampleServer starts an in-process nats-server for the examples.
func exampleServer() (url string, stop func()) { return natstest.Example(false) }

func ExampleConnect() {
	url, stop := exampleServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	c, err := conn.Connect(ctx, url, conn.WithName("example"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println(c.Status())
	// Output: connected
}

func ExampleConn_Subscribe() {
	url, stop := exampleServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _ := conn.Connect(ctx, url)
	defer c.Close()

	sub, _ := c.Subscribe("orders.>")
	c.Flush(ctx) // the server knows the subscription from here on
	c.Publish("orders.new", []byte("42"))
	m, _ := sub.Next(ctx)
	fmt.Println(m.Subject, string(m.Data))
	// Output: orders.new 42
}

func ExampleConn_Request() {
	url, stop := exampleServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _ := conn.Connect(ctx, url)
	defer c.Close()

	c.Subscribe("greet", conn.WithHandler(func(m *conn.Msg) {
		m.Respond([]byte("hello, " + string(m.Data)))
	}))
	r, err := c.Request(ctx, "greet", []byte("world"))
	fmt.Println(string(r.Data), err)
	_, err = c.Request(ctx, "nobody.listens", nil)
	fmt.Println(err)
	// Output:
	// hello, world <nil>
	// nats: no responders available for request on "nobody.listens"
}

func ExampleConn_RequestMany() {
	url, stop := exampleServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _ := conn.Connect(ctx, url)
	defer c.Close()

	for range 3 {
		c.Subscribe("census", conn.WithHandler(func(m *conn.Msg) { m.Respond([]byte("here")) }))
	}
	c.Flush(ctx)
	n := 0
	for _, err := range c.RequestMany(ctx, conn.NewMsg("census"), conn.ManyStall(200*time.Millisecond)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		n++
	}
	fmt.Println(n, "answers")
	// Output: 3 answers
}

// An actor that owns its subscription: it waits on Ready among its other events, takes
// everything queued at once, and handles the batch without another goroutine between
// the connection's reader and itself.
func ExampleWithOwner() {
	url, stop := exampleServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _ := conn.Connect(ctx, url)
	defer c.Close()

	sub, _ := c.Subscribe("ticks", conn.WithOwner())
	defer sub.Unsubscribe()
	c.Flush(ctx)
	for i := range 3 {
		c.Publish("ticks", []byte(fmt.Sprint(i)))
	}
	var batch []*conn.Msg
	for got := 0; got < 3; {
		select {
		case <-sub.Ready():
			batch, _ = sub.Take(batch[:0])
			for _, m := range batch {
				fmt.Print(string(m.Data), " ")
				got++
			}
		case <-ctx.Done():
			return
		}
	}
	fmt.Println()
	// Output: 0 1 2
}
