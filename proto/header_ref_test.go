package proto

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parseHeaderRef is ParseHeader's definition written plainly, line by line with the
// strings package and a fresh string per key and value: the oracle for the fast version.
// It reports only whether the block is accepted, not why not.
func parseHeaderRef(b []byte) (code int, desc string, h map[string][]string, ok bool) {
	s, found := strings.CutPrefix(string(b), headerVersion)
	if !found {
		return 0, "", nil, false
	}
	var lines []string
	for s != "" {
		line, after, found := strings.Cut(s, "\r\n")
		if !found || strings.ContainsAny(line, "\r\n") {
			return 0, "", nil, false
		}
		lines, s = append(lines, line), after
	}
	// The block ends with an empty line, the last one; there is at least the status line.
	if len(lines) < 2 || lines[len(lines)-1] != "" {
		return 0, "", nil, false
	}
	status := lines[0]
	if status != "" {
		if status[0] != ' ' && status[0] != '\t' {
			return 0, "", nil, false
		}
		status = strings.Trim(status, " \t")
	}
	if status != "" {
		if len(status) < 3 || strings.Trim(status[:3], "0123456789") != "" ||
			(len(status) > 3 && status[3] != ' ' && status[3] != '\t') {
			return 0, "", nil, false
		}
		code = int(status[0]-'0')*100 + int(status[1]-'0')*10 + int(status[2]-'0')
		desc = strings.Trim(status[3:], " \t")
	}
	for _, line := range lines[1 : len(lines)-1] {
		if line == "" {
			return 0, "", nil, false // an empty line before the last: data after the end
		}
		k, v, found := strings.Cut(line, ":")
		k = strings.Trim(k, " \t")
		if !found || k == "" {
			return 0, "", nil, false
		}
		if h == nil {
			h = map[string][]string{}
		}
		h[k] = append(h[k], strings.Trim(v, " \t"))
	}
	return code, desc, h, true
}

// checkHeaderAgrees fails unless ParseHeader and parseHeaderRef agree on b, and the
// value slices ParseHeader returns do not share an array (an append to one key's values
// must never show in another's).
func checkHeaderAgrees(t *testing.T, b []byte) {
	t.Helper()
	code, desc, h, err := ParseHeader(b)
	rcode, rdesc, rh, ok := parseHeaderRef(b)
	if (err == nil) != ok {
		t.Fatalf("ParseHeader(%q) error %v; the reference accepts: %v", b, err, ok)
	}
	if !ok {
		return
	}
	if code != rcode || desc != rdesc || (h == nil) != (rh == nil) || !cmp.Equal(h, rh) {
		t.Fatalf("ParseHeader(%q) = %d %q %v, the reference %d %q %v", b, code, desc, h, rcode, rdesc, rh)
	}
	for k, vs := range h {
		before := map[string][]string{}
		for k2, vs2 := range h {
			before[k2] = append([]string(nil), vs2...)
		}
		_ = append(vs, "appended")
		for k2, vs2 := range h {
			if !cmp.Equal(vs2, before[k2]) {
				t.Fatalf("ParseHeader(%q): appending to %q's values changed %q's", b, k, k2)
			}
		}
	}
}

func TestParseHeaderAgreesWithReference(t *testing.T) {
	for _, b := range []string{
		"NATS/1.0\r\n\r\n",
		"NATS/1.0 503\r\n\r\n",
		"NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 3\r\n\r\n",
		string(benchHeader),
		"NATS/1.0\r\nA: 1\r\nB: 2\r\nA: 3\r\nC:\r\n a :\t x \r\n\r\n", // repeated key, spaces
		"NATS/1.0\r\nA: 1\r\nA: 2\r\nA: 3\r\n\r\n",
		"NATS/1.0\r\nA: 1\r\n\r\nB: 2\r\n\r\n", // data after the end
		"NATS/1.0\r\nA: 1\r\n",                 // no empty line
		"NATS/1.0\r\nA: 1\nB: 2\r\n\r\n",       // bare LF
		"NATS/1.0\r\nA: 1\rB: 2\r\n\r\n",       // bare CR
		"NATS/1.0\r\nA: 1\r\n\r",
		"NATS/1.0\r\nA\r\n\r\n", // no colon
		"NATS/1.0\r\n : v\r\n\r\n",
		"NATS/1.0\r\n\n",
		"NATS/1.0\r",
		"NATS/1.0",
		"NATS/1.0x\r\n\r\n",
		"NATS/1.0 12\r\n\r\n",
		"NATS/1.0 1234\r\n\r\n",
	} {
		checkHeaderAgrees(t, []byte(b))
	}
}

func FuzzParseHeaderAgrees(f *testing.F) {
	f.Add([]byte(benchHeader))
	f.Add([]byte("NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 5\r\nA: 1\r\nA: 2\r\n\r\n"))
	f.Add([]byte("NATS/1.0\r\nA: 1\r\n\r\nB\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkHeaderAgrees(t, b)
		// The results must not borrow the input: overwriting it changes nothing.
		_, desc, h, err := ParseHeader(b)
		if err != nil {
			return
		}
		wantDesc, wantH := strings.Clone(desc), map[string][]string{}
		for k, vs := range h {
			for _, v := range vs {
				wantH[strings.Clone(k)] = append(wantH[strings.Clone(k)], strings.Clone(v))
			}
		}
		for i := range b {
			b[i] = 'X'
		}
		if desc != wantDesc || (len(h) > 0 && !cmp.Equal(h, wantH)) {
			t.Fatalf("overwriting the input changed the results: %q %v, were %q %v", desc, h, wantDesc, wantH)
		}
	})
}
