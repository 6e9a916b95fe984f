package natstest

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func TestStartPlain(t *testing.T) {
	t.Parallel()
	s := Start(t)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.URL() != "nats://"+s.Addr() {
		t.Fatalf("Addr %q URL %q", s.Addr(), s.URL())
	}
	if s.Port() <= 0 {
		t.Fatalf("Port %d", s.Port())
	}
	rc := dialRaw(t, s.Addr())
	if rc.info["auth_required"] == true || rc.info["tls_required"] == true {
		t.Fatalf("plain server INFO asks for auth or TLS: %v", rc.info)
	}
	rc.mustConnect(nil)
	s.WaitForClients(t, 1)
	if s.WebSocketURL() != "" {
		t.Fatalf("WebSocketURL without WebSocket: %q", s.WebSocketURL())
	}
	if s.StoreDir() != "" || s.Server().JetStreamEnabled() {
		t.Fatal("JetStream on without the option")
	}
}

func TestJetStreamRestartKeepsPortAndStore(t *testing.T) {
	t.Parallel()
	s := Start(t, JetStream())
	srv := s.Server()
	if !srv.JetStreamEnabled() {
		t.Fatal("JetStream not enabled")
	}
	if !strings.HasPrefix(srv.StoreDir(), s.StoreDir()) {
		t.Fatalf("server store %q not under %q", srv.StoreDir(), s.StoreDir())
	}
	rc := dialRaw(t, s.Addr())
	rc.mustConnect(nil)
	if rc.info["jetstream"] != true {
		t.Fatalf("INFO jetstream: %v", rc.info["jetstream"])
	}
	resp := rc.request("$JS.API.STREAM.CREATE.ORDERS", `{"name":"ORDERS","subjects":["orders.>"],"storage":"file"}`)
	if !strings.Contains(resp, `"created"`) {
		t.Fatalf("stream create: %s", resp)
	}

	port, store := s.Port(), s.StoreDir()
	s.Restart(t)
	if s.Server() == srv {
		t.Fatal("Restart kept the old server.Server")
	}
	if s.Port() != port || s.StoreDir() != store {
		t.Fatalf("after Restart port %d store %q, want %d %q", s.Port(), s.StoreDir(), port, store)
	}
	if !s.Server().JetStreamEnabled() {
		t.Fatal("JetStream not enabled after Restart")
	}
	if got := rc.line(); !strings.HasPrefix(got, "read error") && !strings.HasPrefix(got, "-ERR") {
		t.Fatalf("old connection after restart read %q", got)
	}
	rc = dialRaw(t, s.Addr())
	rc.mustConnect(nil)
	if resp := rc.request("$JS.API.STREAM.INFO.ORDERS", ""); !strings.Contains(resp, `"name":"ORDERS"`) || strings.Contains(resp, `"error"`) {
		t.Fatalf("stream lost across Restart: %s", resp)
	}
}

func TestShutdownThenRestart(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.Shutdown()
	s.Shutdown() // idempotent
	if s.Running() || s.NumClients() != 0 {
		t.Fatal("running after Shutdown")
	}
	s.Restart(t)
	if !s.Running() {
		t.Fatal("not running after Restart")
	}
	dialRaw(t, s.Addr()).mustConnect(nil)
}

func TestDomainAndMaxPayload(t *testing.T) {
	t.Parallel()
	s := Start(t, Domain("hub"), MaxPayload(4096))
	if !s.Server().JetStreamEnabled() {
		t.Fatal("Domain did not enable JetStream")
	}
	rc := dialRaw(t, s.Addr())
	if rc.info["domain"] != "hub" || rc.info["max_payload"] != float64(4096) {
		t.Fatalf("INFO domain %v max_payload %v", rc.info["domain"], rc.info["max_payload"])
	}
	rc.mustConnect(nil)
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	s := Start(t, Configure(func(o *server.Options) { o.ServerName = "custom" }))
	if rc := dialRaw(t, s.Addr()); rc.info["server_name"] != "custom" {
		t.Fatalf("server_name %v", rc.info["server_name"])
	}
}

func TestLameDuckSendsLDM(t *testing.T) {
	t.Parallel()
	s := Start(t, LameDuckDuration(2*time.Second))
	rc := dialRaw(t, s.Addr())
	rc.mustConnect(nil)
	s.WaitForClients(t, 1)
	s.LameDuck()
	rc.waitLDM()
	s.Restart(t)
	dialRaw(t, s.Addr()).mustConnect(nil)
}

func TestInvalidOptionFails(t *testing.T) {
	t.Parallel()
	cfg := newConfig([]Option{Users("nocolon")})
	if cfg.err() == nil {
		t.Fatal("Users without a colon accepted")
	}
}

func TestLoggerRoutesToTest(t *testing.T) {
	t.Setenv(logEnv, "1")
	s := Start(t)
	if s.log == nil {
		t.Fatal("NATSTEST_LOG=1 did not install a logger")
	}
}

func TestStoreDirIsPerServer(t *testing.T) {
	t.Parallel()
	a, b := Start(t, JetStream()), Start(t, JetStream())
	if a.StoreDir() == b.StoreDir() || filepath.Dir(a.StoreDir()) == "" {
		t.Fatalf("store dirs %q %q", a.StoreDir(), b.StoreDir())
	}
}
