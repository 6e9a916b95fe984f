package js

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// Acknowledgement bodies of the JetStream protocol.
var (
	ackAck      = []byte("+ACK")
	ackNak      = []byte("-NAK")
	ackProgress = []byte("+WPI")
	ackTerm     = []byte("+TERM")
)

// Msg is a message delivered by a JetStream consumer: the fields of a conn.Msg plus the
// acknowledgement methods. Ack, Nak, Term and their variants end the message (a second
// one returns ErrMsgAlreadyAcked); InProgress can be sent any number of times before.
// A Msg is safe for concurrent use.
type Msg struct {
	// Subject is the subject the message was stored under.
	Subject string
	// Reply is the acknowledgement subject ("$JS.ACK...."); empty for consumers that take
	// no acknowledgements of this kind (ordered consumers still have one).
	Reply string
	// Header holds the message's headers; nil when it has none.
	Header conn.Header
	// Data is the payload.
	Data []byte

	c     *conn.Conn
	acked atomic.Bool
	// onAck is called after an acknowledgement that ends the message was sent, with
	// redeliver set for a Nak (a push subscription that may have to re-create its
	// consumer tracks what is still owed with it); nil otherwise.
	onAck func(redeliver bool)
}

// newMsg wraps a received message.
func newMsg(c *conn.Conn, m *conn.Msg) *Msg {
	return &Msg{Subject: m.Subject, Reply: m.Reply, Header: m.Header, Data: m.Data, c: c}
}

// Size returns the bytes the message counts for in a pull request's max bytes.
func (m *Msg) size() int {
	n := len(m.Subject) + len(m.Reply) + len(m.Data)
	for k, vs := range m.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// Ack acknowledges the message. It only queues the acknowledgement (see AckSync to know
// the server has it).
func (m *Msg) Ack() error { return m.ackOnce(ackAck) }

// Nak asks for the message to be delivered again, at once (or after the consumer's
// BackOff).
func (m *Msg) Nak() error { return m.ackOnce(ackNak) }

// NakWithDelay asks for the message to be delivered again after d.
func (m *Msg) NakWithDelay(d time.Duration) error {
	if d <= 0 {
		return m.Nak()
	}
	return m.ackOnce([]byte(`-NAK {"delay":` + strconv.FormatInt(int64(d), 10) + `}`))
}

// Term tells the server never to deliver the message again.
func (m *Msg) Term() error { return m.ackOnce(ackTerm) }

// TermWithReason is Term with a reason the server reports in its advisory.
func (m *Msg) TermWithReason(reason string) error {
	if reason == "" {
		return m.Term()
	}
	return m.ackOnce([]byte("+TERM " + reason))
}

// InProgress tells the server the message is still being worked on, resetting its ack
// wait. It may be sent many times, but not after the message was acknowledged.
func (m *Msg) InProgress() error {
	if err := m.check(); err != nil {
		return err
	}
	if m.acked.Load() {
		return ErrMsgAlreadyAcked
	}
	return m.c.Publish(m.Reply, ackProgress)
}

// AckSync acknowledges the message and waits until the server confirmed it (a "double
// ack"). It blocks until the confirmation or ctx's end (a ctx without deadline waits at
// most 5 s); on an error the message counts as not acknowledged, so AckSync may be
// called again.
func (m *Msg) AckSync(ctx context.Context) error {
	if err := m.check(); err != nil {
		return err
	}
	if !m.acked.CompareAndSwap(false, true) {
		return ErrMsgAlreadyAcked
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultAckSyncTimeout)
		defer cancel()
	}
	if _, err := m.c.Request(ctx, m.Reply, ackAck); err != nil {
		m.acked.Store(false)
		return fmt.Errorf("nats: ack sync: %w", err)
	}
	m.ended(false)
	return nil
}

// defaultAckSyncTimeout bounds AckSync when its ctx has no deadline.
const defaultAckSyncTimeout = 5 * time.Second

func (m *Msg) check() error {
	if m.Reply == "" || m.c == nil {
		return ErrMsgNoReply
	}
	return nil
}

// ackOnce sends body to the reply subject if the message was not acknowledged yet.
func (m *Msg) ackOnce(body []byte) error {
	if err := m.check(); err != nil {
		return err
	}
	if !m.acked.CompareAndSwap(false, true) {
		return ErrMsgAlreadyAcked
	}
	if err := m.c.Publish(m.Reply, body); err != nil {
		m.acked.Store(false)
		return err
	}
	m.ended(bytes.HasPrefix(body, ackNak))
	return nil
}

func (m *Msg) ended(redeliver bool) {
	if m.onAck != nil {
		m.onAck(redeliver)
	}
}
