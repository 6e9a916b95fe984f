package js_test

// The cancellation sweep: every exported call of package js that takes a ctx, cancelled
// while it is blocked, returns promptly with ctx's error and leaves no subscription (and,
// for the calls that create one, no consumer) behind on the server; goroutines are
// checked for the whole package by natstest.Main. The Client under test sends its API
// requests through a proxy that forwards them to the real API until it is told to
// swallow them, so set-up works and the call is blocked on an unanswered request.
//
//	Publish, PublishMsg                       covered: a subject whose only subscriber never answers
//	(*FastBatch).Add, AddMsg, Commit,
//	CommitMsg, Close                          covered (Add, Commit, Close; the Msg forms share
//	                                          their code): the message goes to such a subject
//	PublishAsync with AsyncContext            covered: a full in-flight window
//	PullSubscribe, Consumer, OrderedConsumer,
//	Subscribe, QueueSubscribe,
//	(*PullConsumer).Info                      covered: the API request is swallowed
//	(*PullConsumer).Fetch, Next               covered: a pull on an empty consumer
//	(*PullConsumer).Drain, (*OrderedConsumer).Drain,
//	(*Subscription).Drain                     covered: a handler holds the drain open
//	(*OrderedConsumer).Next, (*Subscription).Next covered: nothing to deliver
//	(*Msg).AckSync                            covered: the consumer is gone and a black hole
//	                                          listens on its ack subject
//	(*Msg).AckNext                            covered: the next message never comes
//	(*PullConsumer).Consume                   its ctx bounds a set-up that does no I/O; only an
//	                                          already cancelled ctx is checked
//	(*PullConsumer).Messages                  covered in pull_test.go (TestMessagesIterator):
//	                                          a cancel is yielded as the last pair
//
// A publish or a consumer creation the server already got cannot be undone by the cancel:
// a swallowed request is one the server never saw, so nothing may be left behind.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/blackhole"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// cancelEnv is one case's connection, Client behind the proxy, and a Client on the real API.
type cancelEnv struct {
	s       *natstest.Server
	name    string          // the case's name: the connection's, its subjects' and its consumers'
	c       *conn.Conn      // the connection under test
	j       *js.Client      // on c, through the proxy
	real    *js.Client      // on another connection, straight to the API
	h       *blackhole.Hole // the proxy, which also swallows "hole.<case>.>"
	release func()          // set by heldHandler: lets its handler return
}

// subject returns "s.<case>.<tail>", captured by the stream S.
func (e *cancelEnv) subject(tail string) string { return "s." + e.name + "." + tail }

func newCancelEnv(t *testing.T, s *natstest.Server, name string) *cancelEnv {
	t.Helper()
	e := &cancelEnv{s: s, name: name}
	e.h = blackhole.New(t, s.URL(), "PX"+name)
	e.h.Listen(t, "hole."+name+".>")
	e.c = connect(t, s.URL(), conn.WithName(name))
	e.j = js.New(e.c, js.WithAPIPrefix(e.h.Prefix()))
	e.real = js.New(connect(t, s.URL()))
	return e
}

// consumers counts the consumers of the case: those on its subjects (the stream is
// shared by the cases running in parallel).
func (e *cancelEnv) consumers(t *testing.T) int {
	t.Helper()
	n := 0
	for ci, err := range e.real.Manager().Consumers(ctxT(t, 5*time.Second), "S") {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(ci.Config.FilterSubject, "s."+e.name+".") {
			n++
		}
	}
	return n
}

// cancelCase is one call. prep runs against the real API (through the forwarding proxy)
// and returns the call; blocked says the call is waiting (nil: a request or black-hole
// message arrived after prep).
type cancelCase struct {
	name        string
	stall       bool // swallow the API requests made by the call
	subsDelta   int  // change in server subscriptions the call is expected to leave
	noConsumer  bool // the call would create a consumer: none may be left
	prep        func(t *testing.T, e *cancelEnv) func(ctx context.Context) error
	blocked     func(t *testing.T, e *cancelEnv) bool
	wantWrapped bool // the error wraps ctx's (checked with errors.Is either way)
}

// after returns a blocked func that holds once d passed since its first call: for calls
// whose wait nothing outside can observe.
func after(d time.Duration) func(*testing.T, *cancelEnv) bool {
	settled := natstest.Settled(d)
	return func(*testing.T, *cancelEnv) bool { return settled() }
}

// heldHandler returns a handler that signals entered and waits until the end of the test
// (its release runs before the cleanups registered earlier, which wait for handlers).
func heldHandler(t *testing.T, e *cancelEnv, entered *atomic.Bool) func(*js.Msg) {
	release := make(chan struct{})
	var once sync.Once
	e.release = func() { once.Do(func() { close(release) }) }
	t.Cleanup(e.release)
	return func(*js.Msg) {
		entered.Store(true)
		<-release
	}
}

