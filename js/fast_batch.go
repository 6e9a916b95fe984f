package js

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nuid"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

// Fast-ingest batch publishing (ADR-50, nats-server 2.14+): an unbounded, non-atomic
// batch whose messages are published without waiting for each acknowledgement, paced by
// the server. Each message carries its batch state in its reply subject,
// "<inbox>.<id>.<flow>.<gap>.<seq>.<op>.$FI", and the server answers on that inbox every
// few messages with a flow acknowledgement ({"type":"ack","seq":N,"msgs":M}: every
// message up to N was handled, the next acknowledgement comes M messages later), at
// once with a gap ({"type":"gap"}) or a refused message ({"type":"err"}), and with a
// PubAck for the commit.

// Fast batch operations, the <op> token of the reply subject.
const (
	fastOpStart     = 0
	fastOpAppend    = 1
	fastOpCommit    = 2
	fastOpCommitEOB = 3
	fastOpPing      = 4
)

// DefaultFastBatchFlow is the most messages a fast batch asks the server to let pass
// between two flow acknowledgements; the server may ask for acknowledgements more often.
const DefaultFastBatchFlow = 100

// DefaultFastBatchOutstanding is how many flow acknowledgements a fast batch may wait
// for at once before Add blocks: with two, the server works on one window while the
// next is sent.
const DefaultFastBatchOutstanding = 2

// fastPing is how long Add waits for an expected flow acknowledgement before it pings
// the batch, which makes the server send the last one again (it may have been lost).
const fastPing = time.Second

// FastAck tells where a fast batch stands after Add.
type FastAck struct {
	// BatchSequence is the added message's sequence in the batch (1 for the first).
	BatchSequence uint64
	// AckSequence is the highest batch sequence the stream acknowledged so far: with
	// gaps refused, every message up to it is stored (their buffers may be reused).
	AckSequence uint64
}

// FastGapError reports messages of a fast batch the stream did not receive: those from
// Expected up to, not including, Current (a Current not above Expected is a message
// that came again or out of order). With gaps refused it ends the batch.
type FastGapError struct {
	Expected, Current uint64
}

// Error describes the gap.
func (e *FastGapError) Error() string {
	if e.Current <= e.Expected {
		return fmt.Sprintf("nats: fast batch gap: message %d came when %d was expected", e.Current, e.Expected)
	}
	return fmt.Sprintf("nats: fast batch gap: messages %d to %d lost", e.Expected, e.Current-1)
}

// FastMsgError reports a message of a fast batch the stream refused (a failed
// expectation, a size limit): Err is the server's error. With gaps refused it ends the
// batch.
type FastMsgError struct {
	Sequence uint64
	Err      error
}

// Error names the refused message and the stream's reason.
func (e *FastMsgError) Error() string {
	return fmt.Sprintf("nats: fast batch message %d refused: %v", e.Sequence, e.Err)
}

// Unwrap returns the stream's error, so that errors.Is matches its sentinels
// (jsm.ErrWrongLastSequence, ...).
func (e *FastMsgError) Unwrap() error { return e.Err }

// FastBatchOption configures NewFastBatch.
type FastBatchOption func(*fastOptions) error

type fastOptions struct {
	flow        int
	outstanding int
	gapOK       bool
	onErr       func(error)
}

// FastBatchFlow sets the most messages the server may let pass between two flow
// acknowledgements (1 to 65535; default DefaultFastBatchFlow). The server starts lower
// when other fast batches share the stream and adapts it as they come and go.
func FastBatchFlow(n int) FastBatchOption {
	return func(o *fastOptions) error {
		if n < 1 || n > 65535 {
			return fmt.Errorf("%w: fast batch flow %d (1 to 65535)", ErrInvalidOption, n)
		}
		o.flow = n
		return nil
	}
}

