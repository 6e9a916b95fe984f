package conn

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/natsactor/natsactor/proto"
)

// TestDirectWriteFailureBuffersWholeFrame: a large publish written from the caller's
// buffer (endDirect) that fails leaves the whole frame — what was queued before it, its
// head, a copy of its payload and its end — buffered for the next connection, and the
// connection actor hears of the failure. The caller's buffer is free once it returns.
func TestDirectWriteFailureBuffersWholeFrame(t *testing.T) {
	t.Parallel()
	nc, _ := tcpPair(t) // the peer never reads, so a large enough write cannot finish

	failed := make(chan uint64, 1)
	w := newWriter(-1, 100*time.Millisecond, func(epoch uint64, err error) {
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("write error %v, want a deadline", err)
		}
		failed <- epoch
	})
	defer w.close()
	w.attach(nc, 7, []byte("SUB a 1\r\n"))
	// The prefix is written by the writer goroutine; wait until it is idle again.
	deadline := time.Now().Add(5 * time.Second)
	for {
		w.mu.Lock()
		idle := !w.writing && len(w.buf) == 0
		w.mu.Unlock()
		if idle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never wrote the prefix")
		}
		time.Sleep(time.Millisecond)
	}

	data := bytes.Repeat([]byte("0123456789abcdef"), 2<<20) // 32 MiB: more than the socket buffers take
	want := append(append(proto.AppendPubHead(nil, "big", "", len(data)), data...), "\r\n"...)
	b, _, err := w.begin(true, len(data))
	if err != nil {
		t.Fatal(err)
	}
	if !w.direct(len(data)) {
		w.mu.Unlock()
		t.Fatal("direct refused a large payload on an idle TCP connection")
	}
	w.endDirect(proto.AppendPubHead(b, "big", "", len(data)), data, len(data))
	clear(data) // the caller's buffer is its own again

	select {
	case epoch := <-failed:
		if epoch != 7 {
			t.Fatalf("failure reported for epoch %d, want 7", epoch)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the failed write was not reported")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !bytes.Equal(w.buf, want) {
		t.Fatalf("buffered %d bytes after the failure, want the whole frame (%d bytes)", len(w.buf), len(want))
	}
	if w.nc != nil || w.writing {
		t.Fatalf("after the failure nc=%v writing=%v, want detached and idle", w.nc, w.writing)
	}
	if w.outMsgs != 1 || w.outBytes != uint64(len(data)) {
		t.Fatalf("counted %d msgs, %d bytes", w.outMsgs, w.outBytes)
	}
}

// TestDirectOnlyWhenItPays: the caller writes in place only a large payload, on an idle
// TCP connection; otherwise the frame is copied and queued as always.
func TestDirectOnlyWhenItPays(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	tc, _ := tcpPair(t)
	w := &writer{}
	cases := []struct {
		name    string
		nc      net.Conn
		writing bool
		size    int
		want    bool
	}{
		{"large on tcp", tc, false, directMin, true},
		{"small on tcp", tc, false, directMin - 1, false},
		{"tcp busy writing", tc, true, directMin, false},
		{"disconnected", nil, false, directMin, false},
		{"no writev (pipe)", a, false, directMin, false},
	}
	for _, c := range cases {
		w.nc, w.writing = c.nc, c.writing
		if got := w.direct(c.size); got != c.want {
			t.Errorf("%s: direct = %v, want %v", c.name, got, c.want)
		}
	}
}

// tcpPair returns both ends of a loopback TCP connection, closed when the test ends.
func tcpPair(t *testing.T) (client, peer net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	peer, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	return client, peer
}
