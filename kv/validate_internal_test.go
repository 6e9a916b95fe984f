package kv

import (
	"errors"
	"testing"
)

func TestCheckKey(t *testing.T) {
	for _, tt := range []struct {
		key             string
		plain, wildcard bool // accepted without / with wildcards
	}{
		{"a", true, true},
		{"a.b-c/d_e=f.0", true, true},
		{"", false, false},
		{".a", false, false},
		{"a.", false, false},
		{"a..b", false, false},
		{"a b", false, false},
		{"a.*", false, true},
		{"*.b", false, true},
		{"a.>", false, true},
		{">", false, true},
		{"a.>.b", false, false}, // '>' only as the last token
		{"a.b*", false, false},  // wildcards only as whole tokens
		{"a.>b", false, false},
	} {
		for _, wild := range []bool{false, true} {
			want := tt.plain
			if wild {
				want = tt.wildcard
			}
			err := checkKey(tt.key, wild)
			if (err == nil) != want || (err != nil && !errors.Is(err, ErrInvalidKey)) {
				t.Errorf("checkKey(%q, wildcards %v) = %v, want accepted %v", tt.key, wild, err, want)
			}
		}
	}
	// Every Put, Get and Delete checks its key: no allocation for a valid one.
	if n := testing.AllocsPerRun(100, func() { _ = checkKey("orders.eu.1234", false) }); n != 0 {
		t.Errorf("checkKey of a valid key: %v allocations, want 0", n)
	}
}
