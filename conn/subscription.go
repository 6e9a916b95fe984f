package conn

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/natsactor/natsactor/actor"
)

// SubOption configures Subscribe and QueueSubscribe.
type SubOption func(*subOptions) error

type subOptions struct {
	handler      func(*Msg)
	owned        bool
	pendingMsgs  int
	pendingBytes int
}

// WithHandler delivers messages to f, called on the subscription's own goroutine one message
// at a time, instead of on C(). A panic in f is recovered and reported as an async error
// event; the subscription goes on.
func WithHandler(f func(*Msg)) SubOption {
	return func(o *subOptions) error {
		if f == nil {
			return ErrNilHandler
		}
		o.handler = f
		return nil
	}
}

// WithPendingLimits bounds the messages and bytes a subscription holds before its consumer
// takes them (defaults 500,000 and 64 MiB). Beyond them, messages are dropped, counted by
// Dropped and reported once per episode as EventSlowConsumer. A value <= 0 means no limit
// for that dimension.
func WithPendingLimits(msgs, bytes int) SubOption {
	return func(o *subOptions) error {
		o.pendingMsgs, o.pendingBytes = msgs, bytes
		return nil
	}
}

// Subscription is interest in a subject. It is an actor: the connection's reader queues
// messages for it without ever waiting, and its own goroutine hands them to C() or to the
// handler.
type Subscription struct {
	conn    *Conn
	sid     uint64
	subject string
	queue   string
	handler func(*Msg)
	// direct, for internal subscriptions, is called on the reader goroutine instead of
	// queueing, and must not block. It gets the subject as received: when the message
	// has no reply, the reader leaves m.Subject for direct to fill in (the request mux
	// names a reply with the string it registered, which saves a copy per request).
	direct func(m *Msg, subject []byte)

	q    *actor.Queue[*Msg]
	ch   chan *Msg
	life *actor.Lifecycle
	// own is set for a WithOwner subscription (subscription_owned.go), which has no
	// goroutine: its owner takes from q.
	own *owned
	// k, when set (a handler subscription, within the wakers' budget), is where the
	// goroutine parks between messages instead of on the channels; everything that
	// readies one of them (a message queued, stop, the end of input) also wakes k.
	k *waker

	// gate is held by the subscription's goroutine while it hands a batch to the handler,
	// checking stopped before each call, so that a lifecycle call from another goroutine
	// (which sets stopped first) can wait out a handler that already started, and no
	// handler starts after it returns.
	gate    sync.Mutex
	stopped atomic.Bool

	stopOnce  sync.Once
	stop      chan struct{} // closed: discard what is queued and end
	inputOnce sync.Once
	inputEnd  chan struct{} // closed: no more messages will be queued; deliver the rest and end

	max       atomic.Int64 // auto-unsubscribe after this many messages; 0: none
	received  atomic.Int64 // messages the reader accepted for this subscription
	delivered atomic.Uint64
	dropped   atomic.Uint64
	slow      atomic.Bool
	errMu     sync.Mutex
	err       error
}

// Subject returns the subject the subscription listens on.
func (s *Subscription) Subject() string { return s.subject }

// Queue returns the queue group, or "" for a plain subscription.
func (s *Subscription) Queue() string { return s.queue }

// C returns the channel messages are delivered on; nil when the subscription has a handler.
// It is closed when the subscription ends (Unsubscribe, Drain, auto-unsubscribe, connection
// closed, or a permission violation).
func (s *Subscription) C() <-chan *Msg { return s.ch }

// Done is closed after the subscription ended and its last handler call returned.
func (s *Subscription) Done() <-chan struct{} { return s.life.Done() }

// Err returns why the subscription ended, or nil while it is active or when it ended by
// Unsubscribe, Drain or its auto-unsubscribe limit.
func (s *Subscription) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// Delivered returns how many messages were handed to C() or the handler.
func (s *Subscription) Delivered() uint64 { return s.delivered.Load() }

// Dropped returns how many messages were dropped because pending limits were reached.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Pending returns the messages and bytes received but not yet delivered.
func (s *Subscription) Pending() (msgs, bytes int) {
	if s.q == nil {
		return 0, 0
	}
	return s.q.Len()
}

// IsValid reports whether the subscription still receives messages.
func (s *Subscription) IsValid() bool { return !s.stopped.Load() && !s.life.Closed() }

