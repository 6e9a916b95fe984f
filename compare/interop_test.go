package compare_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsactor/natsactor/compare/internal/testserver"
	"github.com/natsactor/natsactor/conn"
)

// testCtx returns a ctx bounded by d and cancelled when t ends.
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// clients starts a server and connects one natsactor and one nats.go client to it.
func clients(t *testing.T) (*conn.Conn, *nats.Conn) {
	t.Helper()
	s := testserver.Start(t, false)
	a, err := conn.Connect(testCtx(t, 5*time.Second), s.URL(), conn.WithName("interop-natsactor"))
	if err != nil {
		t.Fatalf("natsactor connect: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	g, err := nats.Connect(s.URL(), nats.Name("interop-natsgo"), nats.NoReconnect())
	if err != nil {
		t.Fatalf("nats.go connect: %v", err)
	}
	t.Cleanup(g.Close)
	return a, g
}

// wireMsg is what both clients agree a message is.
type wireMsg struct {
	Subject, Reply string
	Header         map[string][]string
	Data           []byte
}

// interopCases are the messages sent in both directions: header keys in mixed case,
// repeated values, values with spaces, and payloads from empty to 512 KiB.
func interopCases() []wireMsg {
	big := bytes.Repeat([]byte("0123456789abcdef"), 32*1024)
	return []wireMsg{
		{Subject: "interop.plain", Data: []byte("hello")},
		{Subject: "interop.empty"},
		{Subject: "interop.reply", Reply: "interop.answer.here", Data: []byte("with reply")},
		{Subject: "interop.hdr", Reply: "_INBOX.x.y", Data: []byte("payload"), Header: map[string][]string{
			"X-Lower-Case":  {"v1"},
			"x-lower-case":  {"other key, same letters"},
			"MiXeD-CaSe":    {"Value With Spaces"},
			"Repeated":      {"first", "second", "third"},
			"Nats-Msg-Id":   {"id-42"},
			"Content-Type":  {"application/json; charset=utf-8"},
			"Empty-Payload": {"but headers"},
		}},
		{Subject: "interop.hdr.nodata", Header: map[string][]string{"Only": {"header"}}},
		{Subject: "interop.big", Data: big, Header: map[string][]string{"Size": {fmt.Sprint(len(big))}}},
	}
}

func normalize(m wireMsg) wireMsg {
	if len(m.Data) == 0 {
		m.Data = nil
	}
	if len(m.Header) == 0 {
		m.Header = nil
	}
	return m
}

func sameMsg(t *testing.T, dir string, want, got wireMsg) {
	t.Helper()
	want, got = normalize(want), normalize(got)
	if want.Subject != got.Subject || want.Reply != got.Reply {
		t.Errorf("%s: subject/reply %q %q, want %q %q", dir, got.Subject, got.Reply, want.Subject, want.Reply)
	}
	if !reflect.DeepEqual(want.Header, got.Header) {
		t.Errorf("%s %s: header\n got %v\nwant %v", dir, want.Subject, got.Header, want.Header)
	}
	if !bytes.Equal(want.Data, got.Data) {
		t.Errorf("%s %s: data differs (%d bytes, want %d)", dir, want.Subject, len(got.Data), len(want.Data))
	}
}

func TestNatsactorPublishNatsGoReceives(t *testing.T) {
	a, g := clients(t)
	sub, err := g.SubscribeSync("interop.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Flush(); err != nil {
		t.Fatal(err)
	}
	cases := interopCases()
	for _, c := range cases {
		m := &conn.Msg{Subject: c.Subject, Reply: c.Reply, Data: c.Data}
		if c.Header != nil {
			m.Header = conn.Header(c.Header)
		}
		if err := a.PublishMsg(m); err != nil {
			t.Fatalf("PublishMsg %s: %v", c.Subject, err)
		}
	}
	for _, want := range cases {
		got, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("nats.go NextMsg for %s: %v", want.Subject, err)
		}
		sameMsg(t, "natsactor->nats.go", want, wireMsg{got.Subject, got.Reply, got.Header, got.Data})
	}
}

func TestNatsGoPublishNatsactorReceives(t *testing.T) {
	a, g := clients(t)
	sub, err := a.Subscribe("interop.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(testCtx(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	cases := interopCases()
	for _, c := range cases {
		m := &nats.Msg{Subject: c.Subject, Reply: c.Reply, Data: c.Data}
		if c.Header != nil {
			m.Header = nats.Header(c.Header)
		}
		if err := g.PublishMsg(m); err != nil {
			t.Fatalf("nats.go PublishMsg %s: %v", c.Subject, err)
		}
	}
	ctx := testCtx(t, 5*time.Second)
	for _, want := range cases {
		got, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("natsactor Next for %s: %v", want.Subject, err)
		}
		sameMsg(t, "nats.go->natsactor", want, wireMsg{got.Subject, got.Reply, got.Header, got.Data})
	}
}

// Header lookups on received messages agree: exact key first, then any case.
func TestHeaderLookupAgrees(t *testing.T) {
	a, g := clients(t)
	sub, err := a.Subscribe("interop.lookup")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(testCtx(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg("interop.lookup")
	m.Header.Set("Trace-Id", "abc")            // nats.go Set canonicalizes the key
	m.Header["raw-lower"] = []string{"x", "y"} // written as-is
	if err := g.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	got, err := sub.Next(testCtx(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Header.Get("Trace-Id"); v != "abc" {
		t.Errorf("Get(Trace-Id) = %q", v)
	}
	if v := got.Header.Get("trace-id"); v != "abc" {
		t.Errorf("Get(trace-id) = %q, want case-insensitive match", v)
	}
	if v := got.Header.Values("raw-lower"); !reflect.DeepEqual(v, []string{"x", "y"}) {
		t.Errorf("Values(raw-lower) = %q", v)
	}
}

func TestRequestNatsGoToNatsactorResponder(t *testing.T) {
	a, g := clients(t)
	_, err := a.Subscribe("interop.svc", conn.WithHandler(func(m *conn.Msg) {
		r := conn.NewMsg("")
		r.Header.Set("Echo-Of", m.Header.Get("Req-Id"))
		r.Data = append([]byte("natsactor:"), m.Data...)
		m.RespondMsg(r)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(testCtx(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		req := nats.NewMsg("interop.svc")
		req.Header.Set("Req-Id", fmt.Sprint(i))
		req.Data = []byte(fmt.Sprint("q", i))
		resp, err := g.RequestMsg(req, 5*time.Second)
		if err != nil {
			t.Fatalf("nats.go request %d: %v", i, err)
		}
		if want := fmt.Sprint("natsactor:q", i); string(resp.Data) != want {
			t.Fatalf("reply %q, want %q", resp.Data, want)
		}
		if got := resp.Header.Get("Echo-Of"); got != fmt.Sprint(i) {
			t.Fatalf("reply header Echo-Of=%q, want %d", got, i)
		}
	}
}

func TestRequestNatsactorToNatsGoResponder(t *testing.T) {
	a, g := clients(t)
	_, err := g.Subscribe("interop.svc", func(m *nats.Msg) {
		r := nats.NewMsg(m.Reply)
		r.Header.Set("Echo-Of", m.Header.Get("Req-Id"))
		r.Data = append([]byte("natsgo:"), m.Data...)
		m.RespondMsg(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 10*time.Second)
	for i := range 50 {
		req := conn.NewMsg("interop.svc")
		req.Header.Set("Req-Id", fmt.Sprint(i))
		req.Data = []byte(fmt.Sprint("q", i))
		resp, err := a.RequestMsg(ctx, req)
		if err != nil {
			t.Fatalf("natsactor request %d: %v", i, err)
		}
		if want := fmt.Sprint("natsgo:q", i); string(resp.Data) != want {
			t.Fatalf("reply %q, want %q", resp.Data, want)
		}
		if got := resp.Header.Get("Echo-Of"); got != fmt.Sprint(i) {
			t.Fatalf("reply header Echo-Of=%q, want %d", got, i)
		}
	}
	// Plain Request without headers, concurrently, as callers do.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			resp, err := a.Request(ctx, "interop.svc", []byte{byte('a' + i)})
			if err != nil {
				t.Errorf("concurrent request %d: %v", i, err)
				return
			}
			if want := "natsgo:" + string(rune('a'+i)); string(resp.Data) != want {
				t.Errorf("reply %q, want %q", resp.Data, want)
			}
		})
	}
	wg.Wait()
}

// A queue group with members from both clients delivers each message to exactly one
// member, and both kinds of member get work.
func TestQueueGroupMixed(t *testing.T) {
	a, g := clients(t)
	const n = 2000
	var seen [n]atomic.Int32
	var fromA, fromG atomic.Int32
	var all sync.WaitGroup
	all.Add(n)
	record := func(data []byte, count *atomic.Int32) {
		var i int
		if _, err := fmt.Sscan(string(data), &i); err != nil || i < 0 || i >= n {
			t.Errorf("bad payload %q", data)
			return
		}
		if seen[i].Add(1) == 1 {
			all.Done()
		}
		count.Add(1)
	}
	for range 2 {
		if _, err := a.QueueSubscribe("interop.work", "workers", conn.WithHandler(func(m *conn.Msg) { record(m.Data, &fromA) })); err != nil {
			t.Fatal(err)
		}
		if _, err := g.QueueSubscribe("interop.work", "workers", func(m *nats.Msg) { record(m.Data, &fromG) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Flush(testCtx(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := g.Flush(); err != nil {
		t.Fatal(err)
	}
	// Publish half from each client.
	for i := range n {
		var err error
		if i%2 == 0 {
			err = a.Publish("interop.work", fmt.Append(nil, i))
		} else {
			err = g.Publish("interop.work", fmt.Append(nil, i))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { all.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("only %d natsactor + %d nats.go deliveries of %d", fromA.Load(), fromG.Load(), n)
	}
	// Give duplicates, if any, a moment to show up.
	if err := a.Flush(testCtx(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := g.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Fatalf("message %d delivered %d times", i, c)
		}
	}
	if fromA.Load() == 0 || fromG.Load() == 0 {
		t.Errorf("unbalanced group: natsactor %d, nats.go %d", fromA.Load(), fromG.Load())
	}
}

// Both clients see a request nobody listens to as their own no-responders error, at once.
func TestNoRespondersBothClients(t *testing.T) {
	a, g := clients(t)
	start := time.Now()
	_, err := a.Request(testCtx(t, 5*time.Second), "interop.nobody", []byte("?"))
	if !errors.Is(err, conn.ErrNoResponders) {
		t.Errorf("natsactor: err = %v, want conn.ErrNoResponders", err)
	}
	_, err = g.Request("interop.nobody", []byte("?"), 5*time.Second)
	if !errors.Is(err, nats.ErrNoResponders) {
		t.Errorf("nats.go: err = %v, want nats.ErrNoResponders", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("no-responders took %v; it should come back at once", d)
	}
	// And with headers on the natsactor side.
	req := conn.NewMsg("interop.nobody")
	req.Header.Set("K", "v")
	if _, err := a.RequestMsg(testCtx(t, 5*time.Second), req); !errors.Is(err, conn.ErrNoResponders) {
		t.Errorf("natsactor RequestMsg: err = %v, want conn.ErrNoResponders", err)
	}
}
