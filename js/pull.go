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

// PullConsumer reads a pull consumer: Fetch and Next for batches the caller asks for,
// Messages and Consume for a continuous flow kept up by an actor that owns the pull
// window. It is safe for concurrent use. Stop or Drain end it and every flow it runs;
// the consumer itself stays in the server.
type PullConsumer struct {
	j      *Client
	stream string
	name   string
	opts   subOptions
	// ackWait is the consumer's ack wait when it was bound (for PullAutoInProgress).
	ackWait time.Duration
	lc      *actor.Lifecycle

	mu      sync.Mutex
	loops   map[*pullLoop]struct{}
	stopped bool
	stopc   chan struct{}  // closed by Stop and Drain
	wg      sync.WaitGroup // running loops and fetches
}

// PullSubscribe returns a PullConsumer for the durable pull consumer durable on the
// stream that captures subject (or the stream of BindStream): it creates the consumer,
// filtered on subject, when it is missing and binds to it when it exists. An existing
// push consumer of that name gives ErrConsumerConfig. ctx bounds the API calls (5 s
// without a deadline); the PullConsumer lives until Stop, Drain or the connection's
// close.
func (j *Client) PullSubscribe(ctx context.Context, subject, durable string, opts ...SubOption) (*PullConsumer, error) {
	o, err := j.subOpts(opts)
	if err != nil {
		return nil, err
	}
	if durable == "" && o.durable == "" {
		return nil, fmt.Errorf("%w: PullSubscribe needs a durable name", ErrInvalidOption)
	}
	if durable != "" {
		o.durable = durable
	}
	ctx, cancel := j.withTimeout(ctx)
	defer cancel()
	stream, err := j.lookupStream(ctx, subject, &o)
	if err != nil {
		return nil, err
	}
	ci, err := j.m.ConsumerInfo(ctx, stream, o.durable)
	switch {
	case err == nil:
		if ci.Config.DeliverSubject != "" {
			return nil, fmt.Errorf("%w: %s is a push consumer", ErrConsumerConfig, o.durable)
		}
		if subject != "" && ci.Config.FilterSubject != "" && ci.Config.FilterSubject != subject {
			return nil, fmt.Errorf("%w: %s filters %q, not %q", ErrConsumerConfig, o.durable, ci.Config.FilterSubject, subject)
		}
	case errors.Is(err, jsm.ErrConsumerNotFound) && !o.bind:
		cfg := o.cfg
		cfg.Durable = o.durable
		if subject != "" && len(cfg.FilterSubjects) == 0 {
			cfg.FilterSubject = subject
		}
		if ci, err = j.m.CreateConsumer(ctx, stream, cfg); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	return j.newPullConsumer(stream, ci, o), nil
}

// Consumer returns a PullConsumer bound to the existing pull consumer name of stream.
// It never creates one: a missing consumer is jsm.ErrConsumerNotFound, a push consumer
// ErrConsumerConfig. ctx bounds the API call (5 s without a deadline).
func (j *Client) Consumer(ctx context.Context, stream, name string, opts ...SubOption) (*PullConsumer, error) {
	o, err := j.subOpts(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := j.withTimeout(ctx)
	defer cancel()
	ci, err := j.m.ConsumerInfo(ctx, stream, name)
	if err != nil {
		return nil, err
	}
	if ci.Config.DeliverSubject != "" {
		return nil, fmt.Errorf("%w: %s is a push consumer", ErrConsumerConfig, name)
	}
	return j.newPullConsumer(stream, ci, o), nil
}

func (j *Client) newPullConsumer(stream string, ci *jsm.ConsumerInfo, o subOptions) *PullConsumer {
	p := &PullConsumer{j: j, stream: stream, name: ci.Name, opts: o, ackWait: ci.Config.AckWait, lc: actor.NewLifecycle(), loops: map[*pullLoop]struct{}{}, stopc: make(chan struct{})}
	go p.watchConn()
	return p
}

// watchConn ends the PullConsumer when its connection closes, so that Done is closed
// whether or not a flow was running; it returns early on Stop or Drain.
func (p *PullConsumer) watchConn() {
	select {
	case <-p.j.c.Done():
	case <-p.stopc:
		return
	}
	p.markStopped()
	p.wg.Wait()
	p.lc.Close(conn.ErrConnectionClosed)
}

func (j *Client) subOpts(opts []SubOption) (subOptions, error) {
	var o subOptions
	if err := j.err(); err != nil {
		return o, err
	}
	for _, f := range opts {
		if err := f(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// lookupStream returns the stream of BindStream/Bind or the one that captures subject.
func (j *Client) lookupStream(ctx context.Context, subject string, o *subOptions) (string, error) {
	if o.stream != "" {
		return o.stream, nil
	}
	if subject == "" {
		return "", fmt.Errorf("%w: no subject and no stream", ErrInvalidOption)
	}
	return j.m.StreamNameBySubject(ctx, subject)
}

// Stream returns the name of the consumer's stream.
func (p *PullConsumer) Stream() string { return p.stream }

// Name returns the consumer's name.
func (p *PullConsumer) Name() string { return p.name }

// Info asks the server for the consumer's configuration and state.
func (p *PullConsumer) Info(ctx context.Context) (*jsm.ConsumerInfo, error) {
	return p.j.m.ConsumerInfo(ctx, p.stream, p.name)
}

// Done is closed once the PullConsumer was stopped or drained and the last handler call
// of its flows returned.
func (p *PullConsumer) Done() <-chan struct{} { return p.lc.Done() }

// Err returns why the PullConsumer ended: nil while it runs or after Stop/Drain;
// conn.ErrConnectionClosed after the connection closed; the error that ended a Consume.
func (p *PullConsumer) Err() error { return p.lc.Err() }

// Stop ends the PullConsumer at once: no more pulls, no handler starts after Stop
// returns, messages received and not delivered are dropped (the server delivers them
// again after the ack wait), and Fetch, Next and Messages in progress return
// ErrConsumerStopped. It waits for a handler that is running, unless called from inside
// a handler. It is idempotent.
func (p *PullConsumer) Stop() {
	loops := p.markStopped()
	for _, l := range loops {
		l.stop()
	}
	if !actor.InHandler() {
		p.wg.Wait()
	}
	p.finish()
}

// Drain ends the PullConsumer gracefully: no more pulls; the flows deliver the messages
// already received, then end. It returns when the last handler call returned, or with
// ctx's error (a ctx without deadline waits at most the Client's timeout) after
// stopping the flows as Stop does, without waiting for a handler still running (Done
// closes when it returns); from inside a handler it does not wait. While a Messages
// iteration runs, whose body may be its caller, it waits only until the server stopped
// sending (a PING/PONG fence, bounded by ctx): the iteration yields what was received,
// then ends, and closing the connection after Drain returned loses none of it. It is
// idempotent.
func (p *PullConsumer) Drain(ctx context.Context) error {
	loops := p.markStopped()
	receiverDriven := false
	for _, l := range loops {
		l.drain()
		receiverDriven = receiverDriven || l.receiverDriven
	}
	if receiverDriven {
		// Wait for the fences, which need no receiver: then the connection no longer
		// holds the subscriptions, and closing it cannot discard what they received.
		ctx, cancel := p.j.withTimeout(ctx)
		defer cancel()
		go func() { p.wg.Wait(); p.finish() }()
		for _, l := range loops {
			if !l.receiverDriven {
				continue
			}
			l.fence()
			select {
			case <-l.fenced:
			case <-l.lc.Done():
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	if actor.InHandler() {
		go func() { p.wg.Wait(); p.finish() }()
		return nil
	}
	ctx, cancel := p.j.withTimeout(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, l := range loops {
			l.stop()
		}
		go func() { <-done; p.finish() }()
		return ctx.Err()
	}
	p.finish()
	return nil
}

func (p *PullConsumer) markStopped() []*pullLoop {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.stopped = true
		close(p.stopc)
	}
	loops := make([]*pullLoop, 0, len(p.loops))
	for l := range p.loops {
		loops = append(loops, l)
	}
	return loops
}

func (p *PullConsumer) finish() { p.lc.Close(nil) }

// begin registers a fetch or loop; it fails once the consumer is stopped.
func (p *PullConsumer) begin(l *pullLoop) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return ErrConsumerStopped
	}
	p.wg.Add(1)
	if l != nil {
		p.loops[l] = struct{}{}
	}
	return nil
}

func (p *PullConsumer) end(l *pullLoop) {
	p.mu.Lock()
	if l != nil {
		delete(p.loops, l)
	}
	p.mu.Unlock()
	p.wg.Done()
}

// nextSubject is the API subject pull requests go to.
func (p *PullConsumer) nextSubject() string {
	return p.j.m.APIPrefix() + ".CONSUMER.MSG.NEXT." + p.stream + "." + p.name
}
