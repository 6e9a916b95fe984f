package conn_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

// takeAll is an owner's loop: it waits on Ready and takes until Take reports the end or
// want messages arrived, and returns them with whether the end was seen.
func takeAll(t *testing.T, sub *conn.Subscription, want int, d time.Duration) (got []*conn.Msg, ended bool) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case <-sub.Ready():
		case <-timeout:
			t.Fatalf("owner: %d of %d messages, no end, after %v", len(got), want, d)
		}
		var open bool
		got, open = sub.Take(got)
		if !open {
			return got, true
		}
		if want > 0 && len(got) >= want {
			return got, false
		}
	}
}

// ownedSub connects to a fresh server, subscribes to subject with WithOwner and the
// given options, publishes n messages whose payloads are their indexes, and returns once
// all of them were queued for the owner (the connection's PONG comes after them).
func ownedSub(t *testing.T, subject string, n int, opts ...conn.SubOption) (*conn.Conn, *conn.Subscription, context.Context) {
	t.Helper()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 20*time.Second)
	sub, err := c.Subscribe(subject, append([]conn.SubOption{conn.WithOwner()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	c.Flush(ctx)
	for i := range n {
		c.Publish(subject, []byte(strconv.Itoa(i)))
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return c, sub, ctx
}

// An owned subscription has no goroutine and no channel: the owner takes everything the
// reader queued, in order, in batches, and Delivered counts what it took.
func TestOwnedSubscriptionTakesInOrder(t *testing.T) {
	t.Parallel()
	const n = 1000
	_, sub, ctx := ownedSub(t, "own.order", n)
	if sub.C() != nil {
		t.Fatal("an owned subscription has a channel")
	}
	if _, err := sub.Next(ctx); !errors.Is(err, conn.ErrHandlerSet) {
		t.Fatalf("Next on an owned subscription: %v, want ErrHandlerSet", err)
	}
	got, ended := takeAll(t, sub, n, 10*time.Second)
	if ended || len(got) != n {
		t.Fatalf("took %d (ended %v), want %d", len(got), ended, n)
	}
	for i, m := range got {
		if string(m.Data) != strconv.Itoa(i) {
			t.Fatalf("message %d is %q", i, m.Data)
		}
	}
	if d := sub.Delivered(); d != n {
		t.Fatalf("Delivered %d, want %d", d, n)
	}
	if m, _ := sub.Pending(); m != 0 {
		t.Fatalf("%d pending after everything was taken", m)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.Done():
	case <-ctx.Done():
		t.Fatal("Done never closed after Unsubscribe")
	}
	if got, open := sub.Take(nil); open || len(got) != 0 {
		t.Fatalf("Take after Unsubscribe: %d messages, open %v", len(got), open)
	}
}

// Drain of an owned subscription: everything received before the fence is taken, the
// last batch reports the end, and Done waits for the owner's Unsubscribe (which sends
// nothing: the drain already did). Closing the connection after the drain loses nothing.
func TestOwnedSubscriptionDrain(t *testing.T) {
	t.Parallel()
	const n = 300
	c, sub, ctx := ownedSub(t, "own.drain", n)
	if err := sub.Drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
	c.Close()
	select {
	case <-sub.Done():
		t.Fatal("Done closed before the owner took the last batch")
	default:
	}
	got, ended := takeAll(t, sub, 0, 10*time.Second)
	if !ended || len(got) != n {
		t.Fatalf("after Drain and Close: took %d (ended %v), want %d and the end", len(got), ended, n)
	}
	sub.Unsubscribe()
	select {
	case <-sub.Done():
	case <-ctx.Done():
		t.Fatal("Done never closed")
	}
	if err := sub.Err(); err != nil {
		t.Fatalf("Err after a drain: %v", err)
	}
}

// An owner that took everything and waits on Ready is woken by a Drain: its next Take
// reports the end. (A Drain that only closed its input would leave it waiting.)
func TestOwnedSubscriptionDrainWakesOwner(t *testing.T) {
	t.Parallel()
	const n = 10
	_, sub, ctx := ownedSub(t, "own.wake", n)
	if got, ended := takeAll(t, sub, n, 10*time.Second); ended || len(got) != n {
		t.Fatalf("took %d (ended %v), want %d", len(got), ended, n)
	}
	select {
	case <-sub.Ready(): // a wake-up left over from the pushes: the owner is idle now
	default:
	}
	if err := sub.Drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
	got, ended := takeAll(t, sub, 0, 5*time.Second)
	if !ended || len(got) != 0 {
		t.Fatalf("after the drain: took %d (ended %v), want none and the end", len(got), ended)
	}
}

// The connection's close ends an owned subscription at once: what is queued is
// discarded, the owner's next Take reports the end, and Done is closed without the
// owner's help.
func TestOwnedSubscriptionConnClose(t *testing.T) {
	t.Parallel()
	c, sub, ctx := ownedSub(t, "own.close", 50)
	if m, _ := sub.Pending(); m != 50 {
		t.Fatalf("%d pending before the close, want 50", m)
	}
	c.Close()
	select {
	case <-sub.Done():
	case <-ctx.Done():
		t.Fatal("Done never closed after the connection's close")
	}
	got, ended := takeAll(t, sub, 0, 10*time.Second)
	if !ended || len(got) != 0 {
		t.Fatalf("after the close: took %d (ended %v), want none and the end", len(got), ended)
	}
	if sub.IsValid() {
		t.Fatal("still valid after the connection's close")
	}
}

// An owned subscription's auto-unsubscribe limit ends it like a Drain: the last batch
// holds exactly the messages up to the limit and reports the end; the server's later
// messages are not queued.
func TestOwnedSubscriptionAutoUnsubscribe(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 20*time.Second)
	sub, err := c.Subscribe("own.max", conn.WithOwner())
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.AutoUnsubscribe(5); err != nil {
		t.Fatal(err)
	}
	c.Flush(ctx)
	for i := range 20 {
		c.Publish("own.max", []byte(strconv.Itoa(i)))
	}
	got, ended := takeAll(t, sub, 0, 10*time.Second)
	if !ended || len(got) != 5 {
		t.Fatalf("took %d (ended %v), want 5 and the end", len(got), ended)
	}
	for i, m := range got {
		if string(m.Data) != strconv.Itoa(i) {
			t.Fatalf("message %d is %q", i, m.Data)
		}
	}
	sub.Unsubscribe()
	select {
	case <-sub.Done():
	case <-ctx.Done():
		t.Fatal("Done never closed")
	}
	if m, _ := sub.Pending(); m != 0 {
		t.Fatalf("%d queued after the limit", m)
	}
}

// WithOwner and WithHandler exclude each other; the subscription is not made.
func TestOwnedSubscriptionWithHandler(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	_, err := c.Subscribe("own.bad", conn.WithOwner(), conn.WithHandler(func(*conn.Msg) {}))
	if !errors.Is(err, conn.ErrInvalidOption) {
		t.Fatalf("WithOwner with WithHandler: %v, want ErrInvalidOption", err)
	}
	// A plain subscription has no Ready and takes nothing.
	sub, err := c.Subscribe("own.plain")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Ready() != nil {
		t.Fatal("a plain subscription has a Ready channel")
	}
	if got, open := sub.Take(nil); open || got != nil {
		t.Fatalf("Take on a plain subscription: %v, %v", got, open)
	}
}
