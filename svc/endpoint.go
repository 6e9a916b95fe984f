package svc

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// EndpointOption configures an endpoint (AddEndpoint).
type EndpointOption func(*endpointOptions) error

type endpointOptions struct {
	subject      string
	metadata     map[string]string
	queue        string
	queueSet     bool
	noQueue      bool
	pendingMsgs  int
	pendingBytes int
	pendingSet   bool
	channel      bool
}

// WithEndpointSubject makes the endpoint listen on subject (prefixed by its groups)
// instead of on its name. Wildcards are allowed; ">" only as the last token.
func WithEndpointSubject(subject string) EndpointOption {
	return func(o *endpointOptions) error {
		if err := checkSubject(subject, true); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidOption, err)
		}
		o.subject = subject
		return nil
	}
}

// WithEndpointMetadata sets the endpoint's metadata, shown by $SRV.INFO. The map is copied.
func WithEndpointMetadata(md map[string]string) EndpointOption {
	return func(o *endpointOptions) error {
		o.metadata = copyMetadata(md)
		return nil
	}
}

// WithEndpointQueueGroup puts the endpoint in queue group q instead of the group's or
// service's queue group.
func WithEndpointQueueGroup(q string) EndpointOption {
	return func(o *endpointOptions) error {
		if err := checkQueue(q); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidOption, err)
		}
		o.queue, o.queueSet, o.noQueue = q, true, false
		return nil
	}
}

// WithEndpointNoQueueGroup makes the endpoint a plain subscription: every instance of the
// service receives every request.
func WithEndpointNoQueueGroup() EndpointOption {
	return func(o *endpointOptions) error {
		o.queue, o.queueSet, o.noQueue = "", true, true
		return nil
	}
}

// WithEndpointPendingLimits bounds the requests and bytes the endpoint holds before its
// handler takes them (conn's defaults otherwise). Requests beyond them are dropped and
// reported to Config.ErrorHandler as a slow consumer. A value <= 0 means no limit.
func WithEndpointPendingLimits(msgs, bytes int) EndpointOption {
	return func(o *endpointOptions) error {
		o.pendingMsgs, o.pendingBytes, o.pendingSet = msgs, bytes, true
		return nil
	}
}

// WithRequestChannel delivers the endpoint's requests on Endpoint.Requests instead of to a
// handler; AddEndpoint must then be given a nil handler. The channel is unbuffered (the
// endpoint's pending limits bound what waits behind it) and is closed once the service has
// stopped and every request received before was taken. The processing time of such a
// request runs from its arrival to its first reply.
func WithRequestChannel() EndpointOption {
	return func(o *endpointOptions) error {
		o.channel = true
		return nil
	}
}

// Endpoint is one endpoint of a service: a subscription whose requests go to a handler, or
// out on Requests, and the statistics that go with it.
type Endpoint struct {
	srv      *Service
	name     string
	subject  string
	queue    string
	metadata map[string]string
	handler  Handler
	reqs     chan *Request // WithRequestChannel; nil otherwise
	pumped   chan struct{} // with reqs: closed when pump has ended
	sub      *conn.Subscription

	mu          sync.Mutex
	numRequests int
	numErrors   int
	lastError   string
	processing  time.Duration
}

// Name returns the endpoint's name.
func (e *Endpoint) Name() string { return e.name }

// Subject returns the subject the endpoint listens on, group prefixes included.
func (e *Endpoint) Subject() string { return e.subject }

// QueueGroup returns the endpoint's queue group, "" when it has none.
func (e *Endpoint) QueueGroup() string { return e.queue }

// Metadata returns a copy of the endpoint's metadata.
func (e *Endpoint) Metadata() map[string]string { return copyMetadata(e.metadata) }

// Service returns the service the endpoint belongs to.
func (e *Endpoint) Service() *Service { return e.srv }

// Requests returns the channel the requests of an endpoint added with WithRequestChannel
// arrive on, nil for an endpoint with a handler. It is closed when the service has
// stopped (Stop, Drain or the connection closing), after the requests received before.
func (e *Endpoint) Requests() <-chan *Request {
	if e.reqs == nil {
		return nil
	}
	return e.reqs
}

