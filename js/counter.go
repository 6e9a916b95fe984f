package js

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math/big"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/proto"
)

// Header names of message counters (ADR-49).
const (
	// HeaderIncr holds a counter increment, a signed decimal integer of any size.
	HeaderIncr = "Nats-Incr"
	// HeaderCounterSources holds, in an aggregating counter stream, the last value seen
	// from each source: JSON {"<stream>":{"<subject>":"<value>"}}.
	HeaderCounterSources = "Nats-Counter-Sources"
)

// Counter is the value of a counter (ADR-49) as the last message of its subject holds
// it.
type Counter struct {
	// Subject is the counter's subject and Sequence the stream sequence of the message
	// holding the value.
	Subject  string
	Sequence uint64
	// Value is the counter's total.
	Value *big.Int
	// Incr is the increment of the message holding the value (for a value sourced from
	// another stream, the change the stream computed from that source's last value).
	Incr *big.Int
	// Sources holds, for a counter fed by sourced streams, the last value seen from each
	// of them: by stream name, then by the subject the value had in that stream. It is
	// nil for a counter no source contributed to.
	Sources map[string]map[string]*big.Int
}

// counterValue is the payload of a counter message.
type counterValue struct {
	Value string `json:"val"`
}

// Increment makes a publish add delta to the counter at the message's subject: it sets
// Nats-Incr ("+5", "-2"). The stream must allow counters (jsm.StreamConfig.AllowMsgCounter,
// nats-server 2.12 or newer) and the message carry no payload; the PubAck's Value is the
// total after it. Use it with Publish, PublishAsync or in an atomic Batch; Incr is the
// shorthand that returns the total. A nil delta is refused with ErrInvalidOption.
func Increment(delta *big.Int) PubOption {
	return func(o *pubOptions) error {
		if delta == nil {
			return fmt.Errorf("%w: nil counter increment", ErrInvalidOption)
		}
		v := delta.String()
		if delta.Sign() >= 0 {
			v = "+" + v
		}
		o.set(HeaderIncr, v)
		return nil
	}
}

// Incr adds delta, which may be negative or beyond 64 bits, to the counter at subject
// and returns the counter's new total. It publishes a message without payload and with
// Nats-Incr, as Publish does: it blocks until the acknowledgement, an error, ctx's end,
// or the Client's timeout when ctx has no deadline. opts may add MsgID (an increment
// published twice within the duplicate window counts once; the duplicate returns the
// counter's current total, read from the stream) and retry options; a stream refuses
// expectations with counters.
//
// A stream without counters refuses with ErrCounterNotEnabled, a server older than
// 2.12 with ErrNotSupported (nothing is sent when the connected server is older; a
// stream on an older server behind it stores a plain message, and Incr reports
// ErrNotSupported after the fact). A nil delta or a subject with wildcards is refused
// with ErrInvalidOption without sending.
func (j *Client) Incr(ctx context.Context, subject string, delta *big.Int, opts ...PubOption) (*big.Int, error) {
	if delta == nil {
		return nil, fmt.Errorf("%w: nil counter increment", ErrInvalidOption)
	}
	if err := proto.ValidatePublishSubject(subject); err != nil {
		return nil, fmt.Errorf("%w: counter subject: %w", ErrInvalidOption, err)
	}
	if !serverAtLeast(j.c, 2, 12) {
		return nil, notSupported(j.c, "message counters", 2, 12)
	}
	ctx, cancel := j.withTimeout(ctx)
	defer cancel()
	ack, err := j.PublishMsg(ctx, &conn.Msg{Subject: subject}, append(opts[:len(opts):len(opts)], Increment(delta))...)
	if err != nil {
		return nil, err
	}
	if ack.Value == "" {
		if ack.Duplicate {
			c, err := j.Counter(ctx, ack.Stream, subject)
			if err != nil {
				return nil, err
			}
			return c.Value, nil
		}
		return nil, fmt.Errorf("%w: stream %s stored the increment of %s as a plain message (seq %d)", ErrNotSupported, ack.Stream, subject, ack.Sequence)
	}
	v, ok := new(big.Int).SetString(ack.Value, 10)
	if !ok {
		return nil, fmt.Errorf("%w: counter value %q in the acknowledgement", jsm.ErrBadResponse, ack.Value)
	}
	return v, nil
}

