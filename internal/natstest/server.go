package natstest

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds every wait of this package for a server to be ready.
const readyTimeout = 10 * time.Second

// Server is one in-process nats-server. It survives Shutdown and Restart: a restarted
// server listens on the same ports and uses the same JetStream store. Its methods are
// safe for concurrent use.
type Server struct {
	cfg *config
	log *logger // nil unless NATSTEST_LOG is set

	mu  sync.Mutex
	st  memberState
	srv *server.Server
	bg  sync.WaitGroup // lame duck goroutines
	// perRemote is how many route connections srv keeps to each other member once its
	// routes are whole: the pool, one per pinned account (the system account's among
	// them), or one without pooling.
	perRemote int
}

// Start starts a nats-server in-process on a random port of 127.0.0.1, waits until it
// accepts clients and registers a t.Cleanup that shuts it down and waits until it is
// fully down. It fails the test if the server cannot start.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := newConfig(opts)
	if err := cfg.err(); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, cfg, memberState{name: "natstest"})
	s.start(t)
	return s
}

// newServer prepares a server without starting it. Its store directory is made before
// its cleanup is registered, so the cleanup (shutdown) runs before the directory is
// removed.
func newServer(t testing.TB, cfg *config, st memberState) *Server {
	if cfg.jetStream {
		st.storeDir = t.TempDir()
	}
	s := &Server{cfg: cfg, st: st, log: newLogger(t, st.name)}
	t.Cleanup(func() {
		s.Shutdown()
		s.log.stop()
	})
	return s
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	if err := s.boot(); err != nil {
		t.Fatalf("natstest: starting server %s: %v", s.st.name, err)
	}
	if s.cfg.jetStream && s.st.clusterName == "" {
		s.waitJetStream()
	}
}

// waitJetStream polls the server's health check until JetStream answers, so that the first
// JetStream request after Start or Restart is not dropped while the server is still
// recovering its store. Cluster members are left to the cluster's WaitReady, since they
// need their peers for that.
func (s *Server) waitJetStream() {
	srv := s.Server()
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if h := srv.Healthz(nil); h != nil && h.Status == "ok" {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// boot starts a fresh server.Server from the configuration and the remembered ports.
// A port that cannot be bound is retried for a while: on Restart another process may
// briefly hold it.
func (s *Server) boot() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil && s.srv.Running() {
		return fmt.Errorf("already running")
	}
	deadline := time.Now().Add(readyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		srv, err := s.bootOnce()
		if err == nil {
			s.srv = srv
			return nil
		}
		if !isListenErr(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

type listenErr struct{ error }

func isListenErr(err error) bool {
	_, ok := err.(listenErr)
	return ok
}

// bootOnce makes one attempt; s.mu is held.
func (s *Server) bootOnce() (*server.Server, error) {
	opts := s.cfg.options(&s.st)
	srv, err := server.NewServer(opts) // fills in opts' defaults: pool size, pinned accounts
	if err != nil {
		return nil, err
	}
	s.perRemote = 1
	if opts.Cluster.PoolSize > 0 {
		s.perRemote = opts.Cluster.PoolSize + len(opts.Cluster.PinnedAccounts)
	}
	if s.log != nil {
		srv.SetLoggerV2(s.log, s.log.debug, s.log.trace, false)
	}
	srv.Start()
	if err := waitListening(srv); err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, err
	}
	s.st.port = srv.Addr().(*net.TCPAddr).Port
	if a := srv.ClusterAddr(); a != nil {
		s.st.clusterPort = a.Port
	}
	if s.cfg.websocket {
		u, err := url.Parse(srv.WebsocketURL())
		if err == nil {
			s.st.wsPort, err = strconv.Atoi(u.Port())
		}
		if err != nil {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("websocket port: %w", err)
		}
	}
	return srv, nil
}

// waitListening polls until every listener of srv is up. The client and websocket
// listeners are opened by srv.Start itself, so a missing one means the port could not
// be bound; the route listener comes up on its own goroutine.
func waitListening(srv *server.Server) error {
	if srv.Addr() == nil {
		return listenErr{fmt.Errorf("client listener did not start (port in use?)")}
	}
	deadline := time.Now().Add(readyTimeout)
	for !srv.ReadyForConnections(time.Millisecond) {
		if time.Now().After(deadline) {
			return listenErr{fmt.Errorf("not ready for connections after %v", readyTimeout)}
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// Shutdown stops the server and waits until it is fully down, including a lame duck
// shutdown in progress. Ports and store are kept for Restart. It is idempotent and also
// runs in the test's cleanup.
func (s *Server) Shutdown() {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	s.bg.Wait()
}

// Restart shuts the server down (if it is running) and starts it again on the same
// ports with the same JetStream store and routes, waiting until it accepts clients.
// Cluster members should be followed by Cluster.WaitReady when the test needs the
// cluster whole again. It fails the test if the server cannot start.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Shutdown()
	s.start(t)
}

// LameDuck puts the server into lame duck mode and returns once it stopped accepting
// new clients. The server then sends INFO with "ldm":true to its clients, closes them
// over the lame duck duration (see LameDuckDuration) and shuts down; Restart brings it
// back.
func (s *Server) LameDuck() {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil || !srv.Running() {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		srv.LameDuckShutdown()
	}()
	deadline := time.Now().Add(readyTimeout)
	for srv.Addr() != nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// Running reports whether the server is up (it may be in lame duck mode).
func (s *Server) Running() bool {
	srv := s.Server()
	return srv != nil && srv.Running()
}

// routeConns returns how many route connections the server keeps to each other member
// once its routes are whole (see perRemote).
func (s *Server) routeConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perRemote
}

// Server returns the running nats-server, or the last one after Shutdown. Restart
// replaces it, so do not keep it across a Restart.
func (s *Server) Server() *server.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// URL returns the client URL, "nats://127.0.0.1:port". It stays the same across
// restarts; TLS servers have the same form (clients decide on TLS from INFO).
func (s *Server) URL() string {
	return "nats://" + s.Addr()
}

// Addr returns the client address, "127.0.0.1:port".
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return net.JoinHostPort(loopback, strconv.Itoa(s.st.port))
}

// Port returns the client port.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.port
}

// WebSocketURL returns "ws://127.0.0.1:port" of the websocket listener, or "" if the
// server was started without WebSocket.
func (s *Server) WebSocketURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.wsPort == 0 {
		return ""
	}
	return "ws://" + net.JoinHostPort(loopback, strconv.Itoa(s.st.wsPort))
}

// Name returns the server name (INFO server_name).
func (s *Server) Name() string {
	return s.st.name
}

// StoreDir returns the directory given to the server as its JetStream store, or "" if
// JetStream is not enabled. It is the same across restarts.
func (s *Server) StoreDir() string {
	return s.st.storeDir
}

// NumClients returns the number of clients connected to the server (0 when it is down).
func (s *Server) NumClients() int {
	srv := s.Server()
	if srv == nil || !srv.Running() {
		return 0
	}
	return srv.NumClients()
}

// WaitForClients waits until exactly n clients are connected, failing the test after
// 10 seconds.
func (s *Server) WaitForClients(t testing.TB, n int) {
	t.Helper()
	waitFor(t, readyTimeout, func() error {
		if got := s.NumClients(); got != n {
			return fmt.Errorf("server %s has %d clients, want %d", s.st.name, got, n)
		}
		return nil
	})
}

// waitFor polls cond with a short, growing interval until it returns nil, and fails the
// test with cond's last error after timeout.
func waitFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("natstest: %v (after %v)", err, timeout)
		}
		time.Sleep(wait)
	}
}
