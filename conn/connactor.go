package conn

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/natsactor/natsactor/proto"
)

// command is what the connection actor's mailbox carries: calls from the API and events
// from the reader, the writer and the reconnect dialer.
type command interface{ isCommand() }

type (
	flushCmd struct {
		reply chan<- chan error // the actor answers with a channel completed by the PONG
	}
	closeCmd          struct{ cause error }
	forceReconnectCmd struct{}
	linkDown          struct {
		epoch uint64
		err   error
	}
	pongEvent struct{ epoch uint64 }
	infoEvent struct {
		epoch uint64
		info  *proto.Info
	}
	errEvent struct {
		epoch uint64
		text  string
	}
)

func (flushCmd) isCommand()          {}
func (closeCmd) isCommand()          {}
func (forceReconnectCmd) isCommand() {}
func (linkDown) isCommand()          {}
func (pongEvent) isCommand()         {}
func (infoEvent) isCommand()         {}
func (errEvent) isCommand()          {}

var errForcedReconnect = errors.New("nats: reconnect requested")
var errLameDuck = errors.New("nats: server entered lame duck mode")

type dialResult struct {
	hs  *handshake
	err error
}

// connActor owns the connection's state: the server pool, the current link and its reader,
// PONG waiters, the ping timer and the reconnect loop. Only its goroutine touches these
// fields.
type connActor struct {
	c    *Conn
	pool *serverPool
	cur  *server

	link       *handshake // nil while disconnected
	epoch      uint64
	stopReader chan struct{}
	readerDone chan struct{}

	pongs        []chan error // one entry per PING in flight, nil for keep-alive pings
	waitingFlush []chan error // flushes asked for while disconnected
	pingsOut     int
	lastInbound  uint64
	cause        error // what the server said before it dropped the link

	dialing    chan dialResult // non-nil while a reconnect loop runs
	dialCancel context.CancelFunc
	lameDuck   *time.Timer
	everUp     bool
}

func newConnActor(c *Conn, pool *serverPool) *connActor {
	return &connActor{c: c, pool: pool}
}

// run is the actor's goroutine; the first link (or the first reconnect loop) is set up
// before it starts.
func (a *connActor) run() {
	c := a.c
	ticker := time.NewTicker(c.opts.pingInterval)
	defer ticker.Stop()
	for {
		var ldm <-chan time.Time
		if a.lameDuck != nil {
			ldm = a.lameDuck.C
		}
		select {
		case cmd := <-c.mbox:
			if a.handle(cmd) {
				return
			}
		case r := <-a.dialing:
			a.dialing = nil
			if r.err != nil {
				a.shutdown(r.err)
				return
			}
			a.up(r.hs)
		case <-ticker.C:
			a.pingTick()
		case <-ldm:
			a.lameDuck = nil
			if a.link != nil {
				a.cur.lameDuck = true
				a.down(errLameDuck)
			}
		}
	}
}

// handle processes one command; true when the connection is closed.
func (a *connActor) handle(cmd command) bool {
	c := a.c
	switch cmd := cmd.(type) {
	case flushCmd:
		done := make(chan error, 1)
		cmd.reply <- done
		if a.link == nil {
			a.waitingFlush = append(a.waitingFlush, done)
			return false
		}
		a.ping(done)
	case pongEvent:
		if cmd.epoch != a.epoch || a.link == nil {
			return false
		}
		c.stats.pongs.Add(1)
		a.pingsOut = 0
		if len(a.pongs) > 0 {
			if w := a.pongs[0]; w != nil {
				w <- nil
			}
			a.pongs = a.pongs[1:]
		}
	case infoEvent:
		if cmd.epoch == a.epoch && a.link != nil {
			a.updateInfo(cmd.info, true)
		}
	case errEvent:
		if cmd.epoch == a.epoch {
			a.serverErr(cmd.text)
		}
	case linkDown:
		if cmd.epoch == a.epoch && a.link != nil {
			err := cmd.err
			if a.cause != nil {
				err = a.cause
			}
			a.down(err)
			if !c.opts.allowReconnect {
				a.shutdown(err)
				return true
			}
		}
	case forceReconnectCmd:
		if a.link != nil {
			a.down(errForcedReconnect)
		}
	case closeCmd:
		a.shutdown(cmd.cause)
		return true
	}
	return false
}

