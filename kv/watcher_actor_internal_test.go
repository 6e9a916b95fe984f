package kv

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
)

func delivery(key string, sseq, cseq, pending uint64) *conn.Msg {
	return &conn.Msg{
		Subject: "$KV.b." + key,
		Reply:   fmt.Sprintf("$JS.ACK.KV_b.c.1.%d.%d.1700000000000000000.%d", sseq, cseq, pending),
		Data:    []byte(key),
	}
}

func testActor(o watchOpts) *watcherActor {
	o.heartbeat = time.Second
	return newWatcherActor(&Bucket{name: "b", stream: "KV_b", readPre: "$KV.b.", inboxPre: "_INBOX"}, []string{"$KV.b.>"}, o)
}

func keysOf(q []*Entry) string {
	s := ""
	for _, e := range q {
		if e == nil {
			s += "| "
			continue
		}
		s += fmt.Sprintf("%s@%d ", e.Key, e.Revision)
	}
	return s
}

// A consumer-sequence gap asks for a reset and accepts nothing.
func TestOnMsgGap(t *testing.T) {
	a := testActor(watchOpts{})
	a.initDone = true
	if err := a.onMsg(delivery("a", 10, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := a.onMsg(delivery("b", 12, 3, 0)); !errors.Is(err, errGap) {
		t.Fatalf("gap: %v", err)
	}
	if a.lastSeq != 10 || a.consSeq != 1 || len(a.queue) != 1 {
		t.Fatalf("state advanced on a gap: last %d cons %d queue %d", a.lastSeq, a.consSeq, len(a.queue))
	}
}

// After a reset, what was already delivered is skipped (same stream sequence or
// lower), and counts toward the new consumer's initial values.
func TestOnMsgSkipsRedeliveredAfterReset(t *testing.T) {
	a := testActor(watchOpts{})
	a.lastSeq = 5
	a.initLeft = 3
	a.initKeys = map[string]struct{}{}
	for i, m := range []*conn.Msg{delivery("a", 3, 1, 2), delivery("b", 5, 2, 1), delivery("c", 7, 3, 0), delivery("a", 8, 4, 0)} {
		if err := a.onMsg(m); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if got := keysOf(a.queue); got != "c@7 | a@8 " {
		t.Fatalf("queue %q", got)
	}
}

// The marker follows the count taken at creation, even when each message's own
// pending count says 0 early; a repeated key ends the initial values at once.
func TestOnMsgMarkerFromCreationCount(t *testing.T) {
	a := testActor(watchOpts{})
	a.initLeft = 3
	a.initKeys = map[string]struct{}{}
	for _, m := range []*conn.Msg{delivery("a", 1, 1, 0), delivery("b", 2, 2, 0), delivery("c", 3, 3, 0), delivery("d", 4, 4, 0)} {
		if err := a.onMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	if got := keysOf(a.queue); got != "a@1 b@2 c@3 | d@4 " {
		t.Fatalf("queue %q", got)
	}
	a = testActor(watchOpts{})
	a.initLeft = 4
	a.initKeys = map[string]struct{}{}
	for _, m := range []*conn.Msg{delivery("a", 1, 1, 3), delivery("b", 2, 2, 2), delivery("a", 5, 3, 1)} {
		if err := a.onMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	if got := keysOf(a.queue); got != "a@1 b@2 | a@5 " {
		t.Fatalf("repeated key: queue %q", got)
	}
}

func TestOnMsgIgnoreDeletesAndMetaOnly(t *testing.T) {
	a := testActor(watchOpts{ignoreDeletes: true, metaOnly: true})
	a.initDone = true
	del := delivery("x", 1, 1, 0)
	del.Header = conn.Header{"KV-Operation": {"DEL"}}
	if err := a.onMsg(del); err != nil {
		t.Fatal(err)
	}
	if err := a.onMsg(delivery("y", 2, 2, 0)); err != nil {
		t.Fatal(err)
	}
	if len(a.queue) != 1 || a.queue[0].Key != "y" || a.queue[0].Value != nil || a.lastSeq != 2 {
		t.Fatalf("queue %q last %d", keysOf(a.queue), a.lastSeq)
	}
}
