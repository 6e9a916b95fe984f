package natstest

import (
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// loopback is the only address the servers of this package listen on.
const loopback = "127.0.0.1"

// Default lame duck timings: short, so that a test exercising lame duck mode is quick.
const (
	defaultLameDuckDuration = time.Second
	defaultLameDuckGrace    = defaultLameDuckDuration / 2
)

// Option configures a server started by Start, StartCluster or StartOperator.
// Options are applied in order; a later option overrides an earlier one where they
// set the same thing.
type Option func(*config)

// config is what the options describe. It is fixed once a server starts; every start
// (and Restart) builds fresh server.Options from it.
type config struct {
	jetStream     bool
	domain        string
	users         []*server.User
	nkeys         []*server.NkeyUser
	token         string
	tlsCA         *CA
	tlsVerify     bool
	tlsFirst      bool
	websocket     bool
	maxPayload    int32
	lameDuck      time.Duration
	lameDuckGrace time.Duration
	partitionable bool
	operator      *Operator
	configure     []func(*server.Options)
	errs          []error
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

func (c *config) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return fmt.Errorf("natstest: invalid options: %v", c.errs)
}

// JetStream enables JetStream with its store in a t.TempDir() of the test. The store is
// kept across Restart.
func JetStream() Option {
	return func(c *config) { c.jetStream = true }
}

// Domain enables JetStream (as JetStream does) in the JetStream domain name.
func Domain(name string) Option {
	return func(c *config) {
		c.jetStream = true
		c.domain = name
	}
}

// Users requires clients to authenticate with one of the given "user:pass" pairs.
// It combines with NKeyUser; it cannot be combined with Token or operator mode.
func Users(userPass ...string) Option {
	return func(c *config) {
		for _, up := range userPass {
			user, pass, ok := strings.Cut(up, ":")
			if !ok || user == "" {
				c.errs = append(c.errs, fmt.Errorf("Users: %q is not user:pass", up))
				continue
			}
			c.users = append(c.users, &server.User{Username: user, Password: pass})
		}
	}
}

// Token requires clients to authenticate with the token tok (CONNECT auth_token).
func Token(tok string) Option {
	return func(c *config) { c.token = tok }
}

// NKeyUser adds a user authenticated by the nkey public key pub (see NewNKeyUser);
// clients sign the server's nonce with the matching seed. Any NKeyUser option makes
// authentication required.
func NKeyUser(pub string) Option {
	return func(c *config) { c.nkeys = append(c.nkeys, &server.NkeyUser{Nkey: pub}) }
}

// TLS requires clients to use TLS; the server presents a certificate for localhost and
// 127.0.0.1 signed by ca. Clients trust it through ca.Pool() or ca.ClientTLSConfig().
func TLS(ca *CA) Option {
	return func(c *config) { c.tlsCA = ca }
}

// TLSVerify is TLS(ca) and, in addition, requires every client to present a certificate
// signed by ca (see CA.ClientCert).
func TLSVerify(ca *CA) Option {
	return func(c *config) {
		c.tlsCA = ca
		c.tlsVerify = true
	}
}

// TLSHandshakeFirst makes the server expect the TLS handshake before it sends INFO
// (server option TLSHandshakeFirst). It needs TLS or TLSVerify as well.
func TLSHandshakeFirst() Option {
	return func(c *config) { c.tlsFirst = true }
}

// WebSocket adds a websocket listener without TLS on a random loopback port; see
// Server.WebSocketURL.
func WebSocket() Option {
	return func(c *config) { c.websocket = true }
}

// MaxPayload sets the largest message payload the server accepts (INFO max_payload).
func MaxPayload(n int32) Option {
	return func(c *config) { c.maxPayload = n }
}

// LameDuckDuration sets how long lame duck mode (Server.LameDuck) takes to close all
// clients; the grace period before the first client is closed is half of it unless
// LameDuckGracePeriod says otherwise. The default is 1s.
func LameDuckDuration(d time.Duration) Option {
	return func(c *config) { c.lameDuck = d }
}

// LameDuckGracePeriod sets how long a server in lame duck mode waits, after telling its
// clients, before it starts closing them. It must be shorter than the lame duck duration.
func LameDuckGracePeriod(d time.Duration) Option {
	return func(c *config) { c.lameDuckGrace = d }
}

// Configure is an escape hatch: f may change the server options after this package set
// them, on every start and restart. Ports, host and store directory are best left alone,
// since Restart relies on them.
func Configure(f func(*server.Options)) Option {
	return func(c *config) { c.configure = append(c.configure, f) }
}

// memberState is what a server keeps across restarts: its identity, its ports once
// known and its store.
type memberState struct {
	name        string
	storeDir    string
	port        int // client port; 0 before the first start
	clusterPort int
	wsPort      int
	clusterName string // set for cluster members only
	routes      []string
	// routeAdvertise, when set, is the route address the member tells the others
	// (Partitionable).
	routeAdvertise string
}

// options builds fresh server options for one start of a server.
func (c *config) options(st *memberState) *server.Options {
	o := &server.Options{
		ServerName:          st.name,
		Host:                loopback,
		Port:                portOrRandom(st.port),
		NoLog:               true,
		NoSigs:              true,
		MaxPayload:          c.maxPayload,
		LameDuckDuration:    c.lameDuck,
		LameDuckGracePeriod: c.lameDuckGrace,
	}
	if o.LameDuckDuration <= 0 {
		o.LameDuckDuration = defaultLameDuckDuration
	}
	if o.LameDuckGracePeriod <= 0 {
		o.LameDuckGracePeriod = o.LameDuckDuration / 2
	}
	if c.jetStream {
		o.JetStream = true
		o.StoreDir = st.storeDir
		o.JetStreamDomain = c.domain
	}
	o.Users = cloneSlice(c.users)
	o.Nkeys = cloneSlice(c.nkeys)
	o.Authorization = c.token
	if c.tlsCA != nil {
		o.TLS = true
		o.TLSVerify = c.tlsVerify
		o.TLSTimeout = 2
		o.TLSConfig = c.tlsCA.serverTLSConfig(c.tlsVerify)
		o.TLSHandshakeFirst = c.tlsFirst
	}
	if c.websocket {
		o.Websocket.Host = loopback
		o.Websocket.Port = portOrRandom(st.wsPort)
		o.Websocket.NoTLS = true
	}
	if st.clusterName != "" {
		o.Cluster.Name = st.clusterName
		o.Cluster.Host = loopback
		o.Cluster.Port = portOrRandom(st.clusterPort)
		o.Routes = server.RoutesFromStr(strings.Join(st.routes, ","))
		o.Cluster.Advertise = st.routeAdvertise
	}
	if c.operator != nil {
		c.operator.configure(o)
	}
	for _, f := range c.configure {
		f(o)
	}
	return o
}

func portOrRandom(p int) int {
	if p == 0 {
		return server.RANDOM_PORT
	}
	return p
}

// cloneSlice copies the pointed-to values too, since the server may modify them.
func cloneSlice[T any](in []*T) []*T {
	if in == nil {
		return nil
	}
	out := make([]*T, len(in))
	for i, v := range in {
		cp := *v
		out[i] = &cp
	}
	return out
}
