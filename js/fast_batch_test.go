package js_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// fastStream makes a stream on "<lower name>.>" that allows fast batches (or not).
func fastStream(t *testing.T, e *env, name, subjects string, allow bool) {
	t.Helper()
	e.stream(t, jsm.StreamConfig{Name: name, Subjects: []string{subjects}, Storage: jsm.MemoryStorage, AllowBatchPublish: allow})
}

// A fast batch of 1,000 messages plus a commit is stored whole and in order, paced by
// flow acknowledgements (with a flow of 10 and two outstanding, Add waits for them).
func TestFastBatchCommit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fastStream(t, e, "FB", "fb.>", true)
	ctx := ctxT(t, 30*time.Second)
	b, err := e.j.NewFastBatch(js.FastBatchFlow(10))
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	var last js.FastAck
	for i := 1; i <= n; i++ {
		if last, err = b.Add(ctx, "fb.x", []byte(fmt.Sprint(i))); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
		if last.BatchSequence != uint64(i) {
			t.Fatalf("add %d: batch sequence %d", i, last.BatchSequence)
		}
		// Never more than two windows of 10 unacknowledged.
		if last.BatchSequence-last.AckSequence > 20 {
			t.Fatalf("add %d: acknowledged only up to %d", i, last.AckSequence)
		}
	}
	ack, err := b.Commit(ctx, "fb.x", []byte(fmt.Sprint(n+1)))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Stream != "FB" || ack.BatchID != b.ID() || ack.BatchSize != n+1 || ack.Sequence != n+1 {
		t.Fatalf("commit: %+v", ack)
	}
	wantMsgs(t, e.j, "FB", n+1)
	for _, seq := range []uint64{1, 500, n + 1} {
		m, err := e.j.Manager().GetMsg(ctx, "FB", seq)
		if err != nil || string(m.Data) != fmt.Sprint(seq) {
			t.Fatalf("message %d: %v %v", seq, m, err)
		}
	}
	if _, err := b.Add(ctx, "fb.x", nil); !errors.Is(err, js.ErrBatchClosed) {
		t.Fatalf("add after the commit: %v", err)
	}
}

// Close ends a batch without storing a last message; a batch with none is just dropped.
func TestFastBatchClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fastStream(t, e, "FC", "fc.>", true)
	ctx := ctxT(t, 20*time.Second)
	empty, _ := e.j.NewFastBatch()
	if ack, err := empty.Close(ctx); ack != nil || err != nil {
		t.Fatalf("close of an empty batch: %+v %v", ack, err)
	}
	b, _ := e.j.NewFastBatch()
	for i := range 5 {
		if _, err := b.Add(ctx, "fc.x", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	ack, err := b.Close(ctx)
	if err != nil || ack.BatchSize != 5 || ack.Sequence != 5 {
		t.Fatalf("close: %+v %v", ack, err)
	}
	wantMsgs(t, e.j, "FC", 5)
	if _, err := b.Close(ctx); !errors.Is(err, js.ErrBatchClosed) {
		t.Fatalf("second close: %v", err)
	}
}

// A stream that does not allow fast batches refuses the first message, and stores
// nothing; a subject no stream captures is ErrNoStreamResponse; bad options are refused.
func TestFastBatchRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fastStream(t, e, "FN", "fn.>", false)
	ctx := ctxT(t, 20*time.Second)
	b, _ := e.j.NewFastBatch()
	if _, err := b.Add(ctx, "fn.x", nil); !errors.Is(err, js.ErrFastBatchNotEnabled) {
		t.Fatalf("add to a stream without batches: %v", err)
	}
	wantMsgs(t, e.j, "FN", 0)
	if _, err := b.Add(ctx, "fn.x", nil); !errors.Is(err, js.ErrFastBatchNotEnabled) {
		t.Fatalf("add after the refusal: %v", err)
	}
	b, _ = e.j.NewFastBatch()
	if _, err := b.Add(ctx, "nostream.x", nil); !errors.Is(err, js.ErrNoStreamResponse) {
		t.Fatalf("add without stream: %v", err)
	}
	for _, opt := range []js.FastBatchOption{js.FastBatchFlow(0), js.FastBatchFlow(70000), js.FastBatchOutstanding(0), js.FastBatchOutstanding(4)} {
		if _, err := e.j.NewFastBatch(opt); !errors.Is(err, js.ErrInvalidOption) {
			t.Fatalf("bad option: %v", err)
		}
	}
}

