package conn_test

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

func TestUserPassword(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.Users("alice:secret"))
	ctx := testCtx(t, 5*time.Second)
	connect(t, s.URL(), conn.WithUserInfo("alice", "secret")).Close()
	url := strings.Replace(s.URL(), "nats://", "nats://alice:secret@", 1)
	c := connect(t, url)
	if strings.Contains(c.ConnectedURL(), "secret") {
		t.Fatalf("ConnectedURL leaks the password: %s", c.ConnectedURL())
	}
	_, err := conn.Connect(ctx, s.URL(), conn.WithUserInfo("alice", "wrong"))
	if !errors.Is(err, conn.ErrAuthorization) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := conn.Connect(ctx, s.URL()); !errors.Is(err, conn.ErrAuthorization) {
		t.Fatalf("no credentials: %v", err)
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.Token("s3cr3t"))
	ctx := testCtx(t, 5*time.Second)
	connect(t, s.URL(), conn.WithToken("s3cr3t"))
	connect(t, strings.Replace(s.URL(), "nats://", "nats://s3cr3t@", 1))
	calls := 0
	connect(t, s.URL(), conn.WithTokenHandler(func() string { calls++; return "s3cr3t" }))
	if calls != 1 {
		t.Fatalf("token handler called %d times", calls)
	}
	if _, err := conn.Connect(ctx, s.URL(), conn.WithToken("nope")); !errors.Is(err, conn.ErrAuthorization) {
		t.Fatalf("bad token: %v", err)
	}
}

func TestNKey(t *testing.T) {
	t.Parallel()
	pub, seed := natstest.NewNKeyUser(t)
	s := natstest.Start(t, natstest.NKeyUser(pub))
	ctx := testCtx(t, 5*time.Second)
	connect(t, s.URL(), conn.WithNKeySeedFile(natstest.WriteSeedFile(t, seed)))
	kp, _ := nkeys.FromSeed(seed)
	connect(t, s.URL(), conn.WithNKey(pub, kp.Sign))
	other, _ := nkeys.CreateUser()
	if _, err := conn.Connect(ctx, s.URL(), conn.WithNKey(pub, other.Sign)); !errors.Is(err, conn.ErrAuthorization) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := conn.Connect(ctx, s.URL(), conn.WithNKeySeedFile("/does/not/exist")); !errors.Is(err, conn.ErrInvalidOption) {
		t.Fatalf("missing seed file: %v", err)
	}
}

func TestJWTCredentials(t *testing.T) {
	t.Parallel()
	s, op := natstest.StartOperator(t)
	ctx := testCtx(t, 5*time.Second)
	c := connect(t, s.URL(), conn.WithCredentialsFile(op.CredsFile()))
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	kp, _ := nkeys.FromSeed(op.UserSeed())
	connect(t, s.URL(), conn.WithUserJWT(func() (string, error) { return op.UserJWT(), nil }, kp.Sign))
	_, err := conn.Connect(ctx, s.URL(), conn.WithCredentialsFile(op.ExpiredCredsFile(t)))
	if err == nil {
		t.Fatal("expired credentials accepted")
	}
	t.Logf("expired: %v", err)
	if _, err := conn.Connect(ctx, s.URL(), conn.WithCredentialsFile(op.RevokedCredsFile())); !errors.Is(err, conn.ErrAuthorization) && !errors.Is(err, conn.ErrAuthRevoked) {
		t.Fatalf("revoked: %v", err)
	}
	if _, err := conn.Connect(ctx, s.URL(), conn.WithCredentialsFile("/nope.creds")); !errors.Is(err, conn.ErrInvalidOption) {
		t.Fatalf("missing creds: %v", err)
	}
}

func TestPermissionViolations(t *testing.T) {
	t.Parallel()
	s, op := natstest.StartOperator(t)
	creds := op.NewCredsFile(t, func(u *jwt.UserClaims) {
		u.Sub.Deny.Add("secret.>")
		u.Pub.Deny.Add("forbidden")
	})
	ev := newEvents()
	c := connect(t, s.URL(), conn.WithCredentialsFile(creds), conn.WithEventHandler(ev.handler))
	ctx := testCtx(t, 5*time.Second)
	ok, _ := c.Subscribe("open")
	bad, err := c.Subscribe("secret.>")
	if err != nil {
		t.Fatal(err)
	}
	e := ev.wait(t, conn.EventAsyncError, 5*time.Second)
	if e.Sub != bad || !errors.Is(e.Err, conn.ErrPermissionViolation) {
		t.Fatalf("event %+v", e)
	}
	select {
	case <-bad.Done():
	case <-ctx.Done():
		t.Fatal("refused subscription not closed")
	}
	if !errors.Is(bad.Err(), conn.ErrPermissionViolation) {
		t.Fatalf("sub err %v", bad.Err())
	}
	if _, err := bad.Next(ctx); !errors.Is(err, conn.ErrPermissionViolation) {
		t.Fatalf("Next on refused sub: %v", err)
	}
	c.Publish("forbidden", nil)
	e = ev.wait(t, conn.EventAsyncError, 5*time.Second)
	if !errors.Is(e.Err, conn.ErrPermissionViolation) || !strings.Contains(e.Err.Error(), "forbidden") {
		t.Fatalf("publish violation event %+v", e)
	}
	// The rest of the connection is unaffected.
	c.Publish("open", []byte("fine"))
	if m, err := ok.Next(ctx); err != nil || string(m.Data) != "fine" {
		t.Fatalf("allowed subscription: %v", err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	ca := natstest.NewCA(t)
	ctx := testCtx(t, 5*time.Second)
	s := natstest.Start(t, natstest.TLS(ca))
	c := connect(t, s.URL(), conn.WithRootCAs(ca.CertFile()))
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	connect(t, strings.Replace(s.URL(), "nats://", "tls://", 1), conn.WithTLSConfig(&tls.Config{RootCAs: ca.Pool()}))
	if _, err := conn.Connect(ctx, s.URL()); !errors.Is(err, conn.ErrTLS) {
		t.Fatalf("untrusted server: %v", err)
	}

	v := natstest.Start(t, natstest.TLSVerify(ca))
	cert, key := ca.ClientCertFiles()
	connect(t, v.URL(), conn.WithRootCAs(ca.CertFile()), conn.WithClientCert(cert, key))
	if _, err := conn.Connect(ctx, v.URL(), conn.WithRootCAs(ca.CertFile())); err == nil {
		t.Fatal("client without certificate accepted")
	}

	hf := natstest.Start(t, natstest.TLS(ca), natstest.TLSHandshakeFirst())
	connect(t, hf.URL(), conn.WithRootCAs(ca.CertFile()), conn.WithTLSHandshakeFirst())

	plain := natstest.Start(t)
	if _, err := conn.Connect(ctx, plain.URL(), conn.WithRootCAs(ca.CertFile())); !errors.Is(err, conn.ErrTLS) {
		t.Fatalf("TLS wanted from a plain server: %v", err)
	}
	_ = server.Options{}
}
