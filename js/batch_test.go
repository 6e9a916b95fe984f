package js_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// atomicStream adds the stream name on "<name>.>" that allows atomic batches.
func (e *env) atomicStream(t *testing.T, name string) {
	t.Helper()
	e.stream(t, jsm.StreamConfig{Name: name, Subjects: []string{name + ".>"}, AllowAtomicPublish: true, Storage: jsm.MemoryStorage})
}

// streamMsgs returns the number of messages stream holds.
func streamMsgs(t *testing.T, j *js.Client, stream string) uint64 {
	t.Helper()
	si, err := j.Manager().StreamInfo(ctxT(t, 5*time.Second), stream)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return si.State.Msgs
}

// wantMsgs fails the test unless stream holds n messages.
func wantMsgs(t *testing.T, j *js.Client, stream string, n uint64) {
	t.Helper()
	if got := streamMsgs(t, j, stream); got != n {
		t.Fatalf("stream %s holds %d messages, want %d", stream, got, n)
	}
}

// stays checks, for d, that stream keeps holding n messages.
func stays(t *testing.T, j *js.Client, stream string, n uint64, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(25 * time.Millisecond) {
		wantMsgs(t, j, stream, n)
	}
}

// batchMsgs returns n messages "<prefix>.<i>" with data "i", 1-based.
func batchMsgs(prefix string, n int) []*conn.Msg {
	msgs := make([]*conn.Msg, n)
	for i := range msgs {
		msgs[i] = &conn.Msg{Subject: fmt.Sprintf("%s.%d", prefix, i+1), Data: []byte(strconv.Itoa(i + 1))}
	}
	return msgs
}

