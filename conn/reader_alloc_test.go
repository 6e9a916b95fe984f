package conn

import (
	"runtime"
	"testing"

	"github.com/natsactor/natsactor/actor"
	"github.com/natsactor/natsactor/proto"
)

// readerWithSub is a reader of a connection with no socket and one subscription, sid 1
// on subject, whose queue the caller pops.
func readerWithSub(subject string) (*reader, *Subscription) {
	c := &Conn{subs: newSubTable()}
	s := &Subscription{conn: c, sid: 1, subject: subject, q: actor.NewQueue[*Msg](0, 0)}
	c.subs.mu.Lock()
	c.subs.addLocked(s)
	c.subs.mu.Unlock()
	return &reader{c: c}, s
}

// What receiving a small message allocates on the reader: the message (its payload in
// the same allocation) and, when they cannot be shared with the subscription, one string
// for subject and reply together. A JetStream consumer's message (stream subject, ack
// reply) took three allocations before they were joined.
func TestReaderMsgAllocs(t *testing.T) {
	r, s := readerWithSub("_INBOX.x")
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
	for _, n := range []int{0, 1, 16, 17, 32, 33, 64, 65, 128, 129, 256, 257, 300, 1024, 1025, 128 << 10} {
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

// A received message with a small payload costs one allocation of the smallest size
// class that holds the Msg and the payload: 96 bytes for 16 (pubsub16's messages), 112
// for 32. A field added to Msg moves these up a class for every message received. Beyond
// 256 bytes the Msg (80) and the payload take a size class each: 80 + 320 for 300 bytes
// (one 640-byte allocation before), 80 + 1024 for 1 KiB.
func TestNewMsgBytes(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{1, 96}, {16, 96}, {17, 112}, {32, 112}, {64, 144},
		{200, 352}, {256, 352}, {300, 400}, {1024, 1104}} {
		data := make([]byte, tc.n)
		const rounds = 10000
		keep := make([]*Msg, rounds)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range keep {
			keep[i] = newMsg(data)
		}
		runtime.ReadMemStats(&after)
		if got := int(after.TotalAlloc-before.TotalAlloc) / rounds; got != tc.want {
			t.Errorf("a %d-byte message takes %d bytes, want %d", tc.n, got, tc.want)
		}
		runtime.KeepAlive(keep)
	}
}

// BenchmarkReaderMsg16 is the receive path of pubsub16 without the network: the parser
// and the reader turn a chunk of 256 MSG frames of 16 bytes into queued messages, which
// are then popped, as a subscription's goroutine would. B/op is what each chunk
// allocates (256 messages); ns/msg includes the garbage collection it causes.
func BenchmarkReaderMsg16(b *testing.B) {
	r, s := readerWithSub("bench.ps")
	p := proto.NewParser(r)
	const perChunk = 256
	var chunk []byte
	for range perChunk {
		chunk = append(chunk, "MSG bench.ps 1 16\r\n0123456789abcdef\r\n"...)
	}
	var sink *Msg
	b.ReportAllocs()
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		if err := p.Parse(chunk); err != nil {
			b.Fatal(err)
		}
		r.wakeAll()
		for {
			m, _, ok := s.q.Pop()
			if !ok {
				break
			}
			sink = m
		}
	}
	if sink == nil || string(sink.Data) != "0123456789abcdef" {
		b.Fatalf("last message %+v", sink)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perChunk), "ns/msg")
}
