package js

import "bytes"

// parsePubAck reads the acknowledgement the server writes for an ordinary publish from
// its template (server/stream.go): {"stream":"NAME","seq":N} or, with a JetStream domain,
// {"stream":"NAME","domain":"D","seq":N}, optionally ending in ,"duplicate": true. It
// reports false for anything else (errors, counters, batches, escapes in a name), which
// the caller decodes with encoding/json.
func parsePubAck(b []byte) (PubAck, bool) {
	var ack PubAck
	var ok bool
	if b, ok = cutPrefix(b, `{"stream":"`); !ok {
		return PubAck{}, false
	}
	if ack.Stream, b, ok = quoted(b); !ok || ack.Stream == "" {
		return PubAck{}, false
	}
	if rest, found := cutPrefix(b, `,"domain":"`); found {
		if ack.Domain, b, ok = quoted(rest); !ok {
			return PubAck{}, false
		}
	}
	if b, ok = cutPrefix(b, `,"seq":`); !ok {
		return PubAck{}, false
	}
	n := 0
	for n < len(b) && n < 19 && b[n] >= '0' && b[n] <= '9' { // 19 digits cannot overflow
		ack.Sequence = ack.Sequence*10 + uint64(b[n]-'0')
		n++
	}
	if n == 0 || n == len(b) || (b[0] == '0' && n > 1) {
		return PubAck{}, false
	}
	switch b = b[n:]; {
	case bytes.Equal(b, []byte("}")):
		return ack, true
	case bytes.Equal(b, []byte(`,"duplicate": true}`)), bytes.Equal(b, []byte(`,"duplicate":true}`)):
		ack.Duplicate = true
		return ack, true
	}
	return PubAck{}, false
}

func cutPrefix(b []byte, p string) ([]byte, bool) {
	if len(b) < len(p) || string(b[:len(p)]) != p {
		return b, false
	}
	return b[len(p):], true
}

// quoted returns the string up to the next '"', accepting printable ASCII only (no
// escapes, control characters or UTF-8, which encoding/json would rewrite).
func quoted(b []byte) (string, []byte, bool) {
	for i, c := range b {
		switch {
		case c == '"':
			return string(b[:i]), b[i+1:], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", b, false
		}
	}
	return "", b, false
}
