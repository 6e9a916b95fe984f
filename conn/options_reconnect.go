package conn

import "time"

// WithNoReconnect closes the connection at the first disconnect instead of reconnecting.
func WithNoReconnect() Option {
	return func(o *options) error { o.allowReconnect = false; return nil }
}

// WithMaxReconnects caps reconnect attempts per server (n >= 0); the default, -1, retries
// forever. Giving up closes the connection with a terminal EventClosed whose Err says why.
func WithMaxReconnects(n int) Option {
	return func(o *options) error {
		if n < -1 {
			return invalid("max reconnects %d", n)
		}
		o.maxReconnects = n
		return nil
	}
}

// WithReconnectWait sets the base of the exponential backoff between attempts at the same
// server (default 2 s).
func WithReconnectWait(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return invalid("reconnect wait %v", d)
		}
		o.reconnectWait = d
		return nil
	}
}

// WithReconnectJitter sets the random extra delay added to each wait, for plain and for
// TLS connections (defaults 100 ms and 1 s).
func WithReconnectJitter(plain, tls time.Duration) Option {
	return func(o *options) error {
		if plain < 0 || tls < 0 {
			return invalid("reconnect jitter %v/%v", plain, tls)
		}
		o.reconnectJitter, o.reconnectJitterTLS = plain, tls
		return nil
	}
}

// WithReconnectDelay replaces the backoff: f gets the number of full passes over the server
// pool made so far and returns how long to wait before the next pass.
func WithReconnectDelay(f func(attempts int) time.Duration) Option {
	return func(o *options) error {
		if f == nil {
			return invalid("nil reconnect delay")
		}
		o.reconnectDelay = f
		return nil
	}
}

// WithReconnectBufSize bounds, in bytes, what publishes made while reconnecting may buffer
// (default 8 MiB). A publish that does not fit returns ErrReconnectBufExceeded; -1 disables
// buffering so publishing while disconnected fails at once.
func WithReconnectBufSize(n int) Option {
	return func(o *options) error {
		if n < -1 {
			return invalid("reconnect buffer size %d", n)
		}
		o.reconnectBufSize = n
		return nil
	}
}

// WithRetryOnFailedConnect makes Connect return a connection that keeps trying in the
// background when no server answers at first, instead of failing.
func WithRetryOnFailedConnect() Option {
	return func(o *options) error { o.retryOnFailedConn = true; return nil }
}

// WithNoRandomize keeps the server pool in the given order instead of shuffling it.
func WithNoRandomize() Option {
	return func(o *options) error { o.noRandomize = true; return nil }
}

// WithIgnoreDiscoveredServers uses only the URLs given to Connect, never the servers a
// cluster announces.
func WithIgnoreDiscoveredServers() Option {
	return func(o *options) error { o.ignoreDiscovered = true; return nil }
}

// WithLameDuckMigration sets whether the client moves to another server by itself when its
// server enters lame duck mode (default true). The event is delivered either way.
func WithLameDuckMigration(on bool) Option {
	return func(o *options) error { o.lameDuckMigrate = on; return nil }
}

// WithFailRequestsOnDisconnect makes requests in flight fail with ErrDisconnected at a
// disconnect instead of waiting out their ctx.
func WithFailRequestsOnDisconnect() Option {
	return func(o *options) error { o.failReqOnDiscon = true; return nil }
}
