package conn_test

import (
	"runtime"
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

// BenchmarkPubSub16 is publisher to handler through a server in this process, whose
// allocations count in allocs/op too (it allocates about one per message it delivers);
// what the client allocates per received message is BenchmarkReaderMsg16's, one.
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

// Receiving a small message costs one allocation on the client: the message and its payload
// share it.
func TestReceiveAllocations(t *testing.T) {
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 10*time.Second)
	const n = 20000
	done := make(chan struct{})
	got := 0
	c.Subscribe("alloc", conn.WithHandler(func(m *conn.Msg) {
		if len(m.Data) != 16 || cap(m.Data) != 16 {
			t.Errorf("data len %d cap %d", len(m.Data), cap(m.Data))
		}
		got++
		if got == n {
			close(done)
		}
	}))
	c.Flush(ctx)
	data := make([]byte, 16)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		c.Publish("alloc", data)
	}
	<-done
	runtime.ReadMemStats(&after)
	// The in-process server allocates about one object per message too; allow for it.
	if per := float64(after.Mallocs-before.Mallocs) / n; per > 2.5 {
		t.Fatalf("%.2f allocations per message (client and server together)", per)
	}
}
