package js

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nuid"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/proto"
)

// Header names of atomic batch publishing (ADR-50).
const (
	HeaderBatchID     = "Nats-Batch-Id"
	HeaderBatchSeq    = "Nats-Batch-Sequence"
	HeaderBatchCommit = "Nats-Batch-Commit"
)

// DefaultMaxBatchSize is the most messages nats-server takes in one atomic batch unless
// its jetstream limits set max_batch_size (BatchMaxSize).
const DefaultMaxBatchSize = 1000

// maxBatchIDLen is the longest batch ID the server takes.
const maxBatchIDLen = 64

// BatchAck is a stream's acknowledgement of a committed atomic batch.
type BatchAck struct {
	// Stream is the stream that stored the batch.
	Stream string
	// Sequence is the stream sequence of the batch's last message; the others have the
	// BatchSize-1 sequences before it, in the order they were added.
	Sequence uint64
	// BatchID is the batch's Nats-Batch-Id and BatchSize its number of stored messages.
	BatchID   string
	BatchSize int
	// Domain is the JetStream domain of the stream, when it has one.
	Domain string
}

// BatchOption configures NewBatch and PublishBatch.
type BatchOption func(*batchOptions) error

type batchOptions struct {
	id       string
	ackEvery int
	maxSize  int
}

// BatchID sets the batch's Nats-Batch-Id (at most 64 characters, no whitespace). The
// default is a new NUID. Two batches in flight on one stream must not share an ID.
func BatchID(id string) BatchOption {
	return func(o *batchOptions) error {
		if id == "" || len(id) > maxBatchIDLen || !proto.ValidHeaderValue(id) {
			return fmt.Errorf("%w: batch ID %q: 1 to %d characters, no CR or LF", ErrInvalidOption, id, maxBatchIDLen)
		}
		for i := 0; i < len(id); i++ {
			if id[i] == ' ' || id[i] == '\t' {
				return fmt.Errorf("%w: batch ID %q holds whitespace", ErrInvalidOption, id)
			}
		}
		o.id = id
		return nil
	}
}

// BatchAckEvery makes every n-th message of the batch (besides the first, which always
// is) a request that waits for the stream to confirm it staged the batch so far. It
// finds a refused batch early and paces a batch of large messages to the stream's
// speed, for one round trip per n messages. The default, 0, confirms only the first
// message and the commit.
func BatchAckEvery(n int) BatchOption {
	return func(o *batchOptions) error {
		if n < 0 {
			return fmt.Errorf("%w: batch ack interval %d", ErrInvalidOption, n)
		}
		o.ackEvery = n
		return nil
	}
}

// BatchMaxSize sets how many messages the client lets into one batch before it refuses
// the next one (ErrBatchTooLarge wrapped in ErrInvalidOption) without sending it. The
// default is DefaultMaxBatchSize, the server's; set it to a server's max_batch_size
// when that differs. The server enforces its own limit regardless.
func BatchMaxSize(n int) BatchOption {
	return func(o *batchOptions) error {
		if n < 1 {
			return fmt.Errorf("%w: batch max size %d", ErrInvalidOption, n)
		}
		o.maxSize = n
		return nil
	}
}

// Batch is an atomic batch being published (ADR-50): the stream stores every message of
// the batch, contiguously and in order, when the commit arrives, or none of them. Until
// then the messages are staged on the stream's leader, invisible to consumers, gets and
// the stream's state. A batch nobody commits is abandoned by the server after 10
// seconds without a message; Discard abandons it at once.
//
// What gets confirmed when: the first message is a request, and Add returns the
// stream's answer — a refusal (ErrBatchPublishNotEnabled, ErrBatchTooManyInflight,
// ...) or an empty confirmation that the batch is staged. Later messages are published
// without waiting unless BatchAckEvery asks for confirmations. Conditions are checked
// at the commit, under the stream's lock: expectations (an ExpectLastSeq of the first
// message, ExpectLastSeqPerSubject of any message not preceded in the batch by one to
// the same subject, ExpectStream), de-duplication (MsgID), and whether a message went
// missing. Commit returns the BatchAck, or the error that abandoned the whole batch.
//
// A Batch's methods may be called from several goroutines; they take turns (Discard
// waits for a call in progress) and messages are numbered in the order the calls get
// to them. A stream with NoAck answers nothing, so a first Add to it waits until its
// ctx ends. A call's error from before anything was sent (a bad
// option, subject or header, a ctx already done) leaves the batch as it was; any later
// error ends it, and the following calls return ErrBatchClosed wrapping that error.
// When the outcome of a message is unknown (ctx's end or a lost connection while
// waiting for the stream's answer) the client abandons the batch on the server, as
// Discard does.
type Batch struct {
	j      *Client
	opt    batchOptions
	optErr error

	mu   sync.Mutex
	seq  uint64 // messages sent
	last string // subject of the last message sent, where Discard's marker goes
	done error  // set when the batch is over: ErrBatchClosed wrapping the reason
}

