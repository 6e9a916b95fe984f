package svc_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/svc"
)

// TestQueueGroupSharing runs two instances of a service: in the default queue group they
// share 100 requests; without a queue group each receives all of them.
func TestQueueGroupSharing(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	client := connect(t, s)

	run := func(t *testing.T, subject string, opts ...svc.EndpointOption) (a, b *atomic.Int64, seen chan struct{}) {
		a, b = new(atomic.Int64), new(atomic.Int64)
		seen = make(chan struct{}, 1000)
		for _, n := range []*atomic.Int64{a, b} {
			srv := addService(t, connect(t, s), svc.Config{Name: "worker", Version: "0.1.0"})
			_, err := srv.AddEndpoint("work", svc.HandlerFunc(func(r *svc.Request) {
				n.Add(1)
				r.Respond(nil)
				seen <- struct{}{}
			}), append(opts, svc.WithEndpointSubject(subject))...)
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Conn().Flush(testCtx(t)); err != nil {
				t.Fatal(err)
			}
		}
		return a, b, seen
	}
	wait := func(t *testing.T, seen chan struct{}, n int) {
		ctx := testCtx(t)
		for range n {
			select {
			case <-seen:
			case <-ctx.Done():
				t.Fatal("requests not all handled")
			}
		}
	}

	t.Run("queue", func(t *testing.T) {
		a, b, seen := run(t, "work.queue")
		for range 100 {
			request(t, client, "work.queue", nil)
		}
		wait(t, seen, 100)
		if a.Load() == 0 || b.Load() == 0 || a.Load()+b.Load() != 100 {
			t.Fatalf("instances handled %d and %d of 100", a.Load(), b.Load())
		}
	})
	t.Run("no queue", func(t *testing.T) {
		a, b, seen := run(t, "work.all", svc.WithEndpointNoQueueGroup())
		for range 100 {
			request(t, client, "work.all", nil)
		}
		wait(t, seen, 200)
		if a.Load() != 100 || b.Load() != 100 {
			t.Fatalf("instances handled %d and %d, want 100 each", a.Load(), b.Load())
		}
	})
}

