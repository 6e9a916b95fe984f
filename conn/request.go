package conn

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"sync"
	"time"
)

// respMux routes replies to requests in flight over one shared wildcard subscription on
// "<inbox>.*". Replies are handed over on the reader goroutine, straight into the waiting
// request's channel: no queue, so it is never subject to slow-consumer drops. The
// subscription is part of the connection's table and so is restored on every reconnect.
type respMux struct {
	c       *Conn
	mu      sync.Mutex
	prefix  string
	sub     *Subscription
	next    uint64
	waiters map[string]*waiter
	failed  chan struct{} // closed by failAll; replaced for later requests
	closed  bool
	wakers  []*waker  // idle wakers for the next requests
	nwakers int       // wakers made, idle or in use; at most maxWakers
	free    []*waiter // waiters of finished requests, channel empty, for the next ones
}

// maxFreeWaiters bounds the waiters kept for reuse: the requests usually in flight at
// once; a burst beyond it allocates as before.
const maxFreeWaiters = 64

// maxWakers bounds the wakers (one eventfd each) a connection
// keeps for requests in flight; requests beyond it wait on channels alone.
const maxWakers = 8

type waiter struct {
	reply  string        // the reply subject registered; the delivered reply's Subject
	ch     chan *Msg     // 1-buffered: at most one reply is delivered, under the mux's mu
	failed chan struct{} // the failAll generation this request belongs to
	// k, when set, is woken after every change the waiting caller must see: the reply in
	// ch, failed closed, the connection closed. The caller waits on it, not on ch.
	k *waker
}

func newRespMux(c *Conn) *respMux {
	return &respMux{c: c, waiters: map[string]*waiter{}, failed: make(chan struct{})}
}

// register creates the shared subscription on first use and returns a reply subject and
// the waiter for it.
func (r *respMux) register() (string, *waiter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return "", nil, ErrConnectionClosed
	}
	if r.sub == nil {
		r.prefix = r.c.NewInbox() + "."
		s := r.c.newSubscription(r.prefix+"*", "", subOptions{})
		s.direct = r.deliver
		if err := r.c.register(s); err != nil {
			return "", nil, err
		}
		r.sub = s
	}
	r.next++
	var digits [13]byte // a uint64 in base 36
	reply := r.prefix + string(strconv.AppendUint(digits[:0], r.next, 36))
	var w *waiter
	if n := len(r.free); n > 0 {
		w, r.free = r.free[n-1], r.free[:n-1]
	} else {
		w = &waiter{ch: make(chan *Msg, 1)}
	}
	w.reply, w.failed, w.k = reply, r.failed, r.takeWakerLocked()
	r.waiters[reply[len(r.prefix):]] = w
	return reply, w, nil
}

// takeWakerLocked returns an idle waker, a new one while fewer than maxWakers exist, or nil.
func (r *respMux) takeWakerLocked() *waker {
	if n := len(r.wakers); n > 0 {
		k := r.wakers[n-1]
		r.wakers = r.wakers[:n-1]
		return k
	}
	if r.nwakers >= maxWakers {
		return nil
	}
	k := newWaker()
	if k != nil {
		r.nwakers++
	}
	return k
}

// unregister forgets the request of reply and takes its waker and waiter back. A reply
// that came but was not taken (the caller's ctx ended first) is dropped here, under mu,
// where deliver puts replies: once this returns, nothing can reach w but its next user.
func (r *respMux) unregister(reply string, w *waiter) {
	r.mu.Lock()
	delete(r.waiters, reply[len(r.prefix):])
	if w.k != nil {
		if r.closed {
			w.k.close()
		} else {
			r.wakers = append(r.wakers, w.k)
		}
	}
	select {
	case <-w.ch:
	default:
	}
	w.reply, w.failed, w.k = "", nil, nil
	if len(r.free) < maxFreeWaiters {
		r.free = append(r.free, w)
	}
	r.mu.Unlock()
}

