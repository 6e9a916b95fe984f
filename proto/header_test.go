package proto

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAppendHeader(t *testing.T) {
	tests := []struct {
		name string
		code int
		desc string
		h    map[string][]string
		want string
	}{
		{"bare", 0, "", nil, "NATS/1.0\r\n\r\n"},
		{"code 0 ignores desc", 0, "ignored", nil, "NATS/1.0\r\n\r\n"},
		{"status only", 503, "", nil, "NATS/1.0 503\r\n\r\n"},
		{"status and desc", 408, "Request Timeout", nil, "NATS/1.0 408 Request Timeout\r\n\r\n"},
		{"short code padded", 42, "", nil, "NATS/1.0 042\r\n\r\n"},
		{"keys sorted, repeated, case kept", 0, "", map[string][]string{
			"Nats-Msg-Id": {"1"}, "a-lower": {"x", "y"}, "B": {""},
		}, "NATS/1.0\r\nB: \r\nNats-Msg-Id: 1\r\na-lower: x\r\na-lower: y\r\n\r\n"},
		{"status and keys", 100, "Idle Heartbeat", map[string][]string{"Nats-Last-Consumer": {"5"}},
			"NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 5\r\n\r\n"},
		{"key without values", 0, "", map[string][]string{"K": nil}, "NATS/1.0\r\n\r\n"},
	}
	for _, tt := range tests {
		got := string(AppendHeader([]byte("x"), tt.code, tt.desc, tt.h))
		if got != "x"+tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, "x"+tt.want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		in   string
		code int
		desc string
		h    map[string][]string
	}{
		{"NATS/1.0\r\n\r\n", 0, "", nil},
		{"NATS/1.0 503\r\n\r\n", 503, "", nil},
		{"NATS/1.0 408 Request Timeout\r\n\r\n", 408, "Request Timeout", nil},
		{"NATS/1.0  404   No Messages \r\n\r\n", 404, "No Messages", nil},
		{"NATS/1.0 100 FlowControl Request\r\nNats-Consumer-Stalled: $JS.FC.x\r\n\r\n", 100, "FlowControl Request",
			map[string][]string{"Nats-Consumer-Stalled": {"$JS.FC.x"}}},
		{"NATS/1.0\r\nA: b\r\nA: c\r\na: d\r\n\r\n", 0, "", map[string][]string{"A": {"b", "c"}, "a": {"d"}}},
		{"NATS/1.0\r\nKey:  \t spaced value \t\r\nEmpty:\r\n\r\n", 0, "", map[string][]string{"Key": {"spaced value"}, "Empty": {""}}},
		{"NATS/1.0\r\nUrl: nats://h:4222\r\n\r\n", 0, "", map[string][]string{"Url": {"nats://h:4222"}}},
	}
	for _, tt := range tests {
		code, desc, h, err := ParseHeader([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseHeader(%q): %v", tt.in, err)
			continue
		}
		if code != tt.code || desc != tt.desc {
			t.Errorf("ParseHeader(%q) status = %d %q, want %d %q", tt.in, code, desc, tt.code, tt.desc)
		}
		if diff := cmp.Diff(tt.h, h); diff != "" {
			t.Errorf("ParseHeader(%q) keys (-want +got):\n%s", tt.in, diff)
		}
		if tt.h == nil && h != nil {
			t.Errorf("ParseHeader(%q) = non-nil empty map, want nil", tt.in)
		}
	}
}

func TestParseHeaderErrors(t *testing.T) {
	tests := []struct{ in, frag string }{
		{"", "no NATS/1.0 prefix"},
		{"HTTP/1.1 200\r\n\r\n", "no NATS/1.0 prefix"},
		{"nats/1.0\r\n\r\n", "no NATS/1.0 prefix"},
		{"NATS/1.0", "missing CRLF terminator"},
		{"NATS/1.0\r\n", "missing CRLF terminator"},
		{"NATS/1.0 503\r\n", "missing CRLF terminator"},
		{"NATS/1.0\r\nA: b\r\n", "missing CRLF terminator"},
		{"NATS/1.0\r\nA: b\n\r\n", "bare CR or LF"},
		{"NATS/1.0\nA: b\r\n\r\n", "bare CR or LF"},
		{"NATS/1.1\r\n\r\n", "no NATS/1.0 prefix"},
		{"NATS/1.0X\r\n\r\n", "bad status line"},
		{"NATS/1.0 50\r\n\r\n", "three digits"},
		{"NATS/1.0 5034\r\n\r\n", "three digits"},
		{"NATS/1.0 abc\r\n\r\n", "three digits"},
		{"NATS/1.0\r\nno colon\r\n\r\n", `line "no colon" has no ':'`},
		{"NATS/1.0\r\n: v\r\n\r\n", "empty key"},
		{"NATS/1.0\r\n\r\nextra", "data after the end"},
	}
	for _, tt := range tests {
		_, _, _, err := ParseHeader([]byte(tt.in))
		if err == nil {
			t.Errorf("ParseHeader(%q) succeeded", tt.in)
			continue
		}
		if !errors.Is(err, ErrBadHeader) || !strings.HasPrefix(err.Error(), "nats: ") || !strings.Contains(err.Error(), tt.frag) {
			t.Errorf("ParseHeader(%q) = %v, want ErrBadHeader containing %q", tt.in, err, tt.frag)
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	tests := []struct {
		code int
		desc string
		h    map[string][]string
	}{
		{0, "", nil},
		{503, "", nil},
		{408, "Request Timeout", nil},
		{409, "Consumer Deleted", map[string][]string{"Nats-Pending-Messages": {"3"}, "Nats-Pending-Bytes": {"100"}}},
		{0, "", map[string][]string{"X-Multi": {"1", "2", "3"}, "x-multi": {"lower"}, "Empty": {""}}},
	}
	for _, tt := range tests {
		b := AppendHeader(nil, tt.code, tt.desc, tt.h)
		code, desc, h, err := ParseHeader(b)
		if err != nil {
			t.Fatalf("ParseHeader(%q): %v", b, err)
		}
		if code != tt.code || desc != tt.desc {
			t.Errorf("round trip of %q: status %d %q", b, code, desc)
		}
		if diff := cmp.Diff(tt.h, h); diff != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", b, diff)
		}
	}
}

func TestValidHeaderKeyValue(t *testing.T) {
	for _, k := range []string{"A", "Nats-Msg-Id", "x_y.z", "!~"} {
		if !ValidHeaderKey(k) {
			t.Errorf("ValidHeaderKey(%q) = false", k)
		}
	}
	for _, k := range []string{"", "a b", "a:b", "a\tb", "a\r", "\n", "é", "a\x7f"} {
		if ValidHeaderKey(k) {
			t.Errorf("ValidHeaderKey(%q) = true", k)
		}
	}
	for _, v := range []string{"", "a b", "a:b\t", "é"} {
		if !ValidHeaderValue(v) {
			t.Errorf("ValidHeaderValue(%q) = false", v)
		}
	}
	for _, v := range []string{"a\r", "\nb", "a\r\nb"} {
		if ValidHeaderValue(v) {
			t.Errorf("ValidHeaderValue(%q) = true", v)
		}
	}
}
