package svc

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nuid"
	"github.com/natsactor/natsactor/conn"
)

// DefaultDrainTimeout bounds Stop, and Drain when its ctx has no deadline.
const DefaultDrainTimeout = 30 * time.Second

// DefaultEndpointName is the name of Config.Endpoint when it has none.
const DefaultEndpointName = "default"

// Config describes a service for Add.
type Config struct {
	// Name is the kind of service, shared by all its instances: A-Z, a-z, 0-9, dash and
	// underscore only. Required.
	Name string
	// Version is the service's SemVer 2.0 version, such as "1.0.0". Required.
	Version string
	// Description is a human-readable description, shown by $SRV.INFO.
	Description string
	// Metadata is free-form metadata shown by every $SRV answer. It is copied: later changes
	// to the map do not reach the service.
	Metadata map[string]string
	// QueueGroup is the queue group of the endpoints that do not choose their own
	// (default "q"). Instances of a service in the same queue group share its requests.
	QueueGroup string
	// NoQueueGroup makes the endpoints that do not choose otherwise plain subscriptions:
	// every instance receives every request.
	NoQueueGroup bool
	// APIPrefix replaces "$SRV" in the discovery and monitoring subjects, for instance to
	// reach services across accounts.
	APIPrefix string
	// StatsHandler, when set, returns extra data for an endpoint's statistics (the "data"
	// field of $SRV.STATS); the value is encoded as JSON. It is called by Stats and for
	// each $SRV.STATS request, on the goroutine of the caller.
	StatsHandler func(e *Endpoint) any
	// DoneHandler, when set, is called once after the service stopped (Stop, Drain, or
	// its connection closing), on a goroutine of the service, after Done was closed.
	DoneHandler func(s *Service)
	// ErrorHandler, when set, receives the service's asynchronous errors, one at a time on
	// a goroutine of the service: handler panics, replies that failed to publish, slow
	// consumer drops on an endpoint (conn.ErrSlowConsumer), subscriptions the server refused,
	// stats handler failures. Errors that find 64 others waiting are dropped.
	ErrorHandler func(s *Service, err error)
	// Endpoint, when set, is an endpoint added with the service.
	Endpoint *EndpointConfig
}

// EndpointConfig describes the endpoint Add creates with the service (Config.Endpoint).
type EndpointConfig struct {
	// Name is the endpoint's name (default "default"); its subject unless an option says
	// otherwise.
	Name string
	// Handler handles the requests; nil only with WithRequestChannel.
	Handler Handler
	// Options are the endpoint's options, as given to AddEndpoint.
	Options []EndpointOption
}

// Service is a running service: its endpoints and the subscriptions answering $SRV
// requests. It is safe for concurrent use.
type Service struct {
	c       *conn.Conn
	cfg     Config
	id      string
	started time.Time
	prefix  string
	queue   string
	noQueue bool
	ping    []byte // the PING answer, which never changes

	mu        sync.Mutex
	endpoints []*Endpoint
	monitors  []*conn.Subscription
	stopping  bool
	stopErr   error

	stopCh    chan struct{} // closed when Stop or Drain begins
	abortOnce sync.Once
	abort     chan struct{} // closed: request channels stop waiting for their receivers
	done      chan struct{} // closed when every subscription has ended
	errs      chan error    // asynchronous errors for ErrorHandler
	evStop    func()
}

// Add starts a service on c: it validates cfg, subscribes to the $SRV subjects and to the
// default endpoint if any, and flushes, so that the service is reachable when Add returns.
// A bad Config wraps ErrInvalidConfig (or ErrInvalidEndpoint for Config.Endpoint); a
// failed flush (ctx's error, a closed connection) leaves no subscription behind.
func Add(ctx context.Context, c *conn.Conn, cfg Config) (*Service, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil connection", ErrInvalidConfig)
	}
	if err := validateConfig(&cfg); err != nil {
		return nil, err
	}
	cfg.Metadata = copyMetadata(cfg.Metadata)
	s := &Service{
		c:       c,
		cfg:     cfg,
		id:      nuid.Next(),
		started: time.Now().UTC(),
		prefix:  cfg.APIPrefix,
		queue:   cfg.QueueGroup,
		noQueue: cfg.NoQueueGroup,
		stopCh:  make(chan struct{}),
		abort:   make(chan struct{}),
		done:    make(chan struct{}),
		errs:    make(chan error, 64),
	}
	if s.noQueue {
		s.queue = ""
	}
	s.ping = s.pingJSON()
	if err := s.startMonitoring(); err != nil {
		s.teardown()
		return nil, err
	}
	if ec := cfg.Endpoint; ec != nil {
		name := ec.Name
		if name == "" {
			name = DefaultEndpointName
		}
		if _, err := s.AddEndpoint(name, ec.Handler, ec.Options...); err != nil {
			s.teardown()
			return nil, err
		}
	}
	if err := c.Flush(ctx); err != nil {
		s.teardown()
		return nil, fmt.Errorf("nats: service %s: %w", cfg.Name, err)
	}
	events, stop := c.Events(conn.EventSlowConsumer, conn.EventAsyncError)
	s.evStop = stop
	go s.notify(events)
	go s.finish()
	return s, nil
}

func validateConfig(cfg *Config) error {
	if !validName(cfg.Name) {
		return fmt.Errorf("%w: service name %q: only A-Z, a-z, 0-9, '-' and '_' are allowed", ErrInvalidConfig, cfg.Name)
	}
	if !validVersion(cfg.Version) {
		return fmt.Errorf("%w: service version %q is not SemVer 2.0", ErrInvalidConfig, cfg.Version)
	}
	if cfg.QueueGroup == "" {
		cfg.QueueGroup = DefaultQueueGroup
	} else if err := checkQueue(cfg.QueueGroup); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if cfg.APIPrefix == "" {
		cfg.APIPrefix = DefaultAPIPrefix
	} else if err := checkPrefix(cfg.APIPrefix); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return nil
}

