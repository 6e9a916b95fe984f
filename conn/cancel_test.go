package conn_test

// The cancellation sweep: every exported call of package conn that takes a ctx, cancelled
// while it is blocked, returns promptly with ctx's error and leaves no subscription behind
// on the server (goroutines are checked for the whole package by natstest.Main).
//
//	Connect            covered in cancel_connect_test.go (build tag cancelbug) until the fix in
//	                   /tmp/cancel-connect.patch lands: a cancel during the handshake comes back
//	                   as an i/o timeout that does not wrap context.Canceled
//	(*Conn).Flush      covered: a fake server that stops answering PINGs
//	(*Conn).RTT        covered: the same fake server
//	(*Conn).Drain      covered: a handler holds the drain open
//	(*Conn).Request    covered: a responder that never answers
//	(*Conn).RequestMsg covered: the same responder
//	(*Conn).RequestMany covered: the same responder
//	(*Subscription).Next  covered: nothing is published
//	(*Subscription).Drain covered: a handler holds the drain open

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

// cancelBound is how long a cancelled call may take to return.
const cancelBound = 2 * time.Second

// cancelMidFlight runs call on its own goroutine, waits until blocked is closed (the call is
// observed waiting), cancels its ctx and checks that it returns within cancelBound with an
// error that is context.Canceled.
func cancelMidFlight(t *testing.T, blocked <-chan struct{}, call func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- call(ctx) }()
	select {
	case <-blocked:
	case err := <-res:
		t.Fatalf("returned before it was blocked: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the call never reached the point where it waits")
	}
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled call returned %v, want context.Canceled", err)
		}
	case <-time.After(cancelBound):
		t.Fatalf("cancelled call still blocked after %v", cancelBound)
	}
}

// waitServerSubs waits until the server holds want subscriptions for the client named name.
func waitServerSubs(t *testing.T, s *natstest.Server, name string, want int) {
	t.Helper()
	eventually(t, 5*time.Second, fmt.Sprintf("%d server subscriptions for %s", want, name), func() bool {
		return s.ClientSubs(t, name) == want
	})
}

