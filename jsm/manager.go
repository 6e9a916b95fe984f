package jsm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// DefaultAPIPrefix is the subject prefix of the JetStream API of the connection's own
// account and domain.
const DefaultAPIPrefix = "$JS.API"

// DefaultTimeout bounds every API call whose ctx has no deadline.
const DefaultTimeout = 5 * time.Second

// Manager is the JetStream management API over one connection: streams, consumers,
// stored messages and the account. It holds no state the server does not have
// besides its options and a note of which streams answer direct gets, and is safe
// for concurrent use. Every call is one or a few requests on the connection.
type Manager struct {
	c       *conn.Conn
	prefix  string
	timeout time.Duration
	optErr  error

	// noDirect remembers streams seen without allow_direct, so that message reads go
	// straight to the API for them.
	noDirect sync.Map // stream name -> struct{}
}

// Option configures New.
type Option func(*Manager) error

// WithDomain addresses the JetStream of domain d: the API prefix becomes
// "$JS.<d>.API". An empty d means the connection's own. The last of WithDomain and
// WithAPIPrefix wins.
func WithDomain(d string) Option {
	return func(m *Manager) error {
		if d == "" {
			m.prefix = DefaultAPIPrefix
			return nil
		}
		if strings.ContainsAny(d, ".*> \t\r\n") {
			return fmt.Errorf("%w: domain %q", ErrInvalidOption, d)
		}
		m.prefix = "$JS." + d + ".API"
		return nil
	}
}

// WithAPIPrefix sends API requests under prefix instead of "$JS.API", for a JetStream
// imported from another account. A trailing '.' is dropped.
func WithAPIPrefix(prefix string) Option {
	return func(m *Manager) error {
		prefix = strings.TrimSuffix(prefix, ".")
		if prefix == "" || strings.ContainsAny(prefix, "*> \t\r\n") || strings.Contains(prefix, "..") {
			return fmt.Errorf("%w: API prefix %q", ErrInvalidOption, prefix)
		}
		m.prefix = prefix
		return nil
	}
}

// WithTimeout sets the bound of calls whose ctx has no deadline (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(m *Manager) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v", ErrInvalidOption, d)
		}
		m.timeout = d
		return nil
	}
}

// New returns a Manager for c. It does no I/O. A rejected option is kept and returned,
// wrapping ErrInvalidOption, by every call of the Manager.
func New(c *conn.Conn, opts ...Option) *Manager {
	m := &Manager{c: c, prefix: DefaultAPIPrefix, timeout: DefaultTimeout}
	for _, o := range opts {
		if err := o(m); err != nil && m.optErr == nil {
			m.optErr = err
		}
	}
	return m
}

// Conn returns the connection the Manager uses.
func (m *Manager) Conn() *conn.Conn { return m.c }

// APIPrefix returns the API subject prefix in use, such as "$JS.API" or "$JS.hub.API".
func (m *Manager) APIPrefix() string { return m.prefix }

// Timeout returns the bound applied to calls whose ctx has no deadline.
func (m *Manager) Timeout() time.Duration { return m.timeout }

// Err returns the error of a rejected option given to New, or nil.
func (m *Manager) Err() error { return m.optErr }

// WithDefaultTimeout returns ctx bounded by the Manager's timeout when it has no
// deadline, and the function that releases it.
func (m *Manager) WithDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, m.timeout)
}

// apiEnvelope is the part every API response shares.
type apiEnvelope struct {
	Type  string    `json:"type"`
	Error *APIError `json:"error,omitempty"`
}

// APIRequest sends req as JSON (nil sends an empty body, a []byte is sent as is) to
// the API subject prefix+"."+subject, such as "STREAM.INFO.ORDERS", and decodes the
// answer into resp (a pointer, or nil to ignore the body). An "error" in the answer is
// returned as *APIError. It blocks until the answer, ctx's end, or the Manager's
// timeout when ctx has no deadline; when nothing answers on the subject the error is
// ErrJetStreamNotEnabled wrapping conn.ErrNoResponders. It is for the packages built
// on jsm (js, kv, obj) and for API calls the Manager has no method for.
func (m *Manager) APIRequest(ctx context.Context, subject string, req any, resp any) error {
	data, err := m.rawRequest(ctx, subject, req)
	if err != nil {
		return err
	}
	var env apiEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("%w from %s: %w", ErrBadResponse, subject, err)
	}
	if env.Error != nil {
		return env.Error
	}
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(data, resp); err != nil {
		return fmt.Errorf("%w from %s: %w", ErrBadResponse, subject, err)
	}
	return nil
}

// rawRequest sends req to the API subject and returns the answer's body.
func (m *Manager) rawRequest(ctx context.Context, subject string, req any) ([]byte, error) {
	if m.optErr != nil {
		return nil, m.optErr
	}
	var body []byte
	switch r := req.(type) {
	case nil:
	case []byte:
		body = r
	default:
		var err error
		if body, err = json.Marshal(req); err != nil {
			return nil, fmt.Errorf("nats: encoding %s request: %w", subject, err)
		}
	}
	ctx, cancel := m.WithDefaultTimeout(ctx)
	defer cancel()
	full := m.prefix + "." + subject
	msg, err := m.c.Request(ctx, full, body)
	if err != nil {
		return nil, m.mapRequestErr(full, err)
	}
	return msg.Data, nil
}

// mapRequestErr turns "nobody listens on the API" into ErrJetStreamNotEnabled.
func (m *Manager) mapRequestErr(subject string, err error) error {
	if errors.Is(err, conn.ErrNoResponders) {
		return fmt.Errorf("%w (nothing answers on %s): %w", ErrJetStreamNotEnabled, subject, err)
	}
	return err
}

// JSON request and response bodies shared by several calls.
type (
	apiPaged struct {
		Total  int `json:"total"`
		Offset int `json:"offset"`
		Limit  int `json:"limit"`
	}
	apiSuccess struct {
		Success bool `json:"success"`
	}
)

// maxNameLen is the server's limit on stream and consumer names.
const maxNameLen = 255

// validateName checks a stream or consumer name as the server would, before anything
// is sent.
func validateName(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty %s name", ErrInvalidName, kind)
	case len(name) > maxNameLen:
		return fmt.Errorf("%w: %s name longer than %d bytes", ErrInvalidName, kind, maxNameLen)
	case strings.ContainsAny(name, ".*>/\\") || strings.IndexFunc(name, isSpace) >= 0:
		return fmt.Errorf("%w: %s name %q holds '.', '*', '>', a path separator or whitespace", ErrInvalidName, kind, name)
	}
	return nil
}

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\f', '\v':
		return true
	}
	return false
}
