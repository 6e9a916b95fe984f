package proto

import (
	"testing"
)

// countHandler counts callbacks and touches the payload, like a reader
// that hands it on.
type countHandler struct{ msgs, bytes, other int }

func (h *countHandler) Msg(_, _ []byte, _ uint64, hdr, data []byte) {
	h.msgs++
	h.bytes += len(hdr) + len(data)
}
func (h *countHandler) Info([]byte) { h.other++ }
func (h *countHandler) Ping()       { h.other++ }
func (h *countHandler) Pong()       { h.other++ }
func (h *countHandler) OK()         { h.other++ }
func (h *countHandler) Err([]byte)  { h.other++ }

var (
	benchMsg  = []byte("MSG orders.new 12 _INBOX.abcdef.1 11\r\nhello world\r\n")
	benchHMsg = []byte("HMSG orders.new 12 _INBOX.abcdef.1 37 48\r\nNATS/1.0\r\nNats-Msg-Id: order-0001\r\n\r\nhello world\r\n")
)

func benchParse(b *testing.B, frame []byte) {
	h := &countHandler{}
	p := NewParser(h)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := p.Parse(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMsg(b *testing.B)  { benchParse(b, benchMsg) }
func BenchmarkParseHMsg(b *testing.B) { benchParse(b, benchHMsg) }

// BenchmarkParseMsgSplit feeds each MSG in three pieces: the control line
// cut in two, then the payload cut in two.
func BenchmarkParseMsgSplit(b *testing.B) {
	h := &countHandler{}
	p := NewParser(h)
	parts := splitAt(benchMsg, 10, 40)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		for _, part := range parts {
			if err := p.Parse(part); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParseStream parses a 32 KiB read buffer full of small messages,
// as a reader sees them under load; ns/op is per buffer.
func BenchmarkParseStream(b *testing.B) {
	var buf []byte
	for len(buf) < 32<<10 {
		buf = append(buf, benchMsg...)
	}
	benchParse(b, buf)
}

func BenchmarkAppendPub(b *testing.B) {
	data := []byte("hello world")
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendPub(dst[:0], "orders.new", "_INBOX.abcdef.1", data)
	}
}

func BenchmarkAppendHPub(b *testing.B) {
	hdr := AppendHeader(nil, 0, "", map[string][]string{"Nats-Msg-Id": {"order-0001"}})
	data := []byte("hello world")
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendHPub(dst[:0], "orders.new", "_INBOX.abcdef.1", hdr, data)
	}
}

func BenchmarkAppendHeader(b *testing.B) {
	h := map[string][]string{"Nats-Msg-Id": {"order-0001"}, "Nats-Expected-Stream": {"ORDERS"}}
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendHeader(dst[:0], 0, "", h)
	}
}

// TestZeroAllocs fails the suite if the hot paths start allocating.
func TestZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("alloc counts need a normal run")
	}
	h := &countHandler{}
	p := NewParser(h)
	msgParts := splitAt(benchMsg, 10, 40)
	hmsgParts := splitAt(benchHMsg, 45, 60, 80)
	// Warm the scratch buffers once.
	for _, part := range append(msgParts, hmsgParts...) {
		if err := p.Parse(part); err != nil {
			t.Fatal(err)
		}
	}
	data := []byte("hello world")
	hdr := []byte("NATS/1.0\r\nNats-Msg-Id: order-0001\r\n\r\n")
	hmap := map[string][]string{"Nats-Msg-Id": {"order-0001"}, "B": {"1", "2"}}
	dst := make([]byte, 0, 256)
	otherOps := []byte("PING\r\nPONG\r\nINFO {}\r\n+OK\r\n-ERR 'x'\r\n")
	cases := []struct {
		name string
		fn   func()
	}{
		{"parse MSG", func() { _ = p.Parse(benchMsg) }},
		{"parse HMSG", func() { _ = p.Parse(benchHMsg) }},
		{"parse split MSG", func() {
			for _, part := range msgParts {
				_ = p.Parse(part)
			}
		}},
		{"parse split HMSG", func() {
			for _, part := range hmsgParts {
				_ = p.Parse(part)
			}
		}},
		{"parse other ops", func() { _ = p.Parse(otherOps) }},
		{"AppendPub", func() { dst = AppendPub(dst[:0], "orders.new", "_INBOX.abcdef.1", data) }},
		{"AppendHPub", func() { dst = AppendHPub(dst[:0], "orders.new", "_INBOX.abcdef.1", hdr, data) }},
		{"AppendSub", func() { dst = AppendSub(dst[:0], "orders.>", "workers", 123) }},
		{"AppendUnsub", func() { dst = AppendUnsub(dst[:0], 123, 5) }},
		{"AppendHeader", func() { dst = AppendHeader(dst[:0], 503, "No Responders", hmap) }},
		{"ValidatePublishSubject", func() { _ = ValidatePublishSubject("orders.new.eu") }},
		{"ValidateSubject", func() { _ = ValidateSubject("orders.*.>") }},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(200, c.fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", c.name, n)
		}
	}
	if h.msgs == 0 || p.err != nil {
		t.Fatalf("parser did not deliver: msgs %d, err %v", h.msgs, p.err)
	}
}

// BenchmarkValidateAckSubject is the check every acknowledgement and every reply
// subject of an asynchronous publish goes through (they change with each message, so
// the writer's cache of the last subject misses).
func BenchmarkValidateAckSubject(b *testing.B) {
	s := "$JS.ACK.bench_stream.bench.1.123456.123456.1733400000000000000.0"
	for b.Loop() {
		if err := ValidateSubject(s); err != nil {
			b.Fatal(err)
		}
	}
}

// benchHeader is a direct get reply's header block: four describing headers.
var benchHeader = []byte("NATS/1.0\r\nNats-Stream: KV_bench\r\nNats-Subject: $KV.bench.k42\r\n" +
	"Nats-Sequence: 1234\r\nNats-Time-Stamp: 2026-12-05T13:00:00.123456789Z\r\n\r\n")

func BenchmarkParseHeader(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := ParseHeader(benchHeader); err != nil {
			b.Fatal(err)
		}
	}
}

// benchJSMsg is a message a pull consumer receives: the stream subject, then the ack
// subject as reply, the longest control line of the common cases.
var benchJSMsg = []byte("MSG bench.js_consume_ack 7 $JS.ACK.bench.bench.1.123456.123456.1764939600123456789.76544 16\r\n" +
	"0123456789abcdef\r\n")

func BenchmarkParseJSMsg(b *testing.B) { benchParse(b, benchJSMsg) }
