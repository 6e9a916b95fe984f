package conn_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

func TestClusterDiscoveryAndFailover(t *testing.T) {
	t.Parallel()
	cl := natstest.StartCluster(t, 3)
	first := cl.Server(0)
	ev := newEvents()
	c := connect(t, first.URL(), append(fastReconnect, conn.WithEventHandler(ev.handler))...)
	other := connect(t, cl.Server(1).URL())
	ctx := testCtx(t, 20*time.Second)
	var got atomic.Int64
	c.Subscribe("fo", conn.WithHandler(func(*conn.Msg) { got.Add(1) }))
	c.Flush(ctx)
	// The server's INFO lists all three, a connection given one URL learns the other
	// two: at the handshake, or by a later INFO when the routes' gossip of client URLs
	// reached its server after the cluster was whole.
	eventually(t, 10*time.Second, "connect_urls of all three servers", func() bool {
		return len(c.ServerInfo().ConnectURLs) == 3
	})
	first.Shutdown()
	ev.wait(t, conn.EventDisconnected, 5*time.Second)
	e := ev.wait(t, conn.EventReconnected, 10*time.Second)
	if e.Server == first.URL() {
		t.Fatalf("reconnected to the server that is down")
	}
	// Interest is re-established on the new server and routed across the cluster.
	eventually(t, 10*time.Second, "delivery through the new server", func() bool {
		other.Publish("fo", nil)
		other.Flush(ctx)
		return got.Load() > 0
	})
}

func TestLameDuckMigration(t *testing.T) {
	t.Parallel()
	cl := natstest.StartCluster(t, 2, natstest.LameDuckDuration(20*time.Second), natstest.LameDuckGracePeriod(15*time.Second))
	ev := newEvents()
	c := connect(t, cl.Server(0).URL(), append(fastReconnect, conn.WithEventHandler(ev.handler))...)
	go cl.Server(0).LameDuck()
	ev.wait(t, conn.EventLameDuck, 10*time.Second)
	start := time.Now()
	ev.wait(t, conn.EventReconnected, 10*time.Second)
	// The grace period is 15 s: moving within the random delay (at most 5 s) means the client
	// left by itself, before the server closed it.
	if el := time.Since(start); el > conn.DefaultLameDuckMaxDelay+time.Second {
		t.Fatalf("moved after %v", el)
	}
	if got := c.ConnectedURL(); got != cl.Server(1).URL() {
		t.Fatalf("connected to %s, want %s", got, cl.Server(1).URL())
	}
}

// A fake server that completes the handshake and then never answers PINGs: the client must
// declare the link stale within interval × (max outstanding + 1) and reconnect.
func TestStaleConnectionDetected(t *testing.T) {
	t.Parallel()
	accepted := make(chan struct{}, 1)
	url := fakeServer(t, "fake", func(_ int, nc net.Conn, br *bufio.Reader, _ <-chan struct{}) {
		select {
		case accepted <- struct{}{}:
		default: // a reconnection: only the first is waited for
		}
		answered := false
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "PING") && !answered {
				answered = true // the handshake PING only
				fmt.Fprint(nc, "PONG\r\n")
			}
		}
	})
	ev := newEvents()
	const interval = 50 * time.Millisecond
	c := connect(t, url, append(fastReconnect,
		conn.WithPingInterval(interval), conn.WithMaxPingsOutstanding(2), conn.WithEventHandler(ev.handler))...)
	<-accepted
	start := time.Now()
	// Publishing keeps the write side busy; only inbound traffic may count as life.
	stopPub := make(chan struct{})
	defer close(stopPub)
	go func() {
		for {
			select {
			case <-stopPub:
				return
			case <-time.After(5 * time.Millisecond):
				c.Publish("busy", nil)
			}
		}
	}()
	e := ev.wait(t, conn.EventDisconnected, 5*time.Second)
	if !errors.Is(e.Err, conn.ErrStaleConnection) {
		t.Fatalf("disconnect cause %v", e.Err)
	}
	if el := time.Since(start); el > 4*interval+100*time.Millisecond {
		t.Fatalf("stale link noticed after %v, want within %v", el, 3*interval)
	}
	ev.wait(t, conn.EventReconnected, 5*time.Second)
}