// Next returns the next message. It blocks until one arrives, ctx ends (the subscription stays
// usable) or the subscription ends (then it returns the ending error, or ErrBadSubscription).
// It returns ErrHandlerSet on a subscription with a handler or an owner (WithOwner).
func (s *Subscription) Next(ctx context.Context) (*Msg, error) {
	if s.ch == nil {
		return nil, ErrHandlerSet
	}
	select {
	case m, ok := <-s.ch:
		if !ok {
			if err := s.Err(); err != nil {
				return nil, err
			}
			return nil, ErrBadSubscription
		}
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Unsubscribe ends the subscription at once: queued messages are discarded and, once it
// returns, no handler starts (a handler already running finishes; from another goroutine,
// Unsubscribe waits for it). It is idempotent and safe to call from inside the handler.
func (s *Subscription) Unsubscribe() error {
	if s.conn.isClosed() && s.life.Closed() {
		return nil
	}
	s.end(nil, true)
	if !s.insideHandler() {
		s.waitHandler()
	}
	return nil
}

// AutoUnsubscribe ends the subscription after max messages in total have been received
// (counting those already received). The limit survives reconnects.
func (s *Subscription) AutoUnsubscribe(max int) error {
	if max <= 0 {
		return fmt.Errorf("%w: auto-unsubscribe max %d", ErrInvalidOption, max)
	}
	if !s.IsValid() {
		return ErrBadSubscription
	}
	s.max.Store(int64(max))
	if s.received.Load() >= int64(max) {
		s.endInput()
		return nil
	}
	return s.conn.sendUnsub(s.sid, max)
}

// Drain stops interest and delivers everything already received before ending: it sends
// UNSUB, waits for the server to confirm with a PING/PONG fence, then lets the queue run dry.
// With a handler it returns when the last handler call returned, or with ctx's error (the
// remaining messages are then discarded); safe to call from inside the handler (it does not
// wait then). Without a handler it does not wait for the receiver, which may be its caller:
// it returns after the fence, and C() delivers everything received, then closes (Done with
// it), even if the connection is closed meanwhile: the drained subscription is no longer
// the connection's to discard.
func (s *Subscription) Drain(ctx context.Context) error {
	if !s.IsValid() {
		return nil
	}
	// UNSUB first, then a PING/PONG fence: once the PONG is back, every message the server
	// sent before the UNSUB has been read and queued, so the reader may forget the sid.
	_ = s.conn.sendUnsub(s.sid, 0)
	if err := s.conn.Flush(ctx); err != nil && ctx.Err() != nil {
		s.end(nil, false)
		return err
	}
	s.conn.subs.remove(s.sid)
	s.endInput()
	if s.insideHandler() || s.ch != nil || s.own != nil {
		return nil
	}
	select {
	case <-s.life.Done():
		return nil
	case <-ctx.Done():
		s.end(nil, true)
		return ctx.Err()
	}
}

// end stops the subscription: it leaves the table, tells the server (if unsub), and
// discards what is queued. It does not wait for a running handler.
func (s *Subscription) end(err error, unsub bool) {
	if err != nil {
		s.errMu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.errMu.Unlock()
	}
	if s.conn.subs.remove(s.sid) && unsub {
		_ = s.conn.sendUnsub(s.sid, 0)
	}
	s.stopped.Store(true)
	s.stopOnce.Do(func() { close(s.stop) })
	if s.q != nil {
		s.q.Close() // which wakes k
	}
	if s.own != nil {
		s.finishOwned() // there is no goroutine to do it
	}
}

// waitHandler returns once no handler call of s is running.
func (s *Subscription) waitHandler() {
	s.gate.Lock()
	//nolint:staticcheck // an empty critical section: it waits for a running handler
	s.gate.Unlock()
}

// endInput says no more messages will be queued: deliver the rest, then end.
func (s *Subscription) endInput() {
	s.inputOnce.Do(func() { close(s.inputEnd) })
	if s.k != nil {
		s.k.wake()
	}
	if s.own != nil {
		s.q.Close() // a wake-up for the owner, whose Take then sees the end
	}
}

// insideHandler reports whether the caller runs a handler (this one or another's), where
// waiting for handlers could deadlock.
func (s *Subscription) insideHandler() bool { return actor.InHandler() }

// enqueue is called by the reader for each message, with the subject as received; it
// never blocks.
//
// The consumer is not woken: wake reports that m made the queue non-empty, and then the
// reader calls s.q.Wake once it has parsed the chunk m came in (see reader.wakeAll).
func (s *Subscription) enqueue(m *Msg, subject []byte) (wake bool) {
	n := s.received.Add(1)
	if max := s.max.Load(); max > 0 {
		if n > max {
			return false
		}
		if n == max {
			defer func() {
				s.conn.subs.remove(s.sid)
				s.endInput()
			}()
		}
	}
	if s.direct != nil {
		s.delivered.Add(1)
		s.direct(m, subject)
		return false
	}
	if ok, wake := s.q.PushQuiet(m, m.size()); ok {
		return wake
	}
	s.dropped.Add(1)
	s.conn.stats.dropped.Add(1)
	if !s.slow.Swap(true) {
		s.conn.ev.post(Event{Kind: EventSlowConsumer, Sub: s, Err: fmt.Errorf("%w on %q", ErrSlowConsumer, s.subject)})
	}
	return false
}

// run is the subscription's goroutine.
func (s *Subscription) run() {
	if s.handler != nil {
		defer actor.EnterHandler()()
	}
	defer s.finish()
	if s.k != nil && s.runWoken() {
		return
	}
	for {
		select {
		case <-s.stop:
			return
		case <-s.q.Ready():
			if !s.deliverQueued() {
				return
			}
		case <-s.inputEnd:
			s.deliverQueued()
			return
		}
	}
}

// runWoken is run's loop for a subscription with a waker: the same cases, looked at
// without blocking, and a park on k when none is ready. Whatever makes a case ready
// wakes k afterwards, so no wake-up is lost; spurious ones only cost a turn. It returns
// false if k fails (closed under it, which nothing does), for run to go on with the
// channels alone.
func (s *Subscription) runWoken() bool {
	for {
		select {
		case <-s.stop:
			return true
		case <-s.q.Ready():
			if !s.deliverQueued() {
				return true
			}
		case <-s.inputEnd:
			s.deliverQueued()
			return true
		default:
			if s.k.wait() != nil {
				return false
			}
		}
	}
}

// deliverBatch is how many messages deliverQueued takes from the queue under one lock.
const deliverBatch = 64

// deliverQueued hands over everything queued, taking it from the queue in batches;
// false when the subscription was stopped.
func (s *Subscription) deliverQueued() bool {
	var buf [deliverBatch]actor.Item[*Msg]
	for {
		batch := s.q.Hold(buf[:0], len(buf))
		if len(batch) == 0 {
			s.slow.Store(false)
			return true
		}
		ok := s.deliverHeld(batch)
		clear(batch) // keep no message alive until the next batch overwrites it
		if !ok {
			return false
		}
	}
}

// deliverHeld hands over a batch held from the queue, in order; false when the
// subscription was stopped (the rest is released undelivered). A handler subscription
// holds the gate for the batch: a lifecycle call sets stopped before it waits on the
// gate, and the check before each handler call then lets it in, so no handler starts
// after it returns.
func (s *Subscription) deliverHeld(batch []actor.Item[*Msg]) bool {
	if s.handler != nil {
		s.gate.Lock()
		defer s.gate.Unlock()
	}
	for i, it := range batch {
		if !s.deliver(it) {
			for _, rest := range batch[i+1:] {
				s.q.Release(rest)
			}
			return false
		}
	}
	return true
}

// deliver releases a held message and hands it to the handler or the channel; false
// when the subscription was stopped.
func (s *Subscription) deliver(it actor.Item[*Msg]) bool {
	s.q.Release(it) // no longer pending: handed on now, or dropped
	if s.stopped.Load() {
		return false
	}
	s.delivered.Add(1) // before the hand-off, so a receiver never sees the count lag
	if s.handler != nil {
		s.callHandler(it.V)
		return true
	}
	select {
	case s.ch <- it.V:
		return true
	case <-s.stop:
		s.delivered.Add(^uint64(0))
		return false
	}
}

func (s *Subscription) callHandler(m *Msg) {
	defer func() {
		if r := recover(); r != nil {
			s.conn.ev.post(Event{Kind: EventAsyncError, Sub: s,
				Err: fmt.Errorf("nats: handler for %q panicked: %v", s.subject, r)})
		}
	}()
	s.handler(m)
}

func (s *Subscription) finish() {
	if s.k != nil {
		s.k.close()
	}
	s.stopped.Store(true)
	s.conn.subs.remove(s.sid)
	if s.q != nil {
		s.q.Close()
	}
	if s.ch != nil {
		close(s.ch)
	}
	s.life.Close(s.Err())
}
