package conn

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Option configures Connect. Options validate their arguments; a bad one makes Connect
// return an error wrapping ErrInvalidOption.
type Option func(*options) error

// Dialer opens the TCP (or other stream) connection to a server. *net.Dialer satisfies it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Defaults documented for users; every one can be changed with an option.
const (
	DefaultPingInterval         = 2 * time.Minute
	DefaultMaxPingsOutstanding  = 2
	DefaultConnectTimeout       = 2 * time.Second
	DefaultReconnectWait        = 2 * time.Second
	DefaultReconnectJitter      = 100 * time.Millisecond
	DefaultReconnectJitterTLS   = time.Second
	DefaultReconnectBufSize     = 8 * 1024 * 1024
	DefaultWriteDeadline        = 10 * time.Second
	DefaultInboxPrefix          = "_INBOX"
	DefaultSubPendingMsgs       = 500_000
	DefaultSubPendingBytes      = 64 * 1024 * 1024
	DefaultDrainTimeout         = 30 * time.Second
	DefaultLameDuckMaxDelay     = 5 * time.Second
	defaultMaxOutboundBufBytes  = 512 * 1024
	defaultMaxReconnectAttempts = -1
)

type options struct {
	name            string
	user, pass      string
	token           string
	tokenHandler    func() string
	nkeyPub         string
	nkeySign        func(nonce []byte) ([]byte, error)
	userJWT         func() (string, error)
	credsFile       string
	tlsConfig       *tls.Config
	rootCAs         []string
	clientCert      [2]string
	tlsHandshakeFst bool
	wantTLS         bool
	noEcho          bool
	inboxPrefix     string
	pingInterval    time.Duration
	maxPingsOut     int
	connectTimeout  time.Duration
	writeDeadline   time.Duration
	logger          *slog.Logger
	eventHandler    func(Event)
	dialer          Dialer

	// Staying connected.
	allowReconnect     bool
	maxReconnects      int
	reconnectWait      time.Duration
	reconnectJitter    time.Duration
	reconnectJitterTLS time.Duration
	reconnectDelay     func(attempts int) time.Duration
	reconnectBufSize   int
	retryOnFailedConn  bool
	noRandomize        bool
	ignoreDiscovered   bool
	lameDuckMigrate    bool
	failReqOnDiscon    bool
	drainTimeout       time.Duration
}

func defaultOptions() options {
	return options{
		inboxPrefix:        DefaultInboxPrefix,
		pingInterval:       DefaultPingInterval,
		maxPingsOut:        DefaultMaxPingsOutstanding,
		connectTimeout:     DefaultConnectTimeout,
		writeDeadline:      DefaultWriteDeadline,
		allowReconnect:     true,
		maxReconnects:      defaultMaxReconnectAttempts,
		reconnectWait:      DefaultReconnectWait,
		reconnectJitter:    DefaultReconnectJitter,
		reconnectJitterTLS: DefaultReconnectJitterTLS,
		reconnectBufSize:   DefaultReconnectBufSize,
		lameDuckMigrate:    true,
		drainTimeout:       DefaultDrainTimeout,
	}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
}

// WithName sets the connection name the server shows in monitoring.
func WithName(name string) Option {
	return func(o *options) error { o.name = name; return nil }
}

// WithUserInfo authenticates with a user name and password.
func WithUserInfo(user, password string) Option {
	return func(o *options) error {
		if user == "" {
			return invalid("empty user name")
		}
		o.user, o.pass = user, password
		return nil
	}
}

// WithToken authenticates with a token.
func WithToken(token string) Option {
	return func(o *options) error {
		if token == "" {
			return invalid("empty token")
		}
		o.token = token
		return nil
	}
}

// WithTokenHandler authenticates with a token obtained from f at every (re)connect.
func WithTokenHandler(f func() string) Option {
	return func(o *options) error {
		if f == nil {
			return invalid("nil token handler")
		}
		o.tokenHandler = f
		return nil
	}
}

// WithNKey authenticates with an nkey: pub is the user's public key, sign signs the
// server's nonce with the matching private key.
func WithNKey(pub string, sign func(nonce []byte) ([]byte, error)) Option {
	return func(o *options) error {
		if pub == "" || sign == nil {
			return invalid("nkey needs a public key and a signer")
		}
		o.nkeyPub, o.nkeySign = pub, sign
		return nil
	}
}

