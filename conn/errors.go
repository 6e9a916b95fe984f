package conn

import (
	"errors"
	"net"
)

// Sentinel errors returned by the connection and its subscriptions. Match them with
// errors.Is; most are wrapped with detail.
var (
	// ErrConnectionClosed is returned by every call on a closed connection. When the
	// connection closed because reconnecting gave up, the cause is wrapped as well.
	ErrConnectionClosed = errors.New("nats: connection closed")
	// ErrDisconnected is returned for work that needed the link while it was down (a flush
	// or an RTT measurement in flight at the disconnect, a request failed by
	// WithFailRequestsOnDisconnect). It is temporary: see IsTemporary.
	ErrDisconnected = errors.New("nats: disconnected")
	// ErrConnectionDraining is returned by calls that would add work to a draining connection.
	ErrConnectionDraining = errors.New("nats: connection draining")
	// ErrNoServers is returned by Connect when no server of the pool could be reached.
	ErrNoServers = errors.New("nats: no servers available for connection")
	// ErrAuthorization is returned when the server rejects the credentials.
	ErrAuthorization = errors.New("nats: authorization violation")
	// ErrAuthExpired is returned when the server says the credentials have expired.
	ErrAuthExpired = errors.New("nats: authentication expired")
	// ErrAuthRevoked is returned when the server says the credentials were revoked.
	ErrAuthRevoked = errors.New("nats: authentication revoked")
	// ErrPermissionViolation is reported (as an async error event and as the error of the
	// affected subscription) when the server refuses a publish or a subscription.
	ErrPermissionViolation = errors.New("nats: permissions violation")
	// ErrMaxPayload is returned when headers plus data exceed the server's max_payload.
	// Nothing is sent and the connection is untouched.
	ErrMaxPayload = errors.New("nats: maximum payload exceeded")
	// ErrReconnectBufExceeded is returned by a publish made while reconnecting when the
	// reconnect buffer is full, or disabled (WithReconnectBufSize(-1)).
	ErrReconnectBufExceeded = errors.New("nats: outbound buffer limit exceeded")
	// ErrNoResponders is returned by Request when no subscriber was listening on the subject
	// (the server's 503 status). It is distinct from a ctx deadline.
	ErrNoResponders = errors.New("nats: no responders available for request")
	// ErrBadSubject is returned for an invalid subject; nothing is sent.
	ErrBadSubject = errors.New("nats: invalid subject")
	// ErrBadQueueName is returned for an invalid queue group name.
	ErrBadQueueName = errors.New("nats: invalid queue name")
	// ErrBadHeader is returned for a header key or value that cannot be sent.
	ErrBadHeader = errors.New("nats: invalid header")
	// ErrHeadersNotSupported is returned when publishing headers to a server without them.
	ErrHeadersNotSupported = errors.New("nats: headers not supported by this server")
	// ErrInvalidOption is wrapped by every option that rejects its argument.
	ErrInvalidOption = errors.New("nats: invalid option")
	// ErrNilHandler is returned when a nil handler is given.
	ErrNilHandler = errors.New("nats: nil handler")
	// ErrBadSubscription is returned by calls on a subscription that has ended.
	ErrBadSubscription = errors.New("nats: invalid subscription")
	// ErrHandlerSet is returned by Next on a subscription that delivers to a handler.
	ErrHandlerSet = errors.New("nats: subscription has a handler; messages are not on C()")
	// ErrSlowConsumer is the error of the slow-consumer event: a subscription's pending
	// limits were reached and messages were dropped.
	ErrSlowConsumer = errors.New("nats: slow consumer, messages dropped")
	// ErrStaleConnection is the cause of a disconnect after too many unanswered PINGs.
	ErrStaleConnection = errors.New("nats: stale connection")
	// ErrMaxConnections is the cause of a disconnect when the server has too many clients.
	ErrMaxConnections = errors.New("nats: maximum connections exceeded")
	// ErrNoReply is returned by Respond on a message that has no reply subject.
	ErrNoReply = errors.New("nats: message has no reply subject")
	// ErrServerError wraps any other -ERR text the server sends.
	ErrServerError = errors.New("nats: server error")
	// ErrTLS wraps TLS set-up and handshake failures.
	ErrTLS = errors.New("nats: TLS failure")
	// ErrProtocol wraps malformed data from the server.
	ErrProtocol = errors.New("nats: protocol error")
)

// IsTemporary reports whether err describes a condition that may pass by itself: a
// disconnect, a reconnect buffer that is full, a network timeout, a stale connection, a
// server that is at its connection limit. Retrying the same call later can succeed.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	switch {
	case errors.Is(err, ErrDisconnected), errors.Is(err, ErrReconnectBufExceeded),
		errors.Is(err, ErrStaleConnection), errors.Is(err, ErrMaxConnections):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
