package js

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/natsactor/natsactor/actor"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

// pullLoop is the actor behind Consume and Messages. Its goroutine owns the pull window
// (messages and bytes requested and not yet received), the heartbeat alarm, the retry
// backoff and the delivery to the handler; other goroutines only signal it through
// stopc and drainc.
type pullLoop struct {
	pc       *PullConsumer
	c        *conn.Conn
	o        pullOptions
	handler  func(*Msg)
	sub      *conn.Subscription
	inbox    string
	events   <-chan conn.Event
	unlisten func()
	lc       *actor.Lifecycle
	// receiverDriven: the loop of Messages, whose handler hands each message to the
	// iterator's body, which may be the one calling Drain.
	receiverDriven bool
	fenced         chan struct{} // closed once the drain's fence is done (Messages' Drain waits for it)
	fencedOnce     sync.Once

	stopOnce, drainOnce sync.Once
	stopc, drainc       chan struct{}
	gate                sync.Mutex // held while checking halted before a handler call
	halted              bool

	// Owned by the loop's goroutine.
	outMsgs, outBytes int
	lastActivity      time.Time // brought up to date by the ticker when active is set
	active            bool      // something arrived since the last tick (cheaper than time.Now per message)
	retry             *time.Timer
	retryC            <-chan time.Time
	backoff           time.Duration
	draining          bool
	infoc             chan error
	checking          bool
}

