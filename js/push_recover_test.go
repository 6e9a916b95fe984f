package js

import (
	"fmt"
	"testing"

	"github.com/natsactor/natsactor/jsm"
)

// The tracker's resume point: the lowest sequence handed over and not acknowledged
// (nakked counts as not), else the one after the last; with AckAll an acknowledgement
// covers everything before it; with AckNone only the last matters.
func TestPushTrackerResume(t *testing.T) {
	hand := func(tr *pushTracker, seq uint64) *Msg {
		m := &Msg{Reply: fmt.Sprintf("$JS.ACK.S.C.1.%d.%d.1700000000000000000.0", seq, seq)}
		tr.handing(m)
		return m
	}
	ack := func(m *Msg, redeliver bool) {
		if m.onAck != nil {
			m.onAck(redeliver)
		}
	}
	tr := newPushTracker(jsm.AckExplicit)
	if got := tr.resume(); got != 0 {
		t.Fatalf("nothing handed over: %d", got)
	}
	ms := map[uint64]*Msg{}
	for seq := uint64(5); seq <= 9; seq++ {
		ms[seq] = hand(tr, seq)
	}
	ack(ms[5], false)
	ack(ms[6], true) // nak: still owed
	ack(ms[7], false)
	if got := tr.resume(); got != 6 {
		t.Fatalf("explicit: resume %d, want 6", got)
	}
	ack(ms[6], false)
	ack(ms[8], false)
	ack(ms[9], false)
	if got := tr.resume(); got != 10 {
		t.Fatalf("explicit, all acked: resume %d, want 10", got)
	}

	tr = newPushTracker(jsm.AckAll)
	for seq := uint64(1); seq <= 4; seq++ {
		ms[seq] = hand(tr, seq)
	}
	ack(ms[3], false)
	if got := tr.resume(); got != 4 {
		t.Fatalf("ack all: resume %d, want 4", got)
	}

	tr = newPushTracker(jsm.AckNone)
	hand(tr, 3)
	if m := hand(tr, 4); m.onAck != nil {
		t.Fatal("ack none hooks acknowledgements")
	}
	if got := tr.resume(); got != 5 {
		t.Fatalf("ack none: resume %d, want 5", got)
	}
}