// A refused message ends a batch that refuses gaps: the stream keeps the messages
// before it and Commit returns its acknowledgement of them with the refusal. Allowing
// gaps, the refusal goes to the callback and the batch goes on.
func TestFastBatchRefusedMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fastStream(t, e, "FR", "fr.>", true)
	fastStream(t, e, "FG", "fg.>", true)
	ctx := ctxT(t, 20*time.Second)

	b, _ := e.j.NewFastBatch(js.FastBatchFlow(1))
	for i := range 2 {
		if _, err := b.Add(ctx, "fr.x", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Refused; Add may or may not have seen it yet.
	b.Add(ctx, "fr.x", nil, js.ExpectLastSeq(999))
	ack, err := b.Commit(ctx, "fr.x", nil)
	var me *js.FastMsgError
	if !errors.As(err, &me) || me.Sequence != 3 || !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("commit after a refused message: %v", err)
	}
	if ack == nil || ack.BatchSize != 2 || ack.Sequence != 2 {
		t.Fatalf("acknowledgement of what was stored: %+v", ack)
	}
	wantMsgs(t, e.j, "FR", 2)

	var mu sync.Mutex
	var reported []error
	b, _ = e.j.NewFastBatch(js.FastBatchFlow(1), js.FastBatchAllowGaps(func(err error) {
		mu.Lock()
		reported = append(reported, err)
		mu.Unlock()
	}))
	for i := range 4 {
		var opts []js.PubOption
		if i == 2 {
			opts = append(opts, js.ExpectLastSeq(999))
		}
		if _, err := b.Add(ctx, "fg.x", nil, opts...); err != nil {
			t.Fatalf("add %d with gaps allowed: %v", i+1, err)
		}
	}
	if ack, err = b.Commit(ctx, "fg.x", nil); err != nil || ack.BatchSize != 5 {
		t.Fatalf("commit with gaps allowed: %+v %v", ack, err)
	}
	wantMsgs(t, e.j, "FG", 4)
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 || !errors.As(reported[0], &me) || me.Sequence != 3 {
		t.Fatalf("reported %v, want the refusal of message 3", reported)
	}
}

// A ctx that ends while the first Add waits for the stream abandons the batch: the call
// returns ctx's error and the batch's inbox subscription goes.
func TestFastBatchCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hole := connect(t, e.s.URL())
	arrived := make(chan struct{}, 1)
	if _, err := hole.Subscribe("fh.x", conn.WithHandler(func(*conn.Msg) {
		select {
		case arrived <- struct{}{}:
		default:
		}
	})); err != nil {
		t.Fatal(err)
	}
	hole.Flush(ctxT(t, 5*time.Second))
	c := connect(t, e.s.URL(), conn.WithName("fastcancel"))
	j := js.New(c)
	if _, err := j.Manager().AccountInfo(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	base := e.s.ClientSubs(t, "fastcancel")
	b, _ := j.NewFastBatch()
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() {
		_, err := b.Add(ctx, "fh.x", nil)
		res <- err
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the first message never arrived")
	}
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Add: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("cancelled Add still blocked")
	}
	waitFor(t, 10*time.Second, "the batch's inbox subscription gone", func() bool { return e.s.ClientSubs(t, "fastcancel") == base })
	if _, err := b.Add(ctxT(t, 5*time.Second), "fh.x", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("add to the abandoned batch: %v", err)
	}
}