// TestErrorsAndStats counts requests and errors, checks the error headers, and Reset.
func TestErrorsAndStats(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	srv := calc(t, c)
	for _, in := range []string{"1 1", "2 2", "3 3"} {
		request(t, c, "math.add", []byte(in))
	}
	m := request(t, c, "math.add", []byte("x"))
	if e := svc.ResponseError(m); e == nil || e.Code != 400 || e.Description != "want two integers" {
		t.Fatalf("error reply %v, headers %v", e, m.Header)
	}
	if got := m.Header.Get(svc.ErrorCodeHeader); got != "400" {
		t.Fatalf("%s = %q", svc.ErrorCodeHeader, got)
	}
	m = request(t, c, "math.v2.divide.x", []byte("1 0"))
	if e := svc.ResponseError(m); e == nil || e.Code != 422 || string(m.Data) != `{"error":"division by zero"}` {
		t.Fatalf("error reply %v %q", e, m.Data)
	}
	if svc.ResponseError(request(t, c, "math.add", []byte("5 5"))) != nil {
		t.Fatal("a good reply carries a service error")
	}

	st := srv.Stats()
	byName := map[string]svc.EndpointStats{}
	for _, e := range st.Endpoints {
		byName[e.Name] = e
	}
	addSt := byName["add"]
	if addSt.NumRequests != 5 || addSt.NumErrors != 1 || addSt.LastError != "400:want two integers" {
		t.Fatalf("add stats %+v", addSt)
	}
	if addSt.ProcessingTime <= 0 || addSt.AverageProcessingTime != addSt.ProcessingTime/5 {
		t.Fatalf("add times %v, average %v", addSt.ProcessingTime, addSt.AverageProcessingTime)
	}
	if string(addSt.Data) != `{"cache_hits":7,"endpoint":"add"}` {
		t.Fatalf("add data %s", addSt.Data)
	}
	if d := byName["div"]; d.NumRequests != 1 || d.NumErrors != 1 || d.LastError != "422:division by zero" {
		t.Fatalf("div stats %+v", d)
	}
	// The same numbers over $SRV.STATS.
	remote, err := svc.Stats(testCtx(t), c, "calc", svc.WithID(srv.ID()))
	if err != nil || len(remote) != 1 || remote[0].Endpoints[1].NumRequests != 5 || remote[0].Endpoints[1].NumErrors != 1 {
		t.Fatalf("remote stats %+v, %v", remote, err)
	}

	srv.Reset()
	for _, e := range srv.Stats().Endpoints {
		if e.NumRequests != 0 || e.NumErrors != 0 || e.LastError != "" || e.ProcessingTime != 0 || e.AverageProcessingTime != 0 {
			t.Fatalf("after Reset: %+v", e)
		}
	}
	if !srv.Stats().Started.Equal(st.Started) {
		t.Fatal("Reset changed the start time")
	}

	// A code that is not a number is refused and nothing is sent.
	srv2 := addService(t, c, svc.Config{Name: "codes", Version: "1.0.0"})
	if _, err := srv2.AddEndpoint("bad", svc.HandlerFunc(func(r *svc.Request) {
		if err := r.Error("E42", "nope", nil); !errors.Is(err, svc.ErrInvalidOption) {
			r.Respond([]byte("unexpected: " + errString(err)))
			return
		}
		r.Respond([]byte("refused"))
	})); err != nil {
		t.Fatal(err)
	}
	if m := request(t, c, "bad", nil); string(m.Data) != "refused" {
		t.Fatalf("reply %q", m.Data)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestHandlerPanic answers a panicking handler's request with a 500 error and keeps the
// service running.
func TestHandlerPanic(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	errs := make(chan error, 10)
	srv := addService(t, c, svc.Config{Name: "fragile", Version: "1.0.0",
		ErrorHandler: func(_ *svc.Service, err error) { errs <- err }})
	if _, err := srv.AddEndpoint("op", svc.HandlerFunc(func(r *svc.Request) {
		if string(r.Data()) == "boom" {
			panic("kaboom")
		}
		r.Respond([]byte("ok"))
	})); err != nil {
		t.Fatal(err)
	}
	m := request(t, c, "op", []byte("boom"))
	if m.Header.Get(svc.ErrorCodeHeader) != "500" || m.Header.Get(svc.ErrorHeader) == "" {
		t.Fatalf("panic reply headers %v", m.Header)
	}
	if m := request(t, c, "op", []byte("fine")); string(m.Data) != "ok" {
		t.Fatalf("after the panic: %q", m.Data)
	}
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "kaboom") {
			t.Fatalf("ErrorHandler got %v", err)
		}
	case <-testCtx(t).Done():
		t.Fatal("ErrorHandler not called")
	}
	st := srv.Stats().Endpoints[0]
	if st.NumRequests != 2 || st.NumErrors != 1 || !strings.Contains(st.LastError, "kaboom") {
		t.Fatalf("stats %+v", st)
	}
	if srv.Stopped() {
		t.Fatal("the service stopped")
	}
}

