package conn_test

import (
	"context"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

func TestSmokePubSubRequest(t *testing.T) {
	s := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := conn.Connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub, err := c.Subscribe("foo")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish("foo", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	m, err := sub.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != "hello" {
		t.Fatalf("got %q", m.Data)
	}
	_, err = c.QueueSubscribe("svc", "q", conn.WithHandler(func(m *conn.Msg) { m.Respond(append([]byte("re:"), m.Data...)) }))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Request(ctx, "svc", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Data) != "re:x" {
		t.Fatalf("got %q", r.Data)
	}
	if _, err := c.Request(ctx, "nobody", nil); err == nil {
		t.Fatal("expected no responders")
	} else {
		t.Log(err)
	}
}
