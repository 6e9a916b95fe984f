package js_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// silentEnv is a JetStream server reached through a proxy that can lose pull requests
// on their way, with a stream of n messages "<prefix>.i" and a durable pull consumer
// "proc" on it.
func silentEnv(t *testing.T, stream, prefix string, n int) (*natstest.Proxy, *js.PullConsumer, string) {
	t.Helper()
	s := natstest.Start(t, natstest.JetStream())
	p := natstest.StartProxy(t, s)
	e := &env{s: s, c: connect(t, p.URL())}
	e.j = js.New(e.c)
	e.stream(t, jsm.StreamConfig{Name: stream, Subjects: []string{prefix + ".>"}})
	e.fill(t, prefix, n)
	pc, err := e.j.PullSubscribe(ctxT(t, 5*time.Second), prefix+".>", "proc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pc.Stop)
	return p, pc, "$JS.API.CONSUMER.MSG.NEXT." + stream + ".proc"
}

// A pull request the server never saw (as when a server loses one it had accepted)
// gets neither messages nor heartbeats nor a status: Consume must notice the missing
// heartbeats, say so, and pull again, instead of waiting for an expiry that never comes.
func TestConsumeRecoversFromSilentRequest(t *testing.T) {
	t.Parallel()
	const n = 50
	p, pc, next := silentEnv(t, "SR", "sr", n)
	p.DropPublishes(next, 1) // the first pull request

	col := newCollector()
	var mu sync.Mutex
	var reported []error
	err := pc.Consume(ctxT(t, 5*time.Second), func(m *js.Msg) {
		col.add(t, m)
		m.Ack()
	}, js.PullHeartbeat(200*time.Millisecond), js.PullExpiry(time.Minute),
		js.PullErrHandler(func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "every message after the lost pull request", func() bool { return col.all(n) })
	if d := p.Dropped(); !slices.Equal(d, []string{next}) {
		t.Fatalf("dropped %v, want the first pull request", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) == 0 || !errors.Is(reported[0], js.ErrNoHeartbeat) {
		t.Fatalf("reported %v, want ErrNoHeartbeat first", reported)
	}
}

// A fetch whose request is lost ends with ErrNoHeartbeat after two missed heartbeats,
// well before its wait, and the next fetch gets the messages.
func TestFetchEndsOnSilentRequest(t *testing.T) {
	t.Parallel()
	const n = 5
	p, pc, next := silentEnv(t, "SF", "sf", n)
	p.DropPublishes(next, 1)

	start := time.Now()
	msgs, err := pc.Fetch(ctxT(t, 20*time.Second), n, js.FetchHeartbeat(200*time.Millisecond))
	if !errors.Is(err, js.ErrNoHeartbeat) || len(msgs) != 0 {
		t.Fatalf("fetch of a lost request: %d messages, err %v; want none and ErrNoHeartbeat", len(msgs), err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the lost fetch took %v, most of its wait", took)
	}
	msgs, err = pc.Fetch(ctxT(t, 5*time.Second), n)
	if err != nil || len(msgs) != n {
		t.Fatalf("the next fetch: %d messages, err %v", len(msgs), err)
	}
}
