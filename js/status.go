package js

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/natsactor/natsactor/conn"
)

// Status codes and headers of the pull and push protocols.
const (
	statusHeartbeat  = 100 // idle heartbeat or, with a reply subject, a flow-control request
	statusBadRequest = 400
	statusNoMessages = 404
	statusTimeout    = 408 // request expired, interest expired, requests pending
	statusConflict   = 409 // see the descriptions below
	statusNoResp     = 503

	headerPendingMsgs  = "Nats-Pending-Messages"
	headerPendingBytes = "Nats-Pending-Bytes"
	headerLastConsumer = "Nats-Last-Consumer"
	headerLastStream   = "Nats-Last-Stream"
	headerStalled      = "Nats-Consumer-Stalled"
)

// pullStatus is a status message a consumer received instead of a stored message.
type pullStatus struct {
	code       int
	desc       string
	pendMsgs   int // messages of the request the server will no longer send
	pendBytes  int
	hasPending bool
}

// statusOf returns the status of m, or ok=false for a stored message. Stored messages
// never carry a status line, and status messages have no payload.
func statusOf(m *conn.Msg) (st pullStatus, ok bool) {
	if len(m.Data) != 0 {
		return st, false
	}
	code, desc := m.Status()
	if code == 0 {
		return st, false
	}
	st.code, st.desc = code, desc
	if v := m.Header.Get(headerPendingMsgs); v != "" {
		st.pendMsgs, _ = strconv.Atoi(v)
		st.pendBytes, _ = strconv.Atoi(m.Header.Get(headerPendingBytes))
		st.hasPending = true
	}
	return st, true
}

// kind sorts a status for the consumer that received it.
type statusKind int

const (
	stHeartbeat statusKind = iota // liveness only
	stEnded                       // the request ended; pull again
	stReset                       // the request is gone with nothing said about what it owed
	stWarn                        // the request was refused for now; pull again later
	stTerminal                    // the consumer cannot go on
)

func (st pullStatus) kind() statusKind {
	switch st.code {
	case statusHeartbeat:
		return stHeartbeat
	case statusNoMessages, statusTimeout:
		return stEnded
	case statusConflict:
		d := strings.ToLower(st.desc)
		switch {
		case strings.Contains(d, "consumer deleted"), strings.Contains(d, "push based"):
			return stTerminal
		case strings.HasPrefix(d, "exceeded maxrequest"):
			return stTerminal
		case strings.Contains(d, "leadership change"), strings.Contains(d, "server shutdown"):
			return stReset
		case strings.Contains(d, "batch completed"), strings.Contains(d, "message size exceeds maxbytes"):
			return stEnded
		}
		return stWarn
	case statusBadRequest:
		return stTerminal
	}
	return stWarn
}

// err describes the status as an error.
func (st pullStatus) err() error {
	d := strings.ToLower(st.desc)
	switch {
	case st.code == statusConflict && strings.Contains(d, "consumer deleted"):
		return ErrConsumerDeleted
	case st.code == statusConflict && strings.Contains(d, "push based"):
		return fmt.Errorf("%w: consumer is push based", ErrConsumerConfig)
	case st.kind() == stReset:
		return fmt.Errorf("%w: %d %s", ErrPullInterrupted, st.code, st.desc)
	case st.code == statusNoResp:
		return fmt.Errorf("%w: %w", ErrNoStreamResponse, conn.ErrNoResponders)
	}
	return fmt.Errorf("%w: %d %s", ErrPullRequest, st.code, st.desc)
}
