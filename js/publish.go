package js

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

// PubAck is a stream's acknowledgement of a published message.
type PubAck struct {
	// Stream is the stream that stored the message.
	Stream string `json:"stream"`
	// Sequence is the message's stream sequence (for a duplicate, the original's).
	Sequence uint64 `json:"seq"`
	// Duplicate is set when the stream had the message's Nats-Msg-Id within its
	// duplicate window and did not store it again.
	Duplicate bool `json:"duplicate,omitempty"`
	// Domain is the JetStream domain of the stream, when it has one.
	Domain string `json:"domain,omitempty"`
	// Value is a counter's value after an increment (ADR-49).
	Value string `json:"val,omitempty"`
	// BatchID and BatchSize describe a committed atomic batch (ADR-50).
	BatchID   string `json:"batch,omitempty"`
	BatchSize uint64 `json:"count,omitempty"`
}

type pubAckResponse struct {
	PubAck
	Error *jsm.APIError `json:"error,omitempty"`
}

// Publish stores data under subject in the stream that captures it and returns the
// stream's acknowledgement. It blocks until the acknowledgement, an error, or ctx's end
// (a ctx without deadline is bounded by the Client's timeout, 5 s by default). When no
// stream answers (the server's 503) it tries again, with the same Nats-Msg-Id, as
// WithPublishRetries says, within the same deadline; then it returns
// ErrNoStreamResponse. A message with a Nats-Msg-Id (MsgID) whose acknowledgement was
// lost with the link is sent again once the connection reconnected, within the same
// deadline (the stream stores it once; the acknowledgement then says Duplicate); one
// without waits for its acknowledgement until ctx ends (or fails at the disconnect with
// conn.WithFailRequestsOnDisconnect). A failed expectation is the server's *jsm.APIError, such as
// jsm.ErrWrongLastSequence; refusals of counter messages also match the sentinels of
// this package (ErrCounterNotEnabled, ErrCounterIncrMissing, ErrInvalidCounterIncr).
func (j *Client) Publish(ctx context.Context, subject string, data []byte, opts ...PubOption) (*PubAck, error) {
	return j.PublishMsg(ctx, &conn.Msg{Subject: subject, Data: data}, opts...)
}

// PublishMsg is Publish for a message with headers. m is not modified: the options'
// headers are added to a copy of its header.
func (j *Client) PublishMsg(ctx context.Context, m *conn.Msg, opts ...PubOption) (*PubAck, error) {
	o, err := j.pubOpts(opts)
	if err != nil {
		return nil, err
	}
	out := withHeaders(m, o.headers)
	ctx, cancel := j.withTimeout(ctx)
	defer cancel()
	request := j.c.RequestMsg
	if out.Header.Get(HeaderMsgID) != "" {
		request = j.requestSurvivingDisconnects
	}
	for attempt := 0; ; attempt++ {
		resp, err := request(ctx, out)
		if err == nil {
			return decodePubAck(resp)
		}
		if !errors.Is(err, conn.ErrNoResponders) {
			if attempt > 0 && ctx.Err() != nil {
				// ctx ended during a retry: what the caller needs to know is that no
				// stream answered, as when it ends between two attempts.
				return nil, fmt.Errorf("%w on %s: %w", ErrNoStreamResponse, m.Subject, err)
			}
			return nil, err
		}
		if attempt >= o.retries {
			return nil, fmt.Errorf("%w on %s: %w", ErrNoStreamResponse, m.Subject, err)
		}
		if !sleepCtx(ctx, o.wait) {
			return nil, fmt.Errorf("%w on %s: %w (%w)", ErrNoStreamResponse, m.Subject, err, ctx.Err())
		}
	}
}

// withHeaders returns m, or a copy of it with the extra headers set.
func withHeaders(m *conn.Msg, extra [][2]string) *conn.Msg {
	if len(extra) == 0 {
		return m
	}
	h := make(conn.Header, len(m.Header)+len(extra))
	for k, v := range m.Header {
		h[k] = v
	}
	for _, kv := range extra {
		h.Set(kv[0], kv[1])
	}
	return &conn.Msg{Subject: m.Subject, Reply: m.Reply, Header: h, Data: m.Data}
}

// decodePubAck reads the stream's answer to a publish.
func decodePubAck(resp *conn.Msg) (*PubAck, error) {
	if code, desc := resp.Status(); code == 503 {
		return nil, fmt.Errorf("%w: %w", ErrNoStreamResponse, conn.ErrNoResponders)
	} else if code != 0 && len(resp.Data) == 0 {
		return nil, fmt.Errorf("%w: status %d %s", jsm.ErrBadResponse, code, desc)
	}
	if ack, ok := parsePubAck(resp.Data); ok {
		return &ack, nil
	}
	var r pubAckResponse
	if err := json.Unmarshal(resp.Data, &r); err != nil {
		return nil, fmt.Errorf("%w: publish acknowledgement %q: %w", jsm.ErrBadResponse, resp.Data, err)
	}
	if r.Error != nil {
		return nil, pubAPIError(r.Error)
	}
	if r.Stream == "" {
		return nil, fmt.Errorf("%w: publish acknowledgement without stream: %q", jsm.ErrBadResponse, resp.Data)
	}
	ack := r.PubAck
	return &ack, nil
}

// sleepCtx waits d or until ctx ends; it reports whether the full wait passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
