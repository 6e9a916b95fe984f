package js

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Header names of the JetStream publish protocol.
const (
	HeaderMsgID                 = "Nats-Msg-Id"
	HeaderExpectedStream        = "Nats-Expected-Stream"
	HeaderExpectedLastSeq       = "Nats-Expected-Last-Sequence"
	HeaderExpectedLastSubjSeq   = "Nats-Expected-Last-Subject-Sequence"
	HeaderExpectedLastSubjSeqOf = "Nats-Expected-Last-Subject-Sequence-Subject"
	HeaderExpectedLastMsgID     = "Nats-Expected-Last-Msg-Id"
	HeaderMsgTTL                = "Nats-TTL"
)

// PubOption configures one Publish, PublishMsg or PublishAsync.
type PubOption func(*pubOptions) error

type pubOptions struct {
	headers [][2]string
	retries int // -1: the Client's
	wait    time.Duration
	ctx     context.Context
}

func (o *pubOptions) set(k, v string) {
	for i := range o.headers {
		if o.headers[i][0] == k {
			o.headers[i][1] = v
			return
		}
	}
	o.headers = append(o.headers, [2]string{k, v})
}

// MsgID sets the message's Nats-Msg-Id: the stream stores it once within its
// duplicate window, and a second publish with the same ID is acknowledged with
// PubAck.Duplicate set.
func MsgID(id string) PubOption {
	return func(o *pubOptions) error {
		if id == "" {
			return fmt.Errorf("%w: empty message ID", ErrInvalidOption)
		}
		o.set(HeaderMsgID, id)
		return nil
	}
}

// ExpectStream makes the publish fail unless the stream that captures the subject is
// named stream.
func ExpectStream(stream string) PubOption {
	return func(o *pubOptions) error {
		if stream == "" {
			return fmt.Errorf("%w: empty stream name", ErrInvalidOption)
		}
		o.set(HeaderExpectedStream, stream)
		return nil
	}
}

// ExpectLastSeq makes the publish fail (jsm.ErrWrongLastSequence) unless the stream's
// last sequence is seq.
func ExpectLastSeq(seq uint64) PubOption {
	return func(o *pubOptions) error {
		o.set(HeaderExpectedLastSeq, strconv.FormatUint(seq, 10))
		return nil
	}
}

// ExpectLastSeqPerSubject makes the publish fail unless the last message stored under
// the message's subject has sequence seq (0: no message has that subject yet).
func ExpectLastSeqPerSubject(seq uint64) PubOption {
	return func(o *pubOptions) error {
		o.set(HeaderExpectedLastSubjSeq, strconv.FormatUint(seq, 10))
		return nil
	}
}

// ExpectLastSeqForSubject makes the publish fail unless the last message stored under
// subject (which may hold wildcards and differ from the message's own) has sequence
// seq.
func ExpectLastSeqForSubject(seq uint64, subject string) PubOption {
	return func(o *pubOptions) error {
		if subject == "" {
			return fmt.Errorf("%w: empty subject", ErrInvalidOption)
		}
		o.set(HeaderExpectedLastSubjSeq, strconv.FormatUint(seq, 10))
		o.set(HeaderExpectedLastSubjSeqOf, subject)
		return nil
	}
}

// ExpectLastMsgID makes the publish fail (jsm.ErrStreamWrongLastMsgID) unless the
// stream's last message had Nats-Msg-Id id.
func ExpectLastMsgID(id string) PubOption {
	return func(o *pubOptions) error {
		if id == "" {
			return fmt.Errorf("%w: empty message ID", ErrInvalidOption)
		}
		o.set(HeaderExpectedLastMsgID, id)
		return nil
	}
}

// MsgTTL gives the message a time to live of d (at least one second; the stream must
// allow per-message TTLs, ADR-43). A negative d means the message never expires, even
// in a stream with MaxAge.
func MsgTTL(d time.Duration) PubOption {
	return func(o *pubOptions) error {
		switch {
		case d < 0:
			o.set(HeaderMsgTTL, "never")
		case d < time.Second:
			return fmt.Errorf("%w: message TTL %v below one second", ErrInvalidOption, d)
		default:
			o.set(HeaderMsgTTL, strconv.FormatInt(int64(d/time.Second), 10)+"s")
		}
		return nil
	}
}

// RetryAttempts overrides the Client's number of retries of this publish when no stream
// answered (WithPublishRetries).
func RetryAttempts(n int) PubOption {
	return func(o *pubOptions) error {
		if n < 0 {
			return fmt.Errorf("%w: retry attempts %d", ErrInvalidOption, n)
		}
		o.retries = n
		return nil
	}
}

// RetryWait overrides the Client's wait between retries of this publish.
func RetryWait(d time.Duration) PubOption {
	return func(o *pubOptions) error {
		if d < 0 {
			return fmt.Errorf("%w: retry wait %v", ErrInvalidOption, d)
		}
		o.wait = d
		return nil
	}
}

func (j *Client) pubOpts(opts []PubOption) (pubOptions, error) {
	o := pubOptions{retries: j.opt.publishRetries, wait: j.opt.publishRetryWait}
	if err := j.err(); err != nil || len(opts) == 0 {
		return o, err
	}
	return applyPubOpts(o, opts)
}

// applyPubOpts applies opts to a copy of o. It is apart from pubOpts because f(&o)
// moves o to the heap: a publish without options (most, and every KV put) skips it
// and allocates nothing.
func applyPubOpts(o pubOptions, opts []PubOption) (pubOptions, error) {
	for _, f := range opts {
		if err := f(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// AsyncContext bounds how long PublishAsync waits for room in the in-flight window
// (WithPublishAsyncMaxPending). Other calls ignore it.
func AsyncContext(ctx context.Context) PubOption {
	return func(o *pubOptions) error {
		if ctx == nil {
			return fmt.Errorf("%w: nil context", ErrInvalidOption)
		}
		o.ctx = ctx
		return nil
	}
}
