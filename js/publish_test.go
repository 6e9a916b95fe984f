package js_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

func TestPublishOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "P", Subjects: []string{"p.>"}, AllowMsgTTL: true})
	ctx := ctxT(t, 20*time.Second)
	j := e.j

	ack, err := j.Publish(ctx, "p.a", []byte("1"), js.MsgID("id-1"))
	if err != nil || ack.Stream != "P" || ack.Sequence != 1 || ack.Duplicate {
		t.Fatalf("first publish: %+v %v", ack, err)
	}
	ack, err = j.Publish(ctx, "p.a", []byte("1"), js.MsgID("id-1"))
	if err != nil || ack.Sequence != 1 || !ack.Duplicate {
		t.Fatalf("duplicate publish: %+v %v", ack, err)
	}

	// ExpectStream
	if _, err := j.Publish(ctx, "p.a", nil, js.ExpectStream("P")); err != nil {
		t.Fatalf("expect stream ok: %v", err)
	}
	_, err = j.Publish(ctx, "p.a", nil, js.ExpectStream("OTHER"))
	var apiErr *jsm.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("expect stream wrong: %v", err)
	}

	// ExpectLastSeq: the stream is at 2.
	if _, err := j.Publish(ctx, "p.a", nil, js.ExpectLastSeq(1)); !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("expect last seq wrong: %v", err)
	}
	if ack, err := j.Publish(ctx, "p.a", nil, js.ExpectLastSeq(2)); err != nil || ack.Sequence != 3 {
		t.Fatalf("expect last seq ok: %+v %v", ack, err)
	}

	// ExpectLastSeqPerSubject: p.b has nothing yet, p.a's last is 3.
	if ack, err := j.Publish(ctx, "p.b", nil, js.ExpectLastSeqPerSubject(0)); err != nil || ack.Sequence != 4 {
		t.Fatalf("per subject first: %+v %v", ack, err)
	}
	if _, err := j.Publish(ctx, "p.b", nil, js.ExpectLastSeqPerSubject(3)); !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("per subject wrong: %v", err)
	}
	if ack, err := j.Publish(ctx, "p.b", nil, js.ExpectLastSeqPerSubject(4)); err != nil || ack.Sequence != 5 {
		t.Fatalf("per subject ok: %+v %v", ack, err)
	}
	// ...for another subject (wildcard): the last of p.a is 3.
	if _, err := j.Publish(ctx, "p.c", nil, js.ExpectLastSeqForSubject(1, "p.a")); !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("for subject wrong: %v", err)
	}
	if ack, err := j.Publish(ctx, "p.c", nil, js.ExpectLastSeqForSubject(3, "p.a")); err != nil || ack.Sequence != 6 {
		t.Fatalf("for subject ok: %+v %v", ack, err)
	}

	// ExpectLastMsgID
	if ack, err := j.Publish(ctx, "p.a", nil, js.MsgID("id-2")); err != nil || ack.Sequence != 7 {
		t.Fatalf("publish id-2: %+v %v", ack, err)
	}
	if _, err := j.Publish(ctx, "p.a", nil, js.ExpectLastMsgID("id-1")); !errors.Is(err, jsm.ErrStreamWrongLastMsgID) {
		t.Fatalf("last msg id wrong: %v", err)
	}
	if ack, err := j.Publish(ctx, "p.a", nil, js.ExpectLastMsgID("id-2")); err != nil || ack.Sequence != 8 {
		t.Fatalf("last msg id ok: %+v %v", ack, err)
	}

	// MsgTTL: stored with the header, and the message goes away.
	ack, err = j.Publish(ctx, "p.ttl", []byte("x"), js.MsgTTL(time.Second))
	if err != nil {
		t.Fatalf("ttl publish: %v", err)
	}
	raw, err := j.Manager().GetMsg(ctx, "P", ack.Sequence)
	if err != nil || raw.Header.Get("Nats-TTL") != "1s" {
		t.Fatalf("ttl stored: %+v %v", raw, err)
	}
	waitFor(t, 10*time.Second, "TTL expiry", func() bool {
		_, err := j.Manager().GetMsg(ctx, "P", ack.Sequence)
		return errors.Is(err, jsm.ErrMsgNotFound)
	})
	if _, err := j.Publish(ctx, "p.ttl", nil, js.MsgTTL(time.Millisecond)); !errors.Is(err, js.ErrInvalidOption) {
		t.Fatalf("sub-second TTL: %v", err)
	}

	// The caller's message is not modified by the options.
	m := conn.NewMsg("p.h")
	m.Header.Set("X", "y")
	if _, err := j.PublishMsg(ctx, m, js.MsgID("id-3")); err != nil {
		t.Fatal(err)
	}
	if m.Header.Get(js.HeaderMsgID) != "" {
		t.Fatalf("caller's header changed: %v", m.Header)
	}
	raw, err = j.Manager().GetLastMsg(ctx, "P", "p.h")
	if err != nil || raw.Header.Get("X") != "y" || raw.Header.Get(js.HeaderMsgID) != "id-3" {
		t.Fatalf("headers stored: %+v %v", raw, err)
	}
}

