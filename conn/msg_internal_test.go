package conn

import (
	"errors"
	"testing"
)

// A received message knows its connection (through its subscription) and its status
// line; a message built to publish has neither, and Respond on it is ErrNoReply.
func TestReceivedMsgConnAndStatus(t *testing.T) {
	r, s := readerWithSub("svc.x")
	r.Msg([]byte("svc.x"), nil, 1, []byte("NATS/1.0 503 No Responders\r\n\r\n"), nil)
	r.Msg([]byte("svc.x"), nil, 1, []byte("NATS/1.0\r\nA: b\r\n\r\n"), []byte("hi"))
	r.Msg([]byte("svc.x"), nil, 1, nil, []byte("plain"))
	r.wakeAll()
	want := []struct {
		code int
		desc string
	}{{503, "No Responders"}, {0, ""}, {0, ""}}
	for i, w := range want {
		m, _, ok := s.q.Pop()
		if !ok {
			t.Fatalf("message %d not queued", i)
		}
		if m.Conn() != r.c || m.Sub != s {
			t.Errorf("message %d: Conn %p Sub %p, want %p %p", i, m.Conn(), m.Sub, r.c, s)
		}
		if code, desc := m.Status(); code != w.code || desc != w.desc {
			t.Errorf("message %d: status %d %q, want %d %q", i, code, desc, w.code, w.desc)
		}
	}

	built := &Msg{Subject: "a", Reply: "b"}
	if built.Conn() != nil {
		t.Errorf("built message has a connection")
	}
	if code, desc := built.Status(); code != 0 || desc != "" {
		t.Errorf("built message has status %d %q", code, desc)
	}
	if err := built.Respond(nil); !errors.Is(err, ErrNoReply) {
		t.Errorf("Respond on a built message: %v", err)
	}
}
