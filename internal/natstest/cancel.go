package natstest

import (
	"context"
	"errors"
	"iter"
	"testing"
	"time"
)

// CancelBound is how long a cancelled call may take to return in CancelWhileBlocked.
const CancelBound = 2 * time.Second

// CancelWhileBlocked runs call on a goroutine with a cancellable ctx, polls until
// blocked reports that the call is waiting (failing after 10 s, or if the call
// returned first), cancels ctx, and fails the test unless the call returns an error
// matching context.Canceled within CancelBound. It is the core of the cancellation
// sweeps of every package.
func CancelWhileBlocked(t testing.TB, blocked func() bool, call func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- call(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !blocked() {
		select {
		case err := <-res:
			t.Fatalf("returned before it was blocked: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the call never reached the point where it waits")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-res:
		t.Fatalf("returned before the cancel: %v", err)
	default:
	}
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled call returned %v, want context.Canceled", err)
		}
	case <-time.After(CancelBound):
		t.Fatalf("cancelled call still blocked after %v", CancelBound)
	}
}

// Settled returns a blocked predicate for CancelWhileBlocked that holds once d has
// passed since its first call: for calls that wait on something no test can observe
// (a receiver that takes nothing), once their preconditions were checked.
func Settled(d time.Duration) func() bool {
	var start time.Time
	return func() bool {
		if start.IsZero() {
			start = time.Now()
		}
		return time.Since(start) > d
	}
}

// FirstErr runs seq until its first error, which it returns; an iteration that ends
// without one is an error too. Cancellation sweeps use it to call the iterators.
func FirstErr[T any](seq iter.Seq2[T, error]) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return errors.New("the iteration ended without an error")
}

// Second returns the error of a call that returns a value and an error, so that such
// calls fit a table of func(ctx) error.
func Second[T any](_ T, err error) error { return err }
