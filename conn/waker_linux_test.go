//go:build linux

package conn

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
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

// newTestWaker returns a waker closed when t ends.
func newTestWaker(t *testing.T) *waker {
	t.Helper()
	k := newWaker()
	if k == nil {
		t.Fatal("no waker: budget spent or eventfd refused")
	}
	t.Cleanup(k.close)
	return k
}

// awaitParked returns once k's waiter has parked (or is about to).
func awaitParked(t *testing.T, k *waker) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for k.state.Load() != wakerParked {
		if time.Now().After(deadline) {
			t.Fatalf("the waiter did not park: state %d", k.state.Load())
		}
		runtime.Gosched()
	}
}

// eventfdCount reads and resets k's eventfd counter without blocking: how many writes
// wake made since the last call (0 when none).
func eventfdCount(t *testing.T, k *waker) uint64 {
	t.Helper()
	var n uint64
	err := k.rc.Read(func(fd uintptr) bool {
		var b [8]byte
		r, err := syscall.Read(int(fd), b[:])
		if err == syscall.EAGAIN {
			return true
		}
		if err != nil || r != 8 {
			t.Errorf("reading the eventfd: %d bytes, %v", r, err)
			return true
		}
		n = binary.NativeEndian.Uint64(b[:])
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A wake for a waiter that is not parked is kept in the state, with no system call, and
// the next wait takes it at once; wakes coalesce into one return.
func TestWakerWakeBeforeWaitCostsNoWrite(t *testing.T) {
	t.Parallel()
	k := newTestWaker(t)
	k.wake()
	k.wake()
	if n := eventfdCount(t, k); n != 0 {
		t.Fatalf("wakes of a waker nobody waits on wrote %d to the eventfd, want 0", n)
	}
	if err := k.wait(); err != nil {
		t.Fatal(err)
	}
	// The two wakes were one: the next wait parks until the next wake.
	returned := make(chan error, 1)
	go func() { returned <- k.wait() }()
	awaitParked(t, k)
	select {
	case err := <-returned:
		t.Fatalf("wait returned (%v) with no wake since the last return", err)
	case <-time.After(20 * time.Millisecond):
	}
	k.wake()
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a wake did not end a parked wait")
	}
	if n := eventfdCount(t, k); n != 1 {
		t.Fatalf("the wake of a parked waiter wrote %d to the eventfd, want 1", n)
	}
}

// Many wakes racing one waiter that waits until it has seen them all: a lost wake-up
// leaves it parked with wakes unseen, until the timeout closes the waker.
func TestWakerLosesNoWake(t *testing.T) {
	t.Parallel()
	k := newTestWaker(t)
	const n = 20000
	var sent atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			sent.Add(1)
			k.wake()
			if sent.Load()%64 == 0 {
				runtime.Gosched()
			}
		}
	}()
	seen := int64(0)
	timeout := time.AfterFunc(20*time.Second, k.close) // a lost wake parks forever
	defer timeout.Stop()
	for seen < n {
		if err := k.wait(); err != nil {
			t.Fatalf("wait: %v after %d of %d wakes (a lost wake-up)", err, seen, n)
		}
		seen = sent.Load()
	}
	<-done
}

// Closing a waker ends a parked wait with an error, and later waits fail at once.
func TestWakerCloseEndsWait(t *testing.T) {
	t.Parallel()
	k := newTestWaker(t)
	returned := make(chan error, 1)
	go func() { returned <- k.wait() }()
	awaitParked(t, k)
	k.close()
	select {
	case err := <-returned:
		if err == nil {
			t.Fatal("a wait ended by close returned nil")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("close did not end a parked wait")
	}
	k.wake() // does nothing, and does not panic
	if err := k.wait(); err == nil {
		t.Fatal("wait on a closed waker returned nil")
	}
}
