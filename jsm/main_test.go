package jsm_test

import (
	"context"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/jsm"
)

// TestMain fails the package if a connection or server goroutine outlives the tests.
func TestMain(m *testing.M) { natstest.Main(m) }

// testCtx returns a ctx that ends with the test or after 20 s.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// connect opens a connection to s that the test closes.
func connect(t *testing.T, s *natstest.Server) *conn.Conn {
	t.Helper()
	c, err := conn.Connect(testCtx(t), s.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// setup starts a JetStream server and returns a Manager on a new connection to it.
func setup(t *testing.T, opts ...jsm.Option) (*natstest.Server, *jsm.Manager) {
	t.Helper()
	s := natstest.Start(t, natstest.JetStream())
	return s, jsm.New(connect(t, s), opts...)
}

// addStream creates a memory stream with the given subjects, failing the test on error.
func addStream(t *testing.T, m *jsm.Manager, cfg jsm.StreamConfig) *jsm.StreamInfo {
	t.Helper()
	if cfg.Storage == jsm.FileStorage {
		cfg.Storage = jsm.MemoryStorage
	}
	info, err := m.AddStream(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("AddStream(%s): %v", cfg.Name, err)
	}
	return info
}

// publish sends a message and waits for the stream's acknowledgement, returning the
// sequence it got.
func publish(t *testing.T, m *jsm.Manager, msg *conn.Msg) uint64 {
	t.Helper()
	reply, err := m.Conn().RequestMsg(testCtx(t), msg)
	if err != nil {
		t.Fatalf("publish %s: %v", msg.Subject, err)
	}
	var ack struct {
		Seq   uint64        `json:"seq"`
		Error *jsm.APIError `json:"error"`
	}
	if err := jsonUnmarshal(reply.Data, &ack); err != nil || ack.Error != nil {
		t.Fatalf("publish %s: %s (%v, %v)", msg.Subject, reply.Data, err, ack.Error)
	}
	return ack.Seq
}

func pub(t *testing.T, m *jsm.Manager, subject, data string) uint64 {
	t.Helper()
	return publish(t, m, &conn.Msg{Subject: subject, Data: []byte(data)})
}

// collect drains an iterator, failing the test on an error.
func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("iteration: %v", err)
		}
		out = append(out, v)
	}
	return out
}