// deliver runs on the reader goroutine and never blocks: the send goes to a waiter just
// taken out of the table, whose one-slot channel is empty. It happens under mu so that it
// cannot land after unregister handed the waiter on to another request. subject is the
// one received; a reply without a reply subject of its own comes with m.Subject unset
// (see Subscription.direct) and gets the waiter's string, equal to it, not a copy.
func (r *respMux) deliver(m *Msg, subject []byte) {
	r.mu.Lock()
	w := r.waiters[string(subject[min(len(r.prefix), len(subject)):])]
	var k *waker
	if w != nil {
		delete(r.waiters, w.reply[len(r.prefix):])
		if m.Subject == "" {
			m.Subject = w.reply
		}
		w.ch <- m
		k = w.k
	}
	r.mu.Unlock()
	if k != nil {
		k.wake()
	}
}

// failAll fails the requests in flight with ErrDisconnected.
func (r *respMux) failAll() {
	r.mu.Lock()
	close(r.failed)
	r.failed = make(chan struct{})
	r.wakeAllLocked()
	r.mu.Unlock()
}

// close refuses later requests and wakes those waiting; it is called once the
// connection's lifecycle is closed, which is what they then see.
func (r *respMux) close() {
	r.mu.Lock()
	r.closed = true
	for _, k := range r.wakers {
		k.close()
	}
	r.wakers = nil
	r.wakeAllLocked()
	r.mu.Unlock()
}

func (r *respMux) wakeAllLocked() {
	for _, w := range r.waiters {
		if w.k != nil {
			w.k.wake()
		}
	}
}

// Request sends data to subject and waits for the first reply. It returns ErrNoResponders
// at once when nobody listens on subject, ctx's error when ctx ends first (a ctx without
// deadline waits until a reply comes or the connection closes), and ErrDisconnected when
// WithFailRequestsOnDisconnect is set and the link drops.
func (c *Conn) Request(ctx context.Context, subject string, data []byte) (*Msg, error) {
	return c.RequestMsg(ctx, &Msg{Subject: subject, Data: data})
}

// RequestMsg is Request for a message with headers. m.Reply is ignored.
func (c *Conn) RequestMsg(ctx context.Context, m *Msg) (*Msg, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil message", ErrInvalidOption)
	}
	if err := validateSubject(m.Subject); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	reply, w, err := c.resp.register()
	if err != nil {
		return nil, err
	}
	defer c.resp.unregister(reply, w)
	if err := c.publish(m.Subject, reply, m.Header, m.Data, true); err != nil {
		return nil, err
	}
	resp, err := c.awaitReply(ctx, w, m.Subject)
	if err != nil {
		return nil, err
	}
	if code, _ := resp.Status(); code == 503 && len(resp.Data) == 0 {
		return nil, fmt.Errorf("%w on %q", ErrNoResponders, m.Subject)
	}
	return resp, nil
}

// awaitReply waits for w's reply, the end of ctx, the link's loss (when requests fail on
// disconnect) or the connection's close. With a waker it parks on the waker, which
// every one of those wakes (ctx through AfterFunc), and looks at the channels between
// wake-ups; without one it waits on the channels.
func (c *Conn) awaitReply(ctx context.Context, w *waiter, subject string) (*Msg, error) {
	if w.k == nil {
		return c.awaitChannels(ctx, w, subject, true)
	}
	stop := context.AfterFunc(ctx, w.k.wakeFn)
	defer stop()
	for {
		if resp, err := c.awaitChannels(ctx, w, subject, false); resp != nil || err != nil {
			return resp, err
		}
		if w.k.wait() != nil {
			// The waker was closed under us, which nothing does; the channels still work.
			return c.awaitChannels(ctx, w, subject, true)
		}
	}
}

// awaitChannels returns w's reply or the reason it will not come; unless block is set,
// it returns nil, nil at once when neither is there yet.
func (c *Conn) awaitChannels(ctx context.Context, w *waiter, subject string, block bool) (*Msg, error) {
	var failed error
	if block {
		select {
		case resp := <-w.ch:
			return resp, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-w.failed:
			failed = ErrDisconnected
		case <-c.life.Done():
			return nil, c.closedErr()
		}
	} else {
		// The same cases with a default, which select takes only when no other is ready.
		select {
		case resp := <-w.ch:
			return resp, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-w.failed:
			failed = ErrDisconnected
		case <-c.life.Done():
			return nil, c.closedErr()
		default:
			return nil, nil
		}
	}
	return nil, fmt.Errorf("%w: request on %q", failed, subject)
}

// DefaultRequestManyWait bounds RequestMany when its ctx has no deadline.
const DefaultRequestManyWait = 5 * time.Second

