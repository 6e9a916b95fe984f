// Package blackhole gives cancellation tests requests that are never answered, so
// that a call under test is blocked on the wire when its ctx is cancelled: a proxy
// in front of the JetStream API that forwards requests until it is told to swallow
// them (so set-up through the same client works), and subscribers that swallow
// whatever reaches their subjects. It is test support, used by the cancellation
// sweeps of js, jsm, kv and obj; it sits above conn and below nothing it tests.
package blackhole

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
)

// apiPrefix is the JetStream API the proxy forwards to.
const apiPrefix = "$JS.API"

// Hole is one connection holding the proxy and the swallowing subscribers. It counts
// every request or message that reached it, forwarded or not.
type Hole struct {
	c       *conn.Conn
	prefix  string
	swallow atomic.Bool
	arrived atomic.Int64
}

// New connects to url and starts a proxy on prefix: a request to "<prefix>.X" is
// forwarded to "$JS.API.X" ("<prefix>.$KV.X" to "$KV.X") with its reply subject and
// headers, until SwallowAPI(true).
// Give prefix to the client under test (js.WithAPIPrefix, jsm.WithAPIPrefix). The
// connection closes when the test ends.
func New(t testing.TB, url, prefix string) *Hole {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Connect(ctx, url, conn.WithName("blackhole-"+prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	h := &Hole{c: c, prefix: prefix}
	_, err = c.Subscribe(prefix+".>", conn.WithHandler(func(m *conn.Msg) {
		h.arrived.Add(1)
		if h.swallow.Load() {
			return
		}
		c.PublishMsg(&conn.Msg{Subject: forwardTo(m.Subject, prefix), Reply: m.Reply, Header: m.Header, Data: m.Data})
	}))
	if err != nil {
		t.Fatal(err)
	}
	h.flush(t)
	return h
}

// forwardTo maps a subject under prefix to the one the proxy forwards it to:
// "<prefix>.$KV.b.k" (a write sent through an API prefix, as to another domain) to
// "$KV.b.k", anything else to the same tail under "$JS.API".
func forwardTo(subject, prefix string) string {
	tail := strings.TrimPrefix(subject, prefix+".")
	if strings.HasPrefix(tail, "$") {
		return tail
	}
	return apiPrefix + "." + tail
}

// Prefix returns the API prefix the proxy listens on.
func (h *Hole) Prefix() string { return h.prefix }

// SwallowAPI makes the proxy swallow requests (on) or forward them again (off).
func (h *Hole) SwallowAPI(on bool) { h.swallow.Store(on) }

// Listen subscribes to each of subjects with a subscriber that counts what arrives
// and never answers; it returns once the server has the subscriptions.
func (h *Hole) Listen(t testing.TB, subjects ...string) {
	t.Helper()
	for _, s := range subjects {
		if _, err := h.c.Subscribe(s, conn.WithHandler(func(*conn.Msg) { h.arrived.Add(1) })); err != nil {
			t.Fatal(err)
		}
	}
	h.flush(t)
}

// Arrived returns how many requests and messages reached the hole since the last Reset.
func (h *Hole) Arrived() int64 { return h.arrived.Load() }

// Reset sets the Arrived count back to zero.
func (h *Hole) Reset() { h.arrived.Store(0) }

// Blocked reports whether anything arrived since the last Reset: the predicate to give
// natstest.CancelWhileBlocked when the call waits for an answer to what it sent.
func (h *Hole) Blocked() bool { return h.arrived.Load() > 0 }

func (h *Hole) flush(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// Client starts a Hole whose prefix is "PX"+name and returns it with a Client whose
// API requests go through it (forwarded until SwallowAPI(true)), on a connection
// named name, closed when the test ends. It makes one answered API request first, so
// that the connection's shared reply subscription exists and counts in whatever
// baseline of server subscriptions the test then takes.
func Client(t testing.TB, url, name string, opts ...js.Option) (*Hole, *js.Client) {
	t.Helper()
	h := New(t, url, "PX"+name)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.Connect(ctx, url, conn.WithName(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	j := js.New(c, append([]js.Option{js.WithAPIPrefix(h.Prefix())}, opts...)...)
	if _, err := j.Manager().AccountInfo(ctx); err != nil {
		t.Fatal(err)
	}
	return h, j
}
