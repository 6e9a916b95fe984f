package conn_test

import (
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

// Queueing a publish must not allocate: the frame is encoded straight into the writer's
// buffer.
func TestPublishDoesNotAllocate(t *testing.T) {
	s := natstest.Start(t)
	c := connect(t, s.URL())
	data := make([]byte, 16)
	// Warm the buffers up first.
	for range 1000 {
		c.Publish("bench.pub", data)
	}
	c.Flush(testCtx(t, 5*time.Second))
	allocs := testing.AllocsPerRun(10000, func() { c.Publish("bench.pub", data) })
	if allocs != 0 {
		t.Fatalf("Publish allocates %.2f times per call", allocs)
	}
}

func BenchmarkPublish16(b *testing.B) {
	s := natstest.Start(b)
	c := connect(b, s.URL())
	data := make([]byte, 16)
	b.ReportAllocs()
	b.SetBytes(16)
	for b.Loop() {
		if err := c.Publish("bench.pub", data); err != nil {
			b.Fatal(err)
		}
	}
	c.Flush(testCtx(b, 30*time.Second))
}

func BenchmarkPubSub16(b *testing.B) {
	s := natstest.Start(b)
	pub := connect(b, s.URL())
	subc := connect(b, s.URL())
	done := make(chan struct{})
	n := b.N
	got := 0
	subc.Subscribe("bench.ps", conn.WithPendingLimits(-1, -1), conn.WithHandler(func(*conn.Msg) {
		got++
		if got == n {
			close(done)
		}
	}))
	subc.Flush(testCtx(b, 5*time.Second))
	data := make([]byte, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for range n {
		pub.Publish("bench.ps", data)
	}
	<-done
}

func BenchmarkRequest16(b *testing.B) {
	s := natstest.Start(b)
	srv := connect(b, s.URL())
	cli := connect(b, s.URL())
	srv.Subscribe("bench.req", conn.WithHandler(func(m *conn.Msg) { m.Respond(m.Data) }))
	srv.Flush(testCtx(b, 5*time.Second))
	ctx := testCtx(b, time.Minute)
	data := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cli.Request(ctx, "bench.req", data); err != nil {
			b.Fatal(err)
		}
	}
}