func TestPublishMsgTTLWithoutStreamSupport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "P", Subjects: []string{"p.>"}})
	_, err := e.j.Publish(ctxT(t, 5*time.Second), "p.a", nil, js.MsgTTL(time.Minute))
	var apiErr *jsm.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("TTL on a stream without AllowMsgTTL: %v", err)
	}
}

func TestPublishNoStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	start := time.Now()
	_, err := e.j.Publish(ctxT(t, 5*time.Second), "nowhere", nil, js.RetryWait(50*time.Millisecond))
	if !errors.Is(err, js.ErrNoStreamResponse) || !errors.Is(err, conn.ErrNoResponders) {
		t.Fatalf("publish without stream: %v", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("two retries of 50 ms took only %v", d)
	}
	// The ctx deadline bounds the retries.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = e.j.Publish(ctx, "nowhere", nil, js.RetryAttempts(1000), js.RetryWait(20*time.Millisecond))
	// Whether the deadline falls between two attempts or during one, the error says
	// that no stream answered, and that the deadline ended it.
	if !errors.Is(err, js.ErrNoStreamResponse) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("bounded retries: %v after %v", err, time.Since(start))
	}
}

// A stream that appears while Publish retries gets the message once.
func TestPublishRetryFindsStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	go func() {
		time.Sleep(150 * time.Millisecond)
		e.j.Manager().AddStream(context.Background(), jsm.StreamConfig{Name: "LATE", Subjects: []string{"late"}})
	}()
	ack, err := e.j.Publish(ctxT(t, 10*time.Second), "late", []byte("x"), js.MsgID("m1"), js.RetryAttempts(100), js.RetryWait(20*time.Millisecond))
	if err != nil || ack.Stream != "LATE" || ack.Sequence != 1 || ack.Duplicate {
		t.Fatalf("publish retried: %+v %v", ack, err)
	}
}

func TestPublishAsyncMany(t *testing.T) {
	t.Parallel()
	e := newEnv(t, js.WithPublishAsyncMaxPending(256))
	e.stream(t, jsm.StreamConfig{Name: "A", Subjects: []string{"a.>"}})
	const n = 10_000
	futures := make([]*js.PubAckFuture, 0, n)
	for i := 0; i < n; i++ {
		f, err := e.j.PublishAsync("a.x", []byte("hello"))
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		if p := e.j.PublishAsyncPending(); p > 256 {
			t.Fatalf("%d pending beyond the window", p)
		}
		futures = append(futures, f)
	}
	select {
	case <-e.j.PublishAsyncComplete():
	case <-time.After(20 * time.Second):
		t.Fatalf("not complete: %d pending", e.j.PublishAsyncPending())
	}
	seen := make(map[uint64]bool, n)
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			if seen[ack.Sequence] {
				t.Fatalf("sequence %d twice", ack.Sequence)
			}
			seen[ack.Sequence] = true
		case err := <-f.Err():
			t.Fatalf("future %d: %v", i, err)
		}
	}
	si, err := e.j.Manager().StreamInfo(ctxT(t, 5*time.Second), "A")
	if err != nil || si.State.Msgs != n {
		t.Fatalf("stream has %+v, %v", si, err)
	}
	if e.j.PublishAsyncPending() != 0 {
		t.Fatal("pending after complete")
	}
}

func TestPublishAsyncErrorsAndWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, js.WithPublishAsyncMaxPending(1), js.WithPublishAsyncTimeout(300*time.Millisecond))
	e.stream(t, jsm.StreamConfig{Name: "A", Subjects: []string{"a.>"}})

	// An expectation that fails resolves through Err.
	f, err := e.j.PublishAsync("a.x", nil, js.ExpectLastSeq(99))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-f.Err():
		if !errors.Is(err, jsm.ErrWrongLastSequence) {
			t.Fatalf("wrong error %v", err)
		}
	case <-f.Ok():
		t.Fatal("acked")
	case <-time.After(5 * time.Second):
		t.Fatal("never resolved")
	}
	// No stream: resolved as such.
	f, err = e.j.PublishAsync("nowhere", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-f.Err(); !errors.Is(err, js.ErrNoStreamResponse) {
		t.Fatalf("no stream: %v", err)
	}
	// A subject answered by a silent subscriber times out, and while it waits the window
	// (1) is full: a second publish waits for the AsyncContext.
	sub, err := e.c.Subscribe("silent")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	e.c.Flush(ctxT(t, time.Second))
	f, err = e.j.PublishAsync("silent", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err = e.j.PublishAsync("a.x", nil, js.AsyncContext(ctx))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("full window: %v", err)
	}
	if err := <-f.Err(); !errors.Is(err, js.ErrTimeout) {
		t.Fatalf("ack timeout: %v", err)
	}
	// The slot is free again.
	f, err = e.j.PublishAsync("a.x", nil, js.AsyncContext(ctxT(t, time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if ack := <-f.Ok(); ack.Sequence != 1 {
		t.Fatalf("ack %+v", ack)
	}
}

// Futures pending when the server goes away resolve with an error; those pending at
// the close resolve too.
func TestPublishAsyncDisconnectAndClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub, _ := e.c.Subscribe("silent")
	defer sub.Unsubscribe()
	e.c.Flush(ctxT(t, time.Second))
	f1, err := e.j.PublishAsync("silent", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.c.Flush(ctxT(t, time.Second))
	e.s.Shutdown()
	select {
	case err := <-f1.Err():
		if !errors.Is(err, conn.ErrDisconnected) {
			t.Fatalf("disconnect: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("future not resolved at the disconnect")
	}
	f2, err := e.j.PublishAsync("silent", nil) // buffered for the reconnect
	if err != nil {
		t.Fatal(err)
	}
	e.c.Close()
	select {
	case err := <-f2.Err():
		if !errors.Is(err, js.ErrAsyncPublishClosed) {
			t.Fatalf("close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("future not resolved at the close")
	}
	<-e.j.PublishAsyncComplete()
}

// A future's channels deliver its outcome once, whether they are asked for before the
// acknowledgement came or after (they are made when first asked for), and the channel
// of the other outcome never delivers.
func TestPublishAsyncFutureChannels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "FC", Subjects: []string{"fc.>"}})
	for _, early := range []bool{true, false} {
		for _, fail := range []bool{false, true} {
			name := fmt.Sprintf("early=%v/fail=%v", early, fail)
			var opts []js.PubOption
			if fail {
				opts = append(opts, js.ExpectLastSeq(999))
			}
			f, err := e.j.PublishAsync("fc.x", []byte(name), opts...)
			if err != nil {
				t.Fatal(err)
			}
			var ok <-chan *js.PubAck
			var errc <-chan error
			if early {
				ok, errc = f.Ok(), f.Err()
			}
			select {
			case <-e.j.PublishAsyncComplete():
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: never resolved", name)
			}
			if !early {
				ok, errc = f.Ok(), f.Err()
			}
			if f.Ok() != ok || f.Err() != errc {
				t.Fatalf("%s: a second Ok or Err returned another channel", name)
			}
			select {
			case err := <-errc:
				if !fail || !errors.Is(err, jsm.ErrWrongLastSequence) {
					t.Fatalf("%s: Err delivered %v", name, err)
				}
			case ack := <-ok:
				if fail || ack == nil || ack.Stream != "FC" {
					t.Fatalf("%s: Ok delivered %+v", name, ack)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: resolved, but neither channel delivered", name)
			}
			if string(f.Msg().Data) != name {
				t.Fatalf("%s: Msg has %q", name, f.Msg().Data)
			}
			select {
			case a := <-ok:
				t.Fatalf("%s: Ok delivered again: %+v", name, a)
			case err := <-errc:
				t.Fatalf("%s: Err delivered again or as well: %v", name, err)
			default:
			}
		}
	}
}
