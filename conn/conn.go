package conn

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nuid"
	"github.com/natsactor/natsactor/actor"
	"github.com/natsactor/natsactor/proto"
)

// Conn is a connection to a NATS server, or to one server at a time of a cluster. It is safe
// for concurrent use. Its state is owned by a set of actors: the connection actor (server
// pool, handshake, pings, reconnects, flush waiters), a reader that parses the socket and
// queues messages straight into subscriptions, and a writer that coalesces outgoing frames.
type Conn struct {
	opts options
	log  *slog.Logger
	life *actor.Lifecycle
	mbox chan command

	w     *writer
	subs  *subTable
	resp  *respMux
	ev    *eventQueue
	stats counters

	status     atomic.Int32
	info       atomic.Pointer[proto.Info]
	server     atomic.Pointer[string] // URL of the server in use
	maxPayload atomic.Int64
	inbound    atomic.Uint64 // bumped by the reader at every read: the ping timer's evidence of life
	sidSeq     atomic.Uint64
	draining   atomic.Bool
	closedSubs atomic.Pointer[[]*Subscription] // set by the actor when it closed
}

// Connect dials the first reachable server of urls (comma-separated; nats://, tls://, with
// user:pass@ or token@ accepted) and completes the NATS handshake. It blocks until the
// connection is up, ctx ends, or every server failed once; with WithRetryOnFailedConnect it
// instead returns a connection that keeps trying in the background. An authorization failure
// names its cause (ErrAuthorization, ErrAuthExpired, ...).
func Connect(ctx context.Context, urls string, opts ...Option) (*Conn, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	pool, err := newServerPool(urls, o.noRandomize)
	if err != nil {
		return nil, err
	}
	if pool.anyTLS() {
		o.wantTLS = true
	}
	c := &Conn{
		opts: o,
		log:  o.logger,
		life: actor.NewLifecycle(),
		mbox: make(chan command, 64),
		subs: newSubTable(),
		ev:   newEventQueue(o.eventHandler),
	}
	if c.log == nil {
		c.log = slog.New(discardHandler{})
	}
	c.w = newWriter(o.reconnectBufSize, o.writeDeadline, c.onWriteError)
	c.resp = newRespMux(c)
	c.status.Store(int32(StatusConnecting))

	hs, err := c.connectFirst(ctx, pool)
	if err != nil {
		if !o.retryOnFailedConn || ctx.Err() != nil || !errorIsRetryable(err) {
			c.w.close()
			c.ev.close()
			return nil, err
		}
		c.status.Store(int32(StatusReconnecting))
		a := newConnActor(c, pool)
		a.startReconnect()
		go a.run()
		return c, nil
	}
	// The first link is set up before the actor's goroutine starts, so that Connect returns
	// a connection that is fully up (INFO, status, reader running).
	a := newConnActor(c, pool)
	a.up(hs)
	go a.run()
	return c, nil
}

// connectFirst tries each server of the pool once, in order.
func (c *Conn) connectFirst(ctx context.Context, pool *serverPool) (*handshake, error) {
	var lastErr error
	for _, s := range pool.servers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hs, err := c.dial(ctx, s)
		if err == nil {
			return hs, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The cancel interrupted the handshake through a socket deadline, which
			// reads as an i/o timeout: say it was ctx.
			return nil, fmt.Errorf("%w: connecting to %s: %w", ctxErr, s.url.Redacted(), err)
		}
		c.log.Debug("connect failed", "server", s.url.Redacted(), "err", err)
		lastErr = err
	}
	if lastErr == nil {
		lastErr = ErrNoServers
	}
	if !errorsIsAny(lastErr, ErrNoServers) && !isAuthError(lastErr) {
		lastErr = fmt.Errorf("%w: %w", ErrNoServers, lastErr)
	}
	return nil, lastErr
}

