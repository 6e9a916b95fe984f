package js

import (
	"errors"
	"fmt"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

// Sentinels of atomic batch publishing (ADR-50) and counters (ADR-49). A stream's
// refusal is a *jsm.APIError that also matches one of these with errors.Is (the server
// error codes are listed with each); errors.As still finds the *jsm.APIError.
var (
	// ErrBatchPublishNotEnabled: the stream does not allow atomic batch publishing
	// (jsm.StreamConfig.AllowAtomicPublish, server code 10174).
	ErrBatchPublishNotEnabled = errors.New("nats: atomic batch publish not enabled on stream")
	// ErrBatchIncomplete: the stream abandoned the batch and stored none of it (10176): a
	// message of the batch went missing, the batch was idle for longer than the
	// server's batch timeout (10 s), or the server lost it at a leader change.
	ErrBatchIncomplete = errors.New("nats: atomic batch incomplete")
	// ErrBatchTooLarge: the batch has more messages than the server allows (10199; 1000
	// unless the server's jetstream limits say otherwise). Wrapped with ErrInvalidOption
	// when the client saw it before sending (BatchMaxSize).
	ErrBatchTooLarge = errors.New("nats: atomic batch too large")
	// ErrBatchUnsupportedHeader: a message of the batch carries a header atomic batches
	// do not allow, Nats-Expected-Last-Msg-Id (10177). The client refuses it before
	// sending, wrapped with ErrInvalidOption.
	ErrBatchUnsupportedHeader = errors.New("nats: header not supported in an atomic batch")
	// ErrBatchDuplicateMsgID: a message of the batch has a Nats-Msg-Id the stream
	// already has within its duplicate window, or another message of the batch has
	// (10201); nothing of the batch is stored.
	ErrBatchDuplicateMsgID = errors.New("nats: atomic batch contains a duplicate message ID")
	// ErrBatchTooManyInflight: the stream (50 by default) or the server (1000) has as
	// many uncommitted batches as it allows (10210). It may pass: IsTemporary does not
	// say so, since it lasts until other batches commit or time out.
	ErrBatchTooManyInflight = errors.New("nats: too many atomic batches in flight")
	// ErrBatchClosed is returned by the calls on a Batch that was committed, discarded
	// or ended by an error (then it wraps that error too).
	ErrBatchClosed = errors.New("nats: atomic batch already committed or abandoned")

	// ErrFastBatchNotEnabled: the stream does not allow fast batch publishing
	// (jsm.StreamConfig.AllowBatchPublish, server code 10205).
	ErrFastBatchNotEnabled = errors.New("nats: fast batch publish not enabled on stream")
	// ErrFastBatchUnknown: the stream no longer knows the fast batch (10208): it was
	// idle longer than the server's batch timeout (10 s by default) and abandoned.
	ErrFastBatchUnknown = errors.New("nats: fast batch unknown to the stream")
	// ErrFastBatchTooManyInflight: the stream (1000 by default) or the server (50,000)
	// has as many fast batches in flight as it allows (10211).
	ErrFastBatchTooManyInflight = errors.New("nats: too many fast batches in flight")

	// ErrCounterNotEnabled: the stream does not hold counters
	// (jsm.StreamConfig.AllowMsgCounter, server code 10168), or a message read as a
	// counter is not a counter value.
	ErrCounterNotEnabled = errors.New("nats: message counters not enabled on stream")
	// ErrCounterIncrMissing: a message without Nats-Incr was published to a counter
	// stream, which only takes increments (10169).
	ErrCounterIncrMissing = errors.New("nats: counter stream needs an increment")
	// ErrInvalidCounterIncr: the stream refused an increment: not an integer, a payload
	// with it (10170), or a header counters do not allow, such as an expected last
	// sequence or a rollup (10171).
	ErrInvalidCounterIncr = errors.New("nats: invalid counter increment")
	// ErrCounterBroken: the last message of the counter's subject is not a counter value
	// the stream can add to (10172).
	ErrCounterBroken = errors.New("nats: counter is broken")
)

// pubErrCodes maps the server error codes of publish refusals to their sentinels.
var pubErrCodes = map[uint16]error{
	10174: ErrBatchPublishNotEnabled,
	10176: ErrBatchIncomplete,
	10199: ErrBatchTooLarge,
	10177: ErrBatchUnsupportedHeader,
	10201: ErrBatchDuplicateMsgID,
	10210: ErrBatchTooManyInflight,
	10205: ErrFastBatchNotEnabled,
	10208: ErrFastBatchUnknown,
	10211: ErrFastBatchTooManyInflight,
	10168: ErrCounterNotEnabled,
	10169: ErrCounterIncrMissing,
	10170: ErrInvalidCounterIncr,
	10171: ErrInvalidCounterIncr,
	10172: ErrCounterBroken,
}

// pubError is a stream's refusal of a publish that one of the sentinels above stands
// for. It reads as the *jsm.APIError and unwraps to both.
type pubError struct {
	sentinel error
	api      *jsm.APIError
}

func (e *pubError) Error() string   { return e.api.Error() }
func (e *pubError) Unwrap() []error { return []error{e.sentinel, e.api} }

// pubAPIError returns the error for a stream's refusal: e itself, or e joined to its
// sentinel.
func pubAPIError(e *jsm.APIError) error {
	if s, ok := pubErrCodes[e.ErrCode]; ok {
		return &pubError{sentinel: s, api: e}
	}
	return e
}

// serverAtLeast reports whether the server c is connected to is major.minor or newer
// (pre-releases of that version count), or is not known yet.
func serverAtLeast(c *conn.Conn, major, minor int) bool {
	v := c.ServerVersion()
	if v.Major == 0 && v.Minor == 0 && v.Patch == 0 {
		return true
	}
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// notSupported returns ErrNotSupported for feature, which needs nats-server
// major.minor, naming the version of the server in use.
func notSupported(c *conn.Conn, feature string, major, minor int) error {
	return fmt.Errorf("%w: %s needs nats-server %d.%d or newer, the server is %s", ErrNotSupported, feature, major, minor, c.ServerVersion())
}
