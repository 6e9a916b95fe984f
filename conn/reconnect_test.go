package conn_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

var fastReconnect = []conn.Option{
	conn.WithReconnectWait(10 * time.Millisecond),
	conn.WithReconnectJitter(time.Millisecond, time.Millisecond),
}

func TestReconnectRestoresSubscriptionsAndBufferedPublishes(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	ev := newEvents()
	sub := connect(t, s.URL(), append(fastReconnect, conn.WithEventHandler(ev.handler))...)
	pub := connect(t, s.URL(), fastReconnect...)
	ctx := testCtx(t, 20*time.Second)
	plain, _ := sub.Subscribe("r.plain")
	queue, _ := sub.QueueSubscribe("r.queue", "g")
	auto, _ := sub.Subscribe("r.auto")
	auto.AutoUnsubscribe(5)
	sub.Flush(ctx)
	for range 2 {
		pub.Publish("r.auto", nil)
	}
	pub.Flush(ctx)
	eventually(t, 5*time.Second, "2 auto messages queued", func() bool { n, _ := auto.Pending(); return n == 1 || auto.Delivered() > 0 })

	s.Shutdown()
	ev.wait(t, conn.EventDisconnected, 5*time.Second)
	// Published while disconnected: kept in the reconnect buffer.
	for i := range 10 {
		if err := sub.Publish("r.plain", []byte(fmt.Sprint("buffered", i))); err != nil {
			t.Fatalf("publish while disconnected: %v", err)
		}
	}
	if sub.Status() != conn.StatusReconnecting {
		t.Fatalf("status %v while the server is down", sub.Status())
	}
	s.Restart(t)
	ev.wait(t, conn.EventReconnected, 10*time.Second)
	eventually(t, 10*time.Second, "publisher reconnected", pub.IsConnected)
	if sub.Stats().Reconnects != 1 {
		t.Fatalf("reconnects %d", sub.Stats().Reconnects)
	}
	// The buffered publishes arrive on the restored subscription, in order, after it is back.
	for i := range 10 {
		m, err := plain.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Data) != fmt.Sprint("buffered", i) {
			t.Fatalf("got %q want buffered%d", m.Data, i)
		}
	}
	pub.Flush(ctx)
	for range 10 {
		pub.Publish("r.queue", nil)
		pub.Publish("r.auto", nil)
	}
	pub.Flush(ctx)
	for range 10 {
		if _, err := queue.Next(ctx); err != nil {
			t.Fatalf("queue subscription after reconnect: %v", err)
		}
	}
	// The auto-unsubscribe limit survived: 2 before, 3 after.
	n := 0
	for range auto.C() {
		n++
	}
	if n != 5 {
		t.Fatalf("auto-unsubscribed after %d, want 5", n)
	}
}

func TestReconnectBufferLimits(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	ev := newEvents()
	c := connect(t, s.URL(), append(fastReconnect, conn.WithReconnectBufSize(1024), conn.WithEventHandler(ev.handler))...)
	off := connect(t, s.URL(), append(fastReconnect, conn.WithReconnectBufSize(-1))...)
	s.Shutdown()
	ev.wait(t, conn.EventDisconnected, 5*time.Second)
	eventually(t, 5*time.Second, "second client disconnected", func() bool { return !off.IsConnected() })
	var err error
	sent := 0
	for range 100 {
		if err = c.Publish("x", make([]byte, 100)); err != nil {
			break
		}
		sent++
	}
	if !errors.Is(err, conn.ErrReconnectBufExceeded) || sent == 0 || sent > 10 {
		t.Fatalf("after %d publishes: %v", sent, err)
	}
	if !conn.IsTemporary(err) {
		t.Fatal("buffer full is not temporary")
	}
	if err := off.Publish("x", nil); !errors.Is(err, conn.ErrReconnectBufExceeded) {
		t.Fatalf("disabled buffer: %v", err)
	}
	// A drain while the server is down ends within its ctx instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.Drain(ctx)
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("drain while down: %v after %v", err, time.Since(start))
	}
	if c.Status() != conn.StatusClosed {
		t.Fatalf("status %v after drain", c.Status())
	}
}

