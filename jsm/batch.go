package jsm

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// batchPage is how many messages one batch direct get request asks for.
const batchPage = 1024

// BatchRequest selects the messages GetBatch reads.
type BatchRequest struct {
	// Subject keeps the messages whose subject matches it (wildcards allowed); "" is all.
	Subject string
	// Seq is the first sequence to read (default 1). StartTime, when set instead,
	// starts at the first message stored at or after it.
	Seq       uint64
	StartTime time.Time
	// Max bounds the number of messages (0: every matching message).
	Max int
	// MaxBytes bounds the payload bytes of each request's answer (0: the server's
	// default); the iteration goes on with a new request.
	MaxBytes int
}

// LastBatchRequest selects the messages GetLastBatch reads.
type LastBatchRequest struct {
	// Subjects, with wildcards, whose last messages are read; at most 1024 subjects
	// may match, or the server refuses with a 413 *APIError.
	Subjects []string
	// UpToSeq or UpToTime read the stream as it was then: the last message of each
	// subject at or below that sequence or time.
	UpToSeq  uint64
	UpToTime time.Time
	// Max bounds the number of messages (0: all of them).
	Max int
	// MaxBytes bounds the payload bytes of each request's answer, as in BatchRequest.
	MaxBytes int
}

// GetBatch iterates over the messages of stream that req selects, in stream order,
// read with batch direct gets (ADR-31): up to 1024 messages per request, the next
// request sent when the server's end-of-batch says more are pending. No match is an
// empty iteration. The stream must allow direct get (ErrNoDirectGet otherwise) and
// the server be 2.11 or newer (ErrBatchUnsupported otherwise). Errors are yielded as
// the last pair; ctx's end stops the iteration, and each request is bounded by the
// Manager's timeout when ctx has no deadline.
func (m *Manager) GetBatch(ctx context.Context, stream string, req BatchRequest) iter.Seq2[*RawStreamMsg, error] {
	return func(yield func(*RawStreamMsg, error) bool) {
		subject := req.Subject
		if subject == "" {
			subject = ">"
		}
		r := msgGetRequest{NextFor: subject, Seq: max(req.Seq, 1), MaxBytes: req.MaxBytes}
		if !req.StartTime.IsZero() {
			t := req.StartTime
			r.StartTime, r.Seq = &t, 0
		}
		m.batch(ctx, stream, r, req.Max, false, yield)
	}
}

// GetLastBatch iterates over the last message of each subject that req selects, read
// with multi-subject direct gets (ADR-31) that page, if needed, over one consistent
// view of the stream. It behaves as GetBatch does otherwise.
func (m *Manager) GetLastBatch(ctx context.Context, stream string, req LastBatchRequest) iter.Seq2[*RawStreamMsg, error] {
	return func(yield func(*RawStreamMsg, error) bool) {
		if len(req.Subjects) == 0 {
			yield(nil, fmt.Errorf("%w: no subjects", ErrInvalidOption))
			return
		}
		r := msgGetRequest{MultiLastFor: req.Subjects, UpToSeq: req.UpToSeq, MaxBytes: req.MaxBytes}
		if !req.UpToTime.IsZero() {
			t := req.UpToTime
			r.UpToTime, r.UpToSeq = &t, 0
		}
		m.batch(ctx, stream, r, req.Max, true, yield)
	}
}

// batch sends batch requests until the selection is exhausted, max messages were
// yielded, or the loop stops.
func (m *Manager) batch(ctx context.Context, stream string, r msgGetRequest, limit int, multi bool, yield func(*RawStreamMsg, error) bool) {
	if err := validateName("stream", stream); err != nil {
		yield(nil, err)
		return
	}
	if m.optErr != nil {
		yield(nil, m.optErr)
		return
	}
	if !m.c.ServerVersion().AtLeast(2, 11, 0) {
		yield(nil, fmt.Errorf("%w (server %s)", ErrBatchUnsupported, m.c.ServerVersion()))
		return
	}
	sent := 0
	for {
		r.Batch = batchPage
		if limit > 0 {
			r.Batch = min(batchPage, limit-sent)
		}
		eob, n, more, err := m.batchPage(ctx, stream, r, yield)
		sent += n
		if err != nil {
			yield(nil, err)
			return
		}
		if !more || eob == nil {
			return
		}
		pending, _ := strconv.ParseUint(eob.Header.Get(hdrNumPending), 10, 64)
		last, err := strconv.ParseUint(eob.Header.Get(hdrLastSeq), 10, 64)
		if pending == 0 || (limit > 0 && sent >= limit) || err != nil || last == 0 {
			return
		}
		// Go on after the last message; a multi-subject read keeps its view with up_to_seq.
		r.Seq, r.StartTime = last+1, nil
		if multi {
			upTo, err := strconv.ParseUint(eob.Header.Get(hdrUpToSeq), 10, 64)
			if err != nil {
				yield(nil, fmt.Errorf("%w: end of batch without %s", ErrBadResponse, hdrUpToSeq))
				return
			}
			r.UpToSeq, r.UpToTime = upTo, nil
		}
	}
}

// batchPage sends one batch request and yields its messages. It returns the
// end-of-batch message (nil when there was no match), how many messages it yielded,
// and whether the loop wants more.
func (m *Manager) batchPage(ctx context.Context, stream string, r msgGetRequest, yield func(*RawStreamMsg, error) bool) (eob *conn.Msg, n int, more bool, err error) {
	pctx, cancel := m.WithDefaultTimeout(ctx)
	defer cancel()
	req := &conn.Msg{Subject: m.prefix + ".DIRECT.GET." + stream, Data: mustJSON(r)}
	isEOB := func(msg *conn.Msg) bool {
		if code, _ := msg.Status(); code == 204 {
			eob = msg
			return true
		}
		return false
	}
	for reply, err := range m.c.RequestMany(pctx, req, conn.ManySentinel(isEOB)) {
		if err != nil {
			if errors.Is(err, conn.ErrNoResponders) {
				return nil, n, false, m.noDirectErr(ctx, stream)
			}
			return nil, n, false, err
		}
		if code, _ := reply.Status(); code == 404 && n == 0 {
			return nil, 0, false, nil // nothing matches
		}
		if err := directStatus(reply); err != nil {
			return nil, n, false, err
		}
		if reply.Header.Get(hdrNumPending) == "" {
			return nil, n, false, fmt.Errorf("%w: the server answered without %s", ErrBatchUnsupported, hdrNumPending)
		}
		msg, err := directMsg(reply, batchHeaders)
		if err != nil {
			return nil, n, false, err
		}
		n++
		if !yield(msg, nil) {
			return nil, n, false, nil
		}
	}
	if eob == nil {
		if err := ctx.Err(); err != nil {
			return nil, n, false, err
		}
		return nil, n, false, fmt.Errorf("nats: batch direct get on %q: no end of batch before the deadline: %w", stream, context.DeadlineExceeded)
	}
	return eob, n, true, nil
}

// noDirectErr explains why nothing answered a direct get: no such stream, no
// JetStream, or a stream without allow_direct.
func (m *Manager) noDirectErr(ctx context.Context, stream string) error {
	info, err := m.StreamInfo(ctx, stream)
	if err != nil {
		return err
	}
	if !info.Config.AllowDirect {
		return fmt.Errorf("%w: %q", ErrNoDirectGet, stream)
	}
	return fmt.Errorf("%w: no direct get responder for %q", conn.ErrNoResponders, stream)
}
