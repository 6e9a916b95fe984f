package chaos_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/kv"
)

// TestChaosRestartOneAtATime restarts one random member of a 3-node cluster every
// 1–3 s while the workload runs (see runChaos).
func TestChaosRestartOneAtATime(t *testing.T) {
	runChaos(t, func(t *testing.T, cl *natstest.Cluster, rng *rand.Rand) string {
		i := rng.IntN(3)
		cl.Restart(t, i)
		return cl.Server(i).Name()
	})
}

// TestChaosRestartAllAtOnce shuts every member down, then starts them all again, every
// 1–3 s while the workload runs (see runChaos).
func TestChaosRestartAllAtOnce(t *testing.T) {
	runChaos(t, func(t *testing.T, cl *natstest.Cluster, _ *rand.Rand) string {
		var wg sync.WaitGroup
		for _, s := range cl.Servers() {
			wg.Go(s.Shutdown)
		}
		wg.Wait()
		for _, s := range cl.Servers() {
			s.Restart(t)
		}
		cl.WaitReady(t)
		return "all"
	})
}

// TestChaosPartition cuts a member off from the other two (its routes close and cannot
// form again; its clients stay connected to it) for 0.5–2 s, then heals the cluster,
// every 1–3 s while the workload runs (see runChaos). The members take turns, so the
// one the connection is on is among them (there JetStream calls fail or time out until
// the heal), and so are the stream's and the consumers' leaders.
func TestChaosPartition(t *testing.T) {
	runChaos(t, inTurn("isolated", (*natstest.Cluster).Isolate, 500*time.Millisecond, 1500*time.Millisecond),
		natstest.Partitionable())
}

// TestChaosSilence silences a member's routes (open, but carrying nothing either way,
// as across a network that drops every packet) for 1–3 s, then heals the cluster, every
// 1–3 s while the workload runs (see runChaos), the members in turn. Calls through the
// silenced member wait out their ctx; after the heal what the routes held arrives late:
// acknowledgements of publishes the publisher already retried, deliveries of pulls that
// expired.
func TestChaosSilence(t *testing.T) {
	runChaos(t, inTurn("silenced", (*natstest.Cluster).Silence, time.Second, 2*time.Second),
		natstest.Partitionable())
}

// inTurn returns a breakage for runChaos that cuts the members off in turn (n1, n2, n3,
// n1, ...) with cut, for min plus up to spread, then heals the cluster and waits until
// it is whole.
func inTurn(verb string, cut func(*natstest.Cluster, testing.TB, int), min, spread time.Duration) func(*testing.T, *natstest.Cluster, *rand.Rand) string {
	turn := 0
	return func(t *testing.T, cl *natstest.Cluster, rng *rand.Rand) string {
		i := turn % 3
		turn++
		cut(cl, t, i)
		time.Sleep(min + time.Duration(rng.Int64N(int64(spread))))
		cl.Heal(t)
		cl.WaitReady(t)
		return verb + " " + cl.Server(i).Name()
	}
}

// chaosDuration is how long the cluster is broken again and again: 30 s, or 8 s with
// -short (still several breakages).
func chaosDuration() time.Duration {
	if testing.Short() {
		return 8 * time.Second
	}
	return 30 * time.Second
}

