package js

import (
	"context"
	"sync"

	"github.com/natsactor/natsactor/conn"
)

// deliverer hands messages to a handler (called on the delivering actor's goroutine) or
// to a channel the user reads, and guarantees that no handler starts and nothing is
// sent once halt returned.
type deliverer struct {
	handler func(*Msg)
	out     chan *Msg // nil with a handler
	stopc   chan struct{}
	once    sync.Once
	gate    sync.Mutex
	halted  bool

	fencedc    chan struct{} // closed once a drain's fence is done (see fence)
	fencedOnce sync.Once
}

func newDeliverer(handler func(*Msg)) *deliverer {
	d := &deliverer{handler: handler, stopc: make(chan struct{}), fencedc: make(chan struct{})}
	if handler == nil {
		d.out = make(chan *Msg)
	}
	return d
}

// receiverDriven reports whether messages go to a channel the user reads (no handler):
// then a Drain cannot wait for delivery to end, since the receiver may be the caller.
func (d *deliverer) receiverDriven() bool { return d.out != nil }

// fence drains sub (UNSUB, then a PING/PONG fence, then its queue runs dry; nil: there is
// none) on a goroutine of its own and marks the fence done: from then on the connection
// no longer holds the subscription, so closing it cannot discard what it received.
func (d *deliverer) fence(sub *conn.Subscription) {
	go func() {
		if sub != nil {
			_ = sub.Drain(context.Background())
		}
		d.fenceDone()
	}()
}

// fenceDone marks the drain's fence done (idempotent).
func (d *deliverer) fenceDone() { d.fencedOnce.Do(func() { close(d.fencedc) }) }

// waitFenced waits, for a receiver-driven Drain, until the drain's fence is done or the
// flow ended; ctx's error when ctx ends first (the drain goes on).
func (d *deliverer) waitFenced(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-d.fencedc:
		return nil
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// halt stops delivery; it is idempotent and never blocks on the actor.
func (d *deliverer) halt() {
	d.gate.Lock()
	d.halted = true
	d.gate.Unlock()
	d.once.Do(func() { close(d.stopc) })
}

// deliver hands m over, blocking until the handler returned or the reader took it; it
// returns false when delivery was halted first.
func (d *deliverer) deliver(m *Msg) bool {
	d.gate.Lock()
	halted := d.halted
	d.gate.Unlock()
	if halted {
		return false
	}
	if d.handler != nil {
		d.handler(m)
		return true
	}
	select {
	case d.out <- m:
		return true
	case <-d.stopc:
		return false
	}
}

// next is Next for a subscription without handler: the channel is closed by the actor
// when it ends, and ended tells why.
func (d *deliverer) next(ctx context.Context, ended func() error) (*Msg, error) {
	if d.out == nil {
		return nil, ErrHandlerSet
	}
	select {
	case m, ok := <-d.out:
		if ok {
			return m, nil
		}
		return nil, ended()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// closeOut closes the channel of a subscription without handler; only the actor calls
// it, once, when it ends.
func (d *deliverer) closeOut() {
	if d.out != nil {
		close(d.out)
	}
}
