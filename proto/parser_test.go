package proto

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// event is a copy of one Handler callback.
type event struct {
	Op      string // MSG, HMSG, INFO, PING, PONG, OK, ERR
	Subject string
	Reply   string
	Sid     uint64
	Hdr     string
	Data    string // payload, INFO JSON or -ERR text
}

// recorder is a Handler that records copies of its callbacks.
type recorder struct{ events []event }

func (r *recorder) Msg(subject, reply []byte, sid uint64, hdr, data []byte) {
	e := event{Op: "MSG", Subject: string(subject), Reply: string(reply), Sid: sid, Data: string(data)}
	if hdr != nil {
		e.Op, e.Hdr = "HMSG", string(hdr)
	}
	r.events = append(r.events, e)
}
func (r *recorder) Info(js []byte) { r.events = append(r.events, event{Op: "INFO", Data: string(js)}) }
func (r *recorder) Ping()          { r.events = append(r.events, event{Op: "PING"}) }
func (r *recorder) Pong()          { r.events = append(r.events, event{Op: "PONG"}) }
func (r *recorder) OK()            { r.events = append(r.events, event{Op: "OK"}) }
func (r *recorder) Err(text []byte) {
	r.events = append(r.events, event{Op: "ERR", Data: string(text)})
}

// parseChunks feeds chunks to a fresh parser, stopping at the first error.
func parseChunks(maxPayload int, chunks ...[]byte) ([]event, error) {
	r := &recorder{}
	p := NewParser(r)
	p.SetMaxPayload(maxPayload)
	for _, c := range chunks {
		if err := p.Parse(c); err != nil {
			return r.events, err
		}
	}
	return r.events, nil
}

// splitAt cuts b at the given increasing offsets.
func splitAt(b []byte, cuts ...int) [][]byte {
	var out [][]byte
	prev := 0
	for _, c := range cuts {
		out = append(out, b[prev:c])
		prev = c
	}
	return append(out, b[prev:])
}

// randomCuts returns up to n sorted cut offsets in b, drawn from rng.
func randomCuts(rng *rand.Rand, size, n int) []int {
	if size == 0 {
		return nil
	}
	cuts := make([]int, 0, n)
	for range n {
		cuts = append(cuts, rng.IntN(size+1))
	}
	for i := 1; i < len(cuts); i++ { // insertion sort; n is small
		for j := i; j > 0 && cuts[j] < cuts[j-1]; j-- {
			cuts[j], cuts[j-1] = cuts[j-1], cuts[j]
		}
	}
	return cuts
}

