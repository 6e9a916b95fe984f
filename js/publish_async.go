package js

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// PubAckFuture is the pending result of an asynchronous publish. Exactly one of Ok and
// Err delivers a value, once: the acknowledgement, or the error (the stream's
// *jsm.APIError, ErrNoStreamResponse, ErrTimeout after WithPublishAsyncTimeout,
// conn.ErrDisconnected when the link dropped before the acknowledgement came, or
// ErrAsyncPublishClosed). After a disconnect the message may or may not be stored:
// publish it again with the same MsgID to be sure without duplicates.
type PubAckFuture struct {
	msg   conn.Msg
	timer *time.Timer
	epoch uint64

	// The channels are made when first asked for: a publisher that waits with
	// PublishAsyncComplete never pays for them, and once the outcome is known only the
	// channel that delivers it is made.
	mu       sync.Mutex
	ok       chan *PubAck
	errc     chan error
	resolved bool
	ack      *PubAck
	err      error
}

// Ok returns the channel that receives the acknowledgement. It is never closed (after
// an error it is a channel that never delivers).
func (f *PubAckFuture) Ok() <-chan *PubAck {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ok == nil {
		if f.resolved && f.err != nil {
			return neverAck
		}
		f.ok = make(chan *PubAck, 1)
		if f.resolved {
			f.ok <- f.ack
		}
	}
	return f.ok
}

// Err returns the channel that receives the error. It is never closed (after an
// acknowledgement it is a channel that never delivers).
func (f *PubAckFuture) Err() <-chan error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.errc == nil {
		if f.resolved && f.err == nil {
			return neverErr
		}
		f.errc = make(chan error, 1)
		if f.resolved {
			f.errc <- f.err
		}
	}
	return f.errc
}

// neverErr and neverAck are the channels of the outcome a resolved future did not have:
// nothing sends on them.
var (
	neverErr = make(chan error)
	neverAck = make(chan *PubAck)
)

// settle records the outcome and delivers it on whichever channel was asked for; it is
// called once.
func (f *PubAckFuture) settle(ack *PubAck, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resolved, f.ack, f.err = true, ack, err
	switch {
	case err != nil && f.errc != nil:
		f.errc <- err
	case err == nil && f.ok != nil:
		f.ok <- ack
	}
}

// Msg returns the message that was published (with the headers of its options).
func (f *PubAckFuture) Msg() *conn.Msg { return &f.msg }

// asyncPublisher owns the reply subscription and the in-flight window of PublishAsync.
type asyncPublisher struct {
	j      *Client
	prefix string // "<inbox>."
	sem    chan struct{}
	sub    *conn.Subscription
	err    error

	mu       sync.Mutex
	pending  map[string]*PubAckFuture
	next     uint64
	epoch    uint64 // increments at each disconnect
	waiters  []chan struct{}
	closed   bool
	stopEvts func()
}

func (j *Client) asyncPub() (*asyncPublisher, error) {
	j.asyncOnce.Do(func() {
		inbox := j.c.NewInbox()
		p := &asyncPublisher{
			j:       j,
			prefix:  inbox + ".",
			sem:     make(chan struct{}, j.opt.asyncMaxPending),
			pending: make(map[string]*PubAckFuture),
		}
		p.sub, p.err = j.c.Subscribe(inbox+".*", conn.WithHandler(p.onReply), conn.WithPendingLimits(-1, -1))
		if p.err == nil {
			events, stop := j.c.Events(conn.EventDisconnected, conn.EventClosed)
			p.stopEvts = stop
			go p.watch(events)
		}
		j.async = p
	})
	return j.async, j.async.err
}

// watch fails the futures pending at a disconnect, and all of them when the connection
// closes.
func (p *asyncPublisher) watch(events <-chan conn.Event) {
	for ev := range events {
		if ev.Kind == conn.EventClosed {
			break
		}
		p.mu.Lock()
		epoch := p.epoch
		p.epoch++
		var failed []*PubAckFuture
		for id, f := range p.pending {
			if f.epoch <= epoch {
				delete(p.pending, id)
				failed = append(failed, f)
			}
		}
		p.mu.Unlock()
		for _, f := range failed {
			p.resolve(f, nil, fmt.Errorf("nats: asynchronous publish to %s: %w", f.msg.Subject, conn.ErrDisconnected))
		}
	}
	p.mu.Lock()
	p.closed = true
	failed := p.pending
	p.pending = map[string]*PubAckFuture{}
	p.mu.Unlock()
	for _, f := range failed {
		p.resolve(f, nil, ErrAsyncPublishClosed)
	}
}