// FastBatchOutstanding sets how many flow acknowledgements Add lets be outstanding
// before it waits (1 to 3, default DefaultFastBatchOutstanding; ADR-50 advises 3 only
// for long round trips).
func FastBatchOutstanding(n int) FastBatchOption {
	return func(o *fastOptions) error {
		if n < 1 || n > 3 {
			return fmt.Errorf("%w: fast batch outstanding acknowledgements %d (1 to 3)", ErrInvalidOption, n)
		}
		o.outstanding = n
		return nil
	}
}

// FastBatchAllowGaps lets the batch go on past lost or refused messages: each is
// reported to f (a *FastGapError or *FastMsgError; f may be nil) and the batch
// continues, for data where a gap is acceptable (metrics). By default the first gap
// or refused message ends the batch, so that what is stored is an unbroken prefix.
func FastBatchAllowGaps(f func(error)) FastBatchOption {
	return func(o *fastOptions) error {
		o.gapOK, o.onErr = true, f
		return nil
	}
}

// FastBatch is a fast-ingest batch being published. Its calls are for one goroutine at a
// time. It ends with Commit, CommitMsg or Close, or when the stream ends it (an error).
type FastBatch struct {
	j      *Client
	opt    fastOptions
	id     string
	inbox  string // "<inbox>.<id>": the stream answers under it
	prefix string // "<inbox>.<id>.<flow>.<gap>."
	sub    *conn.Subscription

	seq     uint64              // the last batch sequence sent
	acked   uint64              // the highest sequence the stream acknowledged
	every   uint64              // the stream's current acknowledgement interval
	last    string              // the subject of the last message, for Close's end marker
	started bool                // the stream accepted the batch
	ending  *conn.Msg           // the commit or end marker sent, as sent
	resend  bool                // no stream took ending: send it again
	lost    map[uint64]struct{} // messages no stream took, reported already
	final   *conn.Msg
	err     error // why the batch failed, once it did
	done    bool
	over    bool // Commit or Close returned the batch's end, or a ctx abandoned it
}

// NewFastBatch starts a fast-ingest batch (ADR-50). Nothing is sent before the first Add;
// the stream must allow batch publishing (jsm.StreamConfig.AllowBatchPublish), or the
// first Add fails with ErrFastBatchNotEnabled; servers before 2.14 give ErrNotSupported.
func (j *Client) NewFastBatch(opts ...FastBatchOption) (*FastBatch, error) {
	o := fastOptions{flow: DefaultFastBatchFlow, outstanding: DefaultFastBatchOutstanding}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	gap := "fail"
	if o.gapOK {
		gap = "ok"
	}
	id := nuid.Next()
	inbox := j.c.NewInbox() + "." + id
	return &FastBatch{j: j, opt: o, id: id, inbox: inbox, prefix: inbox + "." + strconv.Itoa(o.flow) + "." + gap + ".", every: 1}, nil
}

// ID returns the batch's ID, which the commit's BatchAck repeats.
func (b *FastBatch) ID() string { return b.id }

// Add publishes one message of the batch. The first Add waits for the stream to accept
// the batch; the others wait only when as many flow acknowledgements as allowed are
// outstanding, until one comes, ctx ends, or — when ctx has no deadline — the
// Client's timeout passed. A ctx that ends while Add, Commit or Close waits abandons
// the batch (the stream keeps what it stored so far). The PubOptions' headers apply
// (MsgID, Expect*, TTL, ...).
func (b *FastBatch) Add(ctx context.Context, subject string, data []byte, opts ...PubOption) (FastAck, error) {
	return b.AddMsg(ctx, &conn.Msg{Subject: subject, Data: data}, opts...)
}