// WithUserJWT authenticates with a user JWT from userJWT and nonce signatures from sign.
func WithUserJWT(userJWT func() (string, error), sign func(nonce []byte) ([]byte, error)) Option {
	return func(o *options) error {
		if userJWT == nil || sign == nil {
			return invalid("user JWT needs a JWT callback and a signer")
		}
		o.userJWT, o.nkeySign = userJWT, sign
		return nil
	}
}

// WithTLSConfig uses cfg for TLS (cloned; ServerName defaults to the URL's host) and
// requires TLS.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(o *options) error {
		if cfg == nil {
			return invalid("nil TLS config")
		}
		o.tlsConfig = cfg.Clone()
		o.wantTLS = true
		return nil
	}
}

// WithRootCAs trusts the PEM certificates in files and requires TLS.
func WithRootCAs(files ...string) Option {
	return func(o *options) error {
		if len(files) == 0 {
			return invalid("no root CA files")
		}
		o.rootCAs = append(o.rootCAs, files...)
		o.wantTLS = true
		return nil
	}
}

// WithClientCert presents the PEM certificate and key in certFile and keyFile and requires TLS.
func WithClientCert(certFile, keyFile string) Option {
	return func(o *options) error {
		if certFile == "" || keyFile == "" {
			return invalid("client certificate needs a cert and a key file")
		}
		o.clientCert = [2]string{certFile, keyFile}
		o.wantTLS = true
		return nil
	}
}

// WithTLSHandshakeFirst starts TLS before the server's INFO, for servers configured with
// handshake_first. It implies TLS.
func WithTLSHandshakeFirst() Option {
	return func(o *options) error { o.tlsHandshakeFst, o.wantTLS = true, true; return nil }
}

// WithNoEcho asks the server not to deliver this connection's own publishes to its
// subscriptions.
func WithNoEcho() Option {
	return func(o *options) error { o.noEcho = true; return nil }
}

// WithInboxPrefix replaces "_INBOX" in NewInbox and in request reply subjects.
func WithInboxPrefix(prefix string) Option {
	return func(o *options) error {
		if prefix == "" || validateSubject(prefix) != nil {
			return invalid("bad inbox prefix %q", prefix)
		}
		o.inboxPrefix = prefix
		return nil
	}
}

// WithPingInterval sets how long the connection may be silent before the client sends a
// PING (default 2 minutes). Only traffic from the server counts.
func WithPingInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalid("ping interval %v", d)
		}
		o.pingInterval = d
		return nil
	}
}

// WithMaxPingsOutstanding sets how many PINGs may go unanswered before the connection is
// declared stale and reconnected (default 2). A dead link is noticed within
// interval × (n+1).
func WithMaxPingsOutstanding(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return invalid("max pings outstanding %d", n)
		}
		o.maxPingsOut = n
		return nil
	}
}

// WithConnectTimeout bounds each dial plus handshake (default 2 s).
func WithConnectTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalid("connect timeout %v", d)
		}
		o.connectTimeout = d
		return nil
	}
}

// WithWriteDeadline bounds each socket write (default 10 s); a write that misses it
// disconnects and reconnects.
func WithWriteDeadline(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalid("write deadline %v", d)
		}
		o.writeDeadline = d
		return nil
	}
}

// WithLogger logs connection activity to l. The default is silent.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { o.logger = l; return nil }
}

// WithEventHandler receives every connection event in order, on one goroutine of its own,
// so a slow handler never blocks the connection.
func WithEventHandler(f func(Event)) Option {
	return func(o *options) error {
		if f == nil {
			return invalid("nil event handler")
		}
		o.eventHandler = f
		return nil
	}
}

// WithDialer dials servers through d.
func WithDialer(d Dialer) Option {
	return func(o *options) error {
		if d == nil {
			return invalid("nil dialer")
		}
		o.dialer = d
		return nil
	}
}

// WithDrainTimeout bounds Drain when its ctx has no deadline (default 30 s).
func WithDrainTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalid("drain timeout %v", d)
		}
		o.drainTimeout = d
		return nil
	}
}