// NewBatch starts an atomic batch on the streams of j. It does no I/O: the first Add
// sends the first message. A rejected option is returned by every call of the Batch.
// Atomic batches need nats-server 2.12 or newer and a stream with
// jsm.StreamConfig.AllowAtomicPublish.
func (j *Client) NewBatch(opts ...BatchOption) *Batch {
	b := &Batch{j: j, opt: batchOptions{maxSize: DefaultMaxBatchSize}}
	for _, f := range opts {
		if err := f(&b.opt); err != nil && b.optErr == nil {
			b.optErr = err
		}
	}
	if b.opt.id == "" {
		b.opt.id = nuid.Next()
	}
	return b
}

// ID returns the batch's Nats-Batch-Id.
func (b *Batch) ID() string { return b.opt.id }

// Size returns the number of messages sent in the batch so far.
func (b *Batch) Size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(b.seq)
}

// Add adds a message with data to subject to the batch. The first Add blocks until the
// stream confirms the batch, ctx's end, or the Client's timeout when ctx has no
// deadline; later ones only queue the message unless BatchAckEvery says to wait. The
// options are those of Publish that apply to one message of a batch: MsgID, MsgTTL,
// ExpectStream, ExpectLastSeqPerSubject, ExpectLastSeqForSubject, Increment, and
// ExpectLastSeq on the first message only; ExpectLastMsgID is refused. The first
// message is tried again when no stream answered, as Publish does
// (WithPublishRetries, RetryAttempts, RetryWait); later ones are not, since the batch
// is lost then. A stream that answered the first message with an ordinary
// acknowledgement stored it alone (a server without atomic batches): Add returns
// ErrNotSupported.
func (b *Batch) Add(ctx context.Context, subject string, data []byte, opts ...PubOption) error {
	_, err := b.send(ctx, &conn.Msg{Subject: subject, Data: data}, opts, "")
	return err
}

// AddMsg is Add for a message with headers. m is not modified; m.Reply is ignored.
func (b *Batch) AddMsg(ctx context.Context, m *conn.Msg, opts ...PubOption) error {
	_, err := b.send(ctx, m, opts, "")
	return err
}

// Commit adds a last message with data to subject and commits the batch: it blocks
// until the stream stored the whole batch and acknowledged it, refused it (nothing of
// it is stored), ctx's end, or the Client's timeout when ctx has no deadline. When ctx
// ends first the batch may or may not have been stored; the client sends the marker
// that abandons it, which is ignored if the commit got there first. The Batch is over
// after Commit, whatever its outcome.
func (b *Batch) Commit(ctx context.Context, subject string, data []byte, opts ...PubOption) (*BatchAck, error) {
	return b.send(ctx, &conn.Msg{Subject: subject, Data: data}, opts, "1")
}

// CommitMsg is Commit for a message with headers. m is not modified; m.Reply is
// ignored.
func (b *Batch) CommitMsg(ctx context.Context, m *conn.Msg, opts ...PubOption) (*BatchAck, error) {
	return b.send(ctx, m, opts, "1")
}

// CommitAdded commits the messages added so far without adding one: it sends an end of
// batch marker the stream does not store (nats-server 2.14 or newer, ErrNotSupported
// otherwise). It blocks as Commit does. A batch with nothing added is refused with
// ErrInvalidOption.
func (b *Batch) CommitAdded(ctx context.Context) (*BatchAck, error) {
	b.mu.Lock()
	subject := b.last
	b.mu.Unlock()
	if subject != "" && !serverAtLeast(b.j.c, 2, 14) {
		return nil, notSupported(b.j.c, "committing an atomic batch with an end marker", 2, 14)
	}
	return b.send(ctx, &conn.Msg{Subject: subject}, nil, "eob")
}

