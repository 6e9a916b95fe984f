package js_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

func TestFetch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "F", Subjects: []string{"f.>"}})
	e.fill(t, "f", 25)
	pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "f.>", "proc")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Stop()
	baseSubs := e.s.Server().NumSubscriptions()
	var got []uint64
	for _, want := range []int{10, 10, 5} {
		start := time.Now()
		msgs, err := pc.Fetch(ctxT(t, time.Second), 10)
		if err != nil || len(msgs) != want {
			t.Fatalf("fetch: %d msgs, %v", len(msgs), err)
		}
		if want == 10 && time.Since(start) > 500*time.Millisecond {
			t.Fatalf("a full batch took %v", time.Since(start))
		}
		for _, m := range msgs {
			md, err := m.Metadata()
			if err != nil || md.Stream != "F" || md.Consumer != "proc" || md.NumDelivered != 1 {
				t.Fatalf("metadata %+v %v", md, err)
			}
			got = append(got, md.Sequence.Stream)
			if err := m.Ack(); err != nil {
				t.Fatal(err)
			}
			if err := m.Ack(); !errors.Is(err, js.ErrMsgAlreadyAcked) {
				t.Fatalf("second ack: %v", err)
			}
		}
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("sequences %v", got)
		}
	}
	waitAckFloor(t, e.j, "F", "proc", 25)

	// Nothing left: ErrTimeout, by the deadline and not much later.
	start := time.Now()
	if _, err := pc.Fetch(ctxT(t, 300*time.Millisecond), 5); !errors.Is(err, js.ErrTimeout) {
		t.Fatalf("empty fetch: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("empty fetch took %v", d)
	}
	if _, err := pc.Fetch(ctxT(t, 5*time.Second), 5, js.FetchNoWait()); !errors.Is(err, js.ErrTimeout) {
		t.Fatalf("no-wait fetch on nothing: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("no-wait fetch waited")
	}
	if _, err := pc.Next(ctxT(t, 200*time.Millisecond)); !errors.Is(err, js.ErrTimeout) {
		t.Fatalf("next on nothing: %v", err)
	}
	// No-wait with some available returns them at once.
	e.fill(t, "f", 3)
	msgs, err := pc.Fetch(ctxT(t, 5*time.Second), 10, js.FetchNoWait())
	if err != nil || len(msgs) != 3 {
		t.Fatalf("no-wait fetch: %d %v", len(msgs), err)
	}
	for _, m := range msgs {
		m.Ack()
	}
	// Max bytes: messages of 100 bytes (and about 60 of subject and reply), 400 allowed -> 2.
	for i := 0; i < 5; i++ {
		if _, err := e.j.Publish(ctxT(t, time.Second), "f.big", make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err = pc.Fetch(ctxT(t, 2*time.Second), 10, js.FetchMaxBytes(400))
	if err != nil || len(msgs) != 2 {
		t.Fatalf("max bytes fetch: %d %v", len(msgs), err)
	}
	m, err := pc.Next(ctxT(t, 2*time.Second))
	if err != nil || len(m.Data) != 100 {
		t.Fatalf("next: %v %v", m, err)
	}
	// Every fetch released its subscription: only the client's own remain.
	waitFor(t, 5*time.Second, "the fetch subscriptions gone", func() bool {
		return e.s.Server().NumSubscriptions() <= baseSubs
	})
}

func TestPullSubscribeBindsAndChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "B", Subjects: []string{"b.>"}})
	ctx := ctxT(t, 10*time.Second)
	if _, err := e.j.Consumer(ctx, "B", "nope"); !errors.Is(err, jsm.ErrConsumerNotFound) {
		t.Fatalf("Consumer of a missing one: %v", err)
	}
	pc, err := e.j.PullSubscribe(ctx, "b.x", "d1", js.AckWait(7*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := pc.Info(ctx)
	if ci.Config.FilterSubject != "b.x" || ci.Config.AckWait != 7*time.Second {
		t.Fatalf("created %+v", ci.Config)
	}
	if _, err := e.j.PullSubscribe(ctx, "b.x", "d1"); err != nil {
		t.Fatalf("bind again: %v", err)
	}
	if _, err := e.j.PullSubscribe(ctx, "b.y", "d1"); !errors.Is(err, js.ErrConsumerConfig) {
		t.Fatalf("other filter: %v", err)
	}
	if _, err := e.j.Manager().AddConsumer(ctx, "B", jsm.ConsumerConfig{Durable: "push", DeliverSubject: "dlv"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.j.Consumer(ctx, "B", "push"); !errors.Is(err, js.ErrConsumerConfig) {
		t.Fatalf("push consumer bound as pull: %v", err)
	}
	pc2, err := e.j.Consumer(ctx, "B", "d1")
	if err != nil || pc2.Name() != "d1" || pc2.Stream() != "B" {
		t.Fatalf("Consumer: %v", err)
	}
	pc.Stop()
	pc.Stop()
	<-pc.Done()
	if _, err := pc.Fetch(ctx, 1); !errors.Is(err, js.ErrConsumerStopped) {
		t.Fatalf("fetch after stop: %v", err)
	}
}

// collector records the stream sequences a consumer delivered.
type collector struct {
	mu   sync.Mutex
	seen map[uint64]int
	n    atomic.Int64
}

func newCollector() *collector { return &collector{seen: map[uint64]int{}} }

func (c *collector) add(t *testing.T, m *js.Msg) {
	md, err := m.Metadata()
	if err != nil {
		t.Errorf("metadata: %v", err)
		return
	}
	c.mu.Lock()
	c.seen[md.Sequence.Stream]++
	c.mu.Unlock()
	c.n.Add(1)
}

// all reports whether sequences 1..n were all seen.
func (c *collector) all(n int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 1; i <= n; i++ {
		if c.seen[uint64(i)] == 0 {
			return false
		}
	}
	return true
}

func (c *collector) missing(n int) []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int
	for i := 1; i <= n; i++ {
		if c.seen[uint64(i)] == 0 {
			out = append(out, i)
		}
	}
	return out
}

func TestConsume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "C", Subjects: []string{"c.>"}})
	const n = 1000
	for i := 0; i < n; i++ {
		if _, err := e.j.PublishAsync("c.x", []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	<-e.j.PublishAsyncComplete()
	pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "c.>", "proc")
	if err != nil {
		t.Fatal(err)
	}
	col := newCollector()
	err = pc.Consume(ctxT(t, time.Second), func(m *js.Msg) {
		col.add(t, m)
		m.Ack()
	}, js.PullMaxMessages(64))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "all messages", func() bool { return col.all(n) })
	waitAckFloor(t, e.j, "C", "proc", n)
	if err := pc.Drain(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pc.Done():
	default:
		t.Fatal("not done after drain")
	}
	if err := pc.Consume(context.Background(), func(*js.Msg) {}); !errors.Is(err, js.ErrConsumerStopped) {
		t.Fatalf("consume after drain: %v", err)
	}
}