func TestFlushWaitsForReconnect(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	ev := newEvents()
	c := connect(t, s.URL(), append(fastReconnect, conn.WithEventHandler(ev.handler))...)
	s.Shutdown()
	ev.wait(t, conn.EventDisconnected, 5*time.Second)
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Flush(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("flush while down: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Flush(testCtx(t, 10*time.Second)) }()
	s.Restart(t)
	if err := <-done; err != nil {
		t.Fatalf("flush across the reconnect: %v", err)
	}
}

func TestFailRequestsOnDisconnect(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL(), append(fastReconnect, conn.WithFailRequestsOnDisconnect())...)
	ctx := testCtx(t, 10*time.Second)
	c.Subscribe("hang", conn.WithHandler(func(*conn.Msg) {}))
	c.Flush(ctx)
	done := make(chan error, 1)
	go func() { _, err := c.Request(ctx, "hang", nil); done <- err }()
	eventually(t, 5*time.Second, "request published", func() bool { return c.Stats().OutMsgs == 1 })
	c.Flush(ctx)
	start := time.Now()
	s.Shutdown()
	err := <-done
	if !errors.Is(err, conn.ErrDisconnected) || time.Since(start) > 3*time.Second {
		t.Fatalf("request in flight at disconnect: %v after %v", err, time.Since(start))
	}
	s.Restart(t)
	eventually(t, 10*time.Second, "reconnected", c.IsConnected)
	// The shared reply subscription survived the reconnect.
	c.Subscribe("echo", conn.WithHandler(func(m *conn.Msg) { m.Respond(m.Data) }))
	if r, err := c.Request(ctx, "echo", []byte("again")); err != nil || string(r.Data) != "again" {
		t.Fatalf("request after reconnect: %v", err)
	}
}

func TestMaxReconnectsGivesUpLoudly(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	ev := newEvents()
	c := connect(t, s.URL(), append(fastReconnect, conn.WithMaxReconnects(2), conn.WithEventHandler(ev.handler))...)
	s.Shutdown()
	e := ev.wait(t, conn.EventClosed, 10*time.Second)
	if !errors.Is(e.Err, conn.ErrNoServers) {
		t.Fatalf("closed event err %v", e.Err)
	}
	<-c.Done()
	if !errors.Is(c.Err(), conn.ErrNoServers) {
		t.Fatalf("Err() %v", c.Err())
	}
	if err := c.Publish("x", nil); !errors.Is(err, conn.ErrConnectionClosed) {
		t.Fatalf("publish after giving up: %v", err)
	}
}

func TestRetryOnFailedConnect(t *testing.T) {
	t.Parallel()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	ctx := testCtx(t, 10*time.Second)
	ev := newEvents()
	c, err := conn.Connect(ctx, "nats://"+addr, append(fastReconnect, conn.WithRetryOnFailedConnect(), conn.WithEventHandler(ev.handler))...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Status() != conn.StatusReconnecting {
		t.Fatalf("status %v", c.Status())
	}
	if err := c.Publish("early", []byte("kept")); err != nil {
		t.Fatalf("publish before first connect: %v", err)
	}
	port := addr[strings.LastIndex(addr, ":")+1:]
	var p int
	fmt.Sscan(port, &p)
	natstest.Start(t, natstest.Configure(func(o *server.Options) { o.Port = p }))
	ev.wait(t, conn.EventConnected, 10*time.Second)
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestForceReconnect(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	ev := newEvents()
	c := connect(t, s.URL(), append(fastReconnect, conn.WithEventHandler(ev.handler))...)
	ctx := testCtx(t, 10*time.Second)
	var got atomic.Int64
	c.Subscribe("f", conn.WithHandler(func(*conn.Msg) { got.Add(1) }))
	c.Flush(ctx)
	if err := c.ForceReconnect(); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, conn.EventDisconnected, 5*time.Second)
	ev.wait(t, conn.EventReconnected, 5*time.Second)
	c.Publish("f", nil)
	c.Flush(ctx)
	eventually(t, 5*time.Second, "delivery after forced reconnect", func() bool { return got.Load() == 1 })
}
