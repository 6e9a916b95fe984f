package natstest

import (
	"context"
	"errors"
	"testing"
	"time"
)

// RangeWithCall ranges over c on a goroutine of its own, makes call from it after the
// at-th value, and returns once c is closed (failing the test after 20 s): how many
// values came in all, and how many of those that came after call returned were more
// than c held at that moment (0 when nothing new was delivered after the call). It
// checks lifecycle calls made from the goroutine receiving from a channel.
func RangeWithCall[T any](t testing.TB, c <-chan T, at int, call func()) (total, extra int) {
	t.Helper()
	type result struct{ total, extra int }
	res := make(chan result, 1)
	go func() {
		total, after, held := 0, 0, -1
		for range c {
			total++
			if held >= 0 {
				after++
			}
			if total == at {
				call()
				held = len(c)
			}
		}
		res <- result{total, max(after-held, 0)}
	}()
	select {
	case r := <-res:
		return r.total, r.extra
	case <-time.After(20 * time.Second):
		t.Fatal("the channel was never closed")
		return 0, 0
	}
}

// LifecycleFromReceiver checks a lifecycle call made from the goroutine ranging over c
// (a watcher's or consumer's channel) after its 10th value: call is "Stop", "Drain" or
// "ConnClose", made through stop, drain or closeConn. The call must return and c close;
// a Drain must deliver want values in all, a Stop nothing beyond what c held when it
// returned (Close does not wait for the flow to end, so it is not checked).
func LifecycleFromReceiver[T any](t testing.TB, c <-chan T, call string, stop func(), drain func(context.Context) error, closeConn func(), want int) {
	t.Helper()
	total, extra := RangeWithCall(t, c, 10, func() {
		switch call {
		case "Stop":
			stop()
		case "Drain":
			drain(context.Background())
		case "ConnClose":
			closeConn()
		default:
			t.Errorf("unknown lifecycle call %q", call)
		}
	})
	if call == "Drain" && total != want {
		t.Fatalf("Drain from the receiver: %d values received, want %d", total, want)
	}
	if call == "Stop" && extra != 0 {
		t.Fatalf("%d values received after Stop returned, beyond what the channel held", extra)
	}
}

// DrainCancelledBefore calls drain with a ctx cancelled before the call: it must return
// context.Canceled, and done must close within 5 s (the flow stopped at once).
func DrainCancelledBefore(t testing.TB, drain func(context.Context) error, done <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := drain(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain with a cancelled ctx: %v, want context.Canceled", err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("still running after a Drain with a cancelled ctx")
	}
}

// DrainThenClose is the usual shutdown of a flow delivering on c: a goroutine receives
// from c (slowly), while this one calls drain and then closeConn at once. It fails the
// test unless drain returns nil and the receiver still gets want values before c closes.
func DrainThenClose[T any](t testing.TB, c <-chan T, drain func(context.Context) error, closeConn func(), want int) {
	t.Helper()
	got := make(chan int, 1)
	go func() {
		k := 0
		for range c {
			k++
			time.Sleep(100 * time.Microsecond)
		}
		got <- k
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
	closeConn()
	select {
	case k := <-got:
		if k != want {
			t.Fatalf("the receiver got %d of %d after Drain and Close", k, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the channel never closed after Drain and Close")
	}
}
