package jsm

import (
	"testing"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/proto"
)

// directReplyHeader is what a direct get of a KV key answers with (ADR-31): the
// describing headers, then the stored message's own (none for a plain put).
const directReplyHeader = "NATS/1.0\r\nNats-Stream: KV_bench\r\nNats-Subject: $KV.bench.k42\r\n" +
	"Nats-Sequence: 1234\r\nNats-Time-Stamp: 2026-12-05T13:00:00.123456789Z\r\n\r\n"

// BenchmarkDirectReply is the client's work on a direct get reply once framed: the
// reader's header decoding, the status check and building the RawStreamMsg.
func BenchmarkDirectReply(b *testing.B) {
	b.ReportAllocs()
	hdr, data := []byte(directReplyHeader), []byte("0123456789abcdef")
	for b.Loop() {
		_, _, h, err := proto.ParseHeader(hdr)
		if err != nil {
			b.Fatal(err)
		}
		reply := &conn.Msg{Header: conn.Header(h), Data: data}
		if err := directStatus(reply); err != nil {
			b.Fatal(err)
		}
		if _, err := directMsg(reply, directHeaders); err != nil {
			b.Fatal(err)
		}
	}
}
