package conn_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// A server that sends two messages and then garbage in one write: the messages parsed
// before the garbage are delivered (the reader wakes their subscription before it drops
// the link), and the link drops with a protocol error.
func TestGarbageAfterMessagesDeliversThem(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, "garbage", func(n int, nc net.Conn, br *bufio.Reader, done <-chan struct{}) {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(line, "PING"):
				fmt.Fprint(nc, "PONG\r\n")
			case strings.HasPrefix(line, "SUB ") && n == 0: // the first link only
				sid := strings.Fields(line)[2]
				fmt.Fprintf(nc, "MSG a %s 3\r\none\r\nMSG a %s 3\r\ntwo\r\nGARBAGE IN\r\n", sid, sid)
				<-done
				return
			}
		}
	})
	ev := newEvents()
	c := connect(t, url, append(fastReconnect, conn.WithEventHandler(ev.handler))...)
	sub, err := c.Subscribe("a")
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 5*time.Second)
	for _, want := range []string{"one", "two"} {
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if string(m.Data) != want {
			t.Fatalf("got %q, want %q", m.Data, want)
		}
	}
	e := ev.wait(t, conn.EventDisconnected, 5*time.Second)
	if !errors.Is(e.Err, conn.ErrProtocol) {
		t.Fatalf("disconnected with %v, want a protocol error", e.Err)
	}
}