// onReply runs on the reply subscription's goroutine.
func (p *asyncPublisher) onReply(m *conn.Msg) {
	id, ok := strings.CutPrefix(m.Subject, p.prefix)
	if !ok {
		return
	}
	f := p.take(id)
	if f == nil {
		return
	}
	ack, err := decodePubAck(m)
	p.resolve(f, ack, err)
}

// take removes the future of id from the window; nil when another path resolved it.
func (p *asyncPublisher) take(id string) *PubAckFuture {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.pending[id]
	if f != nil {
		delete(p.pending, id)
	}
	return f
}

// resolve delivers the outcome of a future taken from the window and frees its slot.
func (p *asyncPublisher) resolve(f *PubAckFuture, ack *PubAck, err error) {
	if f.timer != nil {
		f.timer.Stop()
	}
	f.settle(ack, err)
	if err != nil {
		if h := p.j.opt.asyncErrHandler; h != nil {
			h(&f.msg, err)
		}
	}
	<-p.sem
	p.wakeIfIdle()
}

// PublishAsync publishes data to subject without waiting for the acknowledgement,
// which the returned future delivers. At most WithPublishAsyncMaxPending publishes
// wait for their acknowledgement at once; beyond that PublishAsync blocks until one
// resolves, or until the ctx of the AsyncContext option ends (without one it waits as
// long as it takes; the connection's close ends the wait). The error return is for what
// is known at once: a bad option or subject, a closed connection, a full reconnect
// buffer.
func (j *Client) PublishAsync(subject string, data []byte, opts ...PubOption) (*PubAckFuture, error) {
	return j.PublishMsgAsync(&conn.Msg{Subject: subject, Data: data}, opts...)
}

// PublishMsgAsync is PublishAsync for a message with headers. m.Reply is ignored.
func (j *Client) PublishMsgAsync(m *conn.Msg, opts ...PubOption) (*PubAckFuture, error) {
	o, err := j.pubOpts(opts)
	if err != nil {
		return nil, err
	}
	p, err := j.asyncPub()
	if err != nil {
		return nil, err
	}
	ctx := o.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case p.sem <- struct{}{}:
	default:
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("nats: waiting for room among %d pending asynchronous publishes: %w", cap(p.sem), ctx.Err())
		case <-j.c.Done():
			return nil, ErrAsyncPublishClosed
		}
	}
	out := withHeaders(m, o.headers)
	f := &PubAckFuture{msg: conn.Msg{Subject: out.Subject, Header: out.Header, Data: out.Data}}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.sem
		return nil, ErrAsyncPublishClosed
	}
	p.next++
	// One string for the reply subject; the window's key is its tail.
	f.msg.Reply = p.prefix + strconv.FormatUint(p.next, 36)
	id := f.msg.Reply[len(p.prefix):]
	f.epoch = p.epoch
	p.pending[id] = f
	if d := j.opt.asyncAckTimeout; d > 0 {
		f.timer = time.AfterFunc(d, func() {
			if tf := p.take(id); tf != nil {
				p.resolve(tf, nil, fmt.Errorf("%w: no acknowledgement for the publish to %s within %v", ErrTimeout, f.msg.Subject, d))
			}
		})
	}
	p.mu.Unlock()
	if err := j.c.PublishMsg(&f.msg); err != nil {
		if p.take(id) != nil {
			if f.timer != nil {
				f.timer.Stop()
			}
			<-p.sem
			p.wakeIfIdle()
		}
		return nil, err
	}
	return f, nil
}

// wakeIfIdle closes the PublishAsyncComplete channels once nothing is pending.
func (p *asyncPublisher) wakeIfIdle() {
	p.mu.Lock()
	var ws []chan struct{}
	if len(p.pending) == 0 && len(p.sem) == 0 {
		ws, p.waiters = p.waiters, nil
	}
	p.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

// PublishAsyncPending returns the number of asynchronous publishes waiting for their
// acknowledgement.
func (j *Client) PublishAsyncPending() int {
	p := j.async
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

// PublishAsyncComplete returns a channel that is closed once no asynchronous publish is
// waiting for its acknowledgement (at once when none is).
func (j *Client) PublishAsyncComplete() <-chan struct{} {
	ch := make(chan struct{})
	p := j.async
	if p == nil {
		close(ch)
		return ch
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) == 0 && len(p.sem) == 0 {
		close(ch)
		return ch
	}
	p.waiters = append(p.waiters, ch)
	return ch
}