// blackHole subscribes on subject on its own connection and never answers; the returned
// channel is closed when the first message arrives.
func blackHole(t *testing.T, s *natstest.Server, subject string) <-chan struct{} {
	t.Helper()
	got := make(chan struct{})
	var once sync.Once
	other := connect(t, s.URL())
	if _, err := other.Subscribe(subject, conn.WithHandler(func(*conn.Msg) { once.Do(func() { close(got) }) })); err != nil {
		t.Fatal(err)
	}
	if err := other.Flush(testCtx(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCancelRequests(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	calls := map[string]func(ctx context.Context, c *conn.Conn, subject string) error{
		"Request": func(ctx context.Context, c *conn.Conn, subject string) error {
			_, err := c.Request(ctx, subject, []byte("x"))
			return err
		},
		"RequestMsg": func(ctx context.Context, c *conn.Conn, subject string) error {
			h := conn.Header{}
			h.Set("K", "v")
			_, err := c.RequestMsg(ctx, &conn.Msg{Subject: subject, Header: h, Data: []byte("x")})
			return err
		},
		"RequestMany": func(ctx context.Context, c *conn.Conn, subject string) error {
			for m, err := range c.RequestMany(ctx, &conn.Msg{Subject: subject}) {
				if err != nil {
					return err
				}
				return fmt.Errorf("unexpected reply %q", m.Data)
			}
			return errors.New("RequestMany ended without an error")
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cname := "cancel-" + name
			c := connect(t, s.URL(), conn.WithName(cname))
			// One answered request first, so that the shared reply subscription exists and
			// counts in the baseline.
			echo := connect(t, s.URL())
			echo.Subscribe("echo."+name, conn.WithHandler(func(m *conn.Msg) { m.Respond(m.Data) }))
			echo.Flush(testCtx(t, 5*time.Second))
			if _, err := c.Request(testCtx(t, 5*time.Second), "echo."+name, nil); err != nil {
				t.Fatal(err)
			}
			base := s.ClientSubs(t, cname)
			subject := "hole." + name
			got := blackHole(t, s, subject)
			cancelMidFlight(t, got, func(ctx context.Context) error { return call(ctx, c, subject) })
			waitServerSubs(t, s, cname, base)
			// The connection is still usable.
			if _, err := c.Request(testCtx(t, 5*time.Second), "echo."+name, nil); err != nil {
				t.Fatalf("request after a cancelled one: %v", err)
			}
		})
	}
}

func TestCancelNext(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	sub, err := c.Subscribe("next.cancel")
	if err != nil {
		t.Fatal(err)
	}
	// Next has nothing to observe from outside: it is blocked once it has been called with
	// nothing queued, so cancel after a pause long enough to be inside the select.
	blocked := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { close(blocked) })
	cancelMidFlight(t, blocked, func(ctx context.Context) error {
		_, err := sub.Next(ctx)
		return err
	})
	// The subscription stays usable.
	c.Publish("next.cancel", []byte("after"))
	m, err := sub.Next(testCtx(t, 5*time.Second))
	if err != nil || string(m.Data) != "after" {
		t.Fatalf("Next after a cancelled one: %v %v", m, err)
	}
}

// A handler that does not return holds a Drain open; cancelling the Drain ends the
// subscription (or connection) anyway, once the handler returns.
func TestCancelDrains(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	for _, name := range []string{"SubDrain", "ConnDrain"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cname := "drain-" + name
			c := connect(t, s.URL(), conn.WithName(cname))
			release := make(chan struct{})
			inHandler := make(chan struct{}, 16)
			sub, err := c.Subscribe("drain.cancel."+name, conn.WithHandler(func(*conn.Msg) {
				inHandler <- struct{}{}
				<-release
			}))
			if err != nil {
				t.Fatal(err)
			}
			c.Flush(testCtx(t, 5*time.Second))
			base := s.ClientSubs(t, cname)
			for range 3 {
				c.Publish("drain.cancel."+name, nil)
			}
			<-inHandler
			blocked := make(chan struct{})
			// Drain waits for the handler once its UNSUB is confirmed; the server dropping
			// the subscription is the sign it got there.
			go func() {
				for s.ClientSubs(t, cname) != base-1 {
					time.Sleep(2 * time.Millisecond)
				}
				close(blocked)
			}()
			cancelMidFlight(t, blocked, func(ctx context.Context) error {
				if name == "SubDrain" {
					return sub.Drain(ctx)
				}
				return c.Drain(ctx)
			})
			close(release)
			select {
			case <-sub.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("subscription not ended after a cancelled drain")
			}
			if name == "ConnDrain" {
				select {
				case <-c.Done():
				case <-time.After(5 * time.Second):
					t.Fatal("connection not closed after a cancelled drain")
				}
				return
			}
			waitServerSubs(t, s, cname, base-1)
		})
	}
}

// stallServer is a fake server that completes the handshake, answers pings until stall is
// closed, and then answers nothing; pinged is signalled for each PING after the stall.
type stallServer struct {
	addr   string
	stall  chan struct{}
	pinged chan struct{}
}

func startStallServer(t *testing.T, sendInfo bool) *stallServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st := &stallServer{addr: "nats://" + l.Addr().String(), stall: make(chan struct{}), pinged: make(chan struct{}, 16)}
	var wg sync.WaitGroup
	release := make(chan struct{})
	t.Cleanup(func() {
		close(release)
		l.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				go func() { <-release; nc.Close() }()
				if !sendInfo {
					st.pinged <- struct{}{} // accepted: the client waits for INFO now
					<-release
					return
				}
				fmt.Fprintf(nc, "INFO {\"server_id\":\"stall\",\"version\":\"2.15.0\",\"headers\":true,\"max_payload\":1048576}\r\n")
				br := bufio.NewReader(nc)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if !strings.HasPrefix(line, "PING") {
						continue
					}
					select {
					case <-st.stall:
						st.pinged <- struct{}{}
					default:
						fmt.Fprint(nc, "PONG\r\n")
					}
				}
			}()
		}
	}()
	return st
}

func TestCancelFlushAndRTT(t *testing.T) {
	t.Parallel()
	st := startStallServer(t, true)
	c := connect(t, st.addr, conn.WithPingInterval(time.Hour))
	close(st.stall)
	cancelMidFlight(t, st.pinged, c.Flush)
	cancelMidFlight(t, st.pinged, func(ctx context.Context) error {
		_, err := c.RTT(ctx)
		return err
	})
	if c.Status() != conn.StatusConnected {
		t.Fatalf("status %v after cancelled flushes", c.Status())
	}
}