// Consume delivers the consumer's messages to handler, called on the consumer's own
// goroutine one message at a time, until Stop, Drain, the connection's close or the
// consumer's deletion. It keeps a window of requested messages (PullMaxMessages or
// PullMaxBytes) and pulls again when it falls to the threshold; every pull asks for
// idle heartbeats, and two missed ones (reported to the error handler as
// ErrNoHeartbeat), a reconnect or a leadership change make it pull again. ctx bounds
// the set-up only. The handler acknowledges the messages (unless the consumer takes
// none); Stop and Drain are safe from inside it.
func (p *PullConsumer) Consume(ctx context.Context, handler func(*Msg), opts ...PullOption) error {
	if handler == nil {
		return conn.ErrNilHandler
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := p.startLoop(handler, opts, true)
	return err
}

// Messages iterates over the consumer's messages as Consume would deliver them, until
// the loop stops, ctx ends, or the consumer ends; an error that ends the consumer is
// yielded as the last pair, and so is context.Canceled when ctx is cancelled (ctx's
// deadline ends the iteration without an error, as RequestMany's does). Messages received but not yielded when the iteration stops
// are delivered again by the server after the ack wait.
func (p *PullConsumer) Messages(ctx context.Context, opts ...PullOption) iter.Seq2[*Msg, error] {
	return func(yield func(*Msg, error) bool) {
		ch := make(chan *Msg)
		var l *pullLoop
		ready := make(chan struct{})
		l, err := p.startLoop(func(m *Msg) {
			<-ready
			select {
			case ch <- m:
			case <-l.stopc:
			}
		}, opts, false)
		if err != nil {
			yield(nil, err)
			return
		}
		close(ready)
		defer func() {
			l.stop()
			<-l.lc.Done()
		}()
		for {
			select {
			case m := <-ch:
				if !yield(m, nil) {
					return
				}
			case <-l.lc.Done():
				if err := l.lc.Err(); err != nil {
					yield(nil, err)
				}
				return
			case <-ctx.Done():
				// As RequestMany: a deadline is a normal end, a cancel is the caller's
				// to see.
				if err := ctx.Err(); errors.Is(err, context.Canceled) {
					yield(nil, err)
				}
				return
			}
		}
	}
}

func (p *PullConsumer) startLoop(handler func(*Msg), opts []PullOption, endsConsumer bool) (*pullLoop, error) {
	o, err := p.pullOpts(opts)
	if err != nil {
		return nil, err
	}
	c := p.j.c
	l := &pullLoop{
		pc: p, c: c, o: o, handler: handler, inbox: c.NewInbox(), lc: actor.NewLifecycle(), receiverDriven: !endsConsumer, fenced: make(chan struct{}),
		stopc: make(chan struct{}), drainc: make(chan struct{}), infoc: make(chan error, 1),
	}
	if err := p.begin(l); err != nil {
		return nil, err
	}
	// The loop owns the subscription's queue: messages come from the reader in one hop,
	// and in batches.
	l.sub, err = c.Subscribe(l.inbox, conn.WithOwner(), conn.WithPendingLimits(-1, -1))
	if err != nil {
		p.end(l)
		return nil, err
	}
	l.events, l.unlisten = c.Events(conn.EventReconnected)
	go l.run(endsConsumer)
	return l, nil
}

// stop makes the loop end at once; no handler starts after it returns.
func (l *pullLoop) stop() {
	l.gate.Lock()
	l.halted = true
	l.gate.Unlock()
	l.stopOnce.Do(func() { close(l.stopc) })
}

// fence drains the loop's subscription on a goroutine of its own (UNSUB, a PING/PONG
// fence, then its queue runs dry) and closes fenced once the fence is done. Both the
// loop and, for Messages, Drain call it: the loop may be blocked handing a message to
// the iteration whose body called Drain.
func (l *pullLoop) fence() {
	go func() {
		_ = l.sub.Drain(context.Background())
		l.fencedOnce.Do(func() { close(l.fenced) })
	}()
}

// drainRequested reports whether drain was called, even if the loop has not taken the
// request yet (it may have been busy handing a message over).
func (l *pullLoop) drainRequested() bool {
	select {
	case <-l.drainc:
		return true
	default:
		return false
	}
}

// drain makes the loop stop pulling and end once what it received is delivered.
func (l *pullLoop) drain() { l.drainOnce.Do(func() { close(l.drainc) }) }

func (l *pullLoop) run(endsConsumer bool) {
	leave := actor.EnterHandler()
	err := l.loop()
	l.sub.Unsubscribe()
	l.unlisten()
	if l.retry != nil {
		l.retry.Stop()
	}
	if err != nil {
		l.report(err)
	}
	// The error callback of the final report is a handler too: a Stop or Drain made from
	// it must not wait for this goroutine.
	leave()
	l.lc.Close(err)
	l.pc.end(l)
	if endsConsumer && (err != nil || l.draining) {
		l.pc.markStopped()
		l.pc.lc.Close(err)
	}
}

func (l *pullLoop) report(err error) {
	if h := l.o.errHandler; h != nil {
		h(err)
	}
	l.pc.j.opt.logger.Debug("jetstream pull consumer", "stream", l.pc.stream, "consumer", l.pc.name, "err", err)
}

func (l *pullLoop) loop() error {
	tick := time.NewTicker(l.o.heartbeat)
	defer tick.Stop()
	l.lastActivity = time.Now()
	if err := l.pull(); err != nil {
		return err
	}
	ready := l.sub.Ready()
	drainc := l.drainc
	var batch []*conn.Msg
	for {
		select {
		case <-ready:
			var open bool
			batch, open = l.sub.Take(batch[:0])
			if err := l.receiveAll(batch, !open); err != nil {
				return err
			}
			clear(batch) // keep no message alive until the next batch
			if !open {
				if l.draining || l.drainRequested() {
					return nil
				}
				return errOr(l.sub.Err(), conn.ErrConnectionClosed)
			}
		case <-tick.C:
			l.checkHeartbeat()
		case _, ok := <-l.events:
			if !ok {
				l.events = nil
				continue
			}
			// A new link: whatever was requested on the old one is gone or will expire.
			l.outMsgs, l.outBytes = 0, 0
			l.lastActivity = time.Now()
			if err := l.pull(); err != nil {
				return err
			}
		case <-l.retryC:
			l.retryC = nil
			if err := l.pull(); err != nil {
				return err
			}
		case err := <-l.infoc:
			l.checking = false
			if errors.Is(err, jsm.ErrConsumerNotFound) {
				return ErrConsumerDeleted
			}
		case <-l.stopc:
			return nil
		case <-drainc:
			drainc = nil
			l.draining = true
			l.fence()
		}
	}
}

// receiveAll handles a batch taken from the inbox. It ends early when the loop was
// stopped or the subscription ended under it (the connection's close): what is left is
// delivered again by the server after the ack wait. A drained subscription is no longer
// the connection's to end: its batches, the last one too, are delivered in full.
func (l *pullLoop) receiveAll(batch []*conn.Msg, last bool) error {
	if len(batch) > 0 {
		l.active = true
	}
	for _, m := range batch {
		if !last && !l.sub.IsValid() {
			return nil
		}
		if err := l.receive(m); err != nil {
			return err
		}
		select {
		case <-l.stopc:
			return nil
		default:
		}
	}
	return nil
}

// receive handles one message of the inbox.
func (l *pullLoop) receive(m *conn.Msg) error {
	st, isStatus := statusOf(m)
	if !isStatus {
		jm := newMsg(l.c, m)
		l.outMsgs = max(l.outMsgs-1, 0)
		l.outBytes = max(l.outBytes-jm.size(), 0)
		l.backoff = 0
		if !l.deliver(jm) {
			return nil
		}
		l.active = true
		return l.pull()
	}
	switch st.kind() {
	case stHeartbeat:
		return nil
	case stEnded:
		l.settle(st)
		return l.pull()
	case stReset:
		l.report(st.err())
		l.outMsgs, l.outBytes = 0, 0
		l.schedule()
		return nil
	case stWarn:
		l.report(st.err())
		l.settle(st)
		l.schedule()
		if st.code == statusNoResp {
			// Nothing serves the consumer's pull subject: a pull sent after the consumer
			// was deleted gets this instead of 409 Consumer Deleted. Find out which.
			l.checkConsumer()
		}
		return nil
	}
	return st.err()
}

// settle takes what a finished request still owed out of the window.
func (l *pullLoop) settle(st pullStatus) {
	if !st.hasPending {
		l.outMsgs, l.outBytes = 0, 0
		return
	}
	l.outMsgs = max(l.outMsgs-st.pendMsgs, 0)
	l.outBytes = max(l.outBytes-st.pendBytes, 0)
}

// deliver calls the handler unless the loop was stopped.
func (l *pullLoop) deliver(m *Msg) bool {
	l.gate.Lock()
	halted := l.halted
	l.gate.Unlock()
	if halted {
		return false
	}
	if l.o.autoProgress {
		stop := l.autoProgress(m)
		defer stop()
	}
	l.handler(m)
	return true
}

// pull sends a pull request when the window has fallen to its threshold.
func (l *pullLoop) pull() error {
	if l.draining || l.retryC != nil {
		return nil
	}
	low := l.outMsgs <= l.o.thresholdMsgs
	if l.o.maxBytes > 0 {
		low = l.outBytes <= l.o.thresholdBytes
	}
	if !low {
		return nil
	}
	req := pullRequest{Batch: l.o.maxMsgs - l.outMsgs, Expires: l.o.expires, Heartbeat: l.o.heartbeat}
	if l.o.maxBytes > 0 {
		req.MaxBytes = l.o.maxBytes - l.outBytes
	}
	if req.Batch <= 0 {
		return nil
	}
	body, _ := json.Marshal(req)
	if err := l.c.PublishRequest(l.pc.nextSubject(), l.inbox, body); err != nil {
		if errors.Is(err, conn.ErrConnectionClosed) {
			return err
		}
		// Disconnected with a full reconnect buffer, for example: try again later.
		l.report(fmt.Errorf("nats: pull request: %w", err))
		l.schedule()
		return nil
	}
	l.outMsgs += req.Batch
	l.outBytes += req.MaxBytes
	return nil
}

// schedule pulls again after a growing delay (100 ms doubling up to 5 s).
func (l *pullLoop) schedule() {
	l.backoff = min(max(2*l.backoff, 100*time.Millisecond), 5*time.Second)
	if l.retry == nil {
		l.retry = time.NewTimer(l.backoff)
	} else {
		l.retry.Reset(l.backoff)
	}
	l.retryC = l.retry.C
}

// checkHeartbeat runs on every tick: when a request is open and nothing came for two
// heartbeat intervals, the request is taken as lost and the consumer pulls again, and
// asks whether the consumer still exists.
func (l *pullLoop) checkHeartbeat() {
	if l.active {
		l.active = false
		l.lastActivity = time.Now()
	}
	if l.outMsgs == 0 || l.draining || time.Since(l.lastActivity) < 2*l.o.heartbeat {
		return
	}
	l.report(ErrNoHeartbeat)
	l.outMsgs, l.outBytes = 0, 0
	l.lastActivity = time.Now()
	if err := l.pull(); err != nil {
		return
	}
	l.checkConsumer()
}

// checkConsumer asks, one question at a time, whether the consumer still exists; the
// answer comes back on infoc (buffered, so the goroutine ends even if the loop has).
func (l *pullLoop) checkConsumer() {
	if l.checking || !l.c.IsConnected() {
		return
	}
	l.checking = true
	go func() {
		_, err := l.pc.j.m.ConsumerInfo(context.Background(), l.pc.stream, l.pc.name)
		l.infoc <- err
	}()
}

// autoProgress sends +WPI for m every half ack wait while its handler runs and m is not
// acknowledged; the returned function ends it.
func (l *pullLoop) autoProgress(m *Msg) (stop func()) {
	every := l.pc.ackWait / 2
	if every <= 0 {
		every = 15 * time.Second
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if m.acked.Load() || m.InProgress() != nil {
					return
				}
			case <-done:
				return
			}
		}
	}()
	return func() { close(done) }
}
