package svc_test

// The cancellation sweep of package svc: every call that takes a ctx and waits,
// cancelled while it waits, returns context.Canceled within 2 s and leaves no
// subscription behind.
//
//	Ping, Info, Stats: covered — a subscriber on the discovery subject never answers.
//	(*Service).Drain:  covered — a handler holds the drain open.
//	Add:               not covered mid-flight: it subscribes and flushes, and a
//	                   flush's cancel is conn's (conn/cancel_test.go); an already
//	                   cancelled ctx is checked below.

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/svc"
)

func TestCancelDiscovery(t *testing.T) {
	t.Parallel()
	for name, call := range map[string]func(ctx context.Context, c *conn.Conn) error{
		"Ping": func(ctx context.Context, c *conn.Conn) error {
			_, err := svc.Ping(ctx, c, "hole-Ping")
			return err
		},
		"Info": func(ctx context.Context, c *conn.Conn) error {
			_, err := svc.Info(ctx, c, "hole-Info")
			return err
		},
		"Stats": func(ctx context.Context, c *conn.Conn) error {
			_, err := svc.Stats(ctx, c, "hole-Stats")
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := natstest.Start(t) // its own: the baseline counts every subscription it holds
			c := connect(t, s)
			hole := connect(t, s)
			var arrived atomic.Int64
			if _, err := hole.Subscribe("$SRV.*.hole-"+name, conn.WithHandler(func(*conn.Msg) { arrived.Add(1) })); err != nil {
				t.Fatal(err)
			}
			if err := hole.Flush(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			// A discovery call first, so that whatever it leaves (a shared reply
			// subscription) is in the baseline and what it removes is gone.
			if _, err := svc.Ping(testCtx(t), c, "nobody", svc.WithStall(time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			if err := c.Flush(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			base := numSubs(s)
			natstest.CancelWhileBlocked(t, func() bool { return arrived.Load() > 0 }, func(ctx context.Context) error { return call(ctx, c) })
			waitFor(t, "the server's subscriptions back to the baseline", func() bool { return numSubs(s) == base })
		})
	}
}

func TestCancelDrain(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	release := make(chan struct{})
	var running atomic.Bool
	srv := addService(t, c, svc.Config{Name: "held", Version: "1.0.0"})
	if _, err := srv.AddEndpoint("hold", svc.HandlerFunc(func(r *svc.Request) {
		running.Store(true)
		<-release
		r.Respond(nil)
	})); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(testCtx(t)); err != nil { // another connection sends the request
		t.Fatal(err)
	}
	client := connect(t, s)
	if err := client.PublishRequest("hold", "nowhere", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the handler to run", running.Load)
	natstest.CancelWhileBlocked(t, func() bool { return true }, srv.Drain)
	close(release)
	select {
	case <-srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the service did not stop once its handler returned")
	}
}

func TestAddCancelled(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	base := numSubs(s)
	if _, err := svc.Add(ctx, c, svc.Config{Name: "late", Version: "1.0.0"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Add with a cancelled ctx: %v", err)
	}
	if err := c.Flush(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if n := numSubs(s); n != base {
		t.Fatalf("server holds %d subscriptions after a cancelled Add, %d before", n, base)
	}
}
