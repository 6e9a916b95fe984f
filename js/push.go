package js

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/natsactor/natsactor/actor"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

// Default pending limits of push subscriptions.
const (
	DefaultPushPendingMsgs  = 524_288
	DefaultPushPendingBytes = 256 * 1024 * 1024
)

// Subscription is a push subscription (or, with Ordered, an ordered consumer): messages
// arrive on C(), through Next, or at a Handler. It is an actor: its goroutine takes the
// messages from the connection, answers flow-control requests once the messages before
// them were delivered, answers stalled-consumer heartbeats, watches the heartbeats and
// hands messages over in order.
type Subscription struct {
	j        *Client
	stream   string
	consumer string
	ord      *OrderedConsumer

	o        subOptions
	ackNone  bool
	created  bool               // an ephemeral consumer this subscription created
	cfg      jsm.ConsumerConfig // the configuration it was created with
	track    *pushTracker       // for a created one: where a re-created one starts
	mu       sync.Mutex         // guards consumer, which re-creation changes
	checks   chan pushCheck     // answers of the background consumer check
	checking bool               // a check is in flight (owned by the actor)
	sub      *conn.Subscription
	d        *deliverer
	lc       *actor.Lifecycle
	drainc   chan struct{}
	drainOne sync.Once
}

// Subscribe starts a push subscription on the stream that captures subject (or the one
// of BindStream/Bind): with Durable it binds to that durable push consumer or creates
// it; with Bind it binds only; otherwise it creates an ephemeral consumer. Deliver and
// ack options configure a created consumer; DeliverGroup (or QueueSubscribe) shares it.
// With Ordered it is an ordered consumer instead. ctx bounds the set-up; the
// subscription lives until Unsubscribe, Drain, the connection's close or the consumer's
// deletion.
func (j *Client) Subscribe(ctx context.Context, subject string, opts ...SubOption) (*Subscription, error) {
	o, err := j.subOpts(opts)
	if err != nil {
		return nil, err
	}
	if o.ordered {
		oc, err := j.OrderedConsumer(ctx, subject, opts...)
		if err != nil {
			return nil, err
		}
		return &Subscription{j: j, stream: oc.stream, ord: oc, lc: oc.lc, d: oc.d}, nil
	}
	ctx, cancel := j.withTimeout(ctx)
	defer cancel()
	stream, err := j.lookupStream(ctx, subject, &o)
	if err != nil {
		return nil, err
	}
	s := &Subscription{j: j, stream: stream, o: o, lc: actor.NewLifecycle(), drainc: make(chan struct{}), checks: make(chan pushCheck, 1)}
	ci, err := s.consumerInfo(ctx, subject)
	if err != nil {
		return nil, err
	}
	s.consumer = ci.Name
	s.ackNone = ci.Config.AckPolicy == jsm.AckNone
	if s.created {
		s.track = newPushTracker(ci.Config.AckPolicy)
	}
	pm, pb := o.pendMsgs, o.pendBytes
	if pm == 0 && pb == 0 {
		pm, pb = DefaultPushPendingMsgs, DefaultPushPendingBytes
	}
	subOpts := []conn.SubOption{conn.WithPendingLimits(pm, pb)}
	if ci.Config.DeliverGroup != "" {
		s.sub, err = j.c.QueueSubscribe(ci.Config.DeliverSubject, ci.Config.DeliverGroup, subOpts...)
	} else {
		s.sub, err = j.c.Subscribe(ci.Config.DeliverSubject, subOpts...)
	}
	if err != nil {
		s.deleteCreated()
		return nil, err
	}
	s.d = newDeliverer(o.handler)
	go s.run(ci.Config.Heartbeat)
	return s, nil
}

// QueueSubscribe is Subscribe with DeliverGroup(queue).
func (j *Client) QueueSubscribe(ctx context.Context, subject, queue string, opts ...SubOption) (*Subscription, error) {
	return j.Subscribe(ctx, subject, append(opts, DeliverGroup(queue))...)
}