func errText2(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func msgEv(subject, reply string, sid uint64, data string) event {
	return event{Op: "MSG", Subject: subject, Reply: reply, Sid: sid, Data: data}
}

func hmsgEv(subject, reply string, sid uint64, hdr, data string) event {
	return event{Op: "HMSG", Subject: subject, Reply: reply, Sid: sid, Hdr: hdr, Data: data}
}

const (
	hdr503  = "NATS/1.0 503\r\n\r\n"
	hdrKV   = "NATS/1.0\r\nA: b\r\nA: c\r\n\r\n"
	infoDoc = `{"server_id":"NABC","version":"2.15.2","proto":1,"headers":true,"max_payload":1048576}`
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []event
	}{
		{"msg", "MSG foo 1 5\r\nhello\r\n", []event{msgEv("foo", "", 1, "hello")}},
		{"msg lower case", "msg foo 1 5\r\nhello\r\n", []event{msgEv("foo", "", 1, "hello")}},
		{"msg mixed case", "Msg foo 1 5\r\nhello\r\n", []event{msgEv("foo", "", 1, "hello")}},
		{"msg reply", "MSG foo.bar 42 _INBOX.x.y 3\r\nabc\r\n", []event{msgEv("foo.bar", "_INBOX.x.y", 42, "abc")}},
		{"msg extra blanks", "MSG  foo\t 7 \t bar   2 \t\r\nhi\r\n", []event{msgEv("foo", "bar", 7, "hi")}},
		{"msg empty payload", "MSG foo 1 0\r\n\r\n", []event{msgEv("foo", "", 1, "")}},
		{"msg payload with CRLF", "MSG foo 1 4\r\n\r\n\r\n\r\n", []event{msgEv("foo", "", 1, "\r\n\r\n")}},
		{"msg payload looks like ops", "MSG foo 1 6\r\nPING\r\n\r\n", []event{msgEv("foo", "", 1, "PING\r\n")}},
		{"msg max sid", "MSG foo 18446744073709551615 1\r\nx\r\n", []event{msgEv("foo", "", 18446744073709551615, "x")}},
		{"msg leading zeros", "MSG foo 007 0003\r\nabc\r\n", []event{msgEv("foo", "", 7, "abc")}},
		{"msg bare LF line end", "MSG foo 1 1\nx\r\n", []event{msgEv("foo", "", 1, "x")}},
		{"hmsg", "HMSG foo 1 12 17\r\nNATS/1.0\r\n\r\nhello\r\n", []event{hmsgEv("foo", "", 1, "NATS/1.0\r\n\r\n", "hello")}},
		{"hmsg reply", "HMSG foo 9 bar 24 26\r\n" + hdrKV + "hi\r\n", []event{hmsgEv("foo", "bar", 9, hdrKV, "hi")}},
		{"hmsg status only", "hmsg _INBOX.a 2 16 16\r\n" + hdr503 + "\r\n", []event{hmsgEv("_INBOX.a", "", 2, hdr503, "")}},
		{"hmsg empty header", "HMSG foo 1 0 2\r\nhi\r\n", []event{hmsgEv("foo", "", 1, "", "hi")}},
		{"ping", "PING\r\n", []event{{Op: "PING"}}},
		{"ping lower", "ping\r\n", []event{{Op: "PING"}}},
		{"ping trailing blanks", "PING \t\r\n", []event{{Op: "PING"}}},
		{"ping bare LF", "PING\n", []event{{Op: "PING"}}},
		{"pong", "PONG\r\n", []event{{Op: "PONG"}}},
		{"pong mixed", "pOnG\r\n", []event{{Op: "PONG"}}},
		{"ok", "+OK\r\n", []event{{Op: "OK"}}},
		{"ok lower", "+ok\r\n", []event{{Op: "OK"}}},
		{"info", "INFO " + infoDoc + "\r\n", []event{{Op: "INFO", Data: infoDoc}}},
		{"info blanks", "info \t {} \r\n", []event{{Op: "INFO", Data: "{}"}}},
		{"err quoted", "-ERR 'Authorization Violation'\r\n", []event{{Op: "ERR", Data: "Authorization Violation"}}},
		{"err blanks", "-err   'Stale Connection'  \r\n", []event{{Op: "ERR", Data: "Stale Connection"}}},
		{"err unquoted", "-ERR Unknown Protocol Operation\r\n", []event{{Op: "ERR", Data: "Unknown Protocol Operation"}}},
		{"err one quote", "-ERR 'x\r\n", []event{{Op: "ERR", Data: "'x"}}},
		{"err empty", "-ERR\r\n", []event{{Op: "ERR", Data: ""}}},
		{"empty input", "", nil},
		{"mixed", "INFO {}\r\nPING\r\nMSG a 1 1\r\nx\r\n+OK\r\nHMSG b 2 r 16 18\r\n" + hdr503 + "yz\r\nPONG\r\n-ERR 'Permissions Violation for Subscription to \"x\"'\r\n",
			[]event{
				{Op: "INFO", Data: "{}"}, {Op: "PING"}, msgEv("a", "", 1, "x"), {Op: "OK"},
				hmsgEv("b", "r", 2, hdr503, "yz"), {Op: "PONG"},
				{Op: "ERR", Data: `Permissions Violation for Subscription to "x"`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseChunks(0, []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) callbacks (-want +got):\n%s", tt.in, diff)
			}
			// Fed one byte at a time the result must be the same.
			got, err = parseChunks(0, splitAt([]byte(tt.in), seq(1, len(tt.in))...)...)
			if err != nil {
				t.Fatalf("Parse(%q) byte by byte: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) byte by byte (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// seq returns from, from+1, ..., to-1.
func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// longLine returns a MSG control line of exactly n bytes (without CRLF).
func longLine(n int) string {
	const tail = " 1 1"
	return "MSG " + strings.Repeat("s", n-len("MSG ")-len(tail)) + tail
}

type badCase struct {
	name       string
	in         string
	maxPayload int
	want       []event // callbacks before the error
	errs       []string
}

var badCases = []badCase{
	{name: "unknown op", in: "FOO bar\r\n", errs: []string{"unknown operation", `"FOO bar"`}},
	{name: "empty line", in: "\r\n", errs: []string{`unknown operation ""`}},
	{name: "op glued", in: "PINGX\r\n", errs: []string{`unknown operation "PINGX"`}},
	{name: "client op", in: "PUB foo 1\r\nx\r\n", errs: []string{`unknown operation "PUB foo 1"`}},
	{name: "leading blank", in: " PING\r\n", errs: []string{"unknown operation"}},
	{name: "op after good ops", in: "PING\r\nMSG a 1 0\r\n\r\nHTTP/1.1 400 Bad Request\r\n",
		want: []event{{Op: "PING"}, msgEv("a", "", 1, "")}, errs: []string{`unknown operation "HTTP/1.1 400 Bad Request"`}},
	{name: "ping args", in: "PING now\r\n", errs: []string{`unexpected arguments: "PING now"`}},
	{name: "pong args", in: "PONG 1\r\n", errs: []string{"unexpected arguments"}},
	{name: "ok args", in: "+OK fine\r\n", errs: []string{"unexpected arguments"}},
	{name: "info empty", in: "INFO \r\n", errs: []string{"INFO without a JSON document"}},
	{name: "msg too few", in: "MSG foo 1\r\n", errs: []string{"MSG wants 3 or 4 arguments, got 2", `"MSG foo 1"`}},
	{name: "msg no args", in: "MSG\r\n", errs: []string{"MSG wants 3 or 4 arguments, got 0"}},
	{name: "msg too many", in: "MSG foo 1 r 2 3\r\n", errs: []string{"MSG wants 3 or 4 arguments, got 5"}},
	{name: "hmsg too few", in: "HMSG foo 1 2\r\n", errs: []string{"HMSG wants 4 or 5 arguments, got 3"}},
	{name: "hmsg too many", in: "HMSG foo 1 r 2 3 4\r\n", errs: []string{"HMSG wants 4 or 5 arguments, got more than 5"}},
	{name: "msg bad sid", in: "MSG foo x 5\r\nhello\r\n", errs: []string{`MSG sid "x" is not a decimal number`}},
	{name: "msg negative sid", in: "MSG foo -1 5\r\n", errs: []string{`sid "-1" is not a decimal number`}},
	{name: "msg sid overflow", in: "MSG foo 18446744073709551616 1\r\nx\r\n", errs: []string{`sid "18446744073709551616"`}},
	{name: "msg sid too long", in: "MSG foo 000000000000000000001 1\r\nx\r\n", errs: []string{"sid"}},
	{name: "msg negative size", in: "MSG foo 1 -5\r\n", errs: []string{`MSG size "-5" is not a decimal number`}},
	{name: "msg plus size", in: "MSG foo 1 +5\r\n", errs: []string{`size "+5"`}},
	{name: "msg hex size", in: "MSG foo 1 0x5\r\n", errs: []string{`size "0x5"`}},
	{name: "msg huge size", in: "MSG foo 1 99999999999999999999999\r\n", errs: []string{"size", "not a decimal number"}},
	{name: "msg over max payload", in: "MSG foo 1 11\r\n", maxPayload: 10, errs: []string{"MSG size 11 exceeds the 10 byte limit"}},
	{name: "msg over default max", in: "MSG foo 1 67108865\r\n", errs: []string{"exceeds the 67108864 byte limit"}},
	{name: "hmsg over max payload", in: "HMSG foo 1 2 11\r\n", maxPayload: 10, errs: []string{"HMSG size 11 exceeds"}},
	{name: "hmsg bad header size", in: "HMSG foo 1 x 5\r\n", errs: []string{`HMSG header size "x" is not a decimal number`}},
	{name: "hmsg header > total", in: "HMSG foo 1 10 5\r\n", errs: []string{"HMSG header size 10 exceeds total size 5"}},
	{name: "msg no CRLF after payload", in: "MSG foo 1 5\r\nhelloXX", errs: []string{`MSG payload not followed by CRLF, found "XX"`}},
	{name: "msg LF CR after payload", in: "MSG foo 1 5\r\nhello\n\rPING\r\n", errs: []string{`found "\n\r"`}},
	{name: "msg short payload", in: "MSG foo 1 5\r\nhi\r\nPING\r\n", errs: []string{`found "IN"`}},
	{name: "hmsg no CRLF after payload", in: "HMSG foo 1 12 12\r\nNATS/1.0\r\n\r\nab", errs: []string{`HMSG payload not followed by CRLF, found "ab"`}},
	{name: "line too long", in: longLine(MaxControlLine+1) + "\r\nx\r\n", errs: []string{"control line longer than 4096 bytes", `"MSG sssss`}},
	{name: "line too long, bare LF", in: longLine(MaxControlLine+1) + "\nx\r\n", errs: []string{"control line longer than 4096 bytes"}},
	{name: "line too long, no end yet", in: "INFO {" + strings.Repeat(" ", MaxControlLine+1), errs: []string{"control line longer than 4096 bytes", `"INFO {`}},
	{name: "garbage too long", in: strings.Repeat("x", MaxControlLine+2), errs: []string{`unknown operation "xxxx`}},
}

func TestParseMalformed(t *testing.T) {
	for _, tt := range badCases {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			p := NewParser(r)
			p.SetMaxPayload(tt.maxPayload)
			err := p.Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want one containing %q", tt.in, tt.errs)
			}
			if !errors.Is(err, ErrProtocol) {
				t.Errorf("error %v does not wrap ErrProtocol", err)
			}
			if !strings.HasPrefix(err.Error(), "nats: protocol error: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			for _, frag := range tt.errs {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q does not contain %q", err, frag)
				}
			}
			if diff := cmp.Diff(tt.want, r.events); diff != "" {
				t.Errorf("callbacks before the error (-want +got):\n%s", diff)
			}
			// The parser stays failed until Reset.
			if err2 := p.Parse([]byte("PING\r\n")); err2 != err {
				t.Errorf("Parse after failure = %v, want the first error %v", err2, err)
			}
			p.Reset()
			r.events = nil
			if err := p.Parse([]byte("PING\r\n")); err != nil {
				t.Fatalf("Parse after Reset: %v", err)
			}
			if diff := cmp.Diff([]event{{Op: "PING"}}, r.events); diff != "" {
				t.Errorf("after Reset (-want +got):\n%s", diff)
			}
		})
	}
}

func TestControlLineLimit(t *testing.T) {
	ok := longLine(MaxControlLine) + "\r\nx\r\n"
	subj := longLine(MaxControlLine)[len("MSG ") : MaxControlLine-len(" 1 1")]
	want := []event{msgEv(subj, "", 1, "x")}
	for _, chunks := range [][][]byte{
		{[]byte(ok)},
		splitAt([]byte(ok), seq(1, len(ok))...),
		splitAt([]byte(ok), MaxControlLine),
		splitAt([]byte(ok), MaxControlLine+1),
	} {
		got, err := parseChunks(0, chunks...)
		if err != nil {
			t.Fatalf("a %d byte control line: %v", MaxControlLine, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	}
	// A line over the limit fails as soon as the limit is passed, before
	// its end arrives.
	p := NewParser(&recorder{})
	if err := p.Parse([]byte(longLine(MaxControlLine + 10)[:MaxControlLine+1])); err != nil {
		t.Fatalf("a line of exactly the limit so far: %v", err)
	}
	if err := p.Parse([]byte("s")); err == nil || !strings.Contains(err.Error(), "longer than 4096") {
		t.Fatalf("passing the limit without a line end: %v, want too long", err)
	}
}

// stream is a long valid input with every operation, payloads of many
// sizes, blanks, case variants and a control line at the limit.
func stream(sizes ...int) []byte {
	var b []byte
	b = append(b, "INFO "+infoDoc+"\r\n"...)
	b = append(b, "+OK\r\nPING\r\npong\r\n"...)
	for i, n := range sizes {
		data := strings.Repeat(string(rune('a'+i)), n)
		b = fmt.Appendf(b, "MSG sub.%d %d %d\r\n%s\r\n", i, i+1, n, data)
		b = fmt.Appendf(b, "msg\tsub.%d  %d reply.%d\t%d \r\n%s\r\n", i, i+1, i, n, data)
		b = fmt.Appendf(b, "HMSG sub.%d %d %d %d\r\n%s%s\r\n", i, i+1, len(hdrKV), len(hdrKV)+n, hdrKV, data)
		b = fmt.Appendf(b, "HMSG sub.%d %d _INBOX.%d %d %d\r\n%s%s\r\n", i, i+1, i, len(hdr503), len(hdr503)+n, hdr503, data)
	}
	b = append(b, "-ERR 'Slow Consumer'\r\n"...)
	b = append(b, longLine(MaxControlLine)+"\r\nz\r\n"...)
	b = append(b, "MSG crlf 3 4\r\n\r\n\r\n\r\nPING\r\n"...)
	return b
}

func TestSplitInvariance(t *testing.T) {
	in := stream(0, 1, 2, 3, 10, 100, 300)
	want, err := parseChunks(0, in)
	if err != nil {
		t.Fatalf("whole stream: %v", err)
	}
	if len(want) != 4+4*7+4 {
		t.Fatalf("whole stream gave %d callbacks, want %d", len(want), 4+4*7+4)
	}
	for i := 0; i <= len(in); i++ {
		got, err := parseChunks(0, in[:i], in[i:])
		if err != nil {
			t.Fatalf("split at %d: %v", i, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("split at %d (-whole +split):\n%s", i, diff)
		}
	}
	// Random multi-way splits of a stream with bigger payloads.
	in = stream(0, 1, 5, 100, 1000, 5000, 70000)
	want, err = parseChunks(0, in)
	if err != nil {
		t.Fatalf("whole stream: %v", err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		cuts := randomCuts(rng, len(in), 1+rng.IntN(64))
		got, err := parseChunks(0, splitAt(in, cuts...)...)
		if err != nil {
			t.Fatalf("cuts %v: %v", cuts, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("cuts %v (-whole +split):\n%s", cuts, diff)
		}
	}
	got, err := parseChunks(0, splitAt(in, seq(1, len(in))...)...)
	if err != nil || !cmp.Equal(want, got) {
		t.Fatalf("byte by byte: err %v, equal %v", err, cmp.Equal(want, got))
	}
}

func TestSplitInvarianceErrors(t *testing.T) {
	for _, tt := range badCases {
		in := []byte(tt.in)
		want, wantErr := parseChunks(tt.maxPayload, in)
		for i := 0; i <= len(in); i++ {
			got, err := parseChunks(tt.maxPayload, in[:i], in[i:])
			if errText2(err) != errText2(wantErr) {
				t.Fatalf("%s: split at %d: error %q, whole gave %q", tt.name, i, err, wantErr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: split at %d (-whole +split):\n%s", tt.name, i, diff)
			}
		}
	}
}

// TestBorrowedSlices checks that a payload split across Parse calls is
// delivered whole even though the caller reuses its read buffer, as a
// connection's reader does.
func TestBorrowedSlices(t *testing.T) {
	in := []byte("MSG foo.bar 5 _INBOX.r 11\r\nhello world\r\nHMSG x 6 12 14\r\nNATS/1.0\r\n\r\nhi\r\n")
	want, _ := parseChunks(0, in)
	buf := make([]byte, 7)
	r := &recorder{}
	p := NewParser(r)
	for off := 0; off < len(in); off += len(buf) {
		n := copy(buf, in[off:])
		if err := p.Parse(buf[:n]); err != nil {
			t.Fatal(err)
		}
		clear(buf) // the reader overwrites its buffer
	}
	if diff := cmp.Diff(want, r.events); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// TestSetMaxPayloadInCallback checks that a limit set from a callback (as a
// reader does on INFO) applies to the next message.
func TestSetMaxPayloadInCallback(t *testing.T) {
	var p *Parser
	h := &limitOnInfo{limit: 4, p: &p}
	p = NewParser(h)
	err := p.Parse([]byte("MSG a 1 5\r\nhello\r\nINFO {}\r\nMSG a 1 5\r\nhello\r\n"))
	if err == nil || !strings.Contains(err.Error(), "exceeds the 4 byte limit") {
		t.Fatalf("got %v, want the new limit enforced", err)
	}
	if h.msgs != 1 {
		t.Fatalf("%d messages before the limit, want 1", h.msgs)
	}
}

type limitOnInfo struct {
	recorder
	limit int
	p     **Parser
	msgs  int
}

func (h *limitOnInfo) Msg(_, _ []byte, _ uint64, _, _ []byte) { h.msgs++ }
func (h *limitOnInfo) Info([]byte)                            { (*h.p).SetMaxPayload(h.limit) }

// TestLargeSplitPayload checks a payload bigger than the scratch buffer the
// parser keeps, split across calls, then a small one after it.
func TestLargeSplitPayload(t *testing.T) {
	big := strings.Repeat("x", 2*keepScratch)
	in := []byte(fmt.Sprintf("MSG big 1 %d\r\n%s\r\nMSG small 2 2\r\nhi\r\n", len(big), big))
	r := &recorder{}
	p := NewParser(r)
	for _, part := range splitAt(in, 100, keepScratch, len(in)-10) {
		if err := p.Parse(part); err != nil {
			t.Fatal(err)
		}
	}
	want := []event{msgEv("big", "", 1, big), msgEv("small", "", 2, "hi")}
	if !cmp.Equal(want, r.events) {
		t.Fatalf("got %d events, first data length %d", len(r.events), len(r.events[0].Data))
	}
	if cap(p.pay) > keepScratch {
		t.Errorf("parser kept a %d byte scratch buffer", cap(p.pay))
	}
}
