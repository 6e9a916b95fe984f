package conn

import (
	"testing"

	"github.com/natsactor/natsactor/actor"
)

// What receiving a small message allocates on the reader: the message (its payload in
// the same allocation) and, when they cannot be shared with the subscription, one string
// for subject and reply together. A JetStream consumer's message (stream subject, ack
// reply) took three allocations before they were joined.
func TestReaderMsgAllocs(t *testing.T) {
	c := &Conn{subs: newSubTable()}
	s := &Subscription{conn: c, sid: 1, subject: "_INBOX.x", q: actor.NewQueue[*Msg](0, 0)}
	c.subs.mu.Lock()
	c.subs.addLocked(s)
	c.subs.mu.Unlock()
	r := &reader{c: c}
	data := []byte("0123456789abcdef")
	cases := []struct {
		name           string
		subject, reply string
		want           float64
	}{
		{"subscription's subject", "_INBOX.x", "", 1},
		{"subscription's subject, reply", "_INBOX.x", "_INBOX.y.1", 2},
		{"other subject, reply", "orders.new", "$JS.ACK.S.C.1.2.3.1700000000000000000.0", 2},
		{"other subject", "orders.new", "", 2},
	}
	for _, tc := range cases {
		subject, reply := []byte(tc.subject), []byte(tc.reply)
		got := testing.AllocsPerRun(1000, func() {
			r.Msg(subject, reply, 1, nil, data)
			r.wakeAll()
			m, _, _ := s.q.Pop()
			if m.Subject != tc.subject || m.Reply != tc.reply || string(m.Data) != string(data) {
				t.Fatalf("%s: got %q %q %q", tc.name, m.Subject, m.Reply, m.Data)
			}
		})
		if got > tc.want {
			t.Errorf("%s: %v allocations per message, want at most %v", tc.name, got, tc.want)
		}
	}
}

// newMsg copies the payload, whatever its size, into memory capped at its length, so
// neither the read buffer's reuse nor the user's appends reach another message.
func TestNewMsgCopiesAndCaps(t *testing.T) {
	for _, n := range []int{0, 1, 32, 33, 128, 129, 1024, 1025, 128 << 10} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + n)
		}
		want := string(data)
		m := newMsg(data)
		clear(data) // the read buffer is reused
		if string(m.Data) != want || len(m.Data) != n || cap(m.Data) != n {
			t.Errorf("%d bytes: got %d bytes (cap %d), equal=%v", n, len(m.Data), cap(m.Data), string(m.Data) == want)
		}
	}
}
