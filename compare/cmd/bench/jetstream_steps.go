package main

// The steps the JetStream, key-value and object-store workloads of both clients share.
// Each client's file supplies its own calls (publish, put, get, ack) as funcs, so that
// what is timed and checked is written once and is the same for both.

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
)

// timedRate runs work between startMeter and stop; the figure is n operations per
// second.
func timedRate(n int, work func() error) (result, error) {
	var r result
	m := startMeter()
	if err := work(); err != nil {
		return result{}, err
	}
	wall := m.stop(&r)
	r.ops = n
	r.value = float64(n) / wall.Seconds()
	return r, nil
}

// timedObject runs work, which moves the object of p, between startMeter and stop; the
// figure is MB/s and an operation is one MiB.
func timedObject(p params, work func() error) (result, error) {
	r, err := timedRate(p.N, work)
	if err != nil {
		return result{}, err
	}
	r.value = r.value * float64(p.Size) / mb
	return r, nil
}

// pubFuture is what both clients' asynchronous publishes return: exactly one of Ok and
// Err delivers.
type pubFuture[A any] interface {
	Ok() <-chan A
	Err() <-chan error
}

// asyncPublisher is the part of both clients' JetStream contexts that publishAll uses.
type asyncPublisher[A any, F pubFuture[A]] struct {
	publish  func() (F, error)
	complete func() <-chan struct{}
	pending  func() int
}

// publishAll publishes n messages with p.publish, waits until none is pending and
// returns the first failure any acknowledgement reports. It holds only the futures
// not yet resolved (about the client's window): after each publish it retires, without
// waiting, those at the front that have their acknowledgement, so that the bench does
// not keep n futures alive and charge their garbage collection to the client.
func publishAll[A any, F pubFuture[A]](ctx context.Context, p asyncPublisher[A, F], n int) error {
	var inflight []F // oldest first
	for i := range n {
		f, err := p.publish()
		if err != nil {
			return fmt.Errorf("publish async %d: %w", i, err)
		}
		inflight = append(inflight, f)
		for len(inflight) > 0 {
			done, err := resolved[A](inflight[0], false)
			if err != nil {
				return err
			}
			if !done {
				break
			}
			inflight = inflight[1:]
		}
	}
	select {
	case <-p.complete():
	case <-ctx.Done():
		return fmt.Errorf("waiting for acks: %w (%d pending)", ctx.Err(), p.pending())
	}
	for _, f := range inflight {
		if _, err := resolved[A](f, true); err != nil {
			return err
		}
	}
	return nil
}

// resolved reports whether f has its outcome (waiting for it when wait is set) and the
// error it reports.
func resolved[A any, F pubFuture[A]](f F, wait bool) (bool, error) {
	if wait {
		select {
		case <-f.Ok():
			return true, nil
		case err := <-f.Err():
			return true, fmt.Errorf("publish async: %w", err)
		}
	}
	select {
	case <-f.Ok():
		return true, nil
	case err := <-f.Err():
		return true, fmt.Errorf("publish async: %w", err)
	default:
		return false, nil
	}
}

// publishSync publishes n messages one after another with publish, each waiting for its
// acknowledgement.
func publishSync(n int, publish func() error) error {
	for i := range n {
		if err := publish(); err != nil {
			return fmt.Errorf("publish %d: %w", i, err)
		}
	}
	return nil
}

// consumeCounter is the handler side of the consume workloads: it acknowledges each
// message with the client's ack (nil for AckNone) and closes all at the n-th message.
type consumeCounter struct {
	n            int64
	got, ackErrs atomic.Int64
	all          chan struct{}
}

func newConsumeCounter(n int) *consumeCounter {
	return &consumeCounter{n: int64(n), all: make(chan struct{})}
}

// handle counts one message, acknowledging it with ack unless ack is nil.
func (c *consumeCounter) handle(ack func() error) {
	if ack != nil {
		if err := ack(); err != nil {
			c.ackErrs.Add(1)
		}
	}
	if c.got.Add(1) == c.n {
		close(c.all)
	}
}

// wait waits for the n-th message or the end of ctx.
func (c *consumeCounter) wait(ctx context.Context) error {
	if err := waitDone(ctx, c.all); err != nil {
		return fmt.Errorf("received %d of %d messages: %w", c.got.Load(), c.n, err)
	}
	return nil
}

// check reports a wrong count or failed acks after the timed part and, when the
// consumer acknowledges, waits until its ack floor (read with floor) covers every message.
func (c *consumeCounter) check(ctx context.Context, ack bool, floor func(context.Context) (uint64, error)) error {
	if got := c.got.Load(); got != c.n {
		return fmt.Errorf("received %d of %d messages", got, c.n)
	}
	if e := c.ackErrs.Load(); e > 0 {
		return fmt.Errorf("%d acks failed", e)
	}
	if !ack {
		return nil
	}
	return waitAckFloor(ctx, uint64(c.n), floor)
}

// putKeys puts n values of size bytes with put, over kvKeys keys round-robin.
func putKeys(ctx context.Context, n, size int, put func(ctx context.Context, key string, value []byte) (uint64, error)) error {
	value := make([]byte, size)
	for i := range n {
		if _, err := put(ctx, kvKey(i), value); err != nil {
			return fmt.Errorf("put %d: %w", i, err)
		}
	}
	return nil
}

// getKeys reads n values of size bytes with get (which returns the value's length),
// over kvKeys keys round-robin.
func getKeys(ctx context.Context, n, size int, get func(ctx context.Context, key string) (int, error)) error {
	for i := range n {
		got, err := get(ctx, kvKey(i))
		if err != nil {
			return fmt.Errorf("get %d: %w", i, err)
		}
		if got != size {
			return fmt.Errorf("get %d: %d bytes, want %d", i, got, size)
		}
	}
	return nil
}

// checkPut reports a put object whose size is not the one of p.
func checkPut(p params, size uint64, err error) error {
	if err != nil {
		return fmt.Errorf("put: %w", err)
	}
	if want := uint64(objectSize(p)); size != want {
		return fmt.Errorf("put %d bytes, want %d", size, want)
	}
	return nil
}

// readObject reads the object of p from o, opened by a Get, to io.Discard, and closes it.
// The clients check the digest at the end of the data.
func readObject[R io.ReadCloser](p params, o R, err error) error {
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	n, err := io.Copy(io.Discard, o)
	_ = o.Close()
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if want := objectSize(p); n != want {
		return fmt.Errorf("read %d bytes, want %d", n, want)
	}
	return nil
}
