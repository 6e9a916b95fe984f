package natstest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// Operator is the key material of decentralised JWT authentication ("operator mode"),
// generated for one test: an operator, a system account, an account APP (JetStream
// enabled without limits) and users of APP. Servers trust it through the Trust option
// or StartOperator; they resolve both accounts from memory.
type Operator struct {
	dir string

	opKP  nkeys.KeyPair
	accKP nkeys.KeyPair

	operator *jwt.OperatorClaims
	sysPub   string
	sysJWT   string
	accPub   string
	accJWT   string

	userJWT      string
	userSeed     []byte
	creds        string
	revokedCreds string
}

// NewOperator generates an operator, its system account, the account APP and a valid
// and a revoked user of APP, and writes their creds files into a t.TempDir(). It fails
// the test on error.
func NewOperator(t testing.TB) *Operator {
	t.Helper()
	o, err := newOperator(t.TempDir())
	if err != nil {
		t.Fatalf("natstest: NewOperator: %v", err)
	}
	return o
}

func newOperator(dir string) (*Operator, error) {
	o := &Operator{dir: dir}
	var err error
	if o.opKP, err = nkeys.CreateOperator(); err != nil {
		return nil, err
	}
	opPub, err := o.opKP.PublicKey()
	if err != nil {
		return nil, err
	}
	sysKP, err := nkeys.CreateAccount()
	if err != nil {
		return nil, err
	}
	if o.sysPub, err = sysKP.PublicKey(); err != nil {
		return nil, err
	}
	if o.accKP, err = nkeys.CreateAccount(); err != nil {
		return nil, err
	}
	if o.accPub, err = o.accKP.PublicKey(); err != nil {
		return nil, err
	}

	o.operator = jwt.NewOperatorClaims(opPub)
	o.operator.Name = "natstest"
	o.operator.SystemAccount = o.sysPub
	// The server wants the claims decoded from a signed JWT (Issuer etc. filled in).
	opJWT, err := o.operator.Encode(o.opKP)
	if err != nil {
		return nil, err
	}
	if o.operator, err = jwt.DecodeOperatorClaims(opJWT); err != nil {
		return nil, err
	}

	sys := jwt.NewAccountClaims(o.sysPub)
	sys.Name = "SYS"
	if o.sysJWT, err = sys.Encode(o.opKP); err != nil {
		return nil, err
	}

	// Users are issued before the account JWT so that the revocation covers one of them.
	if o.userJWT, o.userSeed, err = o.newUser(nil); err != nil {
		return nil, err
	}
	if o.creds, err = writeCreds(o.dir, "user.creds", o.userJWT, o.userSeed); err != nil {
		return nil, err
	}
	revJWT, revSeed, err := o.newUser(nil)
	if err != nil {
		return nil, err
	}
	if o.revokedCreds, err = writeCreds(o.dir, "revoked.creds", revJWT, revSeed); err != nil {
		return nil, err
	}
	revClaims, err := jwt.DecodeUserClaims(revJWT)
	if err != nil {
		return nil, err
	}

	acc := jwt.NewAccountClaims(o.accPub)
	acc.Name = "APP"
	acc.Limits.JetStreamLimits = jwt.JetStreamLimits{
		MemoryStorage: jwt.NoLimit,
		DiskStorage:   jwt.NoLimit,
		Streams:       jwt.NoLimit,
		Consumer:      jwt.NoLimit,
	}
	// Revoke everything the revoked user was issued up to one second from now, so
	// that a JWT issued in the same second is covered whatever the clock does.
	acc.RevokeAt(revClaims.Subject, time.Now().Add(time.Second))
	if o.accJWT, err = acc.Encode(o.opKP); err != nil {
		return nil, err
	}
	return o, nil
}

// newUser issues a user JWT of APP, letting edit change the claims first.
func (o *Operator) newUser(edit func(*jwt.UserClaims)) (userJWT string, seed []byte, err error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return "", nil, err
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return "", nil, err
	}
	if seed, err = kp.Seed(); err != nil {
		return "", nil, err
	}
	uc := jwt.NewUserClaims(pub)
	uc.Name = "natstest-user"
	if edit != nil {
		edit(uc)
	}
	if userJWT, err = uc.Encode(o.accKP); err != nil {
		return "", nil, err
	}
	return userJWT, seed, nil
}

