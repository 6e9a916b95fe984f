package conn

import "sync/atomic"

// Status is the state of a connection.
type Status int32

// Connection states.
const (
	StatusConnecting Status = iota
	StatusConnected
	StatusReconnecting
	StatusDraining
	StatusClosed
)

var statusNames = [...]string{"connecting", "connected", "reconnecting", "draining", "closed"}

// String returns a lower-case name for the state.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// Stats are the connection's counters since it was created.
type Stats struct {
	InMsgs, OutMsgs   uint64 // messages received and published
	InBytes, OutBytes uint64 // payload (and header) bytes received and published
	Reconnects        uint64 // successful reconnects
	PingsSent         uint64 // PINGs the client sent (keep-alive, Flush, RTT)
	PongsReceived     uint64 // PONGs the server answered
	Errors            uint64 // -ERR lines received from the server
	Dropped           uint64 // messages dropped by slow subscriptions
	PendingBytes      uint64 // bytes waiting to be written to the socket now
}

// counters are the connection's counters other than those of publishing, which the writer
// keeps under its lock.
type counters struct {
	inMsgs, inBytes                  atomic.Uint64
	reconnects, pings, pongs, errors atomic.Uint64
	dropped                          atomic.Uint64
}
