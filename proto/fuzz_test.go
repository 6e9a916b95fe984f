package proto

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzMaxPayload keeps garbage sizes from making the fuzzer allocate much.
const fuzzMaxPayload = 1 << 16

// FuzzParser feeds arbitrary input whole, in pieces cut where the input
// itself decides, and byte by byte, and checks that the parser never
// panics, that every way of cutting gives the same callbacks and the same
// error, that a failed parser stays failed, and that every operation it
// reports encodes back to a frame that parses to the same operation.
// The seed corpus is in testdata/fuzz/FuzzParser.
func FuzzParser(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		whole, wholeErr := parseChunks(fuzzMaxPayload, data)

		h := fnv.New64a()
		h.Write(data)
		rng := rand.New(rand.NewPCG(h.Sum64(), uint64(len(data))))
		cuts := randomCuts(rng, len(data), 1+rng.IntN(8))
		checkSame(t, fmt.Sprintf("cuts %v", cuts), whole, wholeErr, splitAt(data, cuts...))
		if len(data) <= 1024 {
			checkSame(t, "byte by byte", whole, wholeErr, splitAt(data, seq(1, len(data))...))
		}

		if wholeErr != nil {
			p := NewParser(&recorder{})
			p.SetMaxPayload(fuzzMaxPayload)
			if err := p.Parse(data); err == nil || p.Parse([]byte("PING\r\n")) != err {
				t.Fatalf("parser did not stay failed after %v", err)
			}
		}

		for _, e := range whole {
			frame := encodeEvent(e)
			if frame == nil {
				continue
			}
			got, err := parseChunks(fuzzMaxPayload, frame)
			if err != nil {
				t.Fatalf("re-encoded %+v as %q: %v", e, frame, err)
			}
			if want := []event{e}; !cmp.Equal(want, got) {
				t.Fatalf("re-encoded %q (-want +got):\n%s", frame, cmp.Diff(want, got))
			}
			if e.Op == "HMSG" {
				checkHeaderFixpoint(t, []byte(e.Hdr))
			}
		}
	})
}

// checkSame parses chunks and compares with the whole-input result.
func checkSame(t *testing.T, how string, want []event, wantErr error, chunks [][]byte) {
	t.Helper()
	got, err := parseChunks(fuzzMaxPayload, chunks...)
	if errText2(err) != errText2(wantErr) {
		t.Fatalf("%s: error %q, whole input gave %q", how, errText2(err), errText2(wantErr))
	}
	if !cmp.Equal(want, got) { // Equal first: Diff is slow even when equal
		t.Fatalf("%s (-whole +split):\n%s", how, cmp.Diff(want, got))
	}
}

// encodeEvent writes e back as the frame a server would send, or returns nil
// when e cannot be written as one frame within the control line limit.
func encodeEvent(e event) []byte {
	var b []byte
	switch e.Op {
	case "MSG":
		b = fmt.Appendf(b, "MSG %s %d ", e.Subject, e.Sid)
		if e.Reply != "" {
			b = fmt.Appendf(b, "%s ", e.Reply)
		}
		b = fmt.Appendf(b, "%d\r\n%s\r\n", len(e.Data), e.Data)
	case "HMSG":
		b = fmt.Appendf(b, "HMSG %s %d ", e.Subject, e.Sid)
		if e.Reply != "" {
			b = fmt.Appendf(b, "%s ", e.Reply)
		}
		b = fmt.Appendf(b, "%d %d\r\n%s%s\r\n", len(e.Hdr), len(e.Hdr)+len(e.Data), e.Hdr, e.Data)
	case "INFO":
		b = fmt.Appendf(b, "INFO %s\r\n", e.Data)
	case "ERR":
		b = fmt.Appendf(b, "-ERR '%s'\r\n", e.Data)
	case "PING":
		b = PingFrame
	case "PONG":
		b = PongFrame
	case "OK":
		b = []byte("+OK\r\n")
	}
	if i := indexCRLF(b); i > MaxControlLine {
		return nil
	}
	return b
}

func indexCRLF(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return len(b)
}

// checkHeaderFixpoint checks that a header block ParseHeader accepts encodes
// with AppendHeader to one that decodes the same.
func checkHeaderFixpoint(t *testing.T, hdr []byte) {
	t.Helper()
	code, desc, h, err := ParseHeader(hdr)
	if err != nil || (code == 0 && desc != "") { // "NATS/1.0 000 x" has no encoding
		return
	}
	enc := AppendHeader(nil, code, desc, h)
	code2, desc2, h2, err := ParseHeader(enc)
	if err != nil {
		t.Fatalf("ParseHeader(AppendHeader(ParseHeader(%q))) = %v (encoded %q)", hdr, err, enc)
	}
	if code2 != code || desc2 != desc || !cmp.Equal(h, h2) {
		t.Fatalf("header %q re-encoded as %q decodes differently: %d %q %v vs %d %q %v",
			hdr, enc, code, desc, h, code2, desc2, h2)
	}
}
