package js

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nuid"

	"github.com/natsactor/natsactor/actor"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

// Ordered consumer defaults (ADR-17).
const (
	orderedHeartbeat  = 5 * time.Second
	orderedBatch      = 500
	orderedInactivity = 5 * time.Minute
)

// OrderedConsumer delivers a stream's messages in order, each once, without
// acknowledgements, through a chain of ephemeral pull consumers (AckNone, memory
// storage, one replica) that it replaces whenever the chain might break: a gap in the
// consumer sequence, two missed heartbeats, a reconnect, a leadership change or the
// consumer's deletion. Each replacement starts at the stream sequence after the last
// one delivered, so nothing is skipped and nothing repeated; only one replacement is in
// flight at a time, and failed ones are retried with a growing delay, without limit.
// It is an actor: its goroutine owns the sequence tracking and the pull window.
type OrderedConsumer struct {
	j      *Client
	stream string
	base   jsm.ConsumerConfig
	prefix string
	o      subOptions
	d      *deliverer
	lc     *actor.Lifecycle

	drainOnce sync.Once
	drainc    chan struct{}
	resets    atomic.Uint64
	current   atomic.Value // string: the name of the consumer in use
	// subNow is the subscription in use, for a Drain made while the actor is blocked
	// handing a message to C() (its caller may be the receiver).
	subNow atomic.Pointer[conn.Subscription]

	// Owned by the actor's goroutine.
	serial       int
	name         string
	sub          *conn.Subscription
	subC         <-chan *conn.Msg
	lastSseq     uint64
	lastCseq     uint64
	outMsgs      int
	hb           time.Duration
	lastActivity time.Time // brought up to date by the ticker when active is set
	active       bool      // something arrived since the last tick
	resetting    bool
	resetCancel  context.CancelFunc
	retryNow     bool
	resetc       chan resetResult
	retry        *time.Timer
	retryC       <-chan time.Time
	backoff      time.Duration
	draining     bool
}

type resetResult struct {
	ci  *jsm.ConsumerInfo
	err error
}

