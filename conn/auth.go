package conn

import (
	"fmt"
	"os"

	"github.com/nats-io/nkeys"
)

// WithNKeySeedFile authenticates with the nkey whose seed is in file (a plain or decorated
// seed). The file is read at Connect; the seed stays in memory to sign each nonce.
func WithNKeySeedFile(file string) Option {
	return func(o *options) error {
		raw, err := os.ReadFile(file)
		if err != nil {
			return invalid("nkey seed: %v", err)
		}
		kp, err := nkeys.ParseDecoratedNKey(raw)
		if err != nil {
			return invalid("nkey seed in %s: %v", file, err)
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return invalid("nkey seed in %s: %v", file, err)
		}
		o.nkeyPub, o.nkeySign = pub, kp.Sign
		return nil
	}
}

// WithCredentialsFile authenticates with a .creds file (a user JWT and its nkey seed, as
// written by nsc and the nats CLI). The file is read again at every connect, so rotated
// credentials are picked up without a restart.
func WithCredentialsFile(file string) Option {
	return func(o *options) error {
		if _, _, err := loadCreds(file); err != nil {
			return invalid("%v", err)
		}
		o.userJWT = func() (string, error) {
			jwt, _, err := loadCreds(file)
			return jwt, err
		}
		o.nkeySign = func(nonce []byte) ([]byte, error) {
			_, kp, err := loadCreds(file)
			if err != nil {
				return nil, err
			}
			defer kp.Wipe()
			return kp.Sign(nonce)
		}
		return nil
	}
}

func loadCreds(file string) (string, nkeys.KeyPair, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", nil, fmt.Errorf("credentials: %w", err)
	}
	jwt, err := nkeys.ParseDecoratedJWT(raw)
	if err != nil || jwt == "" {
		return "", nil, fmt.Errorf("credentials %s: no user JWT: %v", file, err)
	}
	kp, err := nkeys.ParseDecoratedUserNKey(raw)
	if err != nil {
		return "", nil, fmt.Errorf("credentials %s: no user seed: %v", file, err)
	}
	return jwt, kp, nil
}