// writeCreds writes a creds file in the standard decorated format into dir.
func writeCreds(dir, name, userJWT string, seed []byte) (string, error) {
	data, err := jwt.FormatUserConfig(userJWT, seed)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, data, 0o600)
}

// configure puts a server into operator mode, trusting o and resolving its accounts
// from a fresh in-memory resolver.
func (o *Operator) configure(opts *server.Options) {
	res := &server.MemAccResolver{}
	// MemAccResolver.Store never fails.
	_ = res.Store(o.sysPub, o.sysJWT)
	_ = res.Store(o.accPub, o.accJWT)
	opts.TrustedOperators = []*jwt.OperatorClaims{o.operator}
	opts.AccountResolver = res
	opts.SystemAccount = o.sysPub
}

// Trust puts servers into operator mode, trusting o (see NewOperator). It cannot be
// combined with Users, Token or NKeyUser.
func Trust(o *Operator) Option {
	return func(c *config) { c.operator = o }
}

// StartOperator generates an Operator and starts a server trusting it, as Start does.
// With JetStream, the account APP of the valid user can use it.
func StartOperator(t testing.TB, opts ...Option) (*Server, *Operator) {
	t.Helper()
	o := NewOperator(t)
	return Start(t, append(opts, Trust(o))...), o
}

// CredsFile returns the path of a valid user's creds file.
func (o *Operator) CredsFile() string { return o.creds }

// UserJWT returns the JWT of the user of CredsFile.
func (o *Operator) UserJWT() string { return o.userJWT }

// UserSeed returns the nkey seed of the user of CredsFile.
func (o *Operator) UserSeed() []byte { return append([]byte(nil), o.userSeed...) }

// RevokedCredsFile returns the path of the creds file of a user the account revoked;
// servers reject it with an authorization violation.
func (o *Operator) RevokedCredsFile() string { return o.revokedCreds }

// AccountPublicKey returns the public key of the account APP the users belong to.
func (o *Operator) AccountPublicKey() string { return o.accPub }

// NewCredsFile issues a new user of APP, lets edit change its claims (permissions,
// expiry, limits; nil for none), and writes its creds file into a t.TempDir().
func (o *Operator) NewCredsFile(t testing.TB, edit func(*jwt.UserClaims)) string {
	t.Helper()
	userJWT, seed, err := o.newUser(edit)
	if err == nil {
		var path string
		if path, err = writeCreds(t.TempDir(), "user.creds", userJWT, seed); err == nil {
			return path
		}
	}
	t.Fatalf("natstest: NewCredsFile: %v", err)
	return ""
}

// ExpiredCredsFile returns the path of a new creds file whose JWT expired a minute ago;
// servers reject it with an authorization violation.
func (o *Operator) ExpiredCredsFile(t testing.TB) string {
	t.Helper()
	return o.NewCredsFile(t, func(uc *jwt.UserClaims) {
		uc.Expires = time.Now().Add(-time.Minute).Unix()
	})
}

// ExpiringCredsFile returns the path of a new creds file whose JWT is valid now and
// expires after d (rounded up to whole seconds, the resolution of JWT times); the server
// then closes the connection with "User Authentication Expired".
func (o *Operator) ExpiringCredsFile(t testing.TB, d time.Duration) string {
	t.Helper()
	exp := time.Now().Add(d)
	return o.NewCredsFile(t, func(uc *jwt.UserClaims) {
		uc.Expires = exp.Unix()
		if exp.Truncate(time.Second) != exp {
			uc.Expires++
		}
	})
}

// NewNKeyUser generates a user nkey pair for NKeyUser: the public key ("U...") and the
// seed ("SU...") that signs the server's nonce. It fails the test on error.
func NewNKeyUser(t testing.TB) (pub string, seed []byte) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err == nil {
		if pub, err = kp.PublicKey(); err == nil {
			if seed, err = kp.Seed(); err == nil {
				return pub, seed
			}
		}
	}
	t.Fatalf("natstest: NewNKeyUser: %v", err)
	return "", nil
}

// WriteSeedFile writes seed into a file in a t.TempDir() and returns its path.
func WriteSeedFile(t testing.TB, seed []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(path, append(append([]byte(nil), seed...), '\n'), 0o600); err != nil {
		t.Fatalf("natstest: WriteSeedFile: %v", err)
	}
	return path
}
