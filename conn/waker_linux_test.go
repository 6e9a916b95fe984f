//go:build linux

package conn

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
)

// Past the process's waker budget, handler subscriptions and requests fall back to
// channels and still deliver everything; closing gives every eventfd back. Not parallel:
// it counts the process's wakers.
func TestWakerBudgetAndRelease(t *testing.T) {
	s := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	base := wakersOpen.Load()
	c, err := Connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	const n = maxWakersPerProcess + 20
	var got atomic.Int64
	subs := make([]*Subscription, n)
	for i := range subs {
		subs[i], err = c.Subscribe(fmt.Sprintf("w.%d", i), WithHandler(func(*Msg) { got.Add(1) }))
		if err != nil {
			t.Fatal(err)
		}
	}
	if open := wakersOpen.Load(); open != maxWakersPerProcess {
		t.Fatalf("%d wakers open with %d handler subscriptions, want the budget %d", open, n, maxWakersPerProcess)
	}
	withWaker := 0
	for _, sub := range subs {
		if sub.k != nil {
			withWaker++
		}
	}
	if withWaker != maxWakersPerProcess-int(base) {
		t.Fatalf("%d subscriptions have a waker, want %d", withWaker, maxWakersPerProcess-int(base))
	}
	for i := range n {
		if err := c.Publish(fmt.Sprintf("w.%d", i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for got.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got.Load() != n {
		t.Fatalf("handlers saw %d of %d messages", got.Load(), n)
	}

	// No waker left for requests: they wait on channels and still work.
	if _, err := c.Subscribe("echo", WithHandler(func(m *Msg) { _ = m.Respond(m.Data) })); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		r, err := c.Request(ctx, "echo", []byte(fmt.Sprint(i)))
		if err != nil {
			t.Fatalf("request %d without a waker: %v", i, err)
		}
		if string(r.Data) != fmt.Sprint(i) {
			t.Fatalf("request %d without a waker: reply %q", i, r.Data)
		}
	}

	// Unsubscribing gives the subscriptions' wakers back; then requests get one again.
	for _, sub := range subs {
		if err := sub.Unsubscribe(); err != nil {
			t.Fatal(err)
		}
	}
	for wakersOpen.Load() > base && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if open := wakersOpen.Load(); open != base {
		t.Fatalf("%d wakers open after unsubscribing, want %d", open, base)
	}
	if _, err := c.Request(ctx, "echo", []byte("again")); err != nil {
		t.Fatal(err)
	}
	// The request's; echo's handler subscribed while none was left.
	if open := wakersOpen.Load(); open != base+1 {
		t.Fatalf("%d wakers open after a request, want %d", open, base+1)
	}
	c.Close()
	for wakersOpen.Load() > base && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if open := wakersOpen.Load(); open != base {
		t.Fatalf("%d wakers open after Close, want %d", open, base)
	}
}

// Requests that end early (ctx) leave wake-ups and late replies behind for the waker the
// next request reuses; none of them may reach the wrong request or be lost.
func TestWakerReuseAfterAbandonedRequests(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := dial(t, s.URL())
	cli := dial(t, s.URL())
	// "slow" answers after 20 ms, when its requester gave up.
	if _, err := srv.Subscribe("slow", WithHandler(func(m *Msg) {
		time.Sleep(20 * time.Millisecond)
		_ = m.Respond(m.Data)
	})); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Subscribe("fast", WithHandler(func(m *Msg) { _ = m.Respond(m.Data) })); err != nil {
		t.Fatal(err)
	}
	if err := srv.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		short, stop := context.WithTimeout(ctx, 2*time.Millisecond)
		_, err := cli.Request(short, "slow", []byte("late"))
		stop()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("abandoned request %d: %v", i, err)
		}
		for j := range 3 {
			want := fmt.Sprint(i, ".", j)
			r, err := cli.Request(ctx, "fast", []byte(want))
			if err != nil {
				t.Fatalf("request %s after an abandoned one: %v", want, err)
			}
			if string(r.Data) != want {
				t.Fatalf("request %s after an abandoned one: reply %q", want, r.Data)
			}
		}
	}
}
