package compare_test

// Micro-benchmarks of the core hot paths, natsactor and nats.go side by side, against an
// in-process server. The server shares the process, so ns/op includes some of its work;
// use them for CPU profiles of the client code (go test -bench Publish16 -cpuprofile),
// and cmd/bench for the figures.

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsactor/natsactor/compare/internal/testserver"
	"github.com/natsactor/natsactor/conn"
)

func benchClients(b *testing.B) (connectA func() *conn.Conn, connectG func() *nats.Conn) {
	s := testserver.Start(b, false)
	connectA = func() *conn.Conn {
		c, err := conn.Connect(b.Context(), s.URL())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		return c
	}
	connectG = func() *nats.Conn {
		nc, err := nats.Connect(s.URL())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(nc.Close)
		return nc
	}
	return connectA, connectG
}

func BenchmarkPublish16(b *testing.B) {
	data := make([]byte, 16)
	b.Run("natsactor", func(b *testing.B) {
		ca, _ := benchClients(b)
		c := ca()
		b.ReportAllocs()
		for b.Loop() {
			c.Publish("bench.pub", data)
		}
		c.Flush(b.Context())
	})
	b.Run("natsgo", func(b *testing.B) {
		_, cg := benchClients(b)
		nc := cg()
		b.ReportAllocs()
		for b.Loop() {
			nc.Publish("bench.pub", data)
		}
		nc.Flush()
	})
}

func BenchmarkPubSub16(b *testing.B) {
	data := make([]byte, 16)
	b.Run("natsactor", func(b *testing.B) {
		ca, _ := benchClients(b)
		pub, subc := ca(), ca()
		var got atomic.Int64
		subc.Subscribe("bench.ps", conn.WithPendingLimits(-1, -1), conn.WithHandler(func(*conn.Msg) { got.Add(1) }))
		subc.Flush(b.Context())
		b.ReportAllocs()
		for b.Loop() {
			pub.Publish("bench.ps", data)
		}
		pub.Flush(b.Context())
		waitCount(b, &got, int64(b.N))
	})
	b.Run("natsgo", func(b *testing.B) {
		_, cg := benchClients(b)
		pub, subc := cg(), cg()
		var got atomic.Int64
		sub, _ := subc.Subscribe("bench.ps", func(*nats.Msg) { got.Add(1) })
		sub.SetPendingLimits(-1, -1)
		subc.Flush()
		b.ReportAllocs()
		for b.Loop() {
			pub.Publish("bench.ps", data)
		}
		pub.Flush()
		waitCount(b, &got, int64(b.N))
	})
}

func waitCount(b *testing.B, got *atomic.Int64, n int64) {
	deadline := time.Now().Add(30 * time.Second)
	for got.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("received %d of %d", got.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func BenchmarkRequest16(b *testing.B) {
	data := make([]byte, 16)
	b.Run("natsactor", func(b *testing.B) {
		ca, _ := benchClients(b)
		srv, cli := ca(), ca()
		srv.Subscribe("bench.req", conn.WithHandler(func(m *conn.Msg) { m.Respond(m.Data) }))
		srv.Flush(b.Context())
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cli.Request(b.Context(), "bench.req", data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("natsgo", func(b *testing.B) {
		_, cg := benchClients(b)
		srv, cli := cg(), cg()
		srv.Subscribe("bench.req", func(m *nats.Msg) { m.Respond(m.Data) })
		srv.Flush()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cli.RequestWithContext(b.Context(), "bench.req", data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
