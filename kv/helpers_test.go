package kv_test

import (
	"context"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/kv"
)

// env is one test's server, connection and JetStream client.
type env struct {
	s *natstest.Server
	c *conn.Conn
	j *js.Client
}

func newEnv(t testing.TB, opts ...natstest.Option) *env {
	t.Helper()
	s := natstest.Start(t, append([]natstest.Option{natstest.JetStream()}, opts...)...)
	c := connect(t, s.URL())
	return &env{s: s, c: c, j: js.New(c)}
}

func connect(t testing.TB, url string, opts ...conn.Option) *conn.Conn {
	t.Helper()
	opts = append([]conn.Option{
		conn.WithReconnectWait(50 * time.Millisecond),
		conn.WithReconnectJitter(10*time.Millisecond, 10*time.Millisecond),
	}, opts...)
	c, err := conn.Connect(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) bucket(t testing.TB, cfg kv.Config) *kv.Bucket {
	t.Helper()
	b, err := kv.Create(ctxT(t, 10*time.Second), e.j, cfg)
	if err != nil {
		t.Fatalf("create bucket %s: %v", cfg.Bucket, err)
	}
	return b
}

func put(t *testing.T, b *kv.Bucket, key, val string) uint64 {
	t.Helper()
	rev, err := b.Put(ctxT(t, 5*time.Second), key, []byte(val))
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return rev
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

func startPlain(t *testing.T) string {
	t.Helper()
	return natstest.Start(t).URL()
}

func startCluster(t *testing.T) *natstest.Cluster {
	t.Helper()
	cl := natstest.StartCluster(t, 3, natstest.JetStream())
	cl.WaitReady(t)
	return cl
}

func newClient(t *testing.T, urls string) *js.Client {
	t.Helper()
	return js.New(connect(t, urls))
}
