package conn_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

// TestLargePublishesArriveWhole: large payloads (which the publisher writes from its
// own buffer when the writer is idle) arrive intact and in order among small ones, with
// and without headers, while publishers overwrite their buffer as soon as Publish
// returns and several publish at once.
func TestLargePublishesArriveWhole(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	pub := connect(t, s.URL())
	rc := connect(t, s.URL())
	ctx := testCtx(t, 20*time.Second)
	sub, err := rc.Subscribe("big.>", conn.WithPendingLimits(-1, -1))
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	const publishers, each = 4, 40
	sizes := []int{10, 64 << 10, 200 << 10, 1, 32 << 10} // small and large, in turn
	payload := func(p, i int) []byte {
		b := make([]byte, sizes[i%len(sizes)]+8)
		binary.BigEndian.PutUint32(b, uint32(p))
		binary.BigEndian.PutUint32(b[4:], uint32(i))
		for k := 8; k < len(b); k++ {
			b[k] = byte(p*31 + i*7 + k)
		}
		return b
	}
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			subject := fmt.Sprintf("big.%d", p)
			for i := range each {
				data := payload(p, i)
				var err error
				if i%2 == 0 {
					err = pub.Publish(subject, data)
				} else {
					h := conn.Header{}
					h.Set("I", fmt.Sprint(i))
					err = pub.PublishMsg(&conn.Msg{Subject: subject, Reply: "r", Header: h, Data: data})
				}
				if err != nil {
					t.Error(err)
					return
				}
				clear(data) // Publish returned: the buffer is the publisher's again
			}
		})
	}
	wg.Wait()
	if err := pub.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	next := make([]int, publishers)
	for range publishers * each {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %v: %v", next, err)
		}
		p := int(binary.BigEndian.Uint32(m.Data))
		if p >= publishers || m.Subject != fmt.Sprintf("big.%d", p) {
			t.Fatalf("message on %s from publisher %d", m.Subject, p)
		}
		i := next[p]
		next[p]++
		if want := payload(p, i); !bytes.Equal(m.Data, want) {
			t.Fatalf("publisher %d message %d: %d bytes differ from the %d published", p, i, len(m.Data), len(want))
		}
		if i%2 == 1 && (m.Header.Get("I") != fmt.Sprint(i) || m.Reply != "r") {
			t.Fatalf("publisher %d message %d: header %v reply %q", p, i, m.Header, m.Reply)
		}
	}
	var bytesOut uint64
	for p := range publishers {
		for i := range each {
			bytesOut += uint64(len(payload(p, i)))
		}
	}
	if st := pub.Stats(); st.OutMsgs != publishers*each || st.OutBytes < bytesOut {
		t.Fatalf("stats %+v, want %d msgs and at least %d bytes", st, publishers*each, bytesOut)
	}
}
