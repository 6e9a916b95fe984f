package natstest

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// sign signs the nonce of rc's INFO with kp as CONNECT "sig" wants it.
func sign(t *testing.T, rc *rawConn, kp nkeys.KeyPair) string {
	t.Helper()
	nonce, _ := rc.info["nonce"].(string)
	if nonce == "" {
		t.Fatalf("INFO has no nonce: %v", rc.info)
	}
	sig, err := kp.Sign([]byte(nonce))
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(sig)
}

func TestUsers(t *testing.T) {
	t.Parallel()
	s := Start(t, Users("alice:secret", "bob:pw:with:colons"))
	for _, tc := range []struct {
		user, pass, want string
	}{
		{"alice", "secret", "PONG"},
		{"bob", "pw:with:colons", "PONG"},
		{"alice", "wrong", authViolation},
		{"", "", authViolation},
	} {
		rc := dialRaw(t, s.Addr())
		if rc.info["auth_required"] != true {
			t.Fatal("INFO auth_required not set")
		}
		if got := rc.connect(map[string]any{"user": tc.user, "pass": tc.pass}); got != tc.want {
			t.Errorf("%s:%s: got %q, want %q", tc.user, tc.pass, got, tc.want)
		}
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	s := Start(t, Token("s3cr3t"))
	if got := dialRaw(t, s.Addr()).connect(map[string]any{"auth_token": "nope"}); got != authViolation {
		t.Errorf("wrong token: got %q", got)
	}
	dialRaw(t, s.Addr()).mustConnect(map[string]any{"auth_token": "s3cr3t"})
}

func TestNKeyUser(t *testing.T) {
	t.Parallel()
	pub, seed := NewNKeyUser(t)
	s := Start(t, NKeyUser(pub), Users("u:p"))

	file, err := os.ReadFile(WriteSeedFile(t, seed))
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(file))))
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s.Addr())
	rc.mustConnect(map[string]any{"nkey": pub, "sig": sign(t, rc, kp)})

	other, _ := nkeys.CreateUser()
	rc = dialRaw(t, s.Addr())
	if got := rc.connect(map[string]any{"nkey": pub, "sig": sign(t, rc, other)}); got != authViolation {
		t.Errorf("signature by another key: got %q", got)
	}
	dialRaw(t, s.Addr()).mustConnect(map[string]any{"user": "u", "pass": "p"})
}

// connectCreds connects to s with the user of a creds file, signing the nonce, and
// returns the server's answer.
func connectCreds(t *testing.T, s *Server, credsFile string) string {
	t.Helper()
	_, got := dialCreds(t, s, credsFile)
	return got
}

// dialCreds is connectCreds that also returns the connection.
func dialCreds(t *testing.T, s *Server, credsFile string) (*rawConn, string) {
	t.Helper()
	data, err := os.ReadFile(credsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "-----BEGIN NATS USER JWT-----") ||
		!strings.Contains(string(data), "-----BEGIN USER NKEY SEED-----") {
		t.Fatalf("creds file not in the decorated format:\n%s", data)
	}
	userJWT, err := jwt.ParseDecoratedJWT(data)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := jwt.ParseDecoratedUserNKey(data)
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s.Addr())
	return rc, rc.connect(map[string]any{"jwt": userJWT, "sig": sign(t, rc, kp)})
}

func TestOperator(t *testing.T) {
	t.Parallel()
	s, op := StartOperator(t, JetStream())
	if got := connectCreds(t, s, op.CredsFile()); got != "PONG" {
		t.Fatalf("valid creds: got %q", got)
	}
	if got := connectCreds(t, s, op.ExpiredCredsFile(t)); got != authViolation {
		t.Errorf("expired creds: got %q", got)
	}
	if got := connectCreds(t, s, op.RevokedCredsFile()); got != authViolation {
		t.Errorf("revoked creds: got %q", got)
	}

	// UserJWT and UserSeed are the creds file's user; JetStream works in its account.
	kp, err := nkeys.FromSeed(op.UserSeed())
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s.Addr())
	rc.mustConnect(map[string]any{"jwt": op.UserJWT(), "sig": sign(t, rc, kp)})
	if resp := rc.request("$JS.API.INFO", ""); strings.Contains(resp, `"error"`) {
		t.Fatalf("account info: %s", resp)
	}
	uc, err := jwt.DecodeUserClaims(op.UserJWT())
	if err != nil || uc.Issuer != op.AccountPublicKey() {
		t.Fatalf("user JWT issuer %v, %v", uc, err)
	}
}

func TestOperatorExpiringCreds(t *testing.T) {
	t.Parallel()
	s, op := StartOperator(t)
	rc, got := dialCreds(t, s, op.ExpiringCredsFile(t, time.Second))
	if got != "PONG" {
		t.Fatalf("got %q", got)
	}
	for {
		l := rc.next()
		if l == "-ERR 'User Authentication Expired'" {
			return
		}
		if strings.HasPrefix(l, "read error") {
			t.Fatalf("closed without the expiry error")
		}
	}
}

func TestOperatorPermissions(t *testing.T) {
	t.Parallel()
	s, op := StartOperator(t)
	rc, got := dialCreds(t, s, op.NewCredsFile(t, func(uc *jwt.UserClaims) { uc.Pub.Deny.Add("secret.>") }))
	if got != "PONG" {
		t.Fatalf("got %q", got)
	}
	rc.send("PUB secret.x 0\r\n\r\nPING\r\n")
	if got := rc.next(); !strings.HasPrefix(got, "-ERR 'Permissions Violation for Publish") {
		t.Fatalf("denied publish: got %q", got)
	}
}

func TestOperatorCluster(t *testing.T) {
	t.Parallel()
	op := NewOperator(t)
	c := StartCluster(t, 3, Trust(op), JetStream())
	for _, s := range c.Servers() {
		if got := connectCreds(t, s, op.CredsFile()); got != "PONG" {
			t.Fatalf("%s: got %q", s.Name(), got)
		}
	}
}