// RequestManyOption configures RequestMany.
type RequestManyOption func(*manyOptions) error

type manyOptions struct {
	stall    time.Duration
	max      int
	sentinel func(*Msg) bool
}

// ManyStall ends the gathering when no reply came for d after the previous one (ADR-47's
// stall timer). The first reply is awaited for the whole ctx.
func ManyStall(d time.Duration) RequestManyOption {
	return func(o *manyOptions) error {
		if d <= 0 {
			return fmt.Errorf("%w: stall %v", ErrInvalidOption, d)
		}
		o.stall = d
		return nil
	}
}

// ManyMaxMessages ends the gathering after n replies.
func ManyMaxMessages(n int) RequestManyOption {
	return func(o *manyOptions) error {
		if n <= 0 {
			return fmt.Errorf("%w: max messages %d", ErrInvalidOption, n)
		}
		o.max = n
		return nil
	}
}

// ManySentinel ends the gathering at the first reply for which isEnd returns true; that reply
// is not yielded.
func ManySentinel(isEnd func(*Msg) bool) RequestManyOption {
	return func(o *manyOptions) error {
		if isEnd == nil {
			return fmt.Errorf("%w: nil sentinel", ErrInvalidOption)
		}
		o.sentinel = isEnd
		return nil
	}
}

// ManyStandardSentinel ends the gathering at the first reply with an empty payload and no
// headers (ADR-47's standard sentinel).
func ManyStandardSentinel() RequestManyOption {
	return ManySentinel(func(m *Msg) bool { return len(m.Data) == 0 && len(m.Header) == 0 })
}

// RequestMany publishes m and yields every reply until one of: ctx ends (its deadline, or
// DefaultRequestManyWait without one, is the normal end and yields no error), the stall
// timer, the reply limit, the sentinel, or the loop stops. A 503 in place of the first reply
// yields ErrNoResponders; a cancelled ctx, a closed connection or a publish error are yielded
// as the final error. The reply subscription is removed when the iteration ends.
func (c *Conn) RequestMany(ctx context.Context, m *Msg, opts ...RequestManyOption) iter.Seq2[*Msg, error] {
	var o manyOptions
	var optErr error
	for _, opt := range opts {
		if err := opt(&o); err != nil && optErr == nil {
			optErr = err
		}
	}
	return func(yield func(*Msg, error) bool) {
		if optErr != nil {
			yield(nil, optErr)
			return
		}
		if m == nil {
			yield(nil, fmt.Errorf("%w: nil message", ErrInvalidOption))
			return
		}
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, DefaultRequestManyWait)
			defer cancel()
		}
		inbox := c.NewInbox()
		sub, err := c.Subscribe(inbox)
		if err != nil {
			yield(nil, err)
			return
		}
		defer sub.Unsubscribe()
		if o.max > 0 {
			_ = sub.AutoUnsubscribe(o.max)
		}
		if err := c.publish(m.Subject, inbox, m.Header, m.Data, true); err != nil {
			yield(nil, err)
			return
		}
		var stall <-chan time.Time
		var stallTimer *time.Timer
		defer func() {
			if stallTimer != nil {
				stallTimer.Stop()
			}
		}()
		for n := 0; ; n++ {
			select {
			case r, ok := <-sub.C():
				if !ok {
					return // auto-unsubscribe limit reached
				}
				if code, _ := r.Status(); code == 503 && len(r.Data) == 0 {
					if n == 0 {
						yield(nil, fmt.Errorf("%w on %q", ErrNoResponders, m.Subject))
					}
					return
				}
				if o.sentinel != nil && o.sentinel(r) {
					return
				}
				if !yield(r, nil) {
					return
				}
				if o.max > 0 && n+1 >= o.max {
					return
				}
				if o.stall > 0 {
					if stallTimer == nil {
						stallTimer = time.NewTimer(o.stall)
					} else {
						stallTimer.Reset(o.stall)
					}
					stall = stallTimer.C
				}
			case <-stall:
				return
			case <-ctx.Done():
				if ctx.Err() != context.DeadlineExceeded {
					yield(nil, ctx.Err())
				}
				return
			case <-c.life.Done():
				yield(nil, c.closedErr())
				return
			}
		}
	}
}