// Info returns the endpoint's description as $SRV.INFO shows it.
func (e *Endpoint) Info() EndpointInfo {
	return EndpointInfo{Name: e.name, Subject: e.subject, QueueGroup: e.queue, Metadata: copyMetadata(e.metadata)}
}

// Stats returns the endpoint's statistics, with the data of Config.StatsHandler.
func (e *Endpoint) Stats() EndpointStats {
	e.mu.Lock()
	st := EndpointStats{
		Name:           e.name,
		Subject:        e.subject,
		QueueGroup:     e.queue,
		NumRequests:    e.numRequests,
		NumErrors:      e.numErrors,
		LastError:      e.lastError,
		ProcessingTime: e.processing,
	}
	e.mu.Unlock()
	if st.NumRequests > 0 {
		st.AverageProcessingTime = st.ProcessingTime / time.Duration(st.NumRequests)
	}
	if h := e.srv.cfg.StatsHandler; h != nil {
		st.Data = e.statsData(h)
	}
	return st
}

// statsData calls the stats handler, which is user code: a panic or data that does not
// encode is reported and leaves Data out.
func (e *Endpoint) statsData(h func(*Endpoint) any) (data json.RawMessage) {
	defer func() {
		if v := recover(); v != nil {
			e.srv.reportError(fmt.Errorf("nats: service %s: stats handler panicked for endpoint %q: %v", e.srv.cfg.Name, e.name, v))
			data = nil
		}
	}()
	v := h(e)
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		e.srv.reportError(fmt.Errorf("nats: service %s: stats data of endpoint %q: %w", e.srv.cfg.Name, e.name, err))
		return nil
	}
	return b
}

func (e *Endpoint) reset() {
	e.mu.Lock()
	e.numRequests, e.numErrors, e.lastError, e.processing = 0, 0, "", 0
	e.mu.Unlock()
}

func (e *Endpoint) countRequest() {
	e.mu.Lock()
	e.numRequests++
	e.mu.Unlock()
}

func (e *Endpoint) addProcessing(d time.Duration) {
	e.mu.Lock()
	e.processing += d
	e.mu.Unlock()
}

func (e *Endpoint) recordError(desc string) {
	e.mu.Lock()
	e.numErrors++
	e.lastError = desc
	e.mu.Unlock()
}

// handle is the subscription handler of an endpoint with a Handler. It runs on the
// subscription's goroutine; a panic in the user's handler is answered with a 500 error.
func (e *Endpoint) handle(m *conn.Msg) {
	r := &Request{msg: m, ep: e}
	e.countRequest()
	start := time.Now()
	defer func() {
		e.addProcessing(time.Since(start))
		if v := recover(); v != nil {
			desc := fmt.Sprintf("handler panicked: %v", v)
			e.srv.reportError(fmt.Errorf("nats: service %s: endpoint %q: %s", e.srv.cfg.Name, e.name, desc))
			if m.Reply != "" {
				_ = r.Error("500", "internal error: handler panicked", nil)
			} else {
				e.recordError("500:" + desc)
			}
			e.mu.Lock()
			e.lastError = "500:" + desc
			e.mu.Unlock()
		}
	}()
	e.handler.Handle(r)
}

// pump hands the requests of an endpoint with a request channel to its receiver, one at a
// time, until its subscription ends. The subscription has no handler of its own, so that
// its Drain — which the receiver itself may call through Stop or Drain — never waits for
// the receiver; its pending limits still bound what waits behind the receiver.
func (e *Endpoint) pump() {
	defer close(e.pumped)
	for m := range e.sub.C() {
		e.forward(m)
	}
}

// forward hands one request to the receiver. It waits for the receiver, or for the
// service to give up on its requests (a drain that timed out, the connection closed).
func (e *Endpoint) forward(m *conn.Msg) {
	r := &Request{msg: m, ep: e, start: time.Now()}
	e.countRequest()
	select {
	case e.reqs <- r:
	case <-e.srv.abort:
	}
}
