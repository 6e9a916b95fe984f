// Package testserver starts an in-process nats-server on a random loopback port for the
// tests of the compare module. (natsactor's internal/natstest belongs to the other module
// and cannot be imported from here.)
package testserver

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a running embedded nats-server.
type Server struct {
	srv *server.Server
}

// Start starts a server on 127.0.0.1 with a random port, with JetStream in a temporary
// directory when jetstream is true, and shuts it down when tb ends. It fails tb if the
// server is not ready within 10 s.
func Start(tb testing.TB, jetstream bool) *Server {
	tb.Helper()
	opts := &server.Options{
		Host:   "127.0.0.1",
		Port:   server.RANDOM_PORT,
		NoLog:  true,
		NoSigs: true,
	}
	if jetstream {
		opts.JetStream = true
		opts.StoreDir = tb.TempDir()
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		tb.Fatalf("nats-server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		tb.Fatal("nats-server not ready after 10 s")
	}
	tb.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	return &Server{srv: srv}
}

// URL returns the nats:// URL of the client port.
func (s *Server) URL() string {
	port := s.srv.Addr().(*net.TCPAddr).Port
	return "nats://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