func TestBatchCommitStoresAllContiguously(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.atomicStream(t, "B")
	ctx := ctxT(t, 20*time.Second)
	e.fill(t, "B.before", 2)

	b := e.j.NewBatch()
	for i := 1; i <= 4; i++ {
		if err := b.Add(ctx, fmt.Sprintf("B.x.%d", i), []byte(strconv.Itoa(i))); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	if b.Size() != 4 {
		t.Fatalf("size %d", b.Size())
	}
	// Staged, not stored: nothing of the batch is visible before the commit.
	stays(t, e.j, "B", 2, 300*time.Millisecond)
	if _, err := e.j.Manager().GetLastMsg(ctx, "B", "B.x.>"); !errors.Is(err, jsm.ErrMsgNotFound) {
		t.Fatalf("get before commit: %v", err)
	}
	ack, err := b.Commit(ctx, "B.x.5", []byte("5"))
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	want := js.BatchAck{Stream: "B", Sequence: 7, BatchID: b.ID(), BatchSize: 5}
	if *ack != want {
		t.Fatalf("ack %+v, want %+v", *ack, want)
	}
	wantMsgs(t, e.j, "B", 7)
	for seq := uint64(3); seq <= 7; seq++ {
		m, err := e.j.Manager().GetMsg(ctx, "B", seq)
		if err != nil {
			t.Fatal(err)
		}
		i := seq - 2
		if m.Subject != fmt.Sprintf("B.x.%d", i) || string(m.Data) != strconv.Itoa(int(i)) {
			t.Fatalf("seq %d: %s %q", seq, m.Subject, m.Data)
		}
		if m.Header.Get(js.HeaderBatchID) != b.ID() || m.Header.Get(js.HeaderBatchSeq) != strconv.Itoa(int(i)) {
			t.Fatalf("seq %d headers %v", seq, m.Header)
		}
		if commit := m.Header.Get(js.HeaderBatchCommit); (seq == 7) != (commit == "1") {
			t.Fatalf("seq %d commit header %q", seq, commit)
		}
	}
	// The batch is over.
	if err := b.Add(ctx, "B.x.6", nil); !errors.Is(err, js.ErrBatchClosed) {
		t.Fatalf("add after commit: %v", err)
	}
	if _, err := b.Commit(ctx, "B.x.6", nil); !errors.Is(err, js.ErrBatchClosed) {
		t.Fatalf("commit after commit: %v", err)
	}
	if err := b.Discard(); err != nil {
		t.Fatalf("discard after commit: %v", err)
	}
	wantMsgs(t, e.j, "B", 7)
}

func TestPublishBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.atomicStream(t, "PB")
	ctx := ctxT(t, 20*time.Second)

	for _, tc := range []struct {
		name string
		n    int
		opts []js.BatchOption
	}{
		{"one", 1, nil},
		{"ten", 10, nil},
		{"ack every 3", 10, []js.BatchOption{js.BatchAckEvery(3)}},
		{"named", 3, []js.BatchOption{js.BatchID("my-batch")}},
		{"server limit", js.DefaultMaxBatchSize, nil},
	} {
		before := streamMsgs(t, e.j, "PB")
		msgs := batchMsgs("PB."+strconv.Itoa(tc.n), tc.n)
		ack, err := e.j.PublishBatch(ctx, msgs, tc.opts...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if ack.Stream != "PB" || ack.BatchSize != tc.n || ack.Sequence != before+uint64(tc.n) || ack.BatchID == "" {
			t.Fatalf("%s: ack %+v after %d", tc.name, ack, before)
		}
		if tc.name == "named" && ack.BatchID != "my-batch" {
			t.Fatalf("batch id %q", ack.BatchID)
		}
		wantMsgs(t, e.j, "PB", before+uint64(tc.n))
		m, err := e.j.Manager().GetMsg(ctx, "PB", before+1)
		if err != nil || m.Subject != msgs[0].Subject || m.Header.Get(js.HeaderBatchSeq) != "1" {
			t.Fatalf("%s: first message %+v %v", tc.name, m, err)
		}
		if msgs[0].Header != nil {
			t.Fatalf("%s: PublishBatch modified its messages", tc.name)
		}
	}
}

func TestBatchCommitAdded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.atomicStream(t, "EOB")
	ctx := ctxT(t, 20*time.Second)

	b := e.j.NewBatch()
	if _, err := b.CommitAdded(ctx); !errors.Is(err, js.ErrInvalidOption) {
		t.Fatalf("empty commit: %v", err)
	}
	for i := 1; i <= 3; i++ {
		if err := b.Add(ctx, "EOB.a", []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	ack, err := b.CommitAdded(ctx)
	if err != nil {
		t.Fatalf("commit added: %v", err)
	}
	if ack.BatchSize != 3 || ack.Sequence != 3 {
		t.Fatalf("ack %+v", ack)
	}
	wantMsgs(t, e.j, "EOB", 3)
	m, err := e.j.Manager().GetMsg(ctx, "EOB", 3)
	if err != nil || string(m.Data) != "3" || m.Header.Get(js.HeaderBatchCommit) != "1" {
		t.Fatalf("last message %+v %v", m, err)
	}
}

func TestBatchDiscardAndAbandon(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.atomicStream(t, "D")
	ctx := ctxT(t, 30*time.Second)

	// More batches than a stream holds in flight (50): each discarded batch must be gone
	// from the server at once, or the 51st would be refused.
	for i := range 60 {
		b := e.j.NewBatch()
		for k := range 3 {
			if err := b.Add(ctx, "D.x", []byte{byte(k)}); err != nil {
				t.Fatalf("batch %d add %d: %v", i, k, err)
			}
		}
		if err := b.Discard(); err != nil {
			t.Fatal(err)
		}
		if err := b.Discard(); err != nil {
			t.Fatalf("second discard: %v", err)
		}
		if _, err := b.Commit(ctx, "D.x", nil); !errors.Is(err, js.ErrBatchClosed) {
			t.Fatalf("commit after discard: %v", err)
		}
	}
	stays(t, e.j, "D", 0, 200*time.Millisecond)

	// A discarded batch with nothing sent sends nothing.
	if err := e.j.NewBatch().Discard(); err != nil {
		t.Fatal(err)
	}

	// Batches left open count against the limit of 50 in flight.
	var open []*js.Batch
	for i := range 50 {
		b := e.j.NewBatch()
		if err := b.Add(ctx, "D.open", nil); err != nil {
			t.Fatalf("open batch %d: %v", i, err)
		}
		open = append(open, b)
	}
	b := e.j.NewBatch()
	err := b.Add(ctx, "D.open", nil)
	var apiErr *jsm.APIError
	if !errors.Is(err, js.ErrBatchTooManyInflight) || !errors.As(err, &apiErr) || apiErr.Code != 429 {
		t.Fatalf("51st batch: %v", err)
	}
	if err := b.Add(ctx, "D.open", nil); !errors.Is(err, js.ErrBatchClosed) || !errors.Is(err, js.ErrBatchTooManyInflight) {
		t.Fatalf("add after refusal: %v", err)
	}
	for _, b := range open {
		b.Discard()
	}
	if _, err := e.j.PublishBatch(ctx, batchMsgs("D.after", 2)); err != nil {
		t.Fatalf("batch after discarding the open ones: %v", err)
	}
	wantMsgs(t, e.j, "D", 2)
}

func TestBatchGapAbandons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.atomicStream(t, "G")
	ctx := ctxT(t, 20*time.Second)

	// Another client's batch with a message missing: the server abandons it, and the
	// commit says so.
	id := "gap-batch"
	send := func(seq int, commit bool) *conn.Msg {
		h := conn.Header{}
		h.Set(js.HeaderBatchID, id)
		h.Set(js.HeaderBatchSeq, strconv.Itoa(seq))
		if commit {
			h.Set(js.HeaderBatchCommit, "1")
		}
		return &conn.Msg{Subject: "G.x", Header: h}
	}
	if resp, err := e.c.RequestMsg(ctx, send(1, false)); err != nil || len(resp.Data) != 0 {
		t.Fatalf("first: %v %v", resp, err)
	}
	if err := e.c.PublishMsg(send(3, false)); err != nil {
		t.Fatal(err)
	}
	resp, err := e.c.RequestMsg(ctx, send(4, true))
	if err != nil {
		t.Fatal(err)
	}
	var ack struct {
		Error *jsm.APIError `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &ack); err != nil || ack.Error == nil || ack.Error.ErrCode != 10176 {
		t.Fatalf("commit after a gap: %q", resp.Data)
	}
	stays(t, e.j, "G", 0, 100*time.Millisecond)
}

func TestBatchExpectations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.atomicStream(t, "X")
	ctx := ctxT(t, 20*time.Second)
	e.fill(t, "X.pre", 2)

	// A wrong expectation on the first message: it is checked at the commit, which
	// refuses the whole batch.
	b := e.j.NewBatch()
	if err := b.Add(ctx, "X.a", []byte("1"), js.ExpectLastSeq(1)); err != nil {
		t.Fatalf("first add: %v", err)
	}
	if err := b.Add(ctx, "X.b", []byte("2")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(ctx, "X.c", []byte("3")); !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("commit with a wrong expectation: %v", err)
	}
	if err := b.Add(ctx, "X.d", nil); !errors.Is(err, js.ErrBatchClosed) || !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("add after failed commit: %v", err)
	}
	stays(t, e.j, "X", 2, 100*time.Millisecond)

	// The right one commits.
	msgs := batchMsgs("X.ok", 3)
	msgs[0].Header = conn.Header{js.HeaderExpectedLastSeq: {"2"}}
	if ack, err := e.j.PublishBatch(ctx, msgs); err != nil || ack.Sequence != 5 {
		t.Fatalf("right expectation: %+v %v", ack, err)
	}

	// Per-subject expectations on any message; one fails them all.
	msgs = batchMsgs("X.ps", 3)
	msgs[1].Header = conn.Header{js.HeaderExpectedLastSubjSeq: {"0"}}
	msgs[2].Header = conn.Header{js.HeaderExpectedLastSubjSeq: {"1"}}
	if _, err := e.j.PublishBatch(ctx, msgs); !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("wrong per-subject expectation: %v", err)
	}
	msgs[2].Header = conn.Header{js.HeaderExpectedLastSubjSeq: {"0"}}
	if _, err := e.j.PublishBatch(ctx, msgs); err != nil {
		t.Fatalf("right per-subject expectations: %v", err)
	}
	wantMsgs(t, e.j, "X", 8)

	// Refused before sending: an expected last sequence after the first message, an
	// expected last message ID anywhere. The batch stays usable.
	b = e.j.NewBatch()
	if err := b.Add(ctx, "X.e", nil, js.ExpectLastMsgID("x")); !errors.Is(err, js.ErrInvalidOption) || !errors.Is(err, js.ErrBatchUnsupportedHeader) {
		t.Fatalf("expect last msg id: %v", err)
	}
	if err := b.Add(ctx, "X.e", nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(ctx, "X.e", nil, js.ExpectLastSeq(8)); !errors.Is(err, js.ErrInvalidOption) {
		t.Fatalf("expect last seq on the second message: %v", err)
	}
	if ack, err := b.Commit(ctx, "X.e", nil); err != nil || ack.BatchSize != 2 {
		t.Fatalf("commit after refused adds: %+v %v", ack, err)
	}

	// De-duplication: a Msg-Id the stream has, or one repeated in the batch.
	if _, err := e.j.Publish(ctx, "X.id", nil, js.MsgID("dup")); err != nil {
		t.Fatal(err)
	}
	before := streamMsgs(t, e.j, "X")
	for name, ids := range map[string][]string{"stored": {"n1", "dup"}, "repeated": {"n2", "n2"}} {
		msgs := batchMsgs("X.dd", 2)
		for i, id := range ids {
			msgs[i].Header = conn.Header{js.HeaderMsgID: {id}}
		}
		if _, err := e.j.PublishBatch(ctx, msgs); !errors.Is(err, js.ErrBatchDuplicateMsgID) {
			t.Fatalf("%s duplicate: %v", name, err)
		}
	}
	wantMsgs(t, e.j, "X", before)
}

func TestBatchRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.atomicStream(t, "R")
	ctx := ctxT(t, 20*time.Second)
	var seen atomic.Int64
	var ended atomic.Bool
	if _, err := e.c.Subscribe("R.>", conn.WithHandler(func(m *conn.Msg) {
		if m.Subject == "R.end" {
			ended.Store(true)
		} else {
			seen.Add(1)
		}
	})); err != nil {
		t.Fatal(err)
	}

	tooMany := batchMsgs("R.big", js.DefaultMaxBatchSize+1)
	cases := map[string]struct {
		msgs []*conn.Msg
		opts []js.BatchOption
		also error
	}{
		"empty":          {msgs: nil},
		"too many":       {msgs: tooMany, also: js.ErrBatchTooLarge},
		"over max size":  {msgs: batchMsgs("R.m", 3), opts: []js.BatchOption{js.BatchMaxSize(2)}, also: js.ErrBatchTooLarge},
		"wildcard":       {msgs: []*conn.Msg{{Subject: "R.ok"}, {Subject: "R.*"}}},
		"empty subject":  {msgs: []*conn.Msg{{Subject: ""}}},
		"nil message":    {msgs: []*conn.Msg{{Subject: "R.ok"}, nil}},
		"long id":        {msgs: batchMsgs("R.id", 1), opts: []js.BatchOption{js.BatchID(strings.Repeat("a", 65))}},
		"id with space":  {msgs: batchMsgs("R.id", 1), opts: []js.BatchOption{js.BatchID("a b")}},
		"negative ack":   {msgs: batchMsgs("R.ack", 1), opts: []js.BatchOption{js.BatchAckEvery(-1)}},
		"zero max size":  {msgs: batchMsgs("R.max", 1), opts: []js.BatchOption{js.BatchMaxSize(0)}},
		"last seq later": {msgs: []*conn.Msg{{Subject: "R.a"}, {Subject: "R.b", Header: conn.Header{js.HeaderExpectedLastSeq: {"1"}}}}},
		"last msg id":    {msgs: []*conn.Msg{{Subject: "R.a", Header: conn.Header{js.HeaderExpectedLastMsgID: {"1"}}}}, also: js.ErrBatchUnsupportedHeader},
	}
	for name, tc := range cases {
		_, err := e.j.PublishBatch(ctx, tc.msgs, tc.opts...)
		if !errors.Is(err, js.ErrInvalidOption) || (tc.also != nil && !errors.Is(err, tc.also)) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The incremental form refuses past BatchMaxSize and stays usable.
	b := e.j.NewBatch(js.BatchMaxSize(2))
	for i := range 2 {
		if err := b.Add(ctx, "R.inc", nil); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	if err := b.Add(ctx, "R.inc", nil); !errors.Is(err, js.ErrBatchTooLarge) || !errors.Is(err, js.ErrInvalidOption) {
		t.Fatalf("third add: %v", err)
	}
	if err := b.AddMsg(ctx, nil); !errors.Is(err, js.ErrInvalidOption) {
		t.Fatalf("nil message: %v", err)
	}
	b.Discard()
	// The two adds and the discard marker; nothing of the refused batches. A last
	// message fences what was sent before it.
	if err := e.c.Publish("R.end", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the fence", func() bool { return ended.Load() })
	if n := seen.Load(); n != 3 {
		t.Fatalf("%d messages were sent, want 3", n)
	}
	wantMsgs(t, e.j, "R", 1)
}

func TestBatchServerLimit(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream(), natstest.Configure(func(o *server.Options) {
		o.JetStreamLimits.MaxBatchSize = 5
	}))
	c := connect(t, s.URL())
	e := &env{s: s, c: c, j: js.New(c)}
	e.atomicStream(t, "L")
	ctx := ctxT(t, 20*time.Second)

	if _, err := e.j.PublishBatch(ctx, batchMsgs("L.ok", 5)); err != nil {
		t.Fatalf("5 messages: %v", err)
	}
	// The client allows more than this server does: the server refuses the batch.
	_, err := e.j.PublishBatch(ctx, batchMsgs("L.big", 7), js.BatchMaxSize(10))
	var apiErr *jsm.APIError
	if !errors.Is(err, js.ErrBatchTooLarge) || !errors.As(err, &apiErr) || apiErr.ErrCode != 10199 || errors.Is(err, js.ErrInvalidOption) {
		t.Fatalf("7 messages: %v", err)
	}
	wantMsgs(t, e.j, "L", 5)
}

func TestBatchNotEnabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "NA", Subjects: []string{"NA.>"}, Storage: jsm.MemoryStorage})
	ctx := ctxT(t, 20*time.Second)

	b := e.j.NewBatch()
	err := b.Add(ctx, "NA.x", []byte("1"))
	var apiErr *jsm.APIError
	if !errors.Is(err, js.ErrBatchPublishNotEnabled) || !errors.As(err, &apiErr) || apiErr.ErrCode != 10174 {
		t.Fatalf("add: %v", err)
	}
	if _, err := b.Commit(ctx, "NA.x", nil); !errors.Is(err, js.ErrBatchClosed) || !errors.Is(err, js.ErrBatchPublishNotEnabled) {
		t.Fatalf("commit after refusal: %v", err)
	}
	if _, err := e.j.PublishBatch(ctx, batchMsgs("NA.b", 3)); !errors.Is(err, js.ErrBatchPublishNotEnabled) {
		t.Fatalf("publish batch: %v", err)
	}
	// A one-message batch is its own commit.
	if _, err := e.j.PublishBatch(ctx, batchMsgs("NA.c", 1)); !errors.Is(err, js.ErrBatchPublishNotEnabled) {
		t.Fatalf("publish batch of one: %v", err)
	}
	wantMsgs(t, e.j, "NA", 0)
	// No stream at all.
	if _, err := e.j.PublishBatch(ctx, batchMsgs("nowhere", 2)); !errors.Is(err, js.ErrNoStreamResponse) {
		t.Fatalf("no stream: %v", err)
	}
}

func TestBatchConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.atomicStream(t, "C")
	ctx := ctxT(t, 30*time.Second)
	const n, rounds = 40, 5

	acks := make(chan *js.BatchAck, 2*rounds)
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for r := range rounds {
				// Half through PublishBatch, half through the incremental form.
				if g == 0 {
					ack, err := e.j.PublishBatch(ctx, batchMsgs(fmt.Sprintf("C.g%d.r%d", g, r), n))
					if err != nil {
						t.Errorf("goroutine %d round %d: %v", g, r, err)
						return
					}
					acks <- ack
					continue
				}
				b := e.j.NewBatch(js.BatchAckEvery(7))
				for i := 1; i < n; i++ {
					if err := b.Add(ctx, fmt.Sprintf("C.g%d.r%d.%d", g, r, i), nil); err != nil {
						t.Errorf("goroutine %d round %d add %d: %v", g, r, i, err)
						return
					}
				}
				ack, err := b.Commit(ctx, fmt.Sprintf("C.g%d.r%d.%d", g, r, n), nil)
				if err != nil {
					t.Errorf("goroutine %d round %d commit: %v", g, r, err)
					return
				}
				acks <- ack
			}
		})
	}
	wg.Wait()
	close(acks)
	if t.Failed() {
		return
	}
	wantMsgs(t, e.j, "C", 2*rounds*n)
	// Each batch occupies the n sequences up to its ack's, in its own order.
	for ack := range acks {
		if ack.BatchSize != n {
			t.Fatalf("ack %+v", ack)
		}
		first := ack.Sequence - n + 1
		for i := uint64(0); i < n; i++ {
			m, err := e.j.Manager().GetMsg(ctx, "C", first+i)
			if err != nil {
				t.Fatal(err)
			}
			if m.Header.Get(js.HeaderBatchID) != ack.BatchID || m.Header.Get(js.HeaderBatchSeq) != strconv.Itoa(int(i+1)) {
				t.Fatalf("seq %d: batch %q #%s, want %q #%d", first+i, m.Header.Get(js.HeaderBatchID), m.Header.Get(js.HeaderBatchSeq), ack.BatchID, i+1)
			}
		}
	}
}

func TestBatchCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.atomicStream(t, "K")
	name := "batch-cancel"
	c := connect(t, e.s.URL(), conn.WithName(name))
	j := js.New(c)

	// The first message waits for an answer that never comes (a subscriber that does
	// not answer stands where a stream would).
	var hole atomic.Int64
	if _, err := e.c.Subscribe("hole.>", conn.WithHandler(func(*conn.Msg) { hole.Add(1) })); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Flush(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	// The connection's shared reply subscription is made by its first request.
	if _, err := j.Manager().AccountInfo(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	subsBefore := e.s.ClientSubs(t, name)
	b := j.NewBatch()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Add(ctx, "hole.x", []byte("1")) }()
	waitFor(t, 5*time.Second, "the first message to arrive", func() bool { return hole.Load() == 1 })
	start := time.Now()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("add: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Add did not return after cancel")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Add returned %v after cancel", d)
	}
	if err := b.Add(context.Background(), "hole.x", nil); !errors.Is(err, js.ErrBatchClosed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("add after cancel: %v", err)
	}
	// The outcome was unknown, so the abandon marker followed.
	waitFor(t, 5*time.Second, "the abandon marker", func() bool { return hole.Load() == 2 })
	if err := c.Flush(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := e.s.ClientSubs(t, name); n != subsBefore {
		t.Fatalf("client has %d subscriptions, had %d", n, subsBefore)
	}

	// On a real stream: cancelled before the commit, nothing is sent and the batch can
	// still be discarded; nothing lands.
	ctx2 := ctxT(t, 10*time.Second)
	b = j.NewBatch()
	for i := range 3 {
		if err := b.Add(ctx2, "K.x", []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := b.Commit(done, "K.x", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("commit with a cancelled ctx: %v", err)
	}
	if b.Size() != 3 {
		t.Fatalf("size %d after the refused commit", b.Size())
	}
	if err := b.Discard(); err != nil {
		t.Fatal(err)
	}
	stays(t, j, "K", 0, 200*time.Millisecond)
	if n := e.s.ClientSubs(t, name); n != subsBefore {
		t.Fatalf("client has %d subscriptions, had %d", n, subsBefore)
	}
}

// oldServer starts a stand-in for a nats-server of version: it completes the handshake,
// answers PINGs and counts the messages published to it, answering none of them.
func oldServer(t *testing.T, version string) (url string, pubs *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pubs = new(atomic.Int64)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	serve := func(nc net.Conn) {
		fmt.Fprintf(nc, "INFO {\"server_id\":\"old\",\"version\":%q,\"proto\":1,\"headers\":true,\"max_payload\":1048576}\r\n", version)
		r := bufio.NewReader(nc)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			switch strings.ToUpper(f[0]) {
			case "PING":
				fmt.Fprint(nc, "PONG\r\n")
			case "PUB", "HPUB":
				pubs.Add(1)
				n, _ := strconv.Atoi(f[len(f)-1])
				if _, err := io.CopyN(io.Discard, r, int64(n)+2); err != nil {
					return
				}
			}
		}
	}
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Go(func() { serve(nc) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, nc := range conns {
			nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "nats://" + ln.Addr().String(), pubs
}

func TestBatchOldServer(t *testing.T) {
	t.Parallel()
	url, pubs := oldServer(t, "2.11.9")
	c := connect(t, url)
	j := js.New(c)
	ctx := ctxT(t, 10*time.Second)

	if err := j.NewBatch().Add(ctx, "a.b", []byte("1")); !errors.Is(err, js.ErrNotSupported) {
		t.Fatalf("add: %v", err)
	}
	if _, err := j.PublishBatch(ctx, batchMsgs("a", 3)); !errors.Is(err, js.ErrNotSupported) {
		t.Fatalf("publish batch: %v", err)
	}
	if _, err := j.IncrInt(ctx, "a.c", 1); !errors.Is(err, js.ErrNotSupported) {
		t.Fatalf("incr: %v", err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := pubs.Load(); n != 0 {
		t.Fatalf("%d messages reached the server", n)
	}
	// The stand-in does count what reaches it.
	if err := c.Publish("a.d", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := pubs.Load(); n != 1 {
		t.Fatalf("%d messages reached the server, want 1", n)
	}
}
