package jsm

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/proto"
)

// directMsg takes the last value of each describing header (the server appends its own
// after the stored message's), in any case, and leaves the stored message's headers.
func TestDirectMsgTakesDescribingHeaders(t *testing.T) {
	hdr := "NATS/1.0\r\nTrace: t1\r\nNats-Stream: stored-own\r\nTrace: t2\r\n" +
		"Nats-Stream: S\r\nnats-subject: d.x\r\nNATS-SEQUENCE: 42\r\nNats-Time-Stamp: 2026-12-05T13:00:00.5Z\r\n\r\n"
	_, _, h, err := proto.ParseHeader([]byte(hdr))
	if err != nil {
		t.Fatal(err)
	}
	m, err := directMsg(&conn.Msg{Header: conn.Header(h), Data: []byte("v")}, directHeaders)
	if err != nil {
		t.Fatal(err)
	}
	want := &RawStreamMsg{
		Subject: "d.x", Sequence: 42, Time: time.Date(2026, 12, 5, 13, 0, 0, 5e8, time.UTC), Data: []byte("v"),
		Header: conn.Header{"Trace": {"t1", "t2"}, "Nats-Stream": {"stored-own"}},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("directMsg (-want +got):\n%s", diff)
	}

	// Only describing headers: no header map on the message.
	_, _, h, _ = proto.ParseHeader([]byte("NATS/1.0\r\nNats-Subject: a\r\nNats-Sequence: 1\r\nNats-Time-Stamp: 2026-12-05T13:00:00Z\r\n\r\n"))
	if m, err := directMsg(&conn.Msg{Header: conn.Header(h)}, directHeaders); err != nil || m.Header != nil || m.Data != nil {
		t.Errorf("bare direct reply: %+v, %v; want no header and no data", m, err)
	}
}

func TestDirectMsgRefusesBadDescribingHeaders(t *testing.T) {
	for _, hdr := range []string{
		"NATS/1.0\r\nNats-Subject: a\r\nNats-Time-Stamp: 2026-12-05T13:00:00Z\r\n\r\n",                      // no sequence
		"NATS/1.0\r\nNats-Subject: a\r\nNats-Sequence: x1\r\nNats-Time-Stamp: 2026-12-05T13:00:00Z\r\n\r\n", // bad sequence
		"NATS/1.0\r\nNats-Subject: a\r\nNats-Sequence: 1\r\n\r\n",                                           // no time
		"NATS/1.0\r\nNats-Subject: a\r\nNats-Sequence: 1\r\nNats-Time-Stamp: yesterday\r\n\r\n",             // bad time
	} {
		_, _, h, err := proto.ParseHeader([]byte(hdr))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := directMsg(&conn.Msg{Header: conn.Header(h)}, directHeaders); !errors.Is(err, ErrBadResponse) {
			t.Errorf("%q: %v, want ErrBadResponse", hdr, err)
		}
	}
	if _, err := directMsg(&conn.Msg{}, directHeaders); !errors.Is(err, ErrBadResponse) {
		t.Errorf("no header at all: %v, want ErrBadResponse", err)
	}
}
