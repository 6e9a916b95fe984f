package js

import (
	"errors"

	"github.com/natsactor/natsactor/conn"
)

// Sentinel errors of package js. Match them with errors.Is; most are wrapped with
// detail. Errors the JetStream API answers with are *jsm.APIError values.
var (
	// ErrInvalidOption is wrapped by options that reject their argument. It is
	// conn.ErrInvalidOption.
	ErrInvalidOption = conn.ErrInvalidOption
	// ErrNoStreamResponse is returned by Publish when no stream answered: no stream
	// captures the subject, or none could (a leader election outlasting the retries).
	// It wraps conn.ErrNoResponders.
	ErrNoStreamResponse = errors.New("nats: no response from stream")
	// ErrTimeout is returned when nothing arrived in time: Fetch without a message by its
	// deadline, an asynchronous publish without acknowledgement within its timeout.
	ErrTimeout = errors.New("nats: timeout")
	// ErrMsgAlreadyAcked is returned by an acknowledgement of a message that was already
	// acknowledged (Ack, Nak, Term and their variants end a message; InProgress does not).
	ErrMsgAlreadyAcked = errors.New("nats: message was already acknowledged")
	// ErrMsgNoReply is returned by acknowledgements of a message that has no reply
	// subject (it did not come from a consumer that wants acknowledgements).
	ErrMsgNoReply = errors.New("nats: message does not have a reply")
	// ErrNotJSMessage is returned by Metadata for a message whose reply subject is not a
	// JetStream acknowledgement subject.
	ErrNotJSMessage = errors.New("nats: not a jetstream message")
	// ErrConsumerDeleted ends a pull or push consumer whose consumer the server deleted.
	ErrConsumerDeleted = errors.New("nats: consumer deleted")
	// ErrConsumerStopped is returned by calls on a consumer that has been stopped or
	// drained, and by Fetch/Next cut short by Stop.
	ErrConsumerStopped = errors.New("nats: consumer stopped")
	// ErrNoHeartbeat is reported when two idle heartbeats in a row did not come; the
	// consumer pulls again (Consume) or returns it (Fetch, with what it got).
	ErrNoHeartbeat = errors.New("nats: no heartbeat received")
	// ErrConsumerConfig is returned when an existing consumer does not fit the call: a
	// push consumer bound as a pull consumer or the other way round, or another filter.
	ErrConsumerConfig = errors.New("nats: consumer configuration does not fit")
	// ErrPullRequest wraps a 409 status the server answers a pull request with that
	// refuses the request itself (Exceeded MaxRequestBatch, MaxRequestExpires, ...).
	ErrPullRequest = errors.New("nats: pull request refused")
	// ErrPullInterrupted wraps a 409 status that ended a pull request without anything
	// being wrong with it or the consumer: a consumer leadership change or a server
	// shutting down. Pulling again (as Consume and Messages do by themselves) succeeds
	// once the consumer has a leader; IsTemporary reports true for it.
	ErrPullInterrupted = errors.New("nats: pull request interrupted")
	// ErrAsyncPublishClosed resolves asynchronous publishes pending when the connection
	// closed.
	ErrAsyncPublishClosed = errors.New("nats: asynchronous publish cancelled: connection closed")
	// ErrHandlerSet is returned by Next on a subscription or consumer that delivers to a
	// handler. It is conn.ErrHandlerSet.
	ErrHandlerSet = conn.ErrHandlerSet
	// ErrNotSupported is returned for a feature the server in use does not support, such
	// as atomic batch publishing or counters before nats-server 2.12.
	ErrNotSupported = errors.New("nats: not supported by this server")
)

// IsTemporary reports whether err describes a condition that may pass by itself, so that
// the same call can succeed later: what conn.IsTemporary says, plus an interrupted pull
// request and missed heartbeats. ErrNoStreamResponse is not counted: it usually means
// that no stream captures the subject.
func IsTemporary(err error) bool {
	return conn.IsTemporary(err) || errors.Is(err, ErrPullInterrupted) || errors.Is(err, ErrNoHeartbeat)
}