// runChaos runs, on a 3-node cluster, (a) a publisher to an R3 stream with a unique
// Nats-Msg-Id per number, retrying each number until it is acknowledged; (b) a durable
// pull consumer acking everything; (c) an ordered consumer; (d) a KV writer and a
// watcher of its R3 bucket — while breakage breaks the cluster every 1–3 s (a restart,
// an isolation, a silence: it returns what it did). At the end:
// every acknowledged publish is in the stream, the pull consumer saw each at least once,
// the ordered consumer saw the whole stream once and in order, and the watcher's view
// equals the bucket.
func runChaos(t *testing.T, breakage func(*testing.T, *natstest.Cluster, *rand.Rand) string, opts ...natstest.Option) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	cl := natstest.StartCluster(t, 3, append([]natstest.Option{natstest.JetStream()}, opts...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, err := conn.Connect(ctx, cl.URLs(), conn.WithName("chaos"), conn.WithReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	j := js.New(c)
	m := j.Manager()
	retrySetup(t, ctx, "add stream", func(ctx context.Context) error {
		_, err := m.AddStream(ctx, jsm.StreamConfig{Name: "CHAOS", Subjects: []string{"chaos.>"},
			Replicas: 3, Duplicates: 10 * time.Minute})
		return err
	})
	var bucket *kv.Bucket
	retrySetup(t, ctx, "create bucket", func(ctx context.Context) (err error) {
		bucket, err = kv.Create(ctx, j, kv.Config{Bucket: "chaos", Replicas: 3})
		return err
	})

	var acked, pulled, ordered counts
	var published, retried, duplicates, orderErrs atomic.Int64
	var lastOrdered atomic.Uint64
	stop := make(chan struct{})
	var stopOnce sync.Once
	closeStop := func() { stopOnce.Do(func() { close(stop) }) }
	var wg sync.WaitGroup
	// However the test ends, the workload's goroutines end before it returns: closing
	// the connection ends the consumers' and the watcher's channels.
	defer func() {
		closeStop()
		c.Close()
		wg.Wait()
	}()

	// (a) the publisher: number n is retried with the same Msg-Id until acknowledged.
	wg.Go(func() {
		for n := 0; ; n++ {
			published.Add(1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
				ack, err := j.Publish(pctx, "chaos."+strconv.Itoa(n%16), []byte(strconv.Itoa(n)), js.MsgID("m-"+strconv.Itoa(n)))
				pcancel()
				if err == nil {
					acked.add(n)
					if ack.Duplicate {
						duplicates.Add(1)
					}
					break
				}
				retried.Add(1)
				time.Sleep(20 * time.Millisecond)
			}
		}
	})

	// (b) the durable pull consumer.
	var pc *js.PullConsumer
	waitFor(t, 30*time.Second, "the durable pull consumer", func() error {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		defer acancel()
		pc, err = j.PullSubscribe(actx, "chaos.>", "proc", js.AckWait(3*time.Second))
		return err
	})
	defer pc.Stop()
	if err := pc.Consume(ctx, func(msg *js.Msg) {
		n, err := strconv.Atoi(string(msg.Data))
		if err != nil {
			t.Errorf("pull: payload %q", msg.Data)
			return
		}
		pulled.add(n)
		msg.Ack()
	}, js.PullHeartbeat(500*time.Millisecond), js.PullExpiry(2*time.Second)); err != nil {
		t.Fatal(err)
	}

	// (c) the ordered consumer: stream sequences 1, 2, 3, ... with nothing skipped.
	var oc *js.OrderedConsumer
	waitFor(t, 30*time.Second, "the ordered consumer", func() error {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		defer acancel()
		oc, err = j.OrderedConsumer(actx, "chaos.>", js.IdleHeartbeat(500*time.Millisecond))
		return err
	})
	defer oc.Stop()
	wg.Go(func() {
		for msg := range oc.C() {
			md, err := msg.Metadata()
			n, err2 := strconv.Atoi(string(msg.Data))
			if err != nil || err2 != nil {
				orderErrs.Add(1)
				continue
			}
			if prev := lastOrdered.Swap(md.Sequence.Stream); md.Sequence.Stream != prev+1 {
				orderErrs.Add(1)
				t.Errorf("ordered: stream sequence %d after %d", md.Sequence.Stream, prev)
			}
			ordered.add(n)
		}
	})

	// (d) the KV writer and the watcher.
	var puts, putFails atomic.Int64
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := bucket.Put(pctx, fmt.Sprintf("k%02d", i%24), []byte(strconv.Itoa(i)))
			pcancel()
			if err != nil {
				putFails.Add(1)
				time.Sleep(20 * time.Millisecond)
				continue
			}
			puts.Add(1)
			time.Sleep(5 * time.Millisecond)
		}
	})
	w, err := bucket.WatchAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var viewMu sync.Mutex
	view := map[string][]byte{}
	wg.Go(func() {
		for e := range w.C() {
			if e == nil {
				continue
			}
			viewMu.Lock()
			if e.Operation == kv.OpPut {
				view[e.Key] = e.Value
			} else {
				delete(view, e.Key)
			}
			viewMu.Unlock()
		}
	})

	// The chaos.
	breaks := 0
	for end := time.Now().Add(chaosDuration()); time.Now().Before(end); {
		time.Sleep(time.Second + time.Duration(rng.Int64N(int64(2*time.Second))))
		what := breakage(t, cl, rng)
		breaks++
		d, _ := acked.stats()
		t.Logf("breakage %d (%s): %d acknowledged so far", breaks, what, d)
	}
	closeStop()
	cl.WaitReady(t)

	// Everything acknowledged reaches both consumers; the stream holds nothing else.
	waitFor(t, 90*time.Second, "the pull consumer to see every acknowledged publish", func() error {
		if miss := pulled.missing(&acked); len(miss) > 0 {
			return fmt.Errorf("missing %v", miss)
		}
		return nil
	})
	var si *jsm.StreamInfo
	// Right after a heal or restart STREAM.INFO may still come from a member that is
	// behind, so the stream's end, the ordered consumer and the acknowledged numbers are
	// compared until they agree, not at the first answer.
	waitFor(t, 90*time.Second, "the ordered consumer to reach the end of the stream, holding everything acknowledged", func() error {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		defer acancel()
		var err error
		if si, err = m.StreamInfo(actx, "CHAOS"); err != nil {
			return err
		}
		if got := lastOrdered.Load(); got != si.State.LastSeq {
			return fmt.Errorf("ordered at %d, stream ends at %d", got, si.State.LastSeq)
		}
		if miss := ordered.missing(&acked); len(miss) > 0 {
			// Numbers the pull consumer saw were in the stream once: if they stay
			// missing, the servers lost them after acknowledging and delivering them.
			var stored []int
			for _, n := range miss {
				if pulled.get(n) > 0 {
					stored = append(stored, n)
				}
			}
			return fmt.Errorf("acknowledged publishes not in the stream (ordered consumer): %v; of these the pull consumer had received %v", miss, stored)
		}
		if n, _ := ordered.stats(); uint64(n) != si.State.Msgs || si.State.Msgs != si.State.LastSeq {
			return fmt.Errorf("ordered consumer saw %d distinct numbers; stream holds %d messages up to sequence %d",
				n, si.State.Msgs, si.State.LastSeq)
		}
		return nil
	})
	if _, extra := ordered.stats(); extra > 0 {
		t.Errorf("ordered consumer saw %d numbers more than once", extra)
	}
	if orderErrs.Load() > 0 {
		t.Errorf("ordered consumer: %d out-of-order or unreadable messages", orderErrs.Load())
	}

	// The watcher's final view equals the bucket.
	waitFor(t, 90*time.Second, "the watcher's view to equal the bucket", func() error {
		actx, acancel := context.WithTimeout(ctx, 10*time.Second)
		defer acancel()
		want := map[string][]byte{}
		for k, err := range bucket.Keys(actx) {
			if err != nil {
				return err
			}
			e, err := bucket.Get(actx, k)
			if err != nil {
				return err
			}
			want[k] = e.Value
		}
		viewMu.Lock()
		defer viewMu.Unlock()
		if len(want) != len(view) {
			return fmt.Errorf("bucket has %d keys, watcher %d", len(want), len(view))
		}
		for k, v := range want {
			if !bytes.Equal(view[k], v) {
				return fmt.Errorf("%s: bucket %q, watcher %q", k, v, view[k])
			}
		}
		return nil
	})

	nAcked, _ := acked.stats()
	nPulled, redelivered := pulled.stats()
	nOrdered, _ := ordered.stats()
	t.Logf("breakages %d; published %d, acked %d, retried %d, duplicates %d; pull delivered %d (+%d redeliveries); ordered %d; stream %d msgs; kv puts %d (failed %d)",
		breaks, published.Load(), nAcked, retried.Load(), duplicates.Load(), nPulled, redelivered,
		nOrdered, si.State.Msgs, puts.Load(), putFails.Load())
	if nAcked < 10 || puts.Load() < 10 {
		t.Errorf("too little work got through the chaos to prove anything: %d acked, %d kv puts", nAcked, puts.Load())
	}
}

// waitFor polls cond until it returns nil, failing the test with its last error after d.
// cond must bound its own requests (an API request may go unanswered while the cluster
// has no meta leader, and a ctx of minutes would hold the poll).
func waitFor(t *testing.T, d time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// retrySetup runs an idempotent set-up call (creating a stream or bucket that the
// retry asks for again with the same configuration, which the server accepts) until it
// succeeds, 10 s an attempt. A JetStream API reply is lost, the request having taken
// effect, while a route connection between the members is missing: 3 of 150 fresh
// clusters lost one when the cluster counted as ready with its route pools still
// forming (natstest's WaitReady now waits for them, and 0 of 150 lost one after). A
// route can still go missing later, by the server's doing, so the set-up asks again.
func retrySetup(t *testing.T, ctx context.Context, what string, do func(context.Context) error) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := do(actx)
		cancel()
		if err == nil {
			return
		}
		if attempt == 5 || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s (attempt %d): %v", what, attempt, err)
		}
		t.Logf("%s: %v; asking again", what, err)
	}
}
