package svc_test

import (
	"context"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/svc"
)

// testCtx returns a ctx that ends with the test or after 10 s.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func connect(t *testing.T, s *natstest.Server) *conn.Conn {
	t.Helper()
	c, err := conn.Connect(testCtx(t), s.URL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// addService adds a service and stops it when the test ends.
func addService(t *testing.T, c *conn.Conn, cfg svc.Config) *svc.Service {
	t.Helper()
	srv, err := svc.Add(testCtx(t), c, cfg)
	if err != nil {
		t.Fatalf("svc.Add(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { srv.Stop() })
	return srv
}

// echo answers every request with its payload.
var echo = svc.HandlerFunc(func(r *svc.Request) { r.Respond(r.Data()) })

// waitFor polls cond until it holds, failing the test after 5 s. For conditions no event
// signals (a counter another goroutine updates).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// numSubs returns the number of subscriptions the server knows.
func numSubs(s *natstest.Server) uint32 { return s.Server().NumSubscriptions() }

func request(t *testing.T, c *conn.Conn, subject string, data []byte) *conn.Msg {
	t.Helper()
	m, err := c.Request(testCtx(t), subject, data)
	if err != nil {
		t.Fatalf("request %s: %v", subject, err)
	}
	return m
}

// recv receives from ch, failing the test after 10 s.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting on a channel")
		panic("unreachable")
	}
}