// consumerInfo binds to the push consumer the options name, or creates one.
func (s *Subscription) consumerInfo(ctx context.Context, subject string) (*jsm.ConsumerInfo, error) {
	j, o := s.j, s.o
	if o.durable != "" {
		ci, err := j.m.ConsumerInfo(ctx, s.stream, o.durable)
		switch {
		case err == nil:
			if ci.Config.DeliverSubject == "" {
				return nil, fmt.Errorf("%w: %s is a pull consumer", ErrConsumerConfig, o.durable)
			}
			if ci.Config.DeliverGroup != o.queue {
				return nil, fmt.Errorf("%w: %s has deliver group %q, not %q", ErrConsumerConfig, o.durable, ci.Config.DeliverGroup, o.queue)
			}
			// ci.PushBound is not checked: the server clears it only some time after the
			// previous subscription went away, so a quick re-bind would be refused.
			return ci, nil
		case !errors.Is(err, jsm.ErrConsumerNotFound) || o.bind:
			return nil, err
		}
	}
	cfg := o.cfg
	cfg.Durable = o.durable
	cfg.DeliverSubject = j.c.NewInbox()
	cfg.DeliverGroup = o.queue
	if subject != "" && len(cfg.FilterSubjects) == 0 {
		cfg.FilterSubject = subject
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = DefaultPushHeartbeat
	}
	ci, err := j.m.CreateConsumer(ctx, s.stream, cfg)
	if err != nil {
		return nil, err
	}
	s.created = o.durable == ""
	s.cfg = cfg
	return ci, nil
}

func (s *Subscription) deleteCreated() {
	if !s.created || !s.j.c.IsConnected() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.j.m.DeleteConsumer(ctx, s.stream, s.Consumer())
}

func (s *Subscription) run(hb time.Duration) {
	leave := actor.EnterHandler()
	err := s.loop(hb)
	leave()
	s.sub.Unsubscribe()
	if err != nil {
		s.report(err)
	}
	s.d.halt()
	s.d.closeOut()
	checking := s.checking
	go func() {
		if checking { // it may be re-creating the consumer: delete that one
			if r := <-s.checks; r.recreated != nil {
				s.setConsumer(r.recreated.Name)
			}
		}
		s.deleteCreated()
	}()
	s.lc.Close(err)
}

func (s *Subscription) report(err error) {
	if h := s.o.errHandler; h != nil {
		h(err)
	}
	s.j.opt.logger.Debug("jetstream push subscription", "stream", s.stream, "consumer", s.consumer, "err", err)
}

// loop is the subscription's actor. Besides delivering, it watches the heartbeats: after
// two intervals of silence it reports ErrNoHeartbeat and checks the consumer in the
// background (again every two intervals while the silence lasts). A vanished durable
// ends the subscription with ErrConsumerDeleted; a vanished ephemeral one this
// subscription created is created again where delivery stopped (see pushTracker).
func (s *Subscription) loop(hb time.Duration) error {
	var tickC <-chan time.Time
	if hb > 0 {
		tick := time.NewTicker(hb)
		defer tick.Stop()
		tickC = tick.C
	}
	last := time.Now()
	active, missed := false, false
	subC := s.sub.C()
	drainc := s.drainc
	c := s.j.c
	for {
		select {
		case m, ok := <-subC:
			if !ok {
				if err := s.sub.Err(); err != nil {
					return err
				}
				return nil // drained, unsubscribed or connection closed
			}
			active, missed = true, false
			if st, isStatus := statusOf(m); isStatus {
				if st.code == statusHeartbeat {
					if m.Reply != "" {
						// Flow control: everything before it was delivered already.
						c.Publish(m.Reply, nil)
					} else if stalled := m.Header.Get(headerStalled); stalled != "" {
						c.Publish(stalled, nil)
					}
					continue
				}
				if st.kind() == stTerminal {
					return st.err()
				}
				s.report(st.err())
				continue
			}
			jm := newMsg(c, m)
			if s.track != nil {
				s.track.handing(jm)
			}
			if !s.d.deliver(jm) {
				continue
			}
			if s.d.handler != nil && !s.o.manualAck && !s.ackNone && !jm.acked.Load() {
				jm.Ack()
			}
			active = true
		case <-tickC:
			if active { // time.Now per tick rather than per message
				active, last = false, time.Now()
			}
			if time.Since(last) < 2*hb || s.checking || !c.IsConnected() {
				continue
			}
			if !missed {
				missed = true
				s.report(ErrNoHeartbeat)
			}
			s.checking = true
			go s.check(s.checks)
		case r := <-s.checks:
			s.checking = false
			last = time.Now() // the next check after two more silent intervals
			switch {
			case r.recreated != nil:
				old := s.setConsumer(r.recreated.Name)
				s.report(fmt.Errorf("%w: %s; re-created as %s from stream sequence %d", ErrConsumerDeleted, old, r.recreated.Name, r.recreateAt))
			case errors.Is(r.err, jsm.ErrConsumerNotFound), errors.Is(r.err, jsm.ErrStreamNotFound):
				return fmt.Errorf("%w: %w", ErrConsumerDeleted, r.err)
			case r.err != nil:
				s.report(r.err)
			}
		case <-s.d.stopc:
			return nil
		case <-drainc:
			drainc = nil
			s.d.fence(s.sub)
		}
	}
}