// AddMsg is Add for a message with headers.
func (b *FastBatch) AddMsg(ctx context.Context, m *conn.Msg, opts ...PubOption) (FastAck, error) {
	if err := b.usable(); err != nil {
		return FastAck{}, err
	}
	op := fastOpAppend
	if b.seq == 0 {
		op = fastOpStart
	}
	if err := b.send(m, op, opts); err != nil {
		return FastAck{}, err
	}
	if b.seq == 1 {
		// The stream's first answer: the acknowledgement interval, or why not.
		if err := b.await(ctx, func() bool { return b.started }); err != nil {
			return FastAck{}, b.abandon(err)
		}
	}
	b.take()
	for b.err == nil && !b.done && b.acked+b.every*uint64(b.opt.outstanding) <= b.seq {
		if err := b.await(ctx, nil); err != nil {
			return FastAck{}, b.abandon(err)
		}
	}
	if b.err != nil || b.done {
		if b.done {
			b.close()
		}
		return FastAck{}, b.endErr()
	}
	return FastAck{BatchSequence: b.seq, AckSequence: b.acked}, nil
}

// Commit adds a last message and ends the batch: it returns the stream's
// acknowledgement of the whole batch once every message was handled. When the stream
// ended the batch early (a gap or refused message with gaps refused), the BatchAck
// says what was stored, with the error that ended it.
func (b *FastBatch) Commit(ctx context.Context, subject string, data []byte, opts ...PubOption) (*BatchAck, error) {
	return b.CommitMsg(ctx, &conn.Msg{Subject: subject, Data: data}, opts...)
}

// CommitMsg is Commit for a message with headers.
func (b *FastBatch) CommitMsg(ctx context.Context, m *conn.Msg, opts ...PubOption) (*BatchAck, error) {
	return b.end(ctx, m, fastOpCommit, opts)
}

// Close ends the batch without a last message: the stream acknowledges the messages
// added so far, as Commit does. A batch with no message is just dropped (nil, nil).
func (b *FastBatch) Close(ctx context.Context) (*BatchAck, error) {
	if b.seq == 0 && !b.done {
		b.done = true
		return nil, nil
	}
	// The end marker is not stored and does not count: it carries the next sequence.
	return b.end(ctx, &conn.Msg{Subject: b.last}, fastOpCommitEOB, nil)
}

// end sends the message that ends the batch (op: commit, or commit without storing)
// and waits for the stream's PubAck. A batch the stream is ending or has ended (a gap
// or a refusal) sends nothing: its PubAck says what it stored, also when an Add
// already read it.
func (b *FastBatch) end(ctx context.Context, m *conn.Msg, op int, opts []PubOption) (*BatchAck, error) {
	ending := b.err != nil && !b.over
	if err := b.usable(); err != nil && !ending {
		return nil, err
	}
	ctx, cancel := b.j.withTimeout(ctx)
	defer cancel()
	if !ending {
		if err := b.send(m, op, opts); err != nil {
			return nil, err
		}
	}
	return b.finish(ctx)
}

// usable reports why the batch takes no more calls.
func (b *FastBatch) usable() error {
	switch {
	case b.done && b.err != nil:
		return b.err
	case b.done:
		return fmt.Errorf("%w: fast batch %s", ErrBatchClosed, b.id)
	case b.err != nil:
		return b.endErr()
	}
	return nil
}

// send publishes m as batch message b.seq+1 with operation op.
func (b *FastBatch) send(m *conn.Msg, op int, opts []PubOption) error {
	if b.sub == nil {
		if !serverAtLeast(b.j.c, 2, 14) {
			return notSupported(b.j.c, "fast batch publish", 2, 14)
		}
		sub, err := b.j.c.Subscribe(b.inbox+".>", conn.WithPendingLimits(-1, -1))
		if err != nil {
			return err
		}
		b.sub = sub
	}
	o, err := b.j.pubOpts(opts)
	if err != nil {
		return err
	}
	out := withHeaders(m, o.headers)
	seq := b.seq + 1
	reply := b.prefix + strconv.FormatUint(seq, 10) + "." + strconv.Itoa(op) + ".$FI"
	msg := &conn.Msg{Subject: out.Subject, Reply: reply, Header: out.Header, Data: out.Data}
	if err := b.j.c.PublishMsg(msg); err != nil {
		return err // not sent: the batch is as it was
	}
	if op == fastOpCommit || op == fastOpCommitEOB {
		b.ending = msg
	}
	if op != fastOpCommitEOB {
		b.seq = seq
		b.last = out.Subject
	}
	return nil
}

