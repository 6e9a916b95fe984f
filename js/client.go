package js

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

// DefaultPublishAsyncMaxPending is the default bound on asynchronous publishes waiting
// for their acknowledgement (WithPublishAsyncMaxPending).
const DefaultPublishAsyncMaxPending = 4000

// Client publishes to and consumes from JetStream over one connection. It is safe for
// concurrent use. It holds the state of asynchronous publishing (the in-flight window
// and its reply subscription, created on the first PublishAsync); everything else
// lives in the server or in the consumers it creates.
type Client struct {
	c   *conn.Conn
	m   *jsm.Manager
	opt clientOptions

	asyncOnce sync.Once
	async     *asyncPublisher
	linkOnce  sync.Once
	links     *linkWatch
}

type clientOptions struct {
	jsmOpts          []jsm.Option
	asyncMaxPending  int
	asyncAckTimeout  time.Duration
	asyncErrHandler  func(*conn.Msg, error)
	logger           *slog.Logger
	optErr           error
	publishRetries   int
	publishRetryWait time.Duration
}

// Option configures New.
type Option func(*clientOptions) error

// WithDomain addresses the JetStream of domain d (API prefix "$JS.<d>.API").
func WithDomain(d string) Option {
	return func(o *clientOptions) error {
		o.jsmOpts = append(o.jsmOpts, jsm.WithDomain(d))
		return nil
	}
}

// WithAPIPrefix sends API requests under prefix instead of "$JS.API", for a JetStream
// imported from another account.
func WithAPIPrefix(prefix string) Option {
	return func(o *clientOptions) error {
		o.jsmOpts = append(o.jsmOpts, jsm.WithAPIPrefix(prefix))
		return nil
	}
}

// WithTimeout bounds API calls and publishes whose ctx has no deadline (default
// jsm.DefaultTimeout, 5 s).
func WithTimeout(d time.Duration) Option {
	return func(o *clientOptions) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v must be positive", ErrInvalidOption, d)
		}
		o.jsmOpts = append(o.jsmOpts, jsm.WithTimeout(d))
		return nil
	}
}

// WithPublishAsyncMaxPending bounds the asynchronous publishes waiting for their
// acknowledgement (default DefaultPublishAsyncMaxPending). PublishAsync waits, up to
// its ctx, for room in the window.
func WithPublishAsyncMaxPending(n int) Option {
	return func(o *clientOptions) error {
		if n <= 0 {
			return fmt.Errorf("%w: max pending %d must be positive", ErrInvalidOption, n)
		}
		o.asyncMaxPending = n
		return nil
	}
}

// WithPublishAsyncTimeout fails an asynchronous publish with ErrTimeout when its
// acknowledgement has not come within d. The default is no per-ack timeout: futures
// still resolve at a disconnect or when the connection closes.
func WithPublishAsyncTimeout(d time.Duration) Option {
	return func(o *clientOptions) error {
		if d <= 0 {
			return fmt.Errorf("%w: ack timeout %v must be positive", ErrInvalidOption, d)
		}
		o.asyncAckTimeout = d
		return nil
	}
}

// WithPublishAsyncErrHandler is called, on the asynchronous publisher's goroutine, with
// the message and the error of every asynchronous publish that failed. It must not
// block for long.
func WithPublishAsyncErrHandler(f func(m *conn.Msg, err error)) Option {
	return func(o *clientOptions) error {
		o.asyncErrHandler = f
		return nil
	}
}

// WithPublishRetries sets how many times Publish tries again when no stream answered
// (the server's 503, as while a stream leader is elected), and how long it waits
// between tries (defaults 2 and 250 ms, ADR-22). Retries stay within the ctx deadline
// and reuse the same Nats-Msg-Id.
func WithPublishRetries(attempts int, wait time.Duration) Option {
	return func(o *clientOptions) error {
		if attempts < 0 || wait < 0 {
			return fmt.Errorf("%w: retries %d / wait %v", ErrInvalidOption, attempts, wait)
		}
		o.publishRetries, o.publishRetryWait = attempts, wait
		return nil
	}
}

// WithLogger logs consumer activity (re-pulls, resets, missed heartbeats) to l. The
// default is silent.
func WithLogger(l *slog.Logger) Option {
	return func(o *clientOptions) error {
		o.logger = l
		return nil
	}
}

// New returns a Client for c. It does no I/O. A rejected option is kept and returned,
// wrapping ErrInvalidOption, by every call of the Client.
func New(c *conn.Conn, opts ...Option) *Client {
	o := clientOptions{
		asyncMaxPending:  DefaultPublishAsyncMaxPending,
		publishRetries:   2,
		publishRetryWait: 250 * time.Millisecond,
	}
	for _, f := range opts {
		if err := f(&o); err != nil && o.optErr == nil {
			o.optErr = err
		}
	}
	if o.logger == nil {
		o.logger = slog.New(discardHandler{})
	}
	return &Client{c: c, m: jsm.New(c, o.jsmOpts...), opt: o}
}

// Manager returns the JetStream management API the Client uses.
func (j *Client) Manager() *jsm.Manager { return j.m }

// Conn returns the Client's connection.
func (j *Client) Conn() *conn.Conn { return j.c }

// err returns the first option error of the Client or of its Manager.
func (j *Client) err() error {
	if j.opt.optErr != nil {
		return j.opt.optErr
	}
	return j.m.Err()
}

// withTimeout bounds ctx by the API timeout when it has no deadline.
func (j *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return j.m.WithDefaultTimeout(ctx)
}

// discardHandler is a silent slog handler.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
