package conn_test

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"testing"
)

// fakeServer listens on a loopback port and, for each connection it accepts, sends an
// INFO naming id and runs serve (n counts the connections from 0). A connection is
// closed when serve returns; when the test ends, done is closed, the listener and every
// connection are closed, and fakeServer waits for serve to return. It is registered
// before the client's cleanup, so it runs after the client closed. It returns the URL.
func fakeServer(t *testing.T, id string, serve func(n int, nc net.Conn, br *bufio.Reader, done <-chan struct{})) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		close(done)
		l.Close()
		mu.Lock()
		for _, nc := range open {
			nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for n := 0; ; n++ {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, nc)
			mu.Unlock()
			wg.Go(func() {
				defer nc.Close()
				fmt.Fprintf(nc, "INFO {\"server_id\":%q,\"version\":\"2.15.0\",\"headers\":true,\"max_payload\":1048576}\r\n", id)
				serve(n, nc, bufio.NewReader(nc), done)
			})
		}
	})
	return "nats://" + l.Addr().String()
}
