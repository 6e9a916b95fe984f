package js_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// On an R3 stream (the server's clustered commit path, one multi-entry proposal):
// batches commit whole, concurrent ones stay contiguous, a failed expectation stores
// nothing, a batch staged on a leader that stepped down is incomplete at the commit,
// and counters add up.
func TestBatchAndCounterCluster(t *testing.T) {
	t.Parallel()
	j, ctx := clusterClient(t)
	m := j.Manager()
	for _, cfg := range []jsm.StreamConfig{
		{Name: "RB", Subjects: []string{"RB.>"}, Replicas: 3, AllowAtomicPublish: true},
		{Name: "RC", Subjects: []string{"RC.>"}, Replicas: 3, AllowMsgCounter: true, AllowDirect: true},
	} {
		if _, err := m.AddStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}

	ack, err := j.PublishBatch(ctx, batchMsgs("RB.a", 20))
	if err != nil || ack.BatchSize != 20 || ack.Sequence != 20 {
		t.Fatalf("batch: %+v %v", ack, err)
	}
	msgs := batchMsgs("RB.b", 5)
	msgs[0].Header = map[string][]string{js.HeaderExpectedLastSeq: {"3"}}
	if _, err := j.PublishBatch(ctx, msgs); !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("wrong expectation: %v", err)
	}
	wantMsgs(t, j, "RB", 20)

	var wg sync.WaitGroup
	acks := make([]*js.BatchAck, 4)
	for g := range acks {
		wg.Go(func() {
			a, err := j.PublishBatch(ctx, batchMsgs("RB.c", 25), js.BatchAckEvery(10))
			if err != nil {
				t.Errorf("concurrent batch %d: %v", g, err)
			}
			acks[g] = a
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	wantMsgs(t, j, "RB", 120)
	for _, a := range acks {
		for seq := a.Sequence - 24; seq <= a.Sequence; seq++ {
			msg, err := m.GetMsg(ctx, "RB", seq)
			if err != nil || msg.Header.Get(js.HeaderBatchID) != a.BatchID {
				t.Fatalf("seq %d of batch %s: %v %v", seq, a.BatchID, msg, err)
			}
		}
	}

	// The batch is staged on the leader; a new leader does not have it.
	b := j.NewBatch()
	for range 3 {
		if err := b.Add(ctx, "RB.d", nil); err != nil {
			t.Fatal(err)
		}
	}
	before := streamLeader(t, j, "RB")
	if err := m.StepDownStreamLeader(ctx, "RB"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "a new stream leader", func() bool {
		l := streamLeader(t, j, "RB")
		return l != "" && l != before
	})
	if _, err := b.Commit(ctx, "RB.d", nil); !errors.Is(err, js.ErrBatchIncomplete) {
		t.Fatalf("commit after a leader change: %v", err)
	}
	wantMsgs(t, j, "RB", 120)
	if _, err := j.PublishBatch(ctx, batchMsgs("RB.e", 3)); err != nil {
		t.Fatalf("batch on the new leader: %v", err)
	}

	for i, d := range []int64{5, -2, 10} {
		if _, err := j.IncrInt(ctx, "RC.n", d); err != nil {
			t.Fatalf("incr %d: %v", i, err)
		}
	}
	if v, err := j.CounterValue(ctx, "RC", "RC.n"); err != nil || v.Int64() != 13 {
		t.Fatalf("counter: %v %v", v, err)
	}
}

func streamLeader(t *testing.T, j *js.Client, stream string) string {
	t.Helper()
	si, err := j.Manager().StreamInfo(ctxT(t, 5*time.Second), stream)
	if err != nil || si.Cluster == nil {
		return ""
	}
	return si.Cluster.Leader
}