// IncrInt is Incr for an increment that fits an int64.
func (j *Client) IncrInt(ctx context.Context, subject string, delta int64, opts ...PubOption) (*big.Int, error) {
	return j.Incr(ctx, subject, big.NewInt(delta), opts...)
}

// Counter reads the counter at subject in stream: the last message of the subject,
// with a direct get when the stream allows it (jsm.Manager.GetLastMsg). It blocks until
// the answer, ctx's end, or the Client's timeout when ctx has no deadline. A subject
// without a message is jsm.ErrMsgNotFound (a counter never incremented); a message that
// is not a counter value is ErrCounterNotEnabled.
func (j *Client) Counter(ctx context.Context, stream, subject string) (*Counter, error) {
	if err := j.err(); err != nil {
		return nil, err
	}
	m, err := j.m.GetLastMsg(ctx, stream, subject)
	if err != nil {
		return nil, err
	}
	return ParseCounter(m.Subject, m.Sequence, m.Header, m.Data)
}

// CounterValue returns the total of the counter at subject in stream, as Counter reads
// it.
func (j *Client) CounterValue(ctx context.Context, stream, subject string) (*big.Int, error) {
	c, err := j.Counter(ctx, stream, subject)
	if err != nil {
		return nil, err
	}
	return c.Value, nil
}

// Counters iterates over the counters of stream whose subjects match subjects
// (wildcards allowed), read with multi-subject batch direct gets
// (jsm.Manager.GetLastBatch): the stream must allow direct get and the server be 2.11
// or newer. Subjects without a counter are skipped; an error is yielded as the last
// pair. ctx's end stops the iteration.
func (j *Client) Counters(ctx context.Context, stream string, subjects ...string) iter.Seq2[*Counter, error] {
	return func(yield func(*Counter, error) bool) {
		if err := j.err(); err != nil {
			yield(nil, err)
			return
		}
		for m, err := range j.m.GetLastBatch(ctx, stream, jsm.LastBatchRequest{Subjects: subjects}) {
			if err != nil {
				yield(nil, err)
				return
			}
			c, err := ParseCounter(m.Subject, m.Sequence, m.Header, m.Data)
			if !yield(c, err) || err != nil {
				return
			}
		}
	}
}

// ParseCounter reads a counter message of a counter stream — as a consumer or a get
// receives it — into a Counter: the payload {"val":"<total>"}, the Nats-Incr and
// Nats-Counter-Sources headers. A payload that is not a counter value is
// ErrCounterNotEnabled.
func ParseCounter(subject string, seq uint64, h conn.Header, data []byte) (*Counter, error) {
	var cv counterValue
	if err := json.Unmarshal(data, &cv); err != nil || cv.Value == "" {
		return nil, fmt.Errorf("%w: message %d on %s is not a counter value: %.64q", ErrCounterNotEnabled, seq, subject, data)
	}
	c := &Counter{Subject: subject, Sequence: seq}
	var ok bool
	if c.Value, ok = new(big.Int).SetString(cv.Value, 10); !ok {
		return nil, fmt.Errorf("%w: message %d on %s: counter value %q", ErrCounterBroken, seq, subject, cv.Value)
	}
	if s := h.Get(HeaderIncr); s != "" {
		if c.Incr, ok = new(big.Int).SetString(s, 10); !ok {
			return nil, fmt.Errorf("%w: message %d on %s: increment %q", ErrCounterBroken, seq, subject, s)
		}
	}
	if s := h.Get(HeaderCounterSources); s != "" {
		var raw map[string]map[string]string
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, fmt.Errorf("%w: message %d on %s: %s: %w", ErrCounterBroken, seq, subject, HeaderCounterSources, err)
		}
		c.Sources = make(map[string]map[string]*big.Int, len(raw))
		for stream, subjects := range raw {
			vals := make(map[string]*big.Int, len(subjects))
			for subj, v := range subjects {
				if vals[subj], ok = new(big.Int).SetString(v, 10); !ok {
					return nil, fmt.Errorf("%w: message %d on %s: source value %q", ErrCounterBroken, seq, subject, v)
				}
			}
			c.Sources[stream] = vals
		}
	}
	return c, nil
}
