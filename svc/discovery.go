package svc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// DefaultDiscoveryStall is how long discovery waits for one more answer after the last one.
const DefaultDiscoveryStall = 300 * time.Millisecond

// DiscoveryOption configures Ping, Info and Stats.
type DiscoveryOption func(*discoveryOptions) error

type discoveryOptions struct {
	id     string
	prefix string
	stall  time.Duration
}

// WithID addresses the one instance with this id (a name is then required).
func WithID(id string) DiscoveryOption {
	return func(o *discoveryOptions) error {
		if err := checkSubject(id, false); err != nil || id == "*" {
			return fmt.Errorf("%w: service id %q", ErrInvalidOption, id)
		}
		o.id = id
		return nil
	}
}

// WithAPIPrefix replaces "$SRV" in the subjects discovery asks on.
func WithAPIPrefix(prefix string) DiscoveryOption {
	return func(o *discoveryOptions) error {
		if err := checkPrefix(prefix); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidOption, err)
		}
		o.prefix = prefix
		return nil
	}
}

// WithStall sets how long discovery waits for one more answer after the last one
// (default DefaultDiscoveryStall); 0 waits until ctx's deadline.
func WithStall(d time.Duration) DiscoveryOption {
	return func(o *discoveryOptions) error {
		if d < 0 {
			return fmt.Errorf("%w: negative stall %v", ErrInvalidOption, d)
		}
		o.stall = d
		return nil
	}
}

// Ping asks every service named name ("" for all services; with WithID, one instance) for
// its identity and returns every answer. It gathers answers until ctx's deadline (5 s
// without one), or until none came for the stall time after the last one, or, with WithID,
// until the first; no service answering is an empty slice and a nil error. Answers that
// are not a ping_response are left out and reported in the error, after the good ones.
func Ping(ctx context.Context, c *conn.Conn, name string, opts ...DiscoveryOption) ([]PingResponse, error) {
	return discover[PingResponse](ctx, c, VerbPing, TypePingResponse, name, opts, func(p *PingResponse) string { return p.Type })
}

// Info asks services for their InfoResponse, gathering answers as Ping does.
func Info(ctx context.Context, c *conn.Conn, name string, opts ...DiscoveryOption) ([]InfoResponse, error) {
	return discover[InfoResponse](ctx, c, VerbInfo, TypeInfoResponse, name, opts, func(p *InfoResponse) string { return p.Type })
}

// Stats asks services for their StatsResponse, gathering answers as Ping does.
func Stats(ctx context.Context, c *conn.Conn, name string, opts ...DiscoveryOption) ([]StatsResponse, error) {
	return discover[StatsResponse](ctx, c, VerbStats, TypeStatsResponse, name, opts, func(p *StatsResponse) string { return p.Type })
}

// DiscoverySubject returns the subject of a discovery request: prefix.verb, then the name
// and the id when given ("$SRV.INFO.calc").
func DiscoverySubject(prefix, verb, name, id string) string {
	if prefix == "" {
		prefix = DefaultAPIPrefix
	}
	subj := prefix + "." + verb
	if name != "" {
		subj += "." + name
		if id != "" {
			subj += "." + id
		}
	}
	return subj
}

func discover[T any](ctx context.Context, c *conn.Conn, verb, typ, name string, opts []DiscoveryOption, typeOf func(*T) string) ([]T, error) {
	o := discoveryOptions{prefix: DefaultAPIPrefix, stall: DefaultDiscoveryStall}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if c == nil {
		return nil, fmt.Errorf("%w: nil connection", ErrInvalidOption)
	}
	if name != "" && !validName(name) {
		return nil, fmt.Errorf("%w: service name %q", ErrInvalidOption, name)
	}
	if o.id != "" && name == "" {
		return nil, fmt.Errorf("%w: an id needs a service name", ErrInvalidOption)
	}
	var many []conn.RequestManyOption
	if o.stall > 0 {
		many = append(many, conn.ManyStall(o.stall))
	}
	if o.id != "" {
		many = append(many, conn.ManyMaxMessages(1))
	}
	out := []T{}
	var errs []error
	for m, err := range c.RequestMany(ctx, &conn.Msg{Subject: DiscoverySubject(o.prefix, verb, name, o.id)}, many...) {
		if err != nil {
			if errors.Is(err, conn.ErrNoResponders) {
				break
			}
			errs = append(errs, err)
			break
		}
		var v T
		if err := json.Unmarshal(m.Data, &v); err != nil {
			errs = append(errs, fmt.Errorf("nats: bad %s answer: %w", verb, err))
			continue
		}
		if got := typeOf(&v); got != typ {
			errs = append(errs, fmt.Errorf("nats: bad %s answer: type %q, want %q", verb, got, typ))
			continue
		}
		out = append(out, v)
	}
	return out, errors.Join(errs...)
}