// C returns the channel messages are delivered on; nil with a Handler. It is closed when
// the subscription ends.
func (s *Subscription) C() <-chan *Msg { return s.d.out }

// Next returns the next message. It blocks until one arrives, ctx ends (the subscription
// stays usable) or the subscription ends. With a Handler it returns ErrHandlerSet.
func (s *Subscription) Next(ctx context.Context) (*Msg, error) {
	return s.d.next(ctx, func() error { return errOr(s.lc.Err(), conn.ErrBadSubscription) })
}

// Stream returns the stream's name.
func (s *Subscription) Stream() string { return s.stream }

// Consumer returns the consumer's name (for an ordered consumer, the one in use now).
func (s *Subscription) Consumer() string {
	if s.ord != nil {
		return s.ord.ConsumerName()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consumer
}

// setConsumer records the name of a re-created consumer and returns the old one.
func (s *Subscription) setConsumer(name string) (old string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, s.consumer = s.consumer, name
	return old
}

// Done is closed after the subscription ended and its last handler call returned.
func (s *Subscription) Done() <-chan struct{} { return s.lc.Done() }

// Err returns why the subscription ended: nil while active and after Unsubscribe/Drain.
func (s *Subscription) Err() error { return s.lc.Err() }

// Unsubscribe ends the subscription at once: no handler starts after it returns and C()
// is closed; an ephemeral consumer it created is deleted in the background. It waits for
// a running handler unless called from inside a handler. Idempotent.
func (s *Subscription) Unsubscribe() error {
	if s.ord != nil {
		s.ord.Stop()
		return nil
	}
	s.d.halt()
	if !actor.InHandler() {
		<-s.lc.Done()
	}
	return nil
}

// Drain stops interest, delivers what was already received and ends. With a handler it
// returns when the last handler call returned, or with ctx's error (a ctx without
// deadline waits at most the Client's timeout), then ending at once: no handler starts
// after it returned, and Done closes when a handler still running returns. Safe from a
// handler (it does not wait then). Without a handler it does not wait for the receiver,
// which may be its caller: it returns once the server stopped sending (after a PING/PONG
// fence, bounded by ctx), C() delivers what was received and then closes, and Done
// closes with it; closing the connection after Drain returned loses none of it (a ctx
// that already ended stops the subscription at once instead, returning ctx's error).
// Idempotent.
func (s *Subscription) Drain(ctx context.Context) error {
	if s.ord != nil {
		return s.ord.Drain(ctx)
	}
	if err := ctx.Err(); err != nil && s.d.receiverDriven() {
		s.d.halt()
		return err
	}
	s.drainOne.Do(func() { close(s.drainc) })
	if s.d.receiverDriven() {
		// The actor may be blocked handing a message to C(), whose receiver is the
		// caller: the fence is started from here (the actor starts it too once free).
		s.d.fence(s.sub)
		ctx, cancel := s.j.withTimeout(ctx)
		defer cancel()
		return s.d.waitFenced(ctx, s.lc.Done())
	}
	if actor.InHandler() {
		return nil
	}
	ctx, cancel := s.j.withTimeout(ctx)
	defer cancel()
	select {
	case <-s.lc.Done():
		return nil
	case <-ctx.Done():
		s.d.halt() // no handler starts now; one that runs is not waited for
		return ctx.Err()
	}
}