// take handles the control messages already received, without waiting.
func (b *FastBatch) take() {
	for {
		select {
		case m, ok := <-b.sub.C():
			if !ok {
				b.fail(conn.ErrConnectionClosed)
				return
			}
			b.handle(m)
		default:
			return
		}
	}
}

// await waits for one control message (or until cond holds, when given), pinging the
// batch when none came for fastPing: the server then resends its last acknowledgement.
func (b *FastBatch) await(ctx context.Context, cond func() bool) error {
	// Bounded here, not per Add: most Adds never wait, and a timer each would cost more
	// than the publish.
	ctx, cancel := b.j.withTimeout(ctx)
	defer cancel()
	ping := time.NewTimer(fastPing)
	defer ping.Stop()
	for {
		select {
		case m, ok := <-b.sub.C():
			if !ok {
				b.fail(conn.ErrConnectionClosed)
				return b.endErr()
			}
			b.handle(m)
			if cond == nil || cond() || b.done || b.err != nil {
				return nil
			}
		case <-ping.C:
			b.ping()
			ping.Reset(fastPing)
		case <-ctx.Done():
			return fmt.Errorf("nats: fast batch %s: waiting for the stream: %w", b.id, ctx.Err())
		}
	}
}

// fastControl is any of the stream's answers on the batch's inbox.
type fastControl struct {
	Type    string        `json:"type"`
	Seq     uint64        `json:"seq"`
	Msgs    uint64        `json:"msgs"`
	LastSeq uint64        `json:"last_seq"`
	Error   *jsm.APIError `json:"error"`
	Stream  string        `json:"stream"`
	Domain  string        `json:"domain"`
	BatchID string        `json:"batch"`
	Count   int           `json:"count"`
}

// handle applies one control message.
func (b *FastBatch) handle(m *conn.Msg) {
	if code, _ := m.Status(); code == 503 {
		b.noResponders(m.Subject)
		return
	}
	var c fastControl
	if err := json.Unmarshal(m.Data, &c); err != nil {
		b.fail(fmt.Errorf("%w: fast batch answer %q: %w", jsm.ErrBadResponse, m.Data, err))
		return
	}
	switch c.Type {
	case "ack":
		b.started = true
		b.acked = max(b.acked, c.Seq)
		b.every = max(c.Msgs, 1)
	case "gap":
		b.gap(c.LastSeq, c.Seq)
	case "err":
		var err error = c.Error
		if c.Error != nil {
			err = pubAPIError(c.Error)
		}
		b.report(&FastMsgError{Sequence: c.Seq, Err: err})
	default: // the PubAck that ends the batch
		if b.final != nil {
			// A message sent after the stream ended the batch (a commit that crossed the
			// stream's own end) is refused as unknown: the first PubAck is the batch's.
			return
		}
		b.final = m
		b.done = true
		if c.Error != nil {
			b.fail(pubAPIError(c.Error))
		}
	}
}

// noResponders handles the server's 503 for the message whose reply subject was reply:
// no stream took it (none captures the subject, or a clustered stream has no leader
// for a moment). Before the stream accepted the batch, the batch is over. Later the
// message is lost: a gap, reported as the stream would; with gaps refused, a ping makes
// the stream see it too, end the batch and acknowledge what it stored.
func (b *FastBatch) noResponders(reply string) {
	if !b.started {
		b.fail(fmt.Errorf("%w on %s: %w", ErrNoStreamResponse, b.last, conn.ErrNoResponders))
		b.done = true
		return
	}
	// reply is "<prefix><seq>.<op>.$FI".
	tail := strings.TrimSuffix(strings.TrimPrefix(reply, b.prefix), ".$FI")
	seqStr, op, _ := strings.Cut(tail, ".")
	seq, err := strconv.ParseUint(seqStr, 10, 64)
	switch {
	case err != nil || op == strconv.Itoa(fastOpPing):
		return // a ping nobody took: the next one tells
	case op == strconv.Itoa(fastOpCommit) || op == strconv.Itoa(fastOpCommitEOB):
		b.resend = true // nobody got it, so sending it again cannot store it twice
		return
	}
	if b.lost == nil {
		b.lost = map[uint64]struct{}{}
	}
	b.lost[seq] = struct{}{}
	b.report(&FastGapError{Expected: seq, Current: seq + 1})
	if !b.opt.gapOK {
		b.ping()
	}
}