// Publish sends data to subject. It only queues the frame: it never blocks on the network
// (while reconnecting it uses the bounded reconnect buffer), and reports only errors known
// at once — a bad subject, a payload over max_payload, a closed connection, a full
// reconnect buffer. Use Flush to know the server has it.
func (c *Conn) Publish(subject string, data []byte) error {
	return c.publish(subject, "", nil, data, false)
}

// PublishRequest sends data to subject with reply as the subject to answer to.
func (c *Conn) PublishRequest(subject, reply string, data []byte) error {
	return c.publish(subject, reply, nil, data, false)
}

// PublishMsg sends m (Subject, Reply, Header, Data) as Publish does; with headers it uses
// HPUB.
func (c *Conn) PublishMsg(m *Msg) error {
	if m == nil {
		return fmt.Errorf("%w: nil message", ErrInvalidOption)
	}
	return c.publish(m.Subject, m.Reply, m.Header, m.Data, false)
}

// publish validates and queues one message. now marks a message someone waits on (a
// request or a reply): it is written at once by the caller when the writer is idle.
func (c *Conn) publish(subject, reply string, hdr Header, data []byte, now bool) error {
	// Wildcard tokens are allowed, as the server allows them: parts of the JetStream API
	// carry a filter such as "orders.>" in the request subject. The subject is checked
	// under the writer's lock (w.checkSubject), where the last valid one is remembered.
	if reply != "" {
		if err := validateSubject(reply); err != nil {
			return err
		}
	}
	if len(hdr) == 0 {
		size := len(data)
		if max := c.maxPayload.Load(); max > 0 && int64(size) > max {
			return fmt.Errorf("%w: %d bytes, server allows %d", ErrMaxPayload, size, max)
		}
		b, _, err := c.w.begin(true, len(subject)+len(reply)+size+32)
		if err != nil {
			return err
		}
		if err := c.w.checkSubject(subject); err != nil {
			return err
		}
		if c.w.direct(size) {
			c.w.endDirect(proto.AppendPubHead(b, subject, reply, size), data, size)
		} else if now {
			c.w.endMsgNow(proto.AppendPub(b, subject, reply, data), size)
		} else {
			c.w.endMsg(proto.AppendPub(b, subject, reply, data), size)
		}
		return nil
	}
	if info := c.info.Load(); info != nil && !info.Headers {
		return ErrHeadersNotSupported
	}
	for k, vs := range hdr {
		if !proto.ValidHeaderKey(k) {
			return fmt.Errorf("%w: key %q", ErrBadHeader, k)
		}
		for _, v := range vs {
			if !proto.ValidHeaderValue(v) {
				return fmt.Errorf("%w: value %q of %q", ErrBadHeader, v, k)
			}
		}
	}
	hb := proto.AppendHeader(nil, 0, "", hdr)
	size := len(hb) + len(data)
	if max := c.maxPayload.Load(); max > 0 && int64(size) > max {
		return fmt.Errorf("%w: %d bytes of headers and data, server allows %d", ErrMaxPayload, size, max)
	}
	b, _, err := c.w.begin(true, len(subject)+len(reply)+size+40)
	if err != nil {
		return err
	}
	if err := c.w.checkSubject(subject); err != nil {
		return err
	}
	if c.w.direct(size) {
		c.w.endDirect(proto.AppendHPubHead(b, subject, reply, hb, len(data)), data, size)
	} else if now {
		c.w.endMsgNow(proto.AppendHPub(b, subject, reply, hb, data), size)
	} else {
		c.w.endMsg(proto.AppendHPub(b, subject, reply, hb, data), size)
	}
	return nil
}

// Subscribe expresses interest in subject (wildcards allowed). Messages arrive on the
// subscription's C() or, with WithHandler, at the handler. It returns once the SUB is
// queued; Flush if the server must know before you go on.
func (c *Conn) Subscribe(subject string, opts ...SubOption) (*Subscription, error) {
	return c.subscribe(subject, "", opts)
}

// QueueSubscribe is Subscribe as a member of queue group queue: each message goes to one
// member of the group.
func (c *Conn) QueueSubscribe(subject, queue string, opts ...SubOption) (*Subscription, error) {
	if err := validateQueue(queue); err != nil {
		return nil, err
	}
	return c.subscribe(subject, queue, opts)
}