// Discard abandons the batch: nothing of it is stored. It sends a marker that makes
// the stream drop what it staged (a message out of sequence, which the stream answers
// by abandoning the batch) without waiting; the stream would otherwise hold the batch,
// counted against its limit of batches in flight, until its 10 second timeout.
// Discard is idempotent and a no-op on a batch that is already over; it returns only
// an error of queueing the marker (a closed connection).
func (b *Batch) Discard() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done != nil {
		return nil
	}
	b.done = fmt.Errorf("%w: discarded", ErrBatchClosed)
	return b.abandonLocked()
}

// abandonLocked publishes the marker that abandons the batch on the stream, when
// anything of it was sent.
func (b *Batch) abandonLocked() error {
	if b.seq == 0 {
		return nil
	}
	h := conn.Header{}
	h.Set(HeaderBatchID, b.opt.id)
	// One past the next sequence: a gap whether or not the stream got message b.seq+1.
	h.Set(HeaderBatchSeq, strconv.FormatUint(b.seq+2, 10))
	return b.j.c.PublishMsg(&conn.Msg{Subject: b.last, Header: h})
}

// endLocked ends the batch with err and returns it. abandon says the stream may still
// hold the batch, so the marker that abandons it is sent.
func (b *Batch) endLocked(err error, abandon bool) error {
	b.done = fmt.Errorf("%w: %w", ErrBatchClosed, err)
	if abandon {
		_ = b.abandonLocked()
	}
	return err
}

// send adds m to the batch; commit is "" for Add, "1" for a commit with m, "eob" for
// a commit without it.
func (b *Batch) send(ctx context.Context, m *conn.Msg, opts []PubOption, commit string) (*BatchAck, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil message", ErrInvalidOption)
	}
	if b.optErr != nil {
		return nil, b.optErr
	}
	o, err := b.j.pubOpts(opts)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done != nil {
		return nil, b.done
	}
	seq := b.seq + 1
	if commit == "eob" && seq == 1 {
		return nil, fmt.Errorf("%w: nothing to commit in batch %s", ErrInvalidOption, b.opt.id)
	}
	if commit != "eob" && seq > uint64(b.opt.maxSize) {
		return nil, fmt.Errorf("%w: %w: message %d of a batch of at most %d", ErrInvalidOption, ErrBatchTooLarge, seq, b.opt.maxSize)
	}
	out := batchMsg(m, o.headers, b.opt.id, seq, commit)
	if err := checkBatchMsg(out, seq); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if seq == 1 && !serverAtLeast(b.j.c, 2, 12) {
		return nil, notSupported(b.j.c, "atomic batch publish", 2, 12)
	}
	if commit == "" && seq > 1 && (b.opt.ackEvery == 0 || seq%uint64(b.opt.ackEvery) != 0) {
		if err := b.j.c.PublishMsg(out); err != nil {
			return nil, err // not sent
		}
		b.seq, b.last = seq, out.Subject
		return nil, nil
	}
	resp, err := b.request(ctx, out, o)
	if err != nil {
		if errors.Is(err, conn.ErrNoResponders) {
			// Nothing captured the subject: the stream has none of this message.
			return nil, b.endLocked(fmt.Errorf("%w on %s: %w", ErrNoStreamResponse, out.Subject, err), seq > 1)
		}
		// The stream may have staged the message: count it, so the marker is a gap.
		b.seq, b.last = seq, out.Subject
		return nil, b.endLocked(err, true)
	}
	b.seq, b.last = seq, out.Subject
	if commit == "" {
		if err := decodeStaged(resp); err != nil {
			return nil, b.endLocked(err, false)
		}
		return nil, nil
	}
	ack, err := decodePubAck(resp)
	if err == nil && ack.BatchID != b.opt.id {
		err = fmt.Errorf("%w: the stream stored the commit of batch %s as a message of its own (seq %d)", ErrNotSupported, b.opt.id, ack.Sequence)
	}
	if err != nil {
		return nil, b.endLocked(err, false)
	}
	b.done = fmt.Errorf("%w: committed", ErrBatchClosed)
	return &BatchAck{Stream: ack.Stream, Sequence: ack.Sequence, BatchID: ack.BatchID, BatchSize: int(ack.BatchSize), Domain: ack.Domain}, nil
}

// request sends out and waits for the answer, trying again on the server's 503 as
// Publish does: no stream got the message, so sending it again cannot stage it twice
// (a stream leader that changed meanwhile answers the retry with the batch's loss;
// its interest may reach the server a moment after the step-down).
func (b *Batch) request(ctx context.Context, out *conn.Msg, o pubOptions) (*conn.Msg, error) {
	ctx, cancel := b.j.withTimeout(ctx)
	defer cancel()
	for attempt := 0; ; attempt++ {
		resp, err := b.j.c.RequestMsg(ctx, out)
		if !errors.Is(err, conn.ErrNoResponders) || attempt >= o.retries || !sleepCtx(ctx, o.wait) {
			return resp, err
		}
	}
}