// TestStopInFlight stops a service while requests wait: they are all answered, Stop
// returns after them, and later requests find no responders.
func TestStopInFlight(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	var doneCalls atomic.Int32
	doneCalled := make(chan struct{})
	srv := addService(t, c, svc.Config{Name: "slow", Version: "1.0.0",
		DoneHandler: func(*svc.Service) {
			if doneCalls.Add(1) == 1 {
				close(doneCalled)
			}
		}})
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	if _, err := srv.AddEndpoint("work", svc.HandlerFunc(func(r *svc.Request) {
		entered <- struct{}{}
		<-release
		r.Respond(append([]byte("done "), r.Data()...))
	})); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(testCtx(t)); err != nil { // another connection sends the requests
		t.Fatal(err)
	}

	client := connect(t, s)
	inbox := client.NewInbox()
	replies, err := client.Subscribe(inbox)
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	for i := range n {
		if err := client.PublishRequest("work", inbox, []byte{'0' + byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testCtx(t)
	if err := client.Flush(ctx); err != nil { // the server has routed all five
		t.Fatal(err)
	}
	recv(t, entered)

	stopped := make(chan error, 1)
	go func() { stopped <- srv.Stop() }()
	waitFor(t, "Stop to begin", srv.Stopped)
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a handler was running", err)
	default:
	}
	close(release)
	if err := recv(t, stopped); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for i := range n {
		m, err := replies.Next(ctx)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if string(m.Data) != "done "+string(rune('0'+i)) {
			t.Fatalf("reply %d = %q", i, m.Data)
		}
	}
	select {
	case <-srv.Done():
	default:
		t.Fatal("Done not closed after Stop returned")
	}
	recv(t, doneCalled)
	if _, err := client.Request(ctx, "work", nil); !errors.Is(err, conn.ErrNoResponders) {
		t.Fatalf("request after Stop: %v, want no responders", err)
	}
	if _, err := client.Request(ctx, svc.DiscoverySubject("", svc.VerbPing, "slow", ""), nil); !errors.Is(err, conn.ErrNoResponders) {
		t.Fatalf("ping after Stop: %v, want no responders", err)
	}
	// Idempotent; DoneHandler ran once; no endpoint can be added.
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if doneCalls.Load() != 1 {
		t.Fatalf("DoneHandler called %d times", doneCalls.Load())
	}
	if _, err := srv.AddEndpoint("late", echo); !errors.Is(err, svc.ErrServiceStopped) {
		t.Fatalf("AddEndpoint after Stop: %v", err)
	}
	if srv.Err() != nil {
		t.Fatalf("Err after Stop: %v", srv.Err())
	}
}

// TestStopFromHandler stops the service from inside its own handler, and from inside the
// stats handler, without deadlock.
func TestStopFromHandler(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	srv := addService(t, c, svc.Config{Name: "selfstop", Version: "1.0.0"})
	if _, err := srv.AddEndpoint("quit", svc.HandlerFunc(func(r *svc.Request) {
		err := r.Endpoint().Service().Stop()
		r.Respond([]byte("bye " + errString(err)))
	})); err != nil {
		t.Fatal(err)
	}
	if m := request(t, c, "quit", nil); string(m.Data) != "bye <nil>" {
		t.Fatalf("reply %q", m.Data)
	}
	recv(t, srv.Done())

	var stopOnce sync.Once
	srv2 := addService(t, c, svc.Config{Name: "statstop", Version: "1.0.0",
		Endpoint: &svc.EndpointConfig{Handler: echo},
		StatsHandler: func(e *svc.Endpoint) any {
			stopOnce.Do(func() { e.Service().Stop() })
			return nil
		}})
	if _, err := c.Request(testCtx(t), svc.DiscoverySubject("", svc.VerbStats, "statstop", ""), nil); err != nil {
		t.Fatal(err)
	}
	recv(t, srv2.Done())
}

// TestConnectionClose stops the service when its connection closes.
func TestConnectionClose(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	done := make(chan *svc.Service, 1)
	srv := addService(t, c, svc.Config{Name: "ephemeral", Version: "1.0.0",
		DoneHandler: func(s *svc.Service) { done <- s }})
	ep, err := srv.AddEndpoint("jobs", nil, svc.WithRequestChannel())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case got := <-done:
		if got != srv {
			t.Fatal("DoneHandler got another service")
		}
	case <-testCtx(t).Done():
		t.Fatal("DoneHandler not called after the connection closed")
	}
	recv(t, srv.Done())
	if _, ok := <-ep.Requests(); ok {
		t.Fatal("request channel still open")
	}
	if !srv.Stopped() || !errors.Is(srv.Err(), conn.ErrConnectionClosed) {
		t.Fatalf("Stopped %v, Err %v", srv.Stopped(), srv.Err())
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop after close: %v", err)
	}
}

// TestRequestChannel serves an endpoint from a select loop.
func TestRequestChannel(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	srv := addService(t, c, svc.Config{Name: "looper", Version: "1.0.0"})
	upper, err := srv.AddEndpoint("upper", nil, svc.WithRequestChannel())
	if err != nil {
		t.Fatal(err)
	}
	lower, err := srv.AddEndpoint("lower", nil, svc.WithRequestChannel())
	if err != nil {
		t.Fatal(err)
	}
	if echoEp, _ := srv.AddEndpoint("echo", echo); echoEp.Requests() != nil {
		t.Fatal("a handler endpoint has a request channel")
	}
	loopDone := make(chan int)
	go func() {
		served := 0
		up, low := upper.Requests(), lower.Requests()
		for up != nil || low != nil {
			select {
			case r, ok := <-up:
				if !ok {
					up = nil
					continue
				}
				r.Respond([]byte(strings.ToUpper(string(r.Data()))))
				served++
			case r, ok := <-low:
				if !ok {
					low = nil
					continue
				}
				if len(r.Data()) == 0 {
					r.Error("400", "empty", nil)
				} else {
					r.RespondJSON(map[string]string{"lower": strings.ToLower(string(r.Data()))}, svc.WithHeaders(conn.Header{"X-Loop": {"1"}}))
				}
				served++
			}
		}
		loopDone <- served
	}()
	if m := request(t, c, "upper", []byte("abc")); string(m.Data) != "ABC" {
		t.Fatalf("upper: %q", m.Data)
	}
	m := request(t, c, "lower", []byte("ABC"))
	if string(m.Data) != `{"lower":"abc"}` || m.Header.Get("X-Loop") != "1" {
		t.Fatalf("lower: %q %v", m.Data, m.Header)
	}
	if m := request(t, c, "lower", nil); svc.ResponseError(m) == nil {
		t.Fatal("no error reply")
	}
	st := lower.Stats()
	if st.NumRequests != 2 || st.NumErrors != 1 || st.ProcessingTime <= 0 {
		t.Fatalf("lower stats %+v", st)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if served := recv(t, loopDone); served != 3 {
		t.Fatalf("loop served %d", served)
	}
}

// TestInvalid rejects bad names, versions, subjects and handlers, leaving no subscription
// behind.
func TestInvalid(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	ctx := testCtx(t)
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	base := numSubs(s)

	configs := []struct {
		cfg  svc.Config
		want error
	}{
		{svc.Config{Name: "", Version: "1.0.0"}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc.v1", Version: "1.0.0"}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc svc", Version: "1.0.0"}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc*", Version: "1.0.0"}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc", Version: ""}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc", Version: "1.0"}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc", Version: "v1.0.0"}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc", Version: "01.0.0"}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc", Version: "1.0.0-"}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc", Version: "1.0.0", QueueGroup: "a b"}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc", Version: "1.0.0", APIPrefix: "$SRV.>"}, svc.ErrInvalidConfig},
		{svc.Config{Name: "calc", Version: "1.0.0", Endpoint: &svc.EndpointConfig{Name: "x"}}, svc.ErrInvalidEndpoint},
		{svc.Config{Name: "calc", Version: "1.0.0", Endpoint: &svc.EndpointConfig{Handler: echo,
			Options: []svc.EndpointOption{svc.WithEndpointSubject("a..b")}}}, svc.ErrInvalidOption},
	}
	for _, tc := range configs {
		if srv, err := svc.Add(ctx, c, tc.cfg); !errors.Is(err, tc.want) {
			t.Errorf("Add(%+v) = %v, want %v", tc.cfg, err, tc.want)
			if srv != nil {
				srv.Stop()
			}
		}
	}
	if _, err := svc.Add(ctx, nil, svc.Config{Name: "calc", Version: "1.0.0"}); !errors.Is(err, svc.ErrInvalidConfig) {
		t.Errorf("Add with a nil connection: %v", err)
	}
	for _, v := range []string{"0.0.1", "1.2.3-alpha.1", "1.2.3+meta", "10.20.30-rc.1+build.123"} {
		srv, err := svc.Add(ctx, c, svc.Config{Name: "ok-name_1", Version: v})
		if err != nil {
			t.Errorf("version %q refused: %v", v, err)
			continue
		}
		srv.Stop()
	}

	srv := addService(t, c, svc.Config{Name: "calc", Version: "1.0.0"})
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	withSrv := numSubs(s)
	endpoints := []struct {
		add  func() (*svc.Endpoint, error)
		want error
	}{
		{func() (*svc.Endpoint, error) { return srv.AddEndpoint("", echo) }, svc.ErrInvalidEndpoint},
		{func() (*svc.Endpoint, error) { return srv.AddEndpoint("a.b", echo) }, svc.ErrInvalidEndpoint},
		{func() (*svc.Endpoint, error) { return srv.AddEndpoint("a", nil) }, svc.ErrInvalidEndpoint},
		{func() (*svc.Endpoint, error) { return srv.AddEndpoint("a", svc.HandlerFunc(nil)) }, svc.ErrInvalidEndpoint},
		{func() (*svc.Endpoint, error) { return srv.AddEndpoint("a", echo, svc.WithRequestChannel()) }, svc.ErrInvalidEndpoint},
		{func() (*svc.Endpoint, error) { return srv.AddEndpoint("a", echo, svc.WithEndpointSubject("a b")) }, svc.ErrInvalidOption},
		{func() (*svc.Endpoint, error) { return srv.AddEndpoint("a", echo, svc.WithEndpointSubject(">.a")) }, svc.ErrInvalidOption},
		{func() (*svc.Endpoint, error) { return srv.AddEndpoint("a", echo, svc.WithEndpointQueueGroup("")) }, svc.ErrInvalidOption},
		{func() (*svc.Endpoint, error) { return srv.AddGroup("g.>").AddEndpoint("a", echo) }, svc.ErrInvalidEndpoint},
		{func() (*svc.Endpoint, error) { return srv.AddGroup("g..h").AddEndpoint("a", echo) }, svc.ErrInvalidEndpoint},
		{func() (*svc.Endpoint, error) { return srv.AddGroup("g").AddGroup("a b").AddEndpoint("a", echo) }, svc.ErrInvalidEndpoint},
		{func() (*svc.Endpoint, error) {
			return srv.AddGroup("g", svc.WithGroupQueueGroup("a b")).AddEndpoint("a", echo)
		}, svc.ErrInvalidOption},
	}
	for i, tc := range endpoints {
		if _, err := tc.add(); !errors.Is(err, tc.want) {
			t.Errorf("endpoint case %d: %v, want %v", i, err, tc.want)
		}
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := numSubs(s); got != withSrv {
		t.Fatalf("%d subscriptions after the bad endpoints, want %d", got, withSrv)
	}
	if withSrv != base+9 {
		t.Fatalf("a service without endpoints has %d subscriptions, want 9", withSrv-base)
	}
	srv.Stop()
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := numSubs(s); got != base {
		t.Fatalf("%d subscriptions left, want %d", got, base)
	}
}

