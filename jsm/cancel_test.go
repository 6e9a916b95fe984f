package jsm_test

// The cancellation sweep: every exported call of package jsm that takes a ctx, cancelled
// while its API request waits for an answer, returns promptly with ctx's error and leaves
// no subscription behind on the server (goroutines are checked for the whole package by
// natstest.Main). The API is a black hole: a blackhole proxy on the Manager's API
// prefix, which answers the set-up's request and swallows the call's, so every call is
// blocked once its first request reached it.
//
//	AccountInfo, GetBatch, GetLastBatch, AddConsumer, CreateConsumer, UpdateConsumer,
//	DeleteConsumer, ConsumerInfo, PauseConsumer, ResumeConsumer, UnpinConsumer, Consumers,
//	ConsumerNames, APIRequest, GetMsg, GetLastMsg, GetNextMsg, DeleteMsg, SecureDeleteMsg,
//	PurgeStream, AddStream, UpdateStream, DeleteStream, StreamInfo, Streams, StreamNames,
//	StreamNameBySubject: covered below.
//	WithDefaultTimeout: not covered, it only derives a ctx and does no I/O.
//
// Each call is one request (or one page of requests) whose effect the server applies
// atomically: a cancel that comes after the server got the request cannot undo it (an
// AddConsumer may then leave the consumer it created; its name is in the request, or the
// server's for an unnamed one, which its InactiveThreshold removes).

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/blackhole"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/jsm"
)

func TestCancelMidFlight(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	const stream, consumer = "S", "C"
	cfg := jsm.StreamConfig{Name: stream, Subjects: []string{"s.>"}, Storage: jsm.MemoryStorage}
	ccfg := jsm.ConsumerConfig{Durable: consumer}
	calls := map[string]func(ctx context.Context, m *jsm.Manager) error{
		"AccountInfo": func(ctx context.Context, m *jsm.Manager) error { return natstest.Second(m.AccountInfo(ctx)) },
		"GetBatch": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.FirstErr(m.GetBatch(ctx, stream, jsm.BatchRequest{Max: 5}))
		},
		"GetLastBatch": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.FirstErr(m.GetLastBatch(ctx, stream, jsm.LastBatchRequest{Subjects: []string{"s.>"}}))
		},
		"AddConsumer": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.Second(m.AddConsumer(ctx, stream, ccfg))
		},
		"CreateConsumer": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.Second(m.CreateConsumer(ctx, stream, ccfg))
		},
		"UpdateConsumer": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.Second(m.UpdateConsumer(ctx, stream, ccfg))
		},
		"DeleteConsumer": func(ctx context.Context, m *jsm.Manager) error { return m.DeleteConsumer(ctx, stream, consumer) },
		"ConsumerInfo": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.Second(m.ConsumerInfo(ctx, stream, consumer))
		},
		"PauseConsumer": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.Second(m.PauseConsumer(ctx, stream, consumer, time.Now().Add(time.Hour)))
		},
		"ResumeConsumer": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.Second(m.ResumeConsumer(ctx, stream, consumer))
		},
		"UnpinConsumer": func(ctx context.Context, m *jsm.Manager) error { return m.UnpinConsumer(ctx, stream, consumer, "g") },
		"Consumers":     func(ctx context.Context, m *jsm.Manager) error { return natstest.FirstErr(m.Consumers(ctx, stream)) },
		"ConsumerNames": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.FirstErr(m.ConsumerNames(ctx, stream))
		},
		"APIRequest": func(ctx context.Context, m *jsm.Manager) error {
			return m.APIRequest(ctx, "INFO", nil, nil)
		},
		"GetMsg": func(ctx context.Context, m *jsm.Manager) error { return natstest.Second(m.GetMsg(ctx, stream, 1)) },
		"GetLastMsg": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.Second(m.GetLastMsg(ctx, stream, "s.a"))
		},
		"GetNextMsg": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.Second(m.GetNextMsg(ctx, stream, 1, "s.a"))
		},
		"DeleteMsg":       func(ctx context.Context, m *jsm.Manager) error { return m.DeleteMsg(ctx, stream, 1) },
		"SecureDeleteMsg": func(ctx context.Context, m *jsm.Manager) error { return m.SecureDeleteMsg(ctx, stream, 1) },
		"PurgeStream": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.Second(m.PurgeStream(ctx, stream, jsm.PurgeSubject("s.a")))
		},
		"AddStream":    func(ctx context.Context, m *jsm.Manager) error { return natstest.Second(m.AddStream(ctx, cfg)) },
		"UpdateStream": func(ctx context.Context, m *jsm.Manager) error { return natstest.Second(m.UpdateStream(ctx, cfg)) },
		"DeleteStream": func(ctx context.Context, m *jsm.Manager) error { return m.DeleteStream(ctx, stream) },
		"StreamInfo":   func(ctx context.Context, m *jsm.Manager) error { return natstest.Second(m.StreamInfo(ctx, stream)) },
		"Streams":      func(ctx context.Context, m *jsm.Manager) error { return natstest.FirstErr(m.Streams(ctx)) },
		"StreamNames":  func(ctx context.Context, m *jsm.Manager) error { return natstest.FirstErr(m.StreamNames(ctx)) },
		"StreamNameBySubject": func(ctx context.Context, m *jsm.Manager) error {
			return natstest.Second(m.StreamNameBySubject(ctx, "s.a"))
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cname := "cancel-" + name
			c, err := conn.Connect(testCtx(t), s.URL(), conn.WithName(cname))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			h := blackhole.New(t, s.URL(), "PX"+name)
			m := jsm.New(c, jsm.WithAPIPrefix(h.Prefix()))
			// A real answer first, so that the connection's shared reply subscription
			// exists and counts in the baseline.
			if _, err := m.AccountInfo(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			base := s.ClientSubs(t, cname)
			h.Reset()
			h.SwallowAPI(true)
			natstest.CancelWhileBlocked(t, h.Blocked, func(ctx context.Context) error { return call(ctx, m) })
			waitUntil(t, fmt.Sprintf("%d server subscriptions", base), func() bool { return s.ClientSubs(t, cname) == base })
		})
	}
}

// A ctx whose deadline passes while the request waits ends the call with DeadlineExceeded.
func TestDeadlineMidFlight(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	hole := connect(t, s)
	hole.Subscribe("HOLE.>", conn.WithHandler(func(*conn.Msg) {}))
	hole.Flush(testCtx(t))
	m := jsm.New(c, jsm.WithAPIPrefix("HOLE"), jsm.WithTimeout(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := m.StreamInfo(ctx, "S"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("StreamInfo past its deadline: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("returned %v after a 200ms deadline", d)
	}
	// Without a deadline, the Manager's timeout applies, also as DeadlineExceeded.
	m = jsm.New(c, jsm.WithAPIPrefix("HOLE"), jsm.WithTimeout(200*time.Millisecond))
	if _, err := m.AccountInfo(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AccountInfo past the Manager's timeout: %v", err)
	}
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