// batchMsg returns a copy of m with the options' headers and those of message seq of
// batch id; commit, when set, is the value of Nats-Batch-Commit.
func batchMsg(m *conn.Msg, extra [][2]string, id string, seq uint64, commit string) *conn.Msg {
	h := make(conn.Header, len(m.Header)+len(extra)+3)
	for k, v := range m.Header {
		// The batch's own headers, however spelled, are the client's to set.
		if strings.EqualFold(k, HeaderBatchID) || strings.EqualFold(k, HeaderBatchSeq) || strings.EqualFold(k, HeaderBatchCommit) {
			continue
		}
		h[k] = v
	}
	for _, kv := range extra {
		h.Set(kv[0], kv[1])
	}
	h.Set(HeaderBatchID, id)
	h.Set(HeaderBatchSeq, strconv.FormatUint(seq, 10))
	if commit != "" {
		h.Set(HeaderBatchCommit, commit)
	}
	data := m.Data
	if commit == "eob" {
		data = nil
	}
	return &conn.Msg{Subject: m.Subject, Header: h, Data: data}
}

// checkBatchMsg refuses, before anything is sent, what the stream would refuse in
// message seq of a batch.
func checkBatchMsg(m *conn.Msg, seq uint64) error {
	if err := proto.ValidatePublishSubject(m.Subject); err != nil {
		return fmt.Errorf("%w: batch message %d: %w", ErrInvalidOption, seq, err)
	}
	if m.Header.Get(HeaderExpectedLastMsgID) != "" {
		return fmt.Errorf("%w: %w: %s (batch message %d)", ErrInvalidOption, ErrBatchUnsupportedHeader, HeaderExpectedLastMsgID, seq)
	}
	if seq > 1 && len(m.Header.Values(HeaderExpectedLastSeq)) > 0 {
		return fmt.Errorf("%w: only the first message of a batch may expect a last sequence (message %d)", ErrInvalidOption, seq)
	}
	return nil
}

// decodeStaged reads the stream's answer to a message of a batch that is not its
// commit: empty when the stream staged it.
func decodeStaged(resp *conn.Msg) error {
	if code, _ := resp.Status(); code == 0 && len(resp.Data) == 0 {
		return nil
	}
	ack, err := decodePubAck(resp)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: the stream stored a message of an atomic batch as a message of its own (seq %d)", ErrNotSupported, ack.Sequence)
}

// PublishBatch publishes msgs as one atomic batch (see Batch) and commits it with the
// last one: the stream stores all of them, contiguously and in order, or none. It
// checks what it can before sending anything — at least one message, at most
// BatchMaxSize, literal subjects, the headers a batch allows — and refuses with
// ErrInvalidOption. Expectations go in the messages' headers (HeaderExpectedLastSeq
// in the first one, for instance). It blocks until the stream acknowledges or refuses
// the batch, ctx's end, or the Client's timeout for each request when ctx has no
// deadline; on an error the batch is abandoned. msgs are not modified.
func (j *Client) PublishBatch(ctx context.Context, msgs []*conn.Msg, opts ...BatchOption) (*BatchAck, error) {
	b := j.NewBatch(opts...)
	if b.optErr != nil {
		return nil, b.optErr
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("%w: empty batch", ErrInvalidOption)
	}
	if len(msgs) > b.opt.maxSize {
		return nil, fmt.Errorf("%w: %w: %d messages, at most %d", ErrInvalidOption, ErrBatchTooLarge, len(msgs), b.opt.maxSize)
	}
	for i, m := range msgs {
		if m == nil {
			return nil, fmt.Errorf("%w: nil message %d", ErrInvalidOption, i+1)
		}
		if err := checkBatchMsg(m, uint64(i+1)); err != nil {
			return nil, err
		}
	}
	last := len(msgs) - 1
	for _, m := range msgs[:last] {
		if err := b.AddMsg(ctx, m); err != nil {
			_ = b.Discard()
			return nil, err
		}
	}
	ack, err := b.CommitMsg(ctx, msgs[last])
	if err != nil {
		_ = b.Discard()
	}
	return ack, err
}
