package conn_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

func TestRequestReply(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	srv := connect(t, s.URL())
	cli := connect(t, s.URL())
	ctx := testCtx(t, 5*time.Second)
	srv.Subscribe("echo", conn.WithHandler(func(m *conn.Msg) {
		r := &conn.Msg{Header: conn.Header{"Seen": {m.Header.Get("Id")}}, Data: m.Data}
		m.RespondMsg(r)
	}))
	srv.Flush(ctx)
	replySubjects := map[string]bool{}
	for i := range 50 {
		req := conn.NewMsg("echo")
		req.Header.Set("Id", fmt.Sprint(i))
		req.Data = []byte(fmt.Sprint("payload", i))
		r, err := cli.RequestMsg(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Data) != fmt.Sprint("payload", i) || r.Header.Get("Seen") != fmt.Sprint(i) {
			t.Fatalf("reply %d: %q %v", i, r.Data, r.Header)
		}
		// A reply carries the subject it was sent to: this request's own inbox.
		if !strings.HasPrefix(r.Subject, conn.DefaultInboxPrefix+".") || replySubjects[r.Subject] {
			t.Fatalf("reply %d on %q (seen before: %v)", i, r.Subject, replySubjects[r.Subject])
		}
		replySubjects[r.Subject] = true
	}
	// Concurrent requests each get their own answer.
	errs := make(chan error, 100)
	for i := range 100 {
		go func() {
			r, err := cli.Request(ctx, "echo", []byte(fmt.Sprint(i)))
			if err == nil && string(r.Data) != fmt.Sprint(i) {
				err = fmt.Errorf("request %d got %q", i, r.Data)
			}
			errs <- err
		}()
	}
	for range 100 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestNoRespondersIsNotATimeout(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 5*time.Second)
	start := time.Now()
	_, err := c.Request(ctx, "nobody.home", nil)
	if !errors.Is(err, conn.ErrNoResponders) {
		t.Fatalf("err %v, want ErrNoResponders", err)
	}
	if errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("no responders took %v / looked like a timeout", time.Since(start))
	}
	// A responder that never answers: the ctx deadline, not no-responders.
	c.Subscribe("silent", conn.WithHandler(func(*conn.Msg) {}))
	c.Flush(ctx)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.Request(short, "silent", nil)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, conn.ErrNoResponders) {
		t.Fatalf("silent responder: %v", err)
	}
	// A cancelled ctx returns at once.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := c.Request(cctx, "silent", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestRequestMany(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	ctx := testCtx(t, 10*time.Second)
	for i := range 5 {
		c.Subscribe("scatter", conn.WithHandler(func(m *conn.Msg) { m.Respond([]byte(fmt.Sprint(i))) }))
	}
	c.Subscribe("sentinel", conn.WithHandler(func(m *conn.Msg) {
		for i := range 3 {
			m.Respond([]byte(fmt.Sprint(i)))
		}
		m.Respond(nil)
		m.Respond([]byte("after the end"))
	}))
	c.Flush(ctx)

	count := func(ctx context.Context, subj string, opts ...conn.RequestManyOption) (int, error) {
		n := 0
		for m, err := range c.RequestMany(ctx, conn.NewMsg(subj), opts...) {
			if err != nil {
				return n, err
			}
			if m == nil {
				return n, errors.New("nil message without error")
			}
			n++
		}
		return n, nil
	}
	stallStart := time.Now()
	if n, err := count(ctx, "scatter", conn.ManyStall(100*time.Millisecond)); n != 5 || err != nil {
		t.Fatalf("stall: %d %v", n, err)
	}
	if el := time.Since(stallStart); el > 3*time.Second {
		t.Fatalf("stall timer did not end the gathering (%v)", el)
	}
	if n, err := count(ctx, "scatter", conn.ManyMaxMessages(2)); n != 2 || err != nil {
		t.Fatalf("max: %d %v", n, err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if n, err := count(short, "scatter"); n != 5 || err != nil {
		t.Fatalf("deadline: %d %v", n, err)
	}
	if n, err := count(ctx, "sentinel", conn.ManyStandardSentinel()); n != 3 || err != nil {
		t.Fatalf("sentinel: %d %v", n, err)
	}
	if _, err := count(ctx, "nobody"); !errors.Is(err, conn.ErrNoResponders) {
		t.Fatalf("no responders: %v", err)
	}
	if _, err := count(ctx, "scatter", conn.ManyStall(0)); !errors.Is(err, conn.ErrInvalidOption) {
		t.Fatalf("bad option: %v", err)
	}
	// Breaking out of the loop early leaves no subscription behind.
	c.Flush(ctx)
	before := s.Server().NumSubscriptions()
	for range c.RequestMany(ctx, conn.NewMsg("scatter")) {
		c.Flush(ctx)
		if s.Server().NumSubscriptions() != before+1 {
			t.Fatal("RequestMany made no subscription of its own")
		}
		break
	}
	c.Flush(ctx)
	if n := s.Server().NumSubscriptions(); n != before {
		t.Fatalf("subscriptions %d after the loop, %d before", n, before)
	}
}
