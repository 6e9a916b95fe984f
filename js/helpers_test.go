package js_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// env is one test's server, connection and client.
type env struct {
	s *natstest.Server
	c *conn.Conn
	j *js.Client
}

func newEnv(t *testing.T, opts ...js.Option) *env {
	t.Helper()
	s := natstest.Start(t, natstest.JetStream())
	c := connect(t, s.URL())
	return &env{s: s, c: c, j: js.New(c, opts...)}
}

func connect(t *testing.T, url string, opts ...conn.Option) *conn.Conn {
	t.Helper()
	opts = append([]conn.Option{conn.WithReconnectWait(50 * time.Millisecond), conn.WithReconnectJitter(10*time.Millisecond, 10*time.Millisecond)}, opts...)
	c, err := conn.Connect(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) stream(t *testing.T, cfg jsm.StreamConfig) {
	t.Helper()
	if _, err := e.j.Manager().AddStream(ctxT(t, 10*time.Second), cfg); err != nil {
		t.Fatalf("add stream: %v", err)
	}
}

// fill publishes n messages "subject.i" with data "i" (1-based) and waits for every ack.
func (e *env) fill(t *testing.T, prefix string, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		if _, err := e.j.Publish(ctxT(t, 5*time.Second), fmt.Sprintf("%s.%d", prefix, i), []byte(fmt.Sprint(i))); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func consumerInfo(t *testing.T, j *js.Client, stream, name string) *jsm.ConsumerInfo {
	t.Helper()
	ci, err := j.Manager().ConsumerInfo(ctxT(t, 5*time.Second), stream, name)
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	return ci
}

// waitAckFloor waits until the consumer's ack floor reaches stream sequence seq.
func waitAckFloor(t *testing.T, j *js.Client, stream, name string, seq uint64) {
	t.Helper()
	var last uint64
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ci := consumerInfo(t, j, stream, name)
		if last = ci.AckFloor.Stream; last >= seq {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("ack floor of %s stayed at %d, want %d", name, last, seq)
}

// clusterClient starts a 3-node JetStream cluster and returns a Client connected to it
// and a ctx of 90 s for the test.
func clusterClient(t *testing.T) (*js.Client, context.Context) {
	t.Helper()
	cl := natstest.StartCluster(t, 3, natstest.JetStream())
	return js.New(connect(t, cl.URLs())), ctxT(t, 90*time.Second)
}