// up makes a handshaken link the current one: the subscriptions are replayed before
// anything buffered, the reader starts, and waiting flushes get their PING.
func (a *connActor) up(hs *handshake) {
	c := a.c
	a.epoch++
	a.link, a.cur, a.cause = hs, hs.srv, nil
	hs.srv.attempts, hs.srv.lastAuth, hs.srv.everUp, hs.srv.lameDuck = 0, "", true, false
	a.pingsOut, a.lastInbound = 0, c.inbound.Load()
	server := hs.srv.String()
	c.server.Store(&server)
	a.updateInfo(hs.info, false)

	c.subs.mu.Lock()
	var prefix []byte
	for _, s := range c.subs.all {
		prefix = proto.AppendSub(prefix, s.subject, s.queue, s.sid)
		if max := s.max.Load(); max > 0 {
			prefix = proto.AppendUnsub(prefix, s.sid, int(max-s.received.Load()))
		}
	}
	c.w.attach(hs.nc, a.epoch, prefix)
	c.subs.mu.Unlock()

	a.stopReader, a.readerDone = make(chan struct{}), make(chan struct{})
	go c.readLoop(hs.nc, hs.leftover, a.epoch, a.stopReader, a.readerDone)
	if !c.draining.Load() {
		c.status.Store(int32(StatusConnected))
	}
	for _, w := range a.waitingFlush {
		a.ping(w)
	}
	a.waitingFlush = nil
	if a.everUp {
		c.stats.reconnects.Add(1)
		c.ev.post(Event{Kind: EventReconnected, Server: server})
		c.log.Info("reconnected", "server", server)
	} else {
		c.ev.post(Event{Kind: EventConnected, Server: server})
		c.log.Info("connected", "server", server)
	}
	a.everUp = true
}

// down drops the current link: the reader is stopped and waited for, buffered frames stay
// with the writer for the next link, in-flight PINGs fail, and the reconnect loop starts.
func (a *connActor) down(err error) {
	c := a.c
	if a.link == nil {
		return
	}
	a.closeLink()
	for _, w := range a.pongs {
		if w != nil {
			w <- fmt.Errorf("%w: %w", ErrDisconnected, err)
		}
	}
	a.pongs = nil
	if a.lameDuck != nil {
		a.lameDuck.Stop()
		a.lameDuck = nil
	}
	if c.opts.failReqOnDiscon {
		c.resp.failAll()
	}
	c.status.Store(int32(StatusReconnecting))
	c.ev.post(Event{Kind: EventDisconnected, Server: a.cur.String(), Err: err})
	c.log.Warn("disconnected", "server", a.cur.String(), "err", err)
	if c.opts.allowReconnect {
		a.startReconnect()
	}
}

func (a *connActor) closeLink() {
	close(a.stopReader)
	a.link.nc.Close()
	<-a.readerDone
	a.c.w.detach(a.epoch)
	a.link = nil
}

func (a *connActor) ping(done chan error) {
	if err := a.c.w.control(proto.PingFrame); err != nil {
		if done != nil {
			done <- err
		}
		return
	}
	a.c.stats.pings.Add(1)
	a.pongs = append(a.pongs, done)
}

// pingTick runs at every ping interval. Only traffic from the server proves the link alive:
// if none arrived since the last tick, a PING goes out, and after maxPingsOut unanswered
// ones the link is declared stale.
func (a *connActor) pingTick() {
	if a.link == nil {
		return
	}
	if in := a.c.inbound.Load(); in != a.lastInbound {
		a.lastInbound, a.pingsOut = in, 0
		return
	}
	if a.pingsOut >= a.c.opts.maxPingsOut {
		a.down(ErrStaleConnection)
		return
	}
	a.pingsOut++
	a.ping(nil)
}

func (a *connActor) updateInfo(info *proto.Info, async bool) {
	c := a.c
	if async {
		// An asynchronous INFO may omit what the handshake's INFO said; keep the first's
		// identity and take the news.
		merged := *c.info.Load()
		merged.ConnectURLs, merged.WSConnectURLs, merged.LameDuckMode = info.ConnectURLs, info.WSConnectURLs, info.LameDuckMode
		if info.MaxPayload > 0 {
			merged.MaxPayload = info.MaxPayload
		}
		info = &merged
	}
	c.info.Store(info)
	c.maxPayload.Store(info.MaxPayload)
	if !c.opts.ignoreDiscovered && len(info.ConnectURLs) > 0 {
		a.pool.pruneDiscovered(info.ConnectURLs, a.cur)
		scheme := a.cur.url.Scheme
		if added := a.pool.addDiscovered(info.ConnectURLs, scheme, a.cur.url.Hostname()); len(added) > 0 && a.everUp {
			c.ev.post(Event{Kind: EventServersDiscovered, Servers: added})
		}
	}
	if info.LameDuckMode && async {
		c.ev.post(Event{Kind: EventLameDuck, Server: a.cur.String()})
		if c.opts.lameDuckMigrate && a.lameDuck == nil {
			a.lameDuck = time.NewTimer(rand.N(DefaultLameDuckMaxDelay))
		}
	}
}