func (c *Conn) subscribe(subject, queue string, opts []SubOption) (*Subscription, error) {
	if err := validateSubject(subject); err != nil {
		return nil, err
	}
	so := subOptions{pendingMsgs: DefaultSubPendingMsgs, pendingBytes: DefaultSubPendingBytes}
	for _, opt := range opts {
		if err := opt(&so); err != nil {
			return nil, err
		}
	}
	if so.owned && so.handler != nil {
		return nil, fmt.Errorf("%w: WithOwner and WithHandler together", ErrInvalidOption)
	}
	s := c.newSubscription(subject, queue, so)
	if s.handler != nil {
		// A handler's goroutine parks on a waker when there is one to spare (waker_linux.go).
		if s.k = newWaker(); s.k != nil {
			s.q.SetNotify(s.k.wake)
		}
	}
	if err := c.register(s); err != nil {
		if s.k != nil {
			s.k.close()
		}
		return nil, err
	}
	if s.own == nil {
		go s.run()
	}
	return s, nil
}

func (c *Conn) newSubscription(subject, queue string, so subOptions) *Subscription {
	s := &Subscription{
		conn:     c,
		sid:      c.sidSeq.Add(1),
		subject:  subject,
		queue:    queue,
		handler:  so.handler,
		life:     actor.NewLifecycle(),
		stop:     make(chan struct{}),
		inputEnd: make(chan struct{}),
	}
	s.q = actor.NewQueue[*Msg](so.pendingMsgs, so.pendingBytes)
	switch {
	case so.owned:
		s.own = &owned{}
	case so.handler == nil:
		s.ch = make(chan *Msg)
	}
	return s
}

// register adds s to the table and queues its SUB, atomically with respect to a reconnect's
// replay of the table.
func (c *Conn) register(s *Subscription) error {
	c.subs.mu.Lock()
	defer c.subs.mu.Unlock()
	if c.life.Closed() {
		return ErrConnectionClosed
	}
	if c.draining.Load() {
		return ErrConnectionDraining
	}
	c.subs.addLocked(s)
	b, ok, err := c.w.begin(false, 0)
	if ok {
		c.w.end(proto.AppendSub(b, s.subject, s.queue, s.sid))
	}
	return err
}

// sendUnsub queues UNSUB sid [max]; nothing while disconnected (the replay omits the sid).
func (c *Conn) sendUnsub(sid uint64, max int) error {
	b, ok, err := c.w.begin(false, 0)
	if ok {
		c.w.end(proto.AppendUnsub(b, sid, max))
	}
	return err
}

// Flush waits until the server has processed everything published before it (a PING/PONG
// round trip). It returns ctx's error if ctx ends first, ErrDisconnected if the link drops
// meanwhile.
func (c *Conn) Flush(ctx context.Context) error {
	_, err := c.RTT(ctx)
	return err
}

// RTT measures a PING/PONG round trip to the server.
func (c *Conn) RTT(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	done, err := actor.Call(ctx, c.mbox, c.life.Done(), func(reply chan<- chan error) command {
		return flushCmd{reply: reply}
	}, nil)
	if err != nil {
		return 0, c.mapStopped(err)
	}
	select {
	case err := <-done:
		if err != nil {
			return 0, err
		}
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-c.life.Done():
		return 0, c.closedErr()
	}
}

// Close closes the connection at once: buffered publishes are written if the link is up
// (within the write deadline), subscriptions end without delivering what they hold, and
// pending calls fail with ErrConnectionClosed. It is idempotent, safe from any handler, and
// returns after the connection's goroutines have stopped (those of subscription handlers
// stop after the running call returns).
func (c *Conn) Close() error {
	c.closeWith(nil)
	return nil
}

