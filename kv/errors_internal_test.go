package kv

import (
	"errors"
	"fmt"
	"testing"

	"github.com/natsactor/natsactor/jsm"
)

func TestIsWrongSeq(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&jsm.APIError{Code: 400, ErrCode: 10071, Description: "wrong last sequence: 3"}, true},
		{&jsm.APIError{Code: 400, ErrCode: 10164, Description: "wrong last sequence"}, true},
		{fmt.Errorf("wrapped: %w", &jsm.APIError{Code: 400, ErrCode: 10164}), true},
		{&jsm.APIError{Code: 400, ErrCode: 10070}, false},
		{&jsm.APIError{Code: 503}, false},
		{errors.New("wrong last sequence"), false},
		{nil, false},
	} {
		if got := isWrongSeq(tc.err); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}
