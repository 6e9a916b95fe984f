package js

import (
	"errors"
	"testing"
)

// Each 409 description a consumer can get sorts into the right kind and error; the ones
// that say nothing about the request or the consumer are temporary.
func TestStatusKinds(t *testing.T) {
	cases := []struct {
		code      int
		desc      string
		kind      statusKind
		is        error
		temporary bool
	}{
		{100, "Idle Heartbeat", stHeartbeat, ErrPullRequest, false},
		{404, "No Messages", stEnded, ErrPullRequest, false},
		{408, "Request Timeout", stEnded, ErrPullRequest, false},
		{409, "Leadership Change", stReset, ErrPullInterrupted, true},
		{409, "Server Shutdown", stReset, ErrPullInterrupted, true},
		{409, "Consumer Deleted", stTerminal, ErrConsumerDeleted, false},
		{409, "Consumer is push based", stTerminal, ErrConsumerConfig, false},
		{409, "Exceeded MaxRequestBatch of 10", stTerminal, ErrPullRequest, false},
		{409, "Batch Completed", stEnded, ErrPullRequest, false},
		{409, "Exceeded MaxWaiting", stWarn, ErrPullRequest, false},
		{400, "Bad Request", stTerminal, ErrPullRequest, false},
	}
	for _, c := range cases {
		st := pullStatus{code: c.code, desc: c.desc}
		if k := st.kind(); k != c.kind {
			t.Errorf("%d %s: kind %d, want %d", c.code, c.desc, k, c.kind)
		}
		err := st.err()
		if !errors.Is(err, c.is) {
			t.Errorf("%d %s: %v is not %v", c.code, c.desc, err, c.is)
		}
		if IsTemporary(err) != c.temporary {
			t.Errorf("%d %s: IsTemporary(%v) = %v", c.code, c.desc, err, !c.temporary)
		}
	}
	if !IsTemporary(ErrNoHeartbeat) || IsTemporary(ErrNoStreamResponse) || IsTemporary(nil) {
		t.Error("IsTemporary of the js sentinels")
	}
}
