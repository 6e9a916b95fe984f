package conn_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

func TestUseAfterClose(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	ev := newEvents()
	c := connect(t, s.URL(), conn.WithEventHandler(ev.handler))
	ctx := testCtx(t, 5*time.Second)
	sub, _ := c.Subscribe("x")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c.Status() != conn.StatusClosed {
		t.Fatalf("status %v", c.Status())
	}
	if err := c.Publish("x", nil); !errors.Is(err, conn.ErrConnectionClosed) {
		t.Fatalf("Publish: %v", err)
	}
	if _, err := c.Subscribe("x"); !errors.Is(err, conn.ErrConnectionClosed) {
		t.Fatalf("Subscribe: %v", err)
	}
	if _, err := c.Request(ctx, "x", nil); !errors.Is(err, conn.ErrConnectionClosed) {
		t.Fatalf("Request: %v", err)
	}
	if err := c.Flush(ctx); !errors.Is(err, conn.ErrConnectionClosed) {
		t.Fatalf("Flush: %v", err)
	}
	select {
	case <-sub.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("subscription not ended by Close")
	}
	if _, ok := <-sub.C(); ok {
		t.Fatal("channel open after close")
	}
	ev.wait(t, conn.EventClosed, 5*time.Second)
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed")
	}
}

// Every lifecycle call made from inside a handler returns, and no handler starts after it.
func TestLifecycleFromInsideHandlers(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	calls := map[string]func(c *conn.Conn, sub *conn.Subscription){
		"Unsubscribe": func(_ *conn.Conn, sub *conn.Subscription) { sub.Unsubscribe() },
		"SubDrain":    func(_ *conn.Conn, sub *conn.Subscription) { sub.Drain(context.Background()) },
		"Close":       func(c *conn.Conn, _ *conn.Subscription) { c.Close() },
		"ConnDrain":   func(c *conn.Conn, _ *conn.Subscription) { c.Drain(context.Background()) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := connect(t, s.URL())
			ctx := testCtx(t, 5*time.Second)
			var returned atomic.Bool
			var startedAfter atomic.Int64
			done := make(chan struct{})
			var subRef atomic.Pointer[conn.Subscription]
			sub, err := c.Subscribe("life."+name, conn.WithHandler(func(m *conn.Msg) {
				if returned.Load() {
					startedAfter.Add(1)
					return
				}
				for subRef.Load() == nil {
					time.Sleep(time.Millisecond)
				}
				call(c, subRef.Load())
				returned.Store(true)
				close(done)
			}))
			if err != nil {
				t.Fatal(err)
			}
			subRef.Store(sub)
			c.Flush(ctx)
			for range 100 {
				c.Publish("life."+name, nil)
			}
			c.Flush(ctx)
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatal("lifecycle call from the handler deadlocked")
			}
			select {
			case <-sub.Done():
			case <-ctx.Done():
				t.Fatal("subscription never ended")
			}
			// Drain delivers what it had; the others deliver nothing more.
			if n := startedAfter.Load(); n != 0 && name != "SubDrain" && name != "ConnDrain" {
				t.Fatalf("%d handler calls started after %s returned", n, name)
			}
		})
	}
}

func TestConnDrain(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	other := connect(t, s.URL())
	ctx := testCtx(t, 10*time.Second)
	var handled atomic.Int64
	c.Subscribe("drain.a", conn.WithHandler(func(m *conn.Msg) {
		time.Sleep(20 * time.Microsecond)
		handled.Add(1)
		m.Respond([]byte("ok"))
	}))
	replies, _ := other.Subscribe("replies")
	c.Flush(ctx)
	other.Flush(ctx)
	for range 500 {
		other.PublishRequest("drain.a", "replies", nil)
	}
	other.Flush(ctx)
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if handled.Load() != 500 {
		t.Fatalf("handled %d of 500", handled.Load())
	}
	// Replies published by handlers during the drain were flushed before the close.
	for range 500 {
		if _, err := replies.Next(ctx); err != nil {
			t.Fatalf("reply missing: %v", err)
		}
	}
	if c.Status() != conn.StatusClosed {
		t.Fatalf("status %v after drain", c.Status())
	}
	if _, err := c.Subscribe("x"); !errors.Is(err, conn.ErrConnectionClosed) {
		t.Fatalf("subscribe after drain: %v", err)
	}
}

func TestFlushAndRTT(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 5*time.Second)
	rtt, err := c.RTT(ctx)
	if err != nil || rtt <= 0 || rtt > time.Second {
		t.Fatalf("RTT %v %v", rtt, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.Flush(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled flush: %v", err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("flush after a cancelled one: %v", err)
	}
	st := c.Stats()
	if st.PingsSent < 2 || st.PongsReceived < 2 {
		t.Fatalf("ping stats %+v", st)
	}
}

func TestInfoVersionInbox(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL(), conn.WithInboxPrefix("_MY"), conn.WithName("tester"))
	info := c.ServerInfo()
	if info.ServerID == "" || !info.Headers || info.MaxPayload == 0 {
		t.Fatalf("info %+v", info)
	}
	v := c.ServerVersion()
	if !v.AtLeast(2, 10, 0) || v.AtLeast(99, 0, 0) {
		t.Fatalf("version %v", v)
	}
	a, b := c.NewInbox(), c.NewInbox()
	if a == b || a[:4] != "_MY." {
		t.Fatalf("inboxes %q %q", a, b)
	}
	if c.ConnectedURL() != s.URL() {
		t.Fatalf("connected url %q want %q", c.ConnectedURL(), s.URL())
	}
	if c.Status() != conn.StatusConnected || !c.IsConnected() {
		t.Fatal("not connected")
	}
}

func TestConnectFailures(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 5*time.Second)
	for _, u := range []string{"", "http://x:1", "nats://", ",,"} {
		if _, err := conn.Connect(ctx, u); !errors.Is(err, conn.ErrInvalidOption) {
			t.Errorf("Connect(%q): %v", u, err)
		}
	}
	if _, err := conn.Connect(ctx, "nats://127.0.0.1:1", conn.WithConnectTimeout(time.Second)); !errors.Is(err, conn.ErrNoServers) {
		t.Errorf("refused port: %v", err)
	}
	if _, err := conn.Connect(ctx, "nats://127.0.0.1:1", conn.WithPingInterval(-1)); !errors.Is(err, conn.ErrInvalidOption) {
		t.Errorf("bad option: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	s := natstest.Start(t)
	if _, err := conn.Connect(cctx, s.URL()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled connect: %v", err)
	}
}

func TestEventsListener(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL(), fastReconnect...)
	all, stopAll := c.Events()
	defer stopAll()
	reconn, _ := c.Events(conn.EventReconnected)
	stopped, stop := c.Events()
	stop()
	stop()
	if _, ok := <-stopped; ok {
		t.Fatal("stopped listener still open")
	}
	c.ForceReconnect()
	if e := <-reconn; e.Kind != conn.EventReconnected {
		t.Fatalf("filtered listener got %v", e.Kind)
	}
	if e := <-all; e.Kind != conn.EventDisconnected {
		t.Fatalf("first event %v, want disconnected", e.Kind)
	}
	c.Close()
	var kinds []conn.EventKind
	for e := range reconn {
		kinds = append(kinds, e.Kind)
	}
	if len(kinds) != 0 {
		t.Fatalf("filtered listener got %v", kinds)
	}
	last := conn.EventKind(0)
	for e := range all {
		last = e.Kind
	}
	if last != conn.EventClosed {
		t.Fatalf("last event %v, want closed", last)
	}
}