// TestGroups checks subjects and queue groups through nested groups.
func TestGroups(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	srv := addService(t, c, svc.Config{Name: "grp", Version: "1.0.0", QueueGroup: "svcq"})
	a := srv.AddGroup("a")
	b := a.AddGroup("b.c", svc.WithGroupNoQueueGroup())
	d := b.AddGroup("d", svc.WithGroupQueueGroup("dq"))
	empty := srv.AddGroup("")
	cases := []struct {
		g             *svc.Group
		name, subject string
		opts          []svc.EndpointOption
		wantSubj, q   string
	}{
		{a, "e1", "", nil, "a.e1", "svcq"},
		{b, "e2", "", nil, "a.b.c.e2", ""},
		{b, "e3", "", []svc.EndpointOption{svc.WithEndpointQueueGroup("own")}, "a.b.c.e3", "own"},
		{d, "e4", "x.>", nil, "a.b.c.d.x.>", "dq"},
		{empty, "e5", "", nil, "e5", "svcq"},
	}
	for _, tc := range cases {
		opts := tc.opts
		if tc.subject != "" {
			opts = append(opts, svc.WithEndpointSubject(tc.subject))
		}
		ep, err := tc.g.AddEndpoint(tc.name, echo, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if ep.Subject() != tc.wantSubj || ep.QueueGroup() != tc.q {
			t.Errorf("%s: subject %q queue %q, want %q %q", tc.name, ep.Subject(), ep.QueueGroup(), tc.wantSubj, tc.q)
		}
	}
	if d.Prefix() != "a.b.c.d" {
		t.Errorf("prefix %q", d.Prefix())
	}
	if m := request(t, c, "a.b.c.d.x.y.z", []byte("hi")); string(m.Data) != "hi" {
		t.Fatalf("reply %q", m.Data)
	}
	if got := len(srv.Info().Endpoints); got != 5 {
		t.Fatalf("%d endpoints in Info", got)
	}
}