func TestMessagesIterator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "I", Subjects: []string{"i.>"}})
	e.fill(t, "i", 50)
	pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "i.>", "proc")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Stop()
	ctx := ctxT(t, 10*time.Second)
	next := 1
	for m, err := range pc.Messages(ctx, js.PullMaxMessages(7)) {
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Data) != strconv.Itoa(next) {
			t.Fatalf("got %q, want %d", m.Data, next)
		}
		m.Ack()
		if next == 50 {
			break
		}
		next++
	}
	waitAckFloor(t, e.j, "I", "proc", 50)
	// A second iteration, ended by its ctx.
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	for m, err := range pc.Messages(short) {
		t.Fatalf("unexpected %v %v", m, err)
	}
	// A third, cancelled while it waits: the cancel is yielded, once, as the last pair.
	cctx, ccancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, ccancel)
	var got []error
	for m, err := range pc.Messages(cctx) {
		if m != nil {
			t.Fatalf("unexpected message %q", m.Data)
		}
		got = append(got, err)
	}
	if len(got) != 1 || !errors.Is(got[0], context.Canceled) {
		t.Fatalf("cancelled iteration yielded %v, want one context.Canceled", got)
	}
}

// Consume survives a server restart: what was published before and after arrives.
func TestConsumeServerRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "R", Subjects: []string{"r.>"}})
	e.fill(t, "r", 100)
	pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "r.>", "proc", js.AckWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Stop()
	col := newCollector()
	var errs atomic.Int64
	err = pc.Consume(context.Background(), func(m *js.Msg) {
		col.add(t, m)
		m.Ack()
		if col.n.Load() == 50 {
			e.s.Restart(t)
		}
	}, js.PullMaxMessages(10), js.PullExpiry(2*time.Second), js.PullHeartbeat(300*time.Millisecond),
		js.PullErrHandler(func(error) { errs.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the first 100", func() bool { return col.all(100) })
	e.fill(t, "r", 50)
	waitFor(t, 15*time.Second, "the 50 after the restart", func() bool {
		return col.all(150)
	})
	waitAckFloor(t, e.j, "R", "proc", 150)
	if e.c.Stats().Reconnects == 0 {
		t.Fatal("the server was not restarted")
	}
}

// A fetch cut by a restart returns what it had and an error; later fetches get the rest.
func TestFetchServerRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "FR", Subjects: []string{"fr.>"}})
	e.fill(t, "fr", 20)
	pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "fr.>", "proc", js.AckWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Stop()
	col := newCollector()
	go func() {
		time.Sleep(300 * time.Millisecond)
		e.s.Restart(t)
	}()
	msgs, err := pc.Fetch(ctxT(t, 10*time.Second), 100)
	// The server's "409 Server Shutdown" or the disconnect, whichever comes first.
	if len(msgs) != 20 || err == nil {
		t.Fatalf("fetch across restart: %d msgs, %v", len(msgs), err)
	}
	for _, m := range msgs[:10] {
		col.add(t, m)
		m.Ack()
	}
	e.fill(t, "fr", 5)
	deadline := time.Now().Add(15 * time.Second)
	for !col.all(25) && time.Now().Before(deadline) {
		msgs, err := pc.Fetch(ctxT(t, 2*time.Second), 10)
		if err != nil && !errors.Is(err, js.ErrTimeout) {
			t.Logf("fetch: %v", err)
		}
		for _, m := range msgs {
			col.add(t, m)
			m.Ack()
		}
	}
	if miss := col.missing(25); len(miss) > 0 {
		t.Fatalf("missing %v", miss)
	}
}

func TestConsumeConsumerDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "D", Subjects: []string{"d.>"}})
	pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "d.>", "proc")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 10)
	// The deletion reaches the pending pull as a 409 Consumer Deleted; when that is not
	// seen (once in a clean-clone CI run under load), missed heartbeats make the loop ask
	// for the consumer: with a 1 s heartbeat that happens within the test's bound, not
	// after the default 15 s x 2.
	if err := pc.Consume(context.Background(), func(m *js.Msg) { m.Ack() }, js.PullHeartbeat(time.Second), js.PullErrHandler(func(err error) { t.Log(err); errc <- err })); err != nil {
		t.Fatal(err)
	}
	e.fill(t, "d", 3)
	if err := e.j.Manager().DeleteConsumer(ctxT(t, 5*time.Second), "D", "proc"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pc.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("consume did not end after deletion")
	}
	if !errors.Is(pc.Err(), js.ErrConsumerDeleted) {
		t.Fatalf("err %v", pc.Err())
	}
}

// A consumer deleted before Consume starts: its pulls get 503 no responders, never 409
// Consumer Deleted, and the loop finds out by asking for the consumer.
func TestConsumeConsumerDeletedBeforeStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "DB", Subjects: []string{"db.>"}})
	pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "db.>", "proc")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.j.Manager().DeleteConsumer(ctxT(t, 5*time.Second), "DB", "proc"); err != nil {
		t.Fatal(err)
	}
	if err := pc.Consume(context.Background(), func(m *js.Msg) { m.Ack() }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pc.Done():
	case <-time.After(10 * time.Second):
		pc.Stop()
		t.Fatal("consume did not end: the consumer was deleted before it started")
	}
	if !errors.Is(pc.Err(), js.ErrConsumerDeleted) {
		t.Fatalf("err %v", pc.Err())
	}
}

func TestConsumeStopFromHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "S", Subjects: []string{"s.>"}})
	e.fill(t, "s", 20)
	pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "s.>", "proc")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	err = pc.Consume(context.Background(), func(m *js.Msg) {
		if calls.Add(1) == 5 {
			pc.Stop()
			pc.Drain(context.Background())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-pc.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not done")
	}
	time.Sleep(100 * time.Millisecond)
	if n := calls.Load(); n != 5 {
		t.Fatalf("%d handler calls after a stop at the 5th", n)
	}
}

func TestAckKinds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "K", Subjects: []string{"k.>"}})
	ctx := ctxT(t, 20*time.Second)
	pc, err := e.j.PullSubscribe(ctx, "k.>", "proc", js.AckWait(time.Second), js.MaxDeliver(2))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Stop()
	e.fill(t, "k", 1)

	// NakWithDelay: redelivered after the delay, not before.
	m, err := pc.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := m.NakWithDelay(400 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := m.Ack(); !errors.Is(err, js.ErrMsgAlreadyAcked) {
		t.Fatalf("ack after nak: %v", err)
	}
	m, err = pc.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 350*time.Millisecond {
		t.Fatalf("redelivered after %v", d)
	}
	md, _ := m.Metadata()
	if md.NumDelivered != 2 {
		t.Fatalf("delivered %d", md.NumDelivered)
	}
	// MaxDeliver 2: never again, even unacknowledged.
	if _, err := pc.Next(ctxT(t, 1500*time.Millisecond)); !errors.Is(err, js.ErrTimeout) {
		t.Fatalf("third delivery: %v", err)
	}

	// InProgress extends the ack wait (1 s): held 2 s with progress, no redelivery.
	e.fill(t, "k", 1)
	m, err = pc.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		time.Sleep(500 * time.Millisecond)
		if err := m.InProgress(); err != nil {
			t.Fatal(err)
		}
	}
	if again, err := pc.Next(ctxT(t, 200*time.Millisecond)); !errors.Is(err, js.ErrTimeout) {
		t.Fatalf("redelivered during progress: %v %v", again, err)
	}
	if err := m.AckSync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.InProgress(); !errors.Is(err, js.ErrMsgAlreadyAcked) {
		t.Fatalf("progress after ack: %v", err)
	}

	// Term: never redelivered.
	e.fill(t, "k", 1)
	m, err = pc.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.TermWithReason("bad"); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.Next(ctxT(t, 1500*time.Millisecond)); !errors.Is(err, js.ErrTimeout) {
		t.Fatalf("after term: %v", err)
	}
	ci := consumerInfo(t, e.j, "K", "proc")
	if ci.NumAckPending != 0 {
		t.Fatalf("ack pending %d", ci.NumAckPending)
	}
}

func TestConsumeAutoInProgress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "W", Subjects: []string{"w.>"}})
	e.fill(t, "w", 1)
	pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "w.>", "proc", js.AckWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Stop()
	var calls atomic.Int64
	done := make(chan struct{})
	err = pc.Consume(context.Background(), func(m *js.Msg) {
		if calls.Add(1) == 1 {
			time.Sleep(2500 * time.Millisecond)
			m.Ack()
			close(done)
		}
	}, js.PullAutoInProgress())
	if err != nil {
		t.Fatal(err)
	}
	<-done
	time.Sleep(300 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
	waitAckFloor(t, e.j, "W", "proc", 1)
}

var _ = fmt.Sprint

// Closing the connection ends every PullConsumer, with or without a flow running: Done
// closes and Err says why, and later calls fail at once.
func TestPullConsumerEndsWithConn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "CC", Subjects: []string{"cc.>"}})
	e.fill(t, "cc", 3)
	idle, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "cc.>", "idle")
	if err != nil {
		t.Fatal(err)
	}
	busy, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), "cc.>", "busy")
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	if err := busy.Consume(context.Background(), func(m *js.Msg) { m.Ack(); got.Add(1) }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "three messages", func() bool { return got.Load() == 3 })
	e.c.Close()
	for name, pc := range map[string]*js.PullConsumer{"idle": idle, "busy": busy} {
		select {
		case <-pc.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Done not closed after the connection closed", name)
		}
		if !errors.Is(pc.Err(), conn.ErrConnectionClosed) {
			t.Fatalf("%s: Err %v", name, pc.Err())
		}
		if _, err := pc.Fetch(ctxT(t, time.Second), 1); !errors.Is(err, js.ErrConsumerStopped) {
			t.Fatalf("%s: fetch after close: %v", name, err)
		}
	}
}
