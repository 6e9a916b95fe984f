package conn

import (
	"fmt"
	"net"
	"strings"

	"github.com/natsactor/natsactor/proto"
)

// reader is the framing actor of one link: it owns the socket's read side, feeds the bytes to
// the parser, and routes what the parser finds. Messages go straight into their
// subscription's queue (one hand-off on the receive path); PING is answered at once; INFO,
// PONG and -ERR go to the connection actor. It never waits on user code.
type reader struct {
	c     *Conn
	epoch uint64
	stop  <-chan struct{} // closed by the connection actor when it drops this link
	// woken lists the subscriptions to wake once the chunk being parsed is done: each
	// consumer then takes all of the chunk's messages in one batch (see wakeAll).
	woken []*Subscription
}

const (
	readBufMin = 32 * 1024
	readBufMax = 512 * 1024
)

func (c *Conn) readLoop(nc net.Conn, leftover []byte, epoch uint64, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	r := &reader{c: c, epoch: epoch, stop: stop}
	p := proto.NewParser(r)
	if len(leftover) > 0 && !r.feed(p, leftover) {
		return
	}
	buf := make([]byte, readBufMin)
	for {
		n, err := nc.Read(buf)
		if n > 0 {
			c.inbound.Add(1)
			if !r.feed(p, buf[:n]) {
				return
			}
			if n == len(buf) && len(buf) < readBufMax {
				buf = make([]byte, 2*len(buf))
			}
		}
		if err != nil {
			r.toActor(linkDown{epoch: epoch, err: err})
			return
		}
	}
}

// feed parses one chunk read from the socket and then wakes the subscriptions it
// queued messages for, also when the chunk ends in malformed input: what came before
// that is delivered. On a protocol error it tells the connection actor that the link
// is down and returns false.
func (r *reader) feed(p *proto.Parser, chunk []byte) bool {
	err := p.Parse(chunk)
	r.wakeAll()
	if err != nil {
		r.toActor(linkDown{epoch: r.epoch, err: fmt.Errorf("%w: %w", ErrProtocol, err)})
		return false
	}
	return true
}

// wakeAll wakes the consumers of the subscriptions that received messages in the chunk
// just parsed, once each. Waking each at its first message instead made it take that
// one alone and race the reader for the rest; the smaller batches meant more, smaller
// reads and writes, and cost the server 6-8 % more CPU per pubsub16 message than
// nats.go's subscriber did (compare/README.md).
func (r *reader) wakeAll() {
	for _, s := range r.woken {
		s.q.Wake()
	}
	clear(r.woken)
	r.woken = r.woken[:0]
}

// toActor hands an event to the connection actor unless it already dropped this link.
func (r *reader) toActor(cmd command) {
	select {
	case r.c.mbox <- cmd:
	case <-r.stop:
	}
}

// Msg implements proto.Handler: it copies the message out of the read buffer and queues it.
func (r *reader) Msg(subject, reply []byte, sid uint64, hdr, data []byte) {
	c := r.c
	c.stats.inMsgs.Add(1)
	c.stats.inBytes.Add(uint64(len(hdr) + len(data)))
	s := c.subs.lookup(sid)
	if s == nil {
		return // unsubscribed; the server had sent it before it saw the UNSUB
	}
	m := newMsg(data)
	m.Sub = s
	switch {
	case string(subject) == s.subject:
		m.Subject = s.subject
		if len(reply) > 0 {
			m.Reply = string(reply)
		}
	case s.direct != nil && len(reply) == 0:
		// Left to direct (see Subscription.direct).
	case len(reply) > 0:
		// A subject other than the subscription's (a wildcard's, or a JetStream
		// consumer's, whose messages keep their stream subject) and a reply (its ack
		// subject): one allocation for both strings.
		var b strings.Builder
		b.Grow(len(subject) + len(reply))
		b.Write(subject)
		b.Write(reply)
		both := b.String()
		m.Subject, m.Reply = both[:len(subject)], both[len(subject):]
	default:
		m.Subject = string(subject)
	}
	if len(hdr) > 0 {
		code, desc, h, err := proto.ParseHeader(hdr)
		if err != nil {
			c.ev.post(Event{Kind: EventAsyncError, Sub: s, Err: fmt.Errorf("%w: message on %q: %w", ErrProtocol, subject, err)})
		}
		if code != 0 {
			m.status = &msgStatus{code: code, desc: desc}
		}
		m.Header = Header(h)
	}
	if s.enqueue(m, subject) {
		r.woken = append(r.woken, s)
	}
}

// Info implements proto.Handler.
func (r *reader) Info(js []byte) {
	info, err := proto.ParseInfo(js)
	if err != nil {
		r.c.ev.post(Event{Kind: EventAsyncError, Err: fmt.Errorf("%w: INFO: %w", ErrProtocol, err)})
		return
	}
	r.toActor(infoEvent{epoch: r.epoch, info: info})
}

// Ping implements proto.Handler: the answer goes straight to the writer.
func (r *reader) Ping() { _ = r.c.w.control(proto.PongFrame) }

// Pong implements proto.Handler.
func (r *reader) Pong() { r.toActor(pongEvent{epoch: r.epoch}) }

// OK implements proto.Handler; verbose mode is never asked for, so there is nothing to do.
func (r *reader) OK() {}

// Err implements proto.Handler.
func (r *reader) Err(text []byte) { r.toActor(errEvent{epoch: r.epoch, text: string(text)}) }
