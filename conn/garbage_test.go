package conn_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// A server that sends two messages and then garbage in one write: the messages parsed
// before the garbage are delivered (the reader wakes their subscription before it drops
// the link), and the link drops with a protocol error.
func TestGarbageAfterMessagesDeliversThem(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	release := make(chan struct{})
	// Registered before connect's, so it runs after the client closed: the server side of
	// a reconnected link ends when the client's close reaches it.
	t.Cleanup(func() {
		close(release)
		l.Close()
		conns.Wait()
	})
	first := true
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			sendGarbage := first
			first = false
			conns.Go(func() {
				defer nc.Close()
				fmt.Fprintf(nc, "INFO {\"server_id\":\"garbage\",\"version\":\"2.15.0\",\"headers\":true,\"max_payload\":1048576}\r\n")
				br := bufio.NewReader(nc)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					switch {
					case strings.HasPrefix(line, "PING"):
						fmt.Fprint(nc, "PONG\r\n")
					case strings.HasPrefix(line, "SUB ") && sendGarbage:
						sid := strings.Fields(line)[2]
						fmt.Fprintf(nc, "MSG a %s 3\r\none\r\nMSG a %s 3\r\ntwo\r\nGARBAGE IN\r\n", sid, sid)
						<-release
						return
					}
				}
			})
		}
	}()
	ev := newEvents()
	c := connect(t, "nats://"+l.Addr().String(), append(fastReconnect, conn.WithEventHandler(ev.handler))...)
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