// OrderedConsumer starts an ordered consumer of the stream that captures subject (or of
// BindStream's stream), filtered on subject ("" with FilterSubjects or BindStream for
// the whole stream). Deliver options (DeliverAll, DeliverNew, StartSequence, ...) say
// where it starts; IdleHeartbeat sets the heartbeat of its pulls (default 5 s); Handler
// delivers to a handler instead of C(). ctx bounds the creation of the first consumer;
// then it runs until Stop, Drain or the connection's close.
func (j *Client) OrderedConsumer(ctx context.Context, subject string, opts ...SubOption) (*OrderedConsumer, error) {
	o, err := j.subOpts(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := j.withTimeout(ctx)
	defer cancel()
	stream, err := j.lookupStream(ctx, subject, &o)
	if err != nil {
		return nil, err
	}
	base := o.cfg
	if subject != "" && len(base.FilterSubjects) == 0 {
		base.FilterSubject = subject
	}
	base.AckPolicy = jsm.AckNone
	base.MemoryStorage = true
	base.Replicas = 1
	base.MaxDeliver = 0
	base.InactiveThreshold = orderedInactivity
	hb := base.Heartbeat
	if hb == 0 {
		hb = orderedHeartbeat
	}
	base.Heartbeat = 0 // a pull consumer: the heartbeat goes in each pull
	oc := &OrderedConsumer{
		j: j, stream: stream, base: base, prefix: nuid.Next(), o: o,
		d: newDeliverer(o.handler), lc: actor.NewLifecycle(), drainc: make(chan struct{}),
		hb: hb, resetc: make(chan resetResult, 1),
	}
	ci, err := j.m.CreateConsumer(ctx, stream, oc.nextConfig())
	if err != nil {
		return nil, err
	}
	if err := oc.use(ci); err != nil {
		return nil, err
	}
	go oc.run()
	return oc, nil
}

// C returns the channel messages are delivered on; nil with a Handler. It is closed when
// the consumer ends.
func (oc *OrderedConsumer) C() <-chan *Msg { return oc.d.out }

// Next returns the next message. It blocks until one comes, ctx ends (the consumer
// stays usable), or the consumer ends (ErrConsumerStopped, or why it ended). With a
// Handler it returns ErrHandlerSet.
func (oc *OrderedConsumer) Next(ctx context.Context) (*Msg, error) {
	return oc.d.next(ctx, func() error { return errOr(oc.lc.Err(), ErrConsumerStopped) })
}

// Done is closed after the consumer ended and its last handler call returned.
func (oc *OrderedConsumer) Done() <-chan struct{} { return oc.lc.Done() }

// Err returns why the consumer ended: nil while it runs and after Stop or Drain.
func (oc *OrderedConsumer) Err() error { return oc.lc.Err() }

// Resets returns how many times the consumer was replaced.
func (oc *OrderedConsumer) Resets() uint64 { return oc.resets.Load() }

// ConsumerName returns the name of the server consumer in use now.
func (oc *OrderedConsumer) ConsumerName() string { s, _ := oc.current.Load().(string); return s }

// Stop ends the consumer at once: no handler starts after it returns and C() is closed.
// It waits for a running handler unless called from inside a handler. The server
// consumer in use is deleted in the background (it would expire anyway). Idempotent.
func (oc *OrderedConsumer) Stop() {
	oc.d.halt()
	if !actor.InHandler() {
		<-oc.lc.Done()
	}
}

// Drain stops pulling, delivers what was already received, then ends. With a handler
// it returns when the last handler call returned or ctx ended (then it stops at once: no
// handler starts after it returned, and Done closes when one still running returns; a
// ctx without deadline waits at most the Client's timeout). Safe from a handler (it
// does not wait then). Without a handler it does not wait for the receiver, which may
// be its caller: it returns once the server stopped sending (after a PING/PONG fence,
// bounded by ctx), C() delivers what was received and then closes, and Done closes with
// it; closing the connection after Drain returned loses none of it (a ctx that already
// ended stops the consumer at once instead, returning ctx's error). Idempotent.
func (oc *OrderedConsumer) Drain(ctx context.Context) error {
	if err := ctx.Err(); err != nil && oc.d.receiverDriven() {
		oc.d.halt()
		return err
	}
	oc.drainOnce.Do(func() { close(oc.drainc) })
	if oc.d.receiverDriven() {
		// The actor may be blocked handing a message to C(), whose receiver is the
		// caller: the fence is started from here (the actor starts it too once free).
		if sub := oc.subNow.Load(); sub != nil {
			oc.d.fence(sub)
		} else {
			oc.d.fenceDone()
		}
		ctx, cancel := oc.j.withTimeout(ctx)
		defer cancel()
		return oc.d.waitFenced(ctx, oc.lc.Done())
	}
	if actor.InHandler() {
		return nil
	}
	ctx, cancel := oc.j.withTimeout(ctx)
	defer cancel()
	select {
	case <-oc.lc.Done():
		return nil
	case <-ctx.Done():
		oc.d.halt() // no handler starts now; one that runs is not waited for
		return ctx.Err()
	}
}

// nextConfig is the configuration of the next consumer of the chain.
func (oc *OrderedConsumer) nextConfig() jsm.ConsumerConfig {
	oc.serial++
	cfg := oc.base
	cfg.Name = oc.prefix + "_" + strconv.Itoa(oc.serial)
	if oc.lastSseq > 0 {
		cfg.DeliverPolicy = jsm.DeliverByStartSequence
		cfg.OptStartSeq = oc.lastSseq + 1
		cfg.OptStartTime = nil
	}
	return cfg
}

// use switches to a newly created consumer: a new inbox, so nothing of the previous
// consumer can arrive, and a first pull.
func (oc *OrderedConsumer) use(ci *jsm.ConsumerInfo) error {
	c := oc.j.c
	inbox := c.NewInbox()
	sub, err := c.Subscribe(inbox, conn.WithPendingLimits(-1, -1))
	if err != nil {
		return err
	}
	oc.name, oc.sub, oc.subC = ci.Name, sub, sub.C()
	oc.subNow.Store(sub)
	oc.current.Store(ci.Name)
	oc.lastCseq, oc.outMsgs = 0, 0
	oc.lastActivity = time.Now()
	oc.pull()
	return nil
}

func (oc *OrderedConsumer) run() {
	leave := actor.EnterHandler()
	events, unlisten := oc.j.c.Events(conn.EventReconnected)
	err := oc.loop(events)
	unlisten()
	leave()
	if oc.sub != nil {
		oc.sub.Unsubscribe()
	}
	if oc.retry != nil {
		oc.retry.Stop()
	}
	if oc.resetting {
		// Give up the creation in flight; remove what it may have created.
		oc.resetCancel()
		go func() {
			if r := <-oc.resetc; r.err == nil {
				oc.deleteConsumer(r.ci.Name)
			}
		}()
	} else if oc.name != "" && oc.j.c.IsConnected() {
		go oc.deleteConsumer(oc.name)
	}
	if err != nil {
		oc.report(err)
	}
	oc.d.halt()
	oc.d.closeOut()
	oc.lc.Close(err)
}

func (oc *OrderedConsumer) deleteConsumer(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	oc.j.m.DeleteConsumer(ctx, oc.stream, name)
}

func (oc *OrderedConsumer) report(err error) {
	if h := oc.o.errHandler; h != nil {
		h(err)
	}
	oc.j.opt.logger.Debug("jetstream ordered consumer", "stream", oc.stream, "consumer", oc.name, "err", err)
}

func (oc *OrderedConsumer) loop(events <-chan conn.Event) error {
	tick := time.NewTicker(oc.hb)
	defer tick.Stop()
	drainc := oc.drainc
	for {
		select {
		case m, ok := <-oc.subC:
			if !ok {
				if oc.draining || oc.drainRequested() {
					return nil
				}
				if errors.Is(oc.sub.Err(), conn.ErrConnectionClosed) || oc.j.c.Status() == conn.StatusClosed {
					return conn.ErrConnectionClosed
				}
				oc.reset(fmt.Errorf("nats: ordered consumer subscription ended: %w", oc.sub.Err()))
				continue
			}
			oc.active = true
			oc.receive(m)
		case <-tick.C:
			if oc.active {
				oc.active = false
				oc.lastActivity = time.Now()
			}
			if oc.sub != nil && !oc.draining && time.Since(oc.lastActivity) >= 2*oc.hb {
				oc.reset(ErrNoHeartbeat)
			}
		case _, ok := <-events:
			if !ok {
				if (oc.draining || oc.drainRequested()) && oc.sub != nil {
					// The drained subscription delivers what it received even after the
					// close; its end ends the loop.
					events = nil
					continue
				}
				return conn.ErrConnectionClosed
			}
			if oc.resetting {
				// The creation in flight went to the old link: give it up and retry now.
				oc.retryNow = true
				oc.resetCancel()
			} else if !oc.draining {
				oc.reset(fmt.Errorf("nats: ordered consumer reset after a reconnect: %w", conn.ErrDisconnected))
			}
		case r := <-oc.resetc:
			oc.resetting = false
			oc.resetCancel()
			if r.err != nil {
				oc.report(fmt.Errorf("nats: ordered consumer re-creation: %w", r.err))
				oc.backoff = min(max(2*oc.backoff, 250*time.Millisecond), 10*time.Second)
				delay := oc.backoff
				if oc.retryNow {
					oc.retryNow, delay = false, 0
				}
				oc.retry = resetTimer(oc.retry, delay)
				oc.retryC = oc.retry.C
				continue
			}
			oc.backoff = 0
			if oc.draining {
				go oc.deleteConsumer(r.ci.Name)
				return nil
			}
			if err := oc.use(r.ci); err != nil {
				return err
			}
		case <-oc.retryC:
			oc.retryC = nil
			oc.recreate()
		case <-oc.d.stopc:
			return nil
		case <-drainc:
			drainc = nil
			oc.draining = true
			if oc.sub == nil {
				oc.d.fenceDone()
				if !oc.resetting {
					return nil
				}
				continue
			}
			oc.d.fence(oc.sub)
		}
	}
}

// drainRequested reports whether Drain was called, even if the loop has not taken the
// request yet (it may have been busy handing a message to C()).
func (oc *OrderedConsumer) drainRequested() bool {
	select {
	case <-oc.drainc:
		return true
	default:
		return false
	}
}

func resetTimer(t *time.Timer, d time.Duration) *time.Timer {
	if t == nil {
		return time.NewTimer(d)
	}
	t.Reset(d)
	return t
}

// receive handles one message of the current consumer's inbox.
func (oc *OrderedConsumer) receive(m *conn.Msg) {
	st, isStatus := statusOf(m)
	if isStatus {
		switch st.kind() {
		case stHeartbeat:
		case stEnded:
			if st.hasPending {
				oc.outMsgs = max(oc.outMsgs-st.pendMsgs, 0)
			} else {
				oc.outMsgs = 0
			}
			oc.pull()
		default:
			oc.reset(st.err())
		}
		return
	}
	md, err := parseMetadata(m.Reply)
	if err != nil {
		oc.report(err)
		return
	}
	oc.outMsgs = max(oc.outMsgs-1, 0)
	if md.Sequence.Consumer != oc.lastCseq+1 {
		oc.reset(fmt.Errorf("nats: ordered consumer gap: consumer sequence %d after %d", md.Sequence.Consumer, oc.lastCseq))
		return
	}
	oc.lastCseq = md.Sequence.Consumer
	jm := newMsg(oc.j.c, m)
	if !oc.d.deliver(jm) {
		return
	}
	// The stream sequence advances only once the message was accepted.
	oc.lastSseq = md.Sequence.Stream
	oc.lastActivity = time.Now()
	oc.pull()
}

// pull asks for more when half the window was received.
func (oc *OrderedConsumer) pull() {
	if oc.sub == nil || oc.draining || oc.outMsgs > orderedBatch/2 {
		return
	}
	expires := max(30*time.Second, 4*oc.hb)
	req := pullRequest{Batch: orderedBatch - oc.outMsgs, Expires: expires, Heartbeat: oc.hb}
	body, _ := json.Marshal(req)
	if err := oc.j.c.PublishRequest(oc.j.m.APIPrefix()+".CONSUMER.MSG.NEXT."+oc.stream+"."+oc.name, oc.sub.Subject(), body); err != nil {
		oc.report(fmt.Errorf("nats: ordered consumer pull: %w", err))
		return // the heartbeat alarm resets
	}
	oc.outMsgs += req.Batch
}

// reset replaces the consumer, unless a replacement is in flight already.
func (oc *OrderedConsumer) reset(reason error) {
	if oc.resetting || oc.retryC != nil {
		return
	}
	oc.report(reason)
	if oc.sub != nil {
		oc.sub.Unsubscribe()
		oc.sub, oc.subC = nil, nil
		oc.subNow.Store(nil)
	}
	if oc.draining {
		return
	}
	oc.recreate()
}

// recreate starts the creation of the next consumer on a goroutine of its own, so the
// actor keeps answering Stop; the result comes back on resetc.
func (oc *OrderedConsumer) recreate() {
	oc.resetting = true
	oc.resets.Add(1)
	old := oc.name
	cfg := oc.nextConfig()
	ctx, cancel := oc.j.withTimeout(context.Background())
	oc.resetCancel = cancel
	go func() {
		defer cancel()
		if old != "" {
			oc.j.m.DeleteConsumer(ctx, oc.stream, old)
		}
		ci, err := oc.j.m.CreateConsumer(ctx, oc.stream, cfg)
		oc.resetc <- resetResult{ci, err}
	}()
}
