package proto

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestValidateSubject(t *testing.T) {
	tests := []struct {
		s        string
		sub, pub string // "" for valid, else an error fragment
	}{
		{"foo", "", ""},
		{"foo.bar.baz", "", ""},
		{"$JS.API.INFO", "", ""},
		{"_INBOX.abc-def_1", "", ""},
		{"foo.*", "", "wildcard"},
		{"*", "", "wildcard"},
		{">", "", "wildcard"},
		{"foo.*.bar.>", "", "wildcard"},
		{"foo.>", "", "wildcard"},
		{"", "empty subject", "empty subject"},
		{".", "empty token", "empty token"},
		{".foo", "empty token", "empty token"},
		{"foo.", "empty token", "empty token"},
		{"foo..bar", "empty token", "empty token"},
		{"foo bar", "whitespace", "whitespace"},
		{"foo\tbar", "whitespace", "whitespace"},
		{"foo\r", "whitespace", "whitespace"},
		{"foo\n", "whitespace", "whitespace"},
		{"foo.>.bar", "'>' before the last token", "wildcard"},
		{">.foo", "'>' before the last token", "wildcard"},
		{"foo*", "inside a token", "inside a token"},
		{"foo.b>", "inside a token", "inside a token"},
		{"foo.**", "inside a token", "inside a token"},
	}
	for _, tt := range tests {
		check := func(fn string, err error, frag string) {
			t.Helper()
			switch {
			case frag == "" && err != nil:
				t.Errorf("%s(%q) = %v, want nil", fn, tt.s, err)
			case frag != "" && err == nil:
				t.Errorf("%s(%q) = nil, want error containing %q", fn, tt.s, frag)
			case frag != "" && (!errors.Is(err, ErrBadSubject) || !strings.Contains(err.Error(), frag) ||
				!strings.HasPrefix(err.Error(), "nats: ")):
				t.Errorf("%s(%q) = %v, want ErrBadSubject containing %q", fn, tt.s, err, frag)
			case frag != "" && tt.s != "" && !strings.Contains(err.Error(), strconv.Quote(tt.s)):
				t.Errorf("%s(%q) = %v, does not name the subject", fn, tt.s, err)
			}
		}
		check("ValidateSubject", ValidateSubject(tt.s), tt.sub)
		check("ValidatePublishSubject", ValidatePublishSubject(tt.s), tt.pub)
	}
}

func TestValidateQueue(t *testing.T) {
	for _, q := range []string{"workers", "a.b", "q-1_*>"} {
		if err := ValidateQueue(q); err != nil {
			t.Errorf("ValidateQueue(%q) = %v", q, err)
		}
	}
	for _, q := range []string{"", "a b", "a\tb", "a\r", "\n"} {
		err := ValidateQueue(q)
		if !errors.Is(err, ErrBadQueue) || !strings.HasPrefix(err.Error(), "nats: ") {
			t.Errorf("ValidateQueue(%q) = %v, want ErrBadQueue", q, err)
		}
	}
}

// The fast check of plain subjects must agree with the token walk on every input: each
// byte value at each position of subjects long enough to fill several eight-byte words
// and a tail, with and without wildcards allowed.
func TestSubjectFastPathAgreesWithWalk(t *testing.T) {
	bases := []string{"a", "orders.new", "$JS.ACK.stream.consumer.1.2.3.1700000000000000000.0", "_INBOX.abcdefgh.ijklmnop.q"}
	for _, base := range bases {
		for pos := range len(base) {
			for c := range 256 {
				b := []byte(base)
				b[pos] = byte(c)
				s := string(b)
				for _, wild := range []bool{true, false} {
					fast, walk := checkSubject(s, wild), walkSubject(s, wild)
					if (fast == nil) != (walk == nil) {
						t.Fatalf("%q (wildcards %v): fast path %v, token walk %v", s, wild, fast, walk)
					}
				}
			}
		}
	}
}

// And it must take every plain subject itself (anything else is slower, not wrong).
func TestPlainSubjectsTakeTheFastPath(t *testing.T) {
	for _, base := range []string{"a", "orders.new", "$JS.ACK.stream.consumer.1.2.3.1700000000000000000.0", "abcdefg.hijklmno.p"} {
		for pos := range len(base) {
			if base[pos] == '.' {
				continue
			}
			for c := '!'; c < 256; c++ {
				if c == '*' || c == '>' || c == '.' {
					continue
				}
				b := []byte(base)
				b[pos] = byte(c)
				if !plainSubject(string(b)) {
					t.Fatalf("%q is plain but not taken as such", b)
				}
			}
		}
	}
}

func FuzzSubjectFastPath(f *testing.F) {
	for _, s := range []string{"a.b", "a..b", ".a", "a.", "a.*.>", "a b", "a\tb", "a.>.b", "ab*", "\x01a", "é.ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		for _, wild := range []bool{true, false} {
			if fast, walk := checkSubject(s, wild), walkSubject(s, wild); (fast == nil) != (walk == nil) {
				t.Fatalf("%q (wildcards %v): fast path %v, token walk %v", s, wild, fast, walk)
			}
		}
	})
}