func (c *Conn) closeWith(cause error) {
	select {
	case c.mbox <- closeCmd{cause: cause}:
	case <-c.life.Done():
	}
	<-c.life.Done()
	// Outside handlers, wait out the handler calls that were running, so none is running
	// once Close returns.
	if subs := c.closedSubs.Load(); subs != nil && !actor.InHandler() {
		for _, s := range *subs {
			s.waitHandler()
		}
	}
}

// Done is closed when the connection is closed.
func (c *Conn) Done() <-chan struct{} { return c.life.Done() }

// Err returns why the connection closed: nil while open or after Close, the cause when
// reconnecting gave up or the server refused the credentials for good.
func (c *Conn) Err() error { return c.life.Err() }

// Status returns the connection's state.
func (c *Conn) Status() Status { return Status(c.status.Load()) }

// IsConnected reports whether the link is up.
func (c *Conn) IsConnected() bool { return c.Status() == StatusConnected }

// Stats returns a snapshot of the connection's counters.
func (c *Conn) Stats() Stats {
	outMsgs, outBytes, buffered := c.w.counts()
	return Stats{
		InMsgs: c.stats.inMsgs.Load(), OutMsgs: outMsgs,
		InBytes: c.stats.inBytes.Load(), OutBytes: outBytes,
		Reconnects: c.stats.reconnects.Load(), PingsSent: c.stats.pings.Load(),
		PongsReceived: c.stats.pongs.Load(), Errors: c.stats.errors.Load(),
		Dropped: c.stats.dropped.Load(), PendingBytes: uint64(buffered),
	}
}

// ServerInfo returns the INFO of the server in use (a copy), or the zero Info before the
// first connection.
func (c *Conn) ServerInfo() proto.Info {
	if i := c.info.Load(); i != nil {
		return *i
	}
	return proto.Info{}
}

// ServerVersion returns the parsed version of the server in use.
func (c *Conn) ServerVersion() Version {
	v, _ := ParseVersion(c.ServerInfo().Version)
	return v
}

// ConnectedURL returns the URL of the server in use ("" while disconnected), without
// credentials.
func (c *Conn) ConnectedURL() string {
	if c.Status() != StatusConnected {
		return ""
	}
	if s := c.server.Load(); s != nil {
		return *s
	}
	return ""
}

// MaxPayload returns the current server's max_payload.
func (c *Conn) MaxPayload() int64 { return c.maxPayload.Load() }

// NewInbox returns a unique subject under the inbox prefix, for replies. It is safe for
// concurrent use.
func (c *Conn) NewInbox() string {
	// nuid.Next uses a locked generator: a *nuid.NUID of our own would not be safe for
	// concurrent callers.
	return c.opts.inboxPrefix + "." + nuid.Next()
}

// ForceReconnect drops the current link and reconnects, preferring another server. It
// returns at once; events report the outcome.
func (c *Conn) ForceReconnect() error {
	select {
	case c.mbox <- forceReconnectCmd{}:
		return nil
	case <-c.life.Done():
		return ErrConnectionClosed
	}
}

func (c *Conn) isClosed() bool { return c.life.Closed() }

func (c *Conn) closedErr() error {
	if err := c.life.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrConnectionClosed, err)
	}
	return ErrConnectionClosed
}

func (c *Conn) mapStopped(err error) error {
	if err == actor.ErrStopped {
		return c.closedErr()
	}
	return err
}

func (c *Conn) onWriteError(epoch uint64, err error) {
	select {
	case c.mbox <- linkDown{epoch: epoch, err: err}:
	case <-c.life.Done():
	}
}

// validateSubject checks a subject for subscribing or publishing: wildcard tokens are
// allowed in both, as the server allows them.
func validateSubject(s string) error {
	if err := proto.ValidateSubject(s); err != nil {
		return fmt.Errorf("%w %q", ErrBadSubject, s)
	}
	return nil
}

func validateQueue(q string) error {
	if proto.ValidateQueue(q) != nil {
		return fmt.Errorf("%w %q", ErrBadQueueName, q)
	}
	return nil
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.Trim(addr, "[]")
	}
	return h
}
