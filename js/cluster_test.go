package js_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// In a 3-node cluster the stream's and the consumer's leaders step down, three times
// each, while a publisher writes to the R3 stream and a Consume acknowledges: after each
// change delivery resumes, and in the end every acknowledged publish was delivered and
// the ack floor reaches the last one.
func TestConsumeLeaderChanges(t *testing.T) {
	t.Parallel()
	j, ctx := clusterClient(t)
	m := j.Manager()
	if _, err := m.AddStream(ctx, jsm.StreamConfig{Name: "LC", Subjects: []string{"lc.>"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	pc, err := j.PullSubscribe(ctx, "lc.>", "proc", js.AckWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Stop()
	col := newCollector()
	var reported sync.Map
	err = pc.Consume(context.Background(), func(m *js.Msg) {
		col.add(t, m)
		m.Ack()
	}, js.PullMaxMessages(50), js.PullExpiry(2*time.Second), js.PullHeartbeat(250*time.Millisecond),
		js.PullErrHandler(func(err error) { reported.Store(err.Error(), true) }))
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	acked := map[uint64]bool{}
	var published, failed atomic.Int64
	stop := make(chan struct{})
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			ack, err := j.Publish(ctxT(t, 3*time.Second), fmt.Sprint("lc.", i), []byte(fmt.Sprint(i)), js.MsgID(fmt.Sprint("m", i)))
			if err != nil {
				failed.Add(1)
				continue
			}
			published.Add(1)
			mu.Lock()
			acked[ack.Sequence] = true
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()

	leader := func(get func() (*jsm.ClusterInfo, error)) string {
		ci, err := get()
		if err != nil || ci == nil {
			return ""
		}
		return ci.Leader
	}
	streamLeader := func() (*jsm.ClusterInfo, error) {
		si, err := m.StreamInfo(ctxT(t, 2*time.Second), "LC")
		if err != nil {
			return nil, err
		}
		return si.Cluster, nil
	}
	consumerLeader := func() (*jsm.ClusterInfo, error) {
		ci, err := m.ConsumerInfo(ctxT(t, 2*time.Second), "LC", "proc")
		if err != nil {
			return nil, err
		}
		return ci.Cluster, nil
	}
	for round := range 3 {
		for _, target := range []struct {
			name     string
			get      func() (*jsm.ClusterInfo, error)
			stepDown func() error
		}{
			{"stream", streamLeader, func() error { return m.StepDownStreamLeader(ctxT(t, 5*time.Second), "LC") }},
			{"consumer", consumerLeader, func() error { return m.StepDownConsumerLeader(ctxT(t, 5*time.Second), "LC", "proc") }},
		} {
			before := col.n.Load()
			waitFor(t, 20*time.Second, "progress before the step-down", func() bool { return col.n.Load() > before+20 })
			var old string
			waitFor(t, 20*time.Second, "a "+target.name+" leader", func() bool { old = leader(target.get); return old != "" })
			waitFor(t, 20*time.Second, "the "+target.name+" leader to step down", func() bool { return target.stepDown() == nil })
			waitFor(t, 20*time.Second, "a new "+target.name+" leader", func() bool {
				l := leader(target.get)
				return l != "" && l != old
			})
			after := col.n.Load()
			waitFor(t, 20*time.Second, fmt.Sprintf("delivery after %s step-down %d", target.name, round+1), func() bool {
				return col.n.Load() > after+20
			})
		}
	}
	close(stop)
	<-pubDone
	mu.Lock()
	defer mu.Unlock()
	var last uint64
	for seq := range acked {
		last = max(last, seq)
	}
	waitFor(t, 30*time.Second, "every acknowledged publish delivered", func() bool {
		for seq := range acked {
			col.mu.Lock()
			n := col.seen[seq]
			col.mu.Unlock()
			if n == 0 {
				return false
			}
		}
		return true
	})
	waitAckFloor(t, j, "LC", "proc", last)
	var notes []string
	reported.Range(func(k, _ any) bool { notes = append(notes, k.(string)); return true })
	t.Logf("published %d (failed attempts %d), delivered %d (%d distinct); reported: %v",
		published.Load(), failed.Load(), col.n.Load(), len(col.seen), notes)
}

// A stream of one server has no leader to step down: the API's error comes back.
func TestStepDownNotClustered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "SD", Subjects: []string{"sd.>"}})
	var apiErr *jsm.APIError
	if err := e.j.Manager().StepDownStreamLeader(ctxT(t, 5*time.Second), "SD"); !errors.As(err, &apiErr) {
		t.Fatalf("step-down on a single server: %v", err)
	}
}
