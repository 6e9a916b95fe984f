package js_test

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// Fast batches on R3 streams whose leader steps down in the middle. With gaps refused,
// what the stream keeps is an unbroken prefix of the batch, in order, and the batch's
// acknowledgement says how long: either everything, or the prefix with the error that
// ended it. With gaps allowed, the batch goes on after the leader change and commits;
// what was lost is reported, and what was stored is in order.
func TestFastBatchLeaderChange(t *testing.T) {
	t.Parallel()
	j, ctx := clusterClient(t)
	m := j.Manager()
	for _, name := range []string{"FF", "FO"} {
		if _, err := m.AddStream(ctx, jsm.StreamConfig{Name: name, Subjects: []string{name + ".>"}, Replicas: 3, AllowBatchPublish: true}); err != nil {
			t.Fatal(err)
		}
	}
	const half = 300
	// run adds 2*half messages "1", "2", ... with a leader step-down after the first
	// half, then commits with the last, and returns the acknowledgement and error.
	run := func(stream string, opts ...js.FastBatchOption) (*js.BatchAck, error) {
		b, err := j.NewFastBatch(append([]js.FastBatchOption{js.FastBatchFlow(20)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		subject := stream + ".x"
		for i := 1; i <= half; i++ {
			if _, err := b.Add(ctx, subject, []byte(strconv.Itoa(i))); err != nil {
				t.Fatalf("%s: add %d before the step-down: %v", stream, i, err)
			}
		}
		before := streamLeader(t, j, stream)
		if err := m.StepDownStreamLeader(ctx, stream); err != nil {
			t.Fatal(err)
		}
		for i := half + 1; i < 2*half; i++ {
			if _, err := b.Add(ctx, subject, []byte(strconv.Itoa(i))); err != nil {
				t.Logf("%s: add %d after the step-down ended the batch: %v", stream, i, err)
				break
			}
		}
		waitFor(t, 30*time.Second, "a new leader of "+stream, func() bool {
			l := streamLeader(t, j, stream)
			return l != "" && l != before
		})
		return b.Commit(ctx, subject, []byte(strconv.Itoa(2*half)))
	}
	// inOrder checks the stream's messages are batch messages in increasing order, and
	// with prefix set that they are exactly 1..n.
	inOrder := func(stream string, prefix bool) uint64 {
		si, err := m.StreamInfo(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		prev := 0
		for seq := si.State.FirstSeq; seq <= si.State.LastSeq && si.State.Msgs > 0; seq++ {
			msg, err := m.GetMsg(ctx, stream, seq)
			if err != nil {
				t.Fatalf("%s message %d: %v", stream, seq, err)
			}
			v, _ := strconv.Atoi(string(msg.Data))
			if v <= prev || prefix && v != prev+1 {
				t.Fatalf("%s: message %d holds batch message %d after %d", stream, seq, v, prev)
			}
			prev = v
		}
		return si.State.Msgs
	}

	ack, err := run("FF")
	stored := inOrder("FF", true)
	switch {
	case err == nil:
		if ack.BatchSize != 2*half || stored != 2*half {
			t.Fatalf("gaps refused, committed: %+v with %d stored", ack, stored)
		}
	case ack != nil:
		var gap *js.FastGapError
		var msgErr *js.FastMsgError
		if !errors.As(err, &gap) && !errors.As(err, &msgErr) {
			t.Logf("gaps refused, ended by: %v", err)
		}
		if uint64(ack.BatchSize) != stored {
			t.Fatalf("gaps refused: acknowledged %d, stored %d (%v)", ack.BatchSize, stored, err)
		}
	default:
		t.Fatalf("gaps refused: no acknowledgement: %v", err)
	}
	t.Logf("gaps refused: %d of %d stored, %v", stored, 2*half, err)

	var lost atomic.Int64
	ack, err = run("FO", js.FastBatchAllowGaps(func(err error) {
		var gap *js.FastGapError
		if errors.As(err, &gap) {
			lost.Add(int64(gap.Current - gap.Expected))
		}
	}))
	if err != nil {
		t.Fatalf("gaps allowed: %+v %v", ack, err)
	}
	stored = inOrder("FO", false)
	// Every message is stored or reported lost, once: from its 503 (no leader took it)
	// or from the stream's gap report, which the 503s already counted are taken out of.
	if stored < half || stored+uint64(lost.Load()) != 2*half {
		t.Fatalf("gaps allowed: %d stored and %d reported lost of %d", stored, lost.Load(), 2*half)
	}
	t.Logf("gaps allowed: %d of %d stored, %d reported lost, %s", stored, 2*half, lost.Load(), fmt.Sprint(ack.BatchSize))
}
