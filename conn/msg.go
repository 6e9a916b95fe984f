package conn

import "fmt"

// Msg is a NATS message: what Publish sends and what a subscription receives.
//
// A received Msg belongs to the receiver; its slices do not alias any buffer of the
// connection.
type Msg struct {
	// Subject the message was published to.
	Subject string
	// Reply is the subject a responder answers to; empty when no answer is expected.
	Reply string
	// Header holds the NATS headers; nil when the message has none.
	Header Header
	// Data is the payload.
	Data []byte

	// Sub is the subscription that received the message; nil for a message built to publish.
	Sub *Subscription

	// status is the status line of the headers, nil without one (most messages): a
	// pointer keeps every message 16 bytes smaller, which on the receive path of small
	// messages is a smaller allocation class (see newMsg).
	status *msgStatus
}

// msgStatus is a received message's status line (such as 503 No Responders).
type msgStatus struct {
	code int
	desc string
}

// NewMsg returns a message for subject with an empty header ready for Set and Add.
func NewMsg(subject string) *Msg {
	return &Msg{Subject: subject, Header: Header{}}
}

// Status returns the status line of a received message's headers (such as 503 No
// Responders, 408 Request Timeout, 100 Idle Heartbeat), or 0 and "" when it has none.
func (m *Msg) Status() (code int, description string) {
	if m.status == nil {
		return 0, ""
	}
	return m.status.code, m.status.desc
}

// Respond publishes data to the message's reply subject. It returns ErrNoReply when there is
// none and the connection's publish errors otherwise. Someone waits for a reply, so when the
// connection's writer is idle the reply is written at once by the calling goroutine (within
// the write deadline) instead of waking the writer; otherwise it is queued like a publish.
func (m *Msg) Respond(data []byte) error {
	return m.RespondMsg(&Msg{Data: data})
}

// RespondMsg publishes r (its Header and Data; its Subject is ignored) to the message's reply
// subject.
func (m *Msg) RespondMsg(r *Msg) error {
	if m.Reply == "" {
		return ErrNoReply
	}
	c := m.Conn()
	if c == nil {
		return fmt.Errorf("%w: message was not received from a connection", ErrNoReply)
	}
	return c.publish(m.Reply, r.Reply, r.Header, r.Data, true)
}

// Conn returns the connection the message arrived on (its subscription's), or nil for
// one built to publish.
func (m *Msg) Conn() *Conn {
	if m.Sub == nil {
		return nil
	}
	return m.Sub.conn
}

// size is what the message counts against pending-bytes limits.
func (m *Msg) size() int {
	n := len(m.Subject) + len(m.Reply) + len(m.Data)
	if m.Header == nil {
		return n // ranging over a nil map still sets up an iterator
	}
	for k, vs := range m.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}