func (a *connActor) serverErr(text string) {
	c := a.c
	c.stats.errors.Add(1)
	err := classifyErr(text)
	switch {
	case errors.Is(err, ErrPermissionViolation):
		subject, isSub := permissionSubject(text)
		if isSub {
			for _, s := range c.subs.snapshot() {
				if s.subject == subject {
					s.end(err, false)
					c.ev.post(Event{Kind: EventAsyncError, Sub: s, Err: err})
				}
			}
			return
		}
		c.ev.post(Event{Kind: EventAsyncError, Err: err})
	case isAuthError(err), errors.Is(err, ErrStaleConnection), errors.Is(err, ErrMaxConnections):
		// The server closes the link after these; the disconnect reports this cause.
		a.cause = err
		if isAuthError(err) && a.cur != nil {
			a.cur.lastAuth = text
		}
	default:
		c.ev.post(Event{Kind: EventAsyncError, Err: err})
	}
}

// startReconnect runs the reconnect loop on a goroutine of its own, so the actor keeps
// answering; the pool belongs to that loop until it reports.
func (a *connActor) startReconnect() {
	ctx, cancel := context.WithCancel(context.Background())
	a.dialCancel = cancel
	a.dialing = make(chan dialResult, 1)
	go func(out chan<- dialResult, cur *server) {
		hs, err := a.c.reconnectLoop(ctx, a.pool, cur)
		out <- dialResult{hs, err}
	}(a.dialing, a.cur)
}

// shutdown closes the connection for good.
func (a *connActor) shutdown(cause error) {
	c := a.c
	c.draining.Store(false)
	if a.dialing != nil {
		a.dialCancel()
		if r := <-a.dialing; r.hs != nil {
			r.hs.nc.Close()
		}
		a.dialing = nil
	}
	if a.lameDuck != nil {
		a.lameDuck.Stop()
	}
	c.w.close() // writes what is buffered while the link is still up
	if a.link != nil {
		a.closeLink()
	}
	closedErr := ErrConnectionClosed
	if cause != nil {
		closedErr = fmt.Errorf("%w: %w", ErrConnectionClosed, cause)
	}
	for _, w := range append(a.pongs, a.waitingFlush...) {
		if w != nil {
			w <- closedErr
		}
	}
	c.status.Store(int32(StatusClosed))
	subs := c.subs.snapshot()
	for _, s := range subs {
		s.end(nil, false)
	}
	server := ""
	if a.cur != nil {
		server = a.cur.String()
	}
	c.ev.post(Event{Kind: EventClosed, Server: server, Err: cause})
	c.ev.close()
	c.closedSubs.Store(&subs)
	c.life.Close(cause)
	c.resp.close() // after the lifecycle, which its waiting requests then see closed
	c.log.Info("closed", "err", cause)
}

// reconnectLoop tries the pool's servers in passes until one completes the handshake. The
// first pass starts at once; later ones wait an exponential backoff with jitter (or the
// WithReconnectDelay hook). A server that failed maxReconnects times in a row, or refused
// the same credentials twice, is dropped; an empty pool ends the loop with the last error.
func (c *Conn) reconnectLoop(ctx context.Context, pool *serverPool, cur *server) (*handshake, error) {
	var lastErr error
	for pass := 0; ; pass++ {
		if pass > 0 {
			t := time.NewTimer(c.reconnectDelay(pass))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
		servers := pool.order(cur)
		for _, s := range servers {
			if max := c.opts.maxReconnects; max >= 0 && s.attempts >= max {
				pool.remove(s)
				continue
			}
			hs, err := c.dial(ctx, s)
			if err == nil {
				return hs, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			s.attempts++
			lastErr = err
			c.log.Debug("reconnect attempt failed", "server", s.String(), "err", err)
			if isAuthError(err) {
				text := err.Error()
				if s.lastAuth == text {
					pool.remove(s) // the same auth error twice on one server: stop trying it
				}
				s.lastAuth = text
			}
		}
		if len(pool.servers) == 0 {
			if lastErr == nil {
				lastErr = ErrNoServers
			}
			return nil, fmt.Errorf("%w: gave up reconnecting: %w", ErrNoServers, lastErr)
		}
	}
}

// reconnectDelay is the wait before pass n (n >= 1) over the pool.
func (c *Conn) reconnectDelay(pass int) time.Duration {
	if c.opts.reconnectDelay != nil {
		return c.opts.reconnectDelay(pass)
	}
	d := c.opts.reconnectWait << min(pass-1, 4)
	jitter := c.opts.reconnectJitter
	if c.opts.wantTLS {
		jitter = c.opts.reconnectJitterTLS
	}
	if jitter > 0 {
		d += rand.N(jitter)
	}
	return d
}
