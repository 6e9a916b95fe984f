package natstest

import (
	"crypto/tls"
	"os"
	"testing"
)

func TestTLS(t *testing.T) {
	t.Parallel()
	ca := NewCA(t)
	s := Start(t, TLS(ca))
	rc := dialRaw(t, s.Addr())
	if rc.info["tls_required"] != true {
		t.Fatalf("INFO tls_required: %v", rc.info["tls_required"])
	}
	for _, name := range []string{"localhost", "127.0.0.1"} {
		cfg := ca.ClientTLSConfig()
		cfg.ServerName = name
		cfg.Certificates = nil // not asked for
		mustDialTLS(t, s.Addr(), cfg, false).mustConnect(nil)
	}
	// A client that does not trust the CA fails the handshake.
	if _, err := dialTLS(t, s.Addr(), &tls.Config{ServerName: "localhost"}, false); err == nil {
		t.Fatal("handshake without the CA succeeded")
	}
}

func TestTLSVerify(t *testing.T) {
	t.Parallel()
	ca := NewCA(t)
	s := Start(t, TLSVerify(ca))
	if rc := dialRaw(t, s.Addr()); rc.info["tls_verify"] != true {
		t.Fatalf("INFO tls_verify: %v", rc.info["tls_verify"])
	}
	cfg := ca.ClientTLSConfig()
	cfg.ServerName = "localhost"
	mustDialTLS(t, s.Addr(), cfg, false).mustConnect(nil)

	// The PEM files hold the same client certificate.
	certFile, keyFile := ca.ClientCertFiles()
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg = &tls.Config{ServerName: "127.0.0.1", RootCAs: ca.Pool(), Certificates: []tls.Certificate{cert}}
	mustDialTLS(t, s.Addr(), cfg, false).mustConnect(nil)

	// Without a client certificate the server refuses (in TLS 1.3 the client may only
	// notice when it reads).
	cfg = &tls.Config{ServerName: "localhost", RootCAs: ca.Pool()}
	if rc, err := dialTLS(t, s.Addr(), cfg, false); err == nil {
		if got := rc.connect(nil); got == "PONG" {
			t.Fatal("connected without a client certificate")
		}
	}
}

func TestTLSHandshakeFirst(t *testing.T) {
	t.Parallel()
	ca := NewCA(t)
	s := Start(t, TLS(ca), TLSHandshakeFirst())
	cfg := ca.ClientTLSConfig()
	cfg.ServerName = "localhost"
	mustDialTLS(t, s.Addr(), cfg, true).mustConnect(nil)
}

func TestCAFiles(t *testing.T) {
	t.Parallel()
	ca := NewCA(t)
	pem, err := os.ReadFile(ca.CertFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := ca.Pool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CertFile is not a PEM certificate")
	}
	leaf := ca.ServerCert().Leaf
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Fatal(err)
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
}
