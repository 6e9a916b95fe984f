package proto

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncoders(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"pub", AppendPub(nil, "foo.bar", "", []byte("hello")), "PUB foo.bar 5\r\nhello\r\n"},
		{"pub reply", AppendPub(nil, "foo", "_INBOX.1", []byte("hi")), "PUB foo _INBOX.1 2\r\nhi\r\n"},
		{"pub empty", AppendPub(nil, "foo", "", nil), "PUB foo 0\r\n\r\n"},
		{"pub appends", AppendPub([]byte("PING\r\n"), "a", "", []byte("x")), "PING\r\nPUB a 1\r\nx\r\n"},
		{"hpub", AppendHPub(nil, "foo", "", []byte(hdr503), []byte("hi")), "HPUB foo 16 18\r\n" + hdr503 + "hi\r\n"},
		{"hpub reply", AppendHPub(nil, "foo", "bar", []byte(hdrKV), nil), "HPUB foo bar 24 24\r\n" + hdrKV + "\r\n"},
		{"pub head", AppendPubHead([]byte("PING\r\n"), "foo", "r", 123456), "PING\r\nPUB foo r 123456\r\n"},
		{"hpub head", AppendHPubHead(nil, "foo", "", []byte(hdr503), 2), "HPUB foo 16 18\r\n" + hdr503},
		{"sub", AppendSub(nil, "foo.*", "", 1), "SUB foo.* 1\r\n"},
		{"sub queue", AppendSub(nil, "foo.>", "workers", 18446744073709551615), "SUB foo.> workers 18446744073709551615\r\n"},
		{"unsub", AppendUnsub(nil, 7, 0), "UNSUB 7\r\n"},
		{"unsub negative max", AppendUnsub(nil, 7, -3), "UNSUB 7\r\n"},
		{"unsub max", AppendUnsub(nil, 7, 10), "UNSUB 7 10\r\n"},
		{"ping", PingFrame, "PING\r\n"},
		{"pong", PongFrame, "PONG\r\n"},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestAppendUint(t *testing.T) {
	for _, v := range []uint64{0, 1, 9, 10, 99, 100, 12345, 1<<32 + 7, 1<<63 - 1, 1 << 63, ^uint64(0)} {
		got := string(appendUint([]byte("x"), v))
		if want := "x" + uitoa(v); got != want {
			t.Errorf("appendUint(%d) = %q, want %q", v, got, want)
		}
	}
}

// uitoa is a slow, obviously right formatter for TestAppendUint.
func uitoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var s string
	for ; v > 0; v /= 10 {
		s = string(rune('0'+v%10)) + s
	}
	return s
}

func TestAppendConnect(t *testing.T) {
	c := &Connect{Lang: "go", Version: "0.1.0", Protocol: 1, Echo: true, Headers: true, NoResponders: true, User: "u", Pass: "p"}
	b, err := AppendConnect([]byte("x"), c)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "xCONNECT {") || !strings.HasSuffix(s, "}\r\n") || strings.Count(s, "\r\n") != 1 {
		t.Fatalf("frame %q", s)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s[len("xCONNECT "):len(s)-2]), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"verbose": false, "pedantic": false, "tls_required": false, "lang": "go", "version": "0.1.0",
		"protocol": 1.0, "echo": true, "headers": true, "no_responders": true, "user": "u", "pass": "p",
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("CONNECT JSON (-want +got):\n%s", diff)
	}
	if _, err := AppendConnect(nil, nil); err == nil {
		t.Error("AppendConnect(nil) succeeded")
	}
}

// TestEncodedFramesParse checks PUB and HPUB against the parser: the frames
// turned into MSG/HMSG (same argument layout after the sid) parse back to
// what was encoded.
func TestEncodedFramesParse(t *testing.T) {
	pub := string(AppendPub(nil, "a.b", "r", []byte("data")))
	hpub := string(AppendHPub(nil, "a.b", "", []byte(hdrKV), []byte("data")))
	in := "MSG a.b 3 r" + strings.TrimPrefix(pub, "PUB a.b r") + "HMSG a.b 4" + strings.TrimPrefix(hpub, "HPUB a.b")
	got, err := parseChunks(0, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []event{msgEv("a.b", "r", 3, "data"), hmsgEv("a.b", "", 4, hdrKV, "data")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