func TestCancelMidFlight(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	rc := connect(t, s.URL())
	if _, err := js.New(rc).Manager().AddStream(ctxT(t, 10*time.Second), jsm.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Storage: jsm.MemoryStorage, AllowBatchPublish: true}); err != nil {
		t.Fatal(err)
	}
	// pullOn creates the durable pull consumer of the case filtered on its subjects and
	// binds to it through the proxy.
	pullOn := func(t *testing.T, e *cancelEnv) *js.PullConsumer {
		t.Helper()
		pc, err := e.j.PullSubscribe(ctxT(t, 10*time.Second), e.subject(">"), e.name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pc.Stop)
		return pc
	}
	publish := func(t *testing.T, e *cancelEnv, tail string) {
		t.Helper()
		if _, err := e.real.Publish(ctxT(t, 5*time.Second), e.subject(tail), []byte(tail)); err != nil {
			t.Fatal(err)
		}
	}
	cases := []cancelCase{
		{name: "Publish", prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			return func(ctx context.Context) error { return natstest.Second(e.j.Publish(ctx, "hole."+e.name+".p", nil)) }
		}},
		{name: "PublishMsg", prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			return func(ctx context.Context) error {
				return natstest.Second(e.j.PublishMsg(ctx, &conn.Msg{Subject: "hole." + e.name + ".p"}, js.MsgID("x")))
			}
		}},
		{name: "PublishAsyncContext", blocked: after(50 * time.Millisecond), prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			j := js.New(e.c, js.WithPublishAsyncMaxPending(1))
			if _, err := j.PublishAsync("hole."+e.name+".a", nil); err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error {
				return natstest.Second(j.PublishAsync("hole."+e.name+".a", nil, js.AsyncContext(ctx)))
			}
		}},
		// Fast batches: the first Add waits for the stream to accept the batch, Commit
		// and Close for its final acknowledgement; a cancel abandons the batch, whose
		// inbox subscription goes (subsDelta -1 for a batch started in prep).
		{name: "FastBatchAdd", prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			b, err := e.j.NewFastBatch()
			if err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error { return natstest.Second(b.Add(ctx, "hole."+e.name+".f", nil)) }
		}},
		{name: "FastBatchCommit", subsDelta: -1, prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			b := startedFastBatch(t, e)
			return func(ctx context.Context) error { return natstest.Second(b.Commit(ctx, "hole."+e.name+".f", nil)) }
		}},
		{name: "FastBatchClose", subsDelta: -1, prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			b := startedFastBatch(t, e)
			// Close's end marker goes to the last message's subject: a hole.
			if _, err := b.Add(ctxT(t, 5*time.Second), "hole."+e.name+".f", nil); err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error { return natstest.Second(b.Close(ctx)) }
		}},
		{name: "PullSubscribe", stall: true, noConsumer: true, prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			return func(ctx context.Context) error {
				return natstest.Second(e.j.PullSubscribe(ctx, e.subject(">"), e.name))
			}
		}},
		{name: "Consumer", stall: true, prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			return func(ctx context.Context) error { return natstest.Second(e.j.Consumer(ctx, "S", e.name)) }
		}},
		{name: "OrderedConsumer", stall: true, noConsumer: true, prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			return func(ctx context.Context) error { return natstest.Second(e.j.OrderedConsumer(ctx, e.subject(">"))) }
		}},
		{name: "Subscribe", stall: true, noConsumer: true, prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			return func(ctx context.Context) error { return natstest.Second(e.j.Subscribe(ctx, e.subject(">"))) }
		}},
		{name: "QueueSubscribe", stall: true, noConsumer: true, prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			return func(ctx context.Context) error { return natstest.Second(e.j.QueueSubscribe(ctx, e.subject(">"), "g")) }
		}},
		{name: "PullInfo", stall: true, prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			pc := pullOn(t, e)
			return func(ctx context.Context) error { return natstest.Second(pc.Info(ctx)) }
		}},
		{name: "Fetch", prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			pc := pullOn(t, e)
			return func(ctx context.Context) error { return natstest.Second(pc.Fetch(ctx, 10)) }
		}},
		{name: "PullNext", prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			pc := pullOn(t, e)
			return func(ctx context.Context) error { return natstest.Second(pc.Next(ctx)) }
		}},
		{name: "PullDrain", subsDelta: -1, prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			pc := pullOn(t, e)
			publish(t, e, "1")
			var entered atomic.Bool
			if err := pc.Consume(ctxT(t, 5*time.Second), heldHandler(t, e, &entered)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the handler to run", entered.Load)
			return pc.Drain
		}, blocked: after(50 * time.Millisecond)},
		{name: "OrderedNext", blocked: after(50 * time.Millisecond), prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			oc, err := e.j.OrderedConsumer(ctxT(t, 10*time.Second), e.subject(">"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(oc.Stop)
			return func(ctx context.Context) error { return natstest.Second(oc.Next(ctx)) }
		}},
		{name: "OrderedDrain", subsDelta: -1, blocked: after(50 * time.Millisecond), prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			publish(t, e, "1")
			var entered atomic.Bool
			var ocp atomic.Pointer[js.OrderedConsumer]
			t.Cleanup(func() {
				if oc := ocp.Load(); oc != nil {
					oc.Stop()
				}
			})
			oc, err := e.j.OrderedConsumer(ctxT(t, 10*time.Second), e.subject(">"), js.Handler(heldHandler(t, e, &entered)))
			if err != nil {
				t.Fatal(err)
			}
			ocp.Store(oc)
			waitFor(t, 10*time.Second, "the handler to run", entered.Load)
			return oc.Drain
		}},
		{name: "PushNext", blocked: after(50 * time.Millisecond), prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			sub, err := e.j.Subscribe(ctxT(t, 10*time.Second), e.subject(">"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sub.Unsubscribe() })
			return func(ctx context.Context) error { return natstest.Second(sub.Next(ctx)) }
		}},
		{name: "PushDrain", subsDelta: -1, blocked: after(50 * time.Millisecond), prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			publish(t, e, "1")
			var entered atomic.Bool
			var subp atomic.Pointer[js.Subscription]
			t.Cleanup(func() {
				if sub := subp.Load(); sub != nil {
					sub.Unsubscribe()
				}
			})
			sub, err := e.j.Subscribe(ctxT(t, 10*time.Second), e.subject(">"), js.Handler(heldHandler(t, e, &entered)))
			if err != nil {
				t.Fatal(err)
			}
			subp.Store(sub)
			waitFor(t, 10*time.Second, "the handler to run", entered.Load)
			return sub.Drain
		}},
		{name: "AckSync", prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			pc := pullOn(t, e)
			publish(t, e, "1")
			m, err := pc.Next(ctxT(t, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			// With the consumer gone, only a black hole listens on its ack subject.
			if err := e.real.Manager().DeleteConsumer(ctxT(t, 5*time.Second), "S", e.name); err != nil {
				t.Fatal(err)
			}
			e.h.Listen(t, m.Reply)
			return m.AckSync
		}},
		{name: "AckNext", prep: func(t *testing.T, e *cancelEnv) func(context.Context) error {
			pc := pullOn(t, e)
			publish(t, e, "1")
			m, err := pc.Next(ctxT(t, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error { return natstest.Second(m.AckNext(ctx)) }
		}, blocked: func(t *testing.T, e *cancelEnv) bool {
			ci, err := e.real.Manager().ConsumerInfo(ctxT(t, 5*time.Second), "S", e.name)
			return err == nil && ci.NumWaiting > 0
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newCancelEnv(t, s, tc.name)
			// An answered request first, so that the shared reply subscription exists.
			if _, err := e.j.Manager().AccountInfo(ctxT(t, 5*time.Second)); err != nil {
				t.Fatal(err)
			}
			call := tc.prep(t, e)
			// The server has every SUB of the set-up once the PONG is back.
			if err := e.c.Flush(ctxT(t, 5*time.Second)); err != nil {
				t.Fatal(err)
			}
			subs, consumers := s.ClientSubs(t, tc.name), e.consumers(t)
			e.h.Reset()
			e.h.SwallowAPI(tc.stall)
			blocked := e.h.Blocked
			if tc.blocked != nil {
				blocked = func() bool { return tc.blocked(t, e) }
			}
			natstest.CancelWhileBlocked(t, blocked, call)
			// A cancelled drain does not wait for the handler that holds it; once that
			// returns, the flow ends and its subscription goes.
			if e.release != nil {
				e.release()
			}
			want := subs + tc.subsDelta
			waitFor(t, 10*time.Second, fmt.Sprintf("%d server subscriptions", want), func() bool { return s.ClientSubs(t, tc.name) == want })
			if tc.noConsumer {
				if n := e.consumers(t); n != consumers {
					t.Fatalf("%d consumers after the cancel, %d before", n, consumers)
				}
			}
		})
	}
}

// Consume's ctx bounds only its set-up, which does no I/O: a ctx cancelled before starts
// nothing.
func TestConsumeCancelledBefore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "C", Subjects: []string{"c.>"}, Storage: jsm.MemoryStorage})
	pc, err := e.j.PullSubscribe(ctxT(t, 10*time.Second), "c.>", "d")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int64
	if err := pc.Consume(ctx, func(*js.Msg) { calls.Add(1) }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume with a cancelled ctx: %v", err)
	}
	e.fill(t, "c", 3)
	// A Consume started now gets all three: the cancelled one took none.
	var got atomic.Int64
	if err := pc.Consume(ctxT(t, 5*time.Second), func(m *js.Msg) { got.Add(1); m.Ack() }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "three messages", func() bool { return got.Load() == 3 })
	if calls.Load() != 0 {
		t.Fatalf("the cancelled Consume handled %d", calls.Load())
	}
}

// startedFastBatch returns a fast batch the stream S accepted, with one message.
func startedFastBatch(t *testing.T, e *cancelEnv) *js.FastBatch {
	t.Helper()
	b, err := e.j.NewFastBatch()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add(ctxT(t, 5*time.Second), e.subject("f"), nil); err != nil {
		t.Fatal(err)
	}
	return b
}