// Servers of a 3-node cluster are restarted one after another while request/reply runs: no
// call outlives its ctx, and traffic resumes after every restart.
func TestChaosRequestReplyAcrossRestarts(t *testing.T) {
	t.Parallel()
	cl := natstest.StartCluster(t, 3)
	responder := connect(t, cl.URLs(), fastReconnect...)
	requester := connect(t, cl.URLs(), fastReconnect...)
	ctx := testCtx(t, 60*time.Second)
	responder.Subscribe("chaos", conn.WithHandler(func(m *conn.Msg) { m.Respond(m.Data) }))
	responder.Flush(ctx)

	var ok, failed atomic.Int64
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			start := time.Now()
			r, err := requester.Request(rctx, "chaos", []byte(fmt.Sprint(i)))
			cancel()
			// The bound every cancellation test allows: on a loaded 2-core CI machine a
			// goroutine readied at its deadline has waited over a second for a CPU.
			if el := time.Since(start); el > 200*time.Millisecond+natstest.CancelBound {
				done <- fmt.Errorf("request %d took %v, past its 200ms ctx by more than %v", i, el, natstest.CancelBound)
				return
			}
			if err == nil && string(r.Data) != fmt.Sprint(i) {
				done <- fmt.Errorf("request %d answered %q", i, r.Data)
				return
			}
			if err != nil {
				failed.Add(1)
			} else {
				ok.Add(1)
			}
		}
	}()
	chaosFor := 20 * time.Second
	if testing.Short() {
		chaosFor = 3 * time.Second
	}
	end := time.Now().Add(chaosFor)
	for round := 0; time.Now().Before(end); round++ {
		for i := range 3 {
			cl.Server(i).Shutdown()
			before := ok.Load()
			cl.Restart(t, i)
			eventually(t, 15*time.Second, fmt.Sprintf("traffic after restarting n%d (round %d)", i+1, round), func() bool {
				select {
				case err := <-done: // the requester stopped on an error: that is the failure
					t.Fatalf("after restarting n%d (round %d): %v", i+1, round, err)
				default:
				}
				return ok.Load() > before+10
			})
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("requests: %d answered, %d failed during restarts", ok.Load(), failed.Load())
}

func TestIgnoreDiscoveredServers(t *testing.T) {
	t.Parallel()
	cl := natstest.StartCluster(t, 3)
	ev := newEvents()
	connect(t, cl.Server(0).URL(), append(fastReconnect, conn.WithIgnoreDiscoveredServers(),
		conn.WithMaxReconnects(2), conn.WithEventHandler(ev.handler))...)
	cl.Server(0).Shutdown()
	// Only the one explicit server is in the pool: with it down, reconnecting gives up
	// instead of moving to the servers the cluster announced.
	e := ev.wait(t, conn.EventClosed, 10*time.Second)
	if !errors.Is(e.Err, conn.ErrNoServers) {
		t.Fatalf("closed with %v", e.Err)
	}
}

// A responder's server is cut off from the requester's and joined again, three times:
// once the requester's server has dropped the responder's interest, requests fail at
// once with ErrNoResponders, not by timing out; after each heal the responder's
// subscription reaches the requester's server again and requests are answered.
func TestRequestReplyAcrossPartition(t *testing.T) {
	t.Parallel()
	cl, requester := echoApart(t, "part")
	ctx := testCtx(t, 60*time.Second)
	request := func() error {
		rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		r, err := requester.Request(rctx, "part", []byte("ping"))
		if err == nil && string(r.Data) != "ping" {
			return fmt.Errorf("answered %q", r.Data)
		}
		return err
	}
	answered := func(what string) {
		t.Helper()
		eventually(t, 15*time.Second, what, func() bool { return request() == nil })
	}
	answered("the first answer")
	for round := range 3 {
		cl.Isolate(t, 0)
		// A request sent before the requester's server dropped the responder's interest
		// with the route may be lost on the dying route; from then on there is nobody to
		// answer, and the server says so.
		eventually(t, 15*time.Second, "n3 to drop n1's interest", func() bool {
			return !cl.Server(2).Server().GlobalAccount().SubscriptionInterest("part")
		})
		for i := range 5 {
			start := time.Now()
			if err := request(); !errors.Is(err, conn.ErrNoResponders) {
				t.Fatalf("round %d, request %d while apart: %v after %v, want %v", round, i, err, time.Since(start), conn.ErrNoResponders)
			}
		}
		cl.Heal(t)
		cl.WaitReady(t)
		answered(fmt.Sprintf("an answer after the heal (round %d)", round))
	}
}

// The responder's server falls silent (its routes stay open but carry nothing): the
// requester's server still knows the responder's interest, so no "no responders" can
// come, and every request must end at its ctx's deadline (within natstest.CancelBound),
// not later. After the heal the replies held on the routes arrive late, to requests
// that gave up, and must not be taken for the answers to new ones.
func TestRequestReplyAcrossSilence(t *testing.T) {
	t.Parallel()
	cl, requester := echoApart(t, "quiet")
	ctx := testCtx(t, 60*time.Second)
	request := func(i int, timeout time.Duration) (time.Duration, error) {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		start := time.Now()
		r, err := requester.Request(rctx, "quiet", []byte(strconv.Itoa(i)))
		if err == nil && string(r.Data) != strconv.Itoa(i) {
			err = fmt.Errorf("request %d answered %q", i, r.Data)
		}
		return time.Since(start), err
	}
	eventually(t, 15*time.Second, "the first answer", func() bool { _, err := request(0, 500*time.Millisecond); return err == nil })
	for round := range 2 {
		cl.Silence(t, 0)
		for i := range 5 {
			took, err := request(100+i, 200*time.Millisecond)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("round %d, request %d while silent: %v, want %v", round, i, err, context.DeadlineExceeded)
			}
			if took > 200*time.Millisecond+natstest.CancelBound {
				t.Fatalf("round %d, request %d while silent took %v with a 200ms ctx", round, i, took)
			}
		}
		cl.Heal(t)
		for i := range 20 {
			if _, err := request(1000*(round+1)+i, 5*time.Second); err != nil {
				t.Fatalf("round %d, after the heal: %v", round, err)
			}
		}
	}
}

// echoApart starts a Partitionable 3-node cluster with an echo responder on subject
// connected to n1 and returns the cluster and a requester connected to n3, neither
// using any other member.
func echoApart(t *testing.T, subject string) (*natstest.Cluster, *conn.Conn) {
	t.Helper()
	cl := natstest.StartCluster(t, 3, natstest.Partitionable())
	responder := connect(t, cl.Server(0).URL(), conn.WithIgnoreDiscoveredServers())
	requester := connect(t, cl.Server(2).URL(), conn.WithIgnoreDiscoveredServers())
	if _, err := responder.Subscribe(subject, conn.WithHandler(func(m *conn.Msg) { m.Respond(m.Data) })); err != nil {
		t.Fatal(err)
	}
	return cl, requester
}
