package conn_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

// A server that stops reading: the write deadline ends the blocked write and the client
// reconnects instead of hanging.
func TestWriteDeadlineOnStalledServer(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, "stall", func(_ int, nc net.Conn, br *bufio.Reader, done <-chan struct{}) {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "PING") {
				fmt.Fprint(nc, "PONG\r\n")
				break
			}
		}
		// Never read again; answer nothing; hold the socket open until the test ends.
		<-done
	})
	ev := newEvents()
	c := connect(t, url, append(fastReconnect,
		conn.WithWriteDeadline(100*time.Millisecond), conn.WithEventHandler(ev.handler))...)
	data := make([]byte, 64*1024)
	start := time.Now()
	go func() {
		for i := 0; i < 2000 && c.Status() == conn.StatusConnected; i++ {
			c.Publish("fill", data)
		}
	}()
	e := ev.wait(t, conn.EventDisconnected, 10*time.Second)
	var ne net.Error
	if !errors.As(e.Err, &ne) || !ne.Timeout() {
		t.Fatalf("disconnect cause %v, want a write timeout", e.Err)
	}
	if !conn.IsTemporary(e.Err) {
		t.Fatal("a write timeout is not temporary")
	}
	t.Logf("stalled server noticed after %v", time.Since(start))
	ev.wait(t, conn.EventReconnected, 10*time.Second)
}

// Credentials that expire: the server says so and drops the link; the reconnect gets the
// same auth error twice from the only server, so the client stops instead of hammering it.
func TestSameAuthErrorTwiceStops(t *testing.T) {
	t.Parallel()
	s, op := natstest.StartOperator(t)
	ev := newEvents()
	creds := op.ExpiringCredsFile(t, 1500*time.Millisecond)
	c := connect(t, s.URL(), append(fastReconnect, conn.WithCredentialsFile(creds), conn.WithEventHandler(ev.handler))...)
	e := ev.wait(t, conn.EventDisconnected, 10*time.Second)
	if !errors.Is(e.Err, conn.ErrAuthExpired) {
		t.Fatalf("disconnect cause %v, want ErrAuthExpired", e.Err)
	}
	e = ev.wait(t, conn.EventClosed, 10*time.Second)
	if e.Err == nil || !(errors.Is(e.Err, conn.ErrAuthExpired) || errors.Is(e.Err, conn.ErrAuthorization)) {
		t.Fatalf("closed with %v", e.Err)
	}
	if c.Status() != conn.StatusClosed {
		t.Fatalf("status %v", c.Status())
	}
}

func TestReconnectDelayHookAndDialer(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	var dials atomic.Int64
	var passes []int
	var mu sync.Mutex
	ev := newEvents()
	d := dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	})
	connect(t, s.URL(), conn.WithDialer(d), conn.WithEventHandler(ev.handler),
		conn.WithReconnectDelay(func(pass int) time.Duration {
			mu.Lock()
			passes = append(passes, pass)
			mu.Unlock()
			return 5 * time.Millisecond
		}))
	if dials.Load() != 1 {
		t.Fatalf("dialer used %d times", dials.Load())
	}
	s.Shutdown()
	ev.wait(t, conn.EventDisconnected, 5*time.Second)
	eventually(t, 5*time.Second, "a few passes", func() bool { mu.Lock(); defer mu.Unlock(); return len(passes) >= 3 })
	s.Restart(t)
	ev.wait(t, conn.EventReconnected, 5*time.Second)
	mu.Lock()
	defer mu.Unlock()
	for i, p := range passes {
		if p != i+1 {
			t.Fatalf("delay hook called with %v", passes)
		}
	}
	if dials.Load() < 4 {
		t.Fatalf("dialer used %d times across the outage", dials.Load())
	}
}

type dialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

func TestMaxConnectionsError(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.Configure(func(o *server.Options) { o.MaxConn = 1 }))
	connect(t, s.URL())
	_, err := conn.Connect(testCtx(t, 5*time.Second), s.URL())
	if !errors.Is(err, conn.ErrMaxConnections) || !conn.IsTemporary(err) {
		t.Fatalf("second connection: %v", err)
	}
}

// The whole client over WebSocket: pub/sub, request/reply, and a reconnect after a restart.
func TestWebSocketTransport(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.WebSocket())
	ev := newEvents()
	c := connect(t, s.WebSocketURL(), append(fastReconnect, conn.WithEventHandler(ev.handler))...)
	ctx := testCtx(t, 10*time.Second)
	c.Subscribe("ws.echo", conn.WithHandler(func(m *conn.Msg) { m.Respond(m.Data) }))
	big := make([]byte, 300*1024)
	for i := range big {
		big[i] = byte(i)
	}
	r, err := c.Request(ctx, "ws.echo", big)
	if err != nil || len(r.Data) != len(big) || r.Data[12345] != big[12345] {
		t.Fatalf("request over websocket: %v", err)
	}
	s.Shutdown()
	ev.wait(t, conn.EventDisconnected, 5*time.Second)
	s.Restart(t)
	ev.wait(t, conn.EventReconnected, 10*time.Second)
	if r, err := c.Request(ctx, "ws.echo", []byte("again")); err != nil || string(r.Data) != "again" {
		t.Fatalf("request after reconnect: %v", err)
	}
}