// ping asks the stream to resend its last flow acknowledgement, and to report a gap
// if messages up to the last one sent are missing.
func (b *FastBatch) ping() {
	reply := b.prefix + strconv.FormatUint(b.seq, 10) + "." + strconv.Itoa(fastOpPing) + ".$FI"
	_ = b.j.c.PublishMsg(&conn.Msg{Subject: b.last, Reply: reply})
}

// gap reports the stream's gap [from, to), less the messages already reported lost
// from their 503s (which it forgets): each run of the others as one FastGapError.
func (b *FastBatch) gap(from, to uint64) {
	if to <= from { // backward: a message came again or out of order
		b.report(&FastGapError{Expected: from, Current: to})
		return
	}
	start := from
	for s := from; s <= to; s++ {
		_, known := b.lost[s]
		if s < to && !known {
			continue
		}
		if s > start {
			b.report(&FastGapError{Expected: start, Current: s})
		}
		delete(b.lost, s)
		start = s + 1
	}
}

// report handles a gap or a refused message: the batch ends unless gaps are allowed.
func (b *FastBatch) report(err error) {
	if b.opt.gapOK {
		if b.opt.onErr != nil {
			b.opt.onErr(err)
		}
		return
	}
	b.fail(err)
}

// fail records why the batch ended (the first reason).
func (b *FastBatch) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// endErr is the error of a batch the stream ended.
func (b *FastBatch) endErr() error {
	if b.err == nil {
		return fmt.Errorf("%w: fast batch %s was ended by the stream", ErrBatchClosed, b.id)
	}
	return fmt.Errorf("nats: fast batch %s: %w", b.id, b.err)
}

// finish waits for the PubAck that ends the batch and returns it.
func (b *FastBatch) finish(ctx context.Context) (*BatchAck, error) {
	defer b.close()
	b.over = true
	b.take()
	for !b.done {
		if b.resend {
			b.resend = false
			if !sleepCtx(ctx, 50*time.Millisecond) {
				return nil, b.abandon(fmt.Errorf("nats: fast batch %s: waiting for the stream: %w", b.id, ctx.Err()))
			}
			_ = b.j.c.PublishMsg(b.ending)
		}
		if err := b.await(ctx, func() bool { return b.done || b.resend }); err != nil {
			return nil, b.abandon(err)
		}
		if b.err != nil && b.final == nil && errors.Is(b.err, conn.ErrConnectionClosed) {
			return nil, b.endErr()
		}
	}
	var c fastControl
	if b.final == nil || json.Unmarshal(b.final.Data, &c) != nil || c.Stream == "" {
		return nil, b.endErr()
	}
	ack := &BatchAck{Stream: c.Stream, Sequence: c.Seq, BatchID: c.BatchID, BatchSize: c.Count, Domain: c.Domain}
	if b.err != nil {
		return ack, b.endErr()
	}
	return ack, nil
}

// abandon ends the batch on the client after its ctx ended while it waited for the
// stream, and returns err: the stream keeps what it stored and drops the batch once it
// is idle for its batch timeout.
func (b *FastBatch) abandon(err error) error {
	b.fail(err)
	b.close()
	b.over = true
	return err
}

// close ends the batch on the client: no more calls, the inbox goes.
func (b *FastBatch) close() {
	b.done = true
	if b.sub != nil {
		_ = b.sub.Unsubscribe()
	}
}