// teardown undoes a failed Add: no handler runs once it returns.
func (s *Service) teardown() {
	s.abortRequests()
	s.mu.Lock()
	s.stopping = true
	subs := s.subscriptionsLocked()
	s.mu.Unlock()
	for _, sub := range subs {
		_ = sub.Unsubscribe()
	}
}

// ID returns the unique id of this instance of the service.
func (s *Service) ID() string { return s.id }

// Name returns the service's name.
func (s *Service) Name() string { return s.cfg.Name }

// Version returns the service's version.
func (s *Service) Version() string { return s.cfg.Version }

// Started returns when the service started, in UTC.
func (s *Service) Started() time.Time { return s.started }

// Conn returns the connection the service runs on.
func (s *Service) Conn() *conn.Conn { return s.c }

// AddEndpoint adds an endpoint named name (A-Z, a-z, 0-9, '-' and '_'; several endpoints
// may share a name) whose requests go to h, or, with WithRequestChannel and a nil h, out
// on the endpoint's Requests channel. The endpoint listens on its name, or on the subject
// of WithEndpointSubject, in the service's queue group unless an option says otherwise.
// It returns once the subscription is queued to the server (Flush the connection if the
// server must know it before you go on). Errors wrap ErrInvalidEndpoint, ErrInvalidOption,
// ErrServiceStopped or the connection's subscribe error.
func (s *Service) AddEndpoint(name string, h Handler, opts ...EndpointOption) (*Endpoint, error) {
	return s.addEndpoint(&Group{srv: s, queue: s.queue, noQueue: s.noQueue}, name, h, opts)
}

func (s *Service) addEndpoint(g *Group, name string, h Handler, opts []EndpointOption) (*Endpoint, error) {
	if !validName(name) {
		return nil, fmt.Errorf("%w: endpoint name %q: only A-Z, a-z, 0-9, '-' and '_' are allowed", ErrInvalidEndpoint, name)
	}
	o := endpointOptions{}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("endpoint %q: %w", name, err)
		}
	}
	if f, ok := h.(HandlerFunc); ok && f == nil {
		h = nil
	}
	switch {
	case o.channel && h != nil:
		return nil, fmt.Errorf("%w: endpoint %q has both a handler and a request channel", ErrInvalidEndpoint, name)
	case !o.channel && h == nil:
		return nil, fmt.Errorf("%w: endpoint %q has no handler", ErrInvalidEndpoint, name)
	}
	subject := o.subject
	if subject == "" {
		subject = name
	}
	subject = joinSubject(g.prefix, subject)
	if err := checkSubject(subject, true); err != nil {
		return nil, fmt.Errorf("%w: endpoint %q: %v", ErrInvalidEndpoint, name, err)
	}
	e := &Endpoint{srv: s, name: name, subject: subject, handler: h, metadata: o.metadata}
	if e.metadata == nil {
		e.metadata = map[string]string{}
	}
	switch {
	case o.queueSet:
		e.queue = o.queue
	case !g.noQueue:
		e.queue = g.queue
	}
	subOpts := []conn.SubOption{conn.WithHandler(e.handle)}
	if o.channel {
		e.reqs, e.pumped = make(chan *Request), make(chan struct{})
		subOpts = subOpts[:0] // C() is read by e.pump
	}
	if o.pendingSet {
		subOpts = append(subOpts, conn.WithPendingLimits(o.pendingMsgs, o.pendingBytes))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil, fmt.Errorf("%w: %s: cannot add endpoint %q", ErrServiceStopped, s.cfg.Name, name)
	}
	var err error
	if e.queue != "" {
		e.sub, err = s.c.QueueSubscribe(subject, e.queue, subOpts...)
	} else {
		e.sub, err = s.c.Subscribe(subject, subOpts...)
	}
	if err != nil {
		return nil, fmt.Errorf("nats: service %s: endpoint %q: %w", s.cfg.Name, name, err)
	}
	if e.reqs != nil {
		go e.pump()
	}
	s.endpoints = append(s.endpoints, e)
	return e, nil
}

// Endpoints returns the service's endpoints in the order they were added.
func (s *Service) Endpoints() []*Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Endpoint(nil), s.endpoints...)
}

// Info returns the service's description, as $SRV.INFO answers it.
func (s *Service) Info() InfoResponse {
	eps := s.Endpoints()
	info := InfoResponse{
		Identity:    s.identity(TypeInfoResponse),
		Description: s.cfg.Description,
		Endpoints:   make([]EndpointInfo, 0, len(eps)),
	}
	for _, e := range eps {
		info.Endpoints = append(info.Endpoints, e.Info())
	}
	return info
}

// Stats returns the service's statistics, as $SRV.STATS answers them.
func (s *Service) Stats() StatsResponse {
	eps := s.Endpoints()
	st := StatsResponse{
		Identity:  s.identity(TypeStatsResponse),
		Endpoints: make([]EndpointStats, 0, len(eps)),
		Started:   s.started,
	}
	for _, e := range eps {
		st.Endpoints = append(st.Endpoints, e.Stats())
	}
	return st
}

// Reset zeroes the statistics of every endpoint.
func (s *Service) Reset() {
	for _, e := range s.Endpoints() {
		e.reset()
	}
}

func (s *Service) identity(typ string) Identity {
	return Identity{Type: typ, Name: s.cfg.Name, ID: s.id, Version: s.cfg.Version, Metadata: copyMetadata(s.cfg.Metadata)}
}
