package js

import (
	"errors"
	"testing"
	"time"
)

func TestParseMetadata(t *testing.T) {
	md, err := parseMetadata("$JS.ACK.ORDERS.proc.3.42.17.1700000000123456789.5")
	if err != nil {
		t.Fatal(err)
	}
	want := Metadata{Sequence: SequencePair{Stream: 42, Consumer: 17}, NumDelivered: 3, NumPending: 5,
		Timestamp: time.Unix(0, 1700000000123456789), Stream: "ORDERS", Consumer: "proc"}
	if *md != want {
		t.Fatalf("v1: %+v", md)
	}
	md, err = parseMetadata("$JS.ACK.hub.ACCHASH.ORDERS.proc.3.42.17.1700000000123456789.5.rnd")
	want.Domain = "hub"
	if err != nil || *md != want {
		t.Fatalf("v2: %+v %v", md, err)
	}
	md, err = parseMetadata("$JS.ACK._.ACCHASH.ORDERS.proc.3.42.17.1700000000123456789.5")
	want.Domain = ""
	if err != nil || *md != want {
		t.Fatalf("v2 without domain: %+v %v", md, err)
	}
	for _, bad := range []string{"", "_INBOX.x", "$JS.ACK.a.b.c", "$JS.ACK.S.C.x.1.2.3.4", "$JS.ACK.S.C.1.2.3.4",
		"$JS.ACK.hub.ACCHASH.ORDERS.proc.3.42.17.1", // eight tokens
		"$JS.ACK..proc.3.42.17.1700000000123456789.5", "$JS.ACK.ORDERS.proc.3.42.17.1700000000123456789.5."} {
		if _, err := parseMetadata(bad); !errors.Is(err, ErrNotJSMessage) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// Ordered consumers and KV watchers parse every message's reply subject: the Metadata
// is the one allocation.
func TestParseMetadataAllocs(t *testing.T) {
	reply := "$JS.ACK.hub.ACCHASH.ORDERS.proc.3.42.17.1700000000123456789.5.rnd"
	if n := testing.AllocsPerRun(100, func() {
		if _, err := parseMetadata(reply); err != nil {
			t.Fatal(err)
		}
	}); n != 1 {
		t.Fatalf("parseMetadata: %v allocations, want 1", n)
	}
}

func TestAckWithoutReply(t *testing.T) {
	m := &Msg{Subject: "x"}
	if err := m.Ack(); !errors.Is(err, ErrMsgNoReply) {
		t.Fatal(err)
	}
}
