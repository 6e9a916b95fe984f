package svc

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// Handler handles the requests of an endpoint. Handle is called on the endpoint's own
// goroutine, one request at a time; it may answer the request later, from any goroutine.
type Handler interface {
	Handle(r *Request)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(r *Request)

// Handle calls f(r).
func (f HandlerFunc) Handle(r *Request) { f(r) }

// Request is one request received by an endpoint. Its methods are safe to call from any
// goroutine; answering more than once publishes more than one reply.
type Request struct {
	msg *conn.Msg
	ep  *Endpoint
	// start is set for requests handed out on a channel: their processing time runs from
	// the hand-over to the first reply.
	start     time.Time
	responded atomic.Bool
}

// Data returns the payload of the request.
func (r *Request) Data() []byte { return r.msg.Data }

// Headers returns the headers of the request (nil when it has none).
func (r *Request) Headers() conn.Header { return r.msg.Header }

// Subject returns the subject the request was sent to.
func (r *Request) Subject() string { return r.msg.Subject }

// Reply returns the subject the reply goes to; empty when the sender expects no reply.
func (r *Request) Reply() string { return r.msg.Reply }

// Msg returns the underlying message.
func (r *Request) Msg() *conn.Msg { return r.msg }

// Endpoint returns the endpoint that received the request.
func (r *Request) Endpoint() *Endpoint { return r.ep }

// RespondOption configures a reply.
type RespondOption func(*respondOptions)

type respondOptions struct {
	header conn.Header
}

// WithHeaders adds the headers h to the reply. With Error, the Nats-Service-Error headers
// are set on top of them (h itself is not modified).
func WithHeaders(h conn.Header) RespondOption {
	return func(o *respondOptions) { o.header = h }
}

// Respond sends data as the reply. It never blocks on the network and returns the
// connection's publish error, if any; such a failed reply counts as an endpoint error and
// goes to Config.ErrorHandler. A request sent without a reply subject returns
// conn.ErrNoReply, which counts as nothing.
func (r *Request) Respond(data []byte, opts ...RespondOption) error {
	var o respondOptions
	for _, opt := range opts {
		opt(&o)
	}
	return r.send(o.header, data)
}

// RespondJSON sends v encoded as JSON as the reply.
func (r *Request) RespondJSON(v any, opts ...RespondOption) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("nats: service reply: %w", err)
	}
	return r.Respond(data, opts...)
}

// Error sends a service error as the reply: the headers Nats-Service-Error (description)
// and Nats-Service-Error-Code (code, which must be a number such as "400"), with data as
// the payload. The error counts in the endpoint's statistics.
func (r *Request) Error(code, description string, data []byte, opts ...RespondOption) error {
	if err := checkErrorCode(code); err != nil {
		return err
	}
	var o respondOptions
	for _, opt := range opts {
		opt(&o)
	}
	h := make(conn.Header, len(o.header)+2)
	for k, v := range o.header {
		h[k] = append([]string(nil), v...)
	}
	h.Set(ErrorHeader, description)
	h.Set(ErrorCodeHeader, code)
	r.ep.recordError(code + ":" + description)
	return r.send(h, data)
}

func (r *Request) send(h conn.Header, data []byte) error {
	if !r.start.IsZero() && !r.responded.Swap(true) {
		r.ep.addProcessing(time.Since(r.start))
	}
	err := r.msg.RespondMsg(&conn.Msg{Header: h, Data: data})
	if errors.Is(err, conn.ErrNoReply) {
		return err // the sender expects no answer: nothing failed on the service's side
	}
	if err != nil {
		err = fmt.Errorf("nats: service %s: reply on endpoint %q: %w", r.ep.srv.cfg.Name, r.ep.name, err)
		r.ep.recordError(err.Error())
		r.ep.srv.reportError(err)
	}
	return err
}

// ServiceError is a service error read back from a reply by ResponseError.
type ServiceError struct {
	// Code is the value of Nats-Service-Error-Code.
	Code int
	// Description is the value of Nats-Service-Error.
	Description string
}

// Error formats the error as "nats: service error <code>: <description>".
func (e *ServiceError) Error() string {
	return fmt.Sprintf("nats: service error %d: %s", e.Code, e.Description)
}

// ResponseError returns the service error a reply carries in its Nats-Service-Error and
// Nats-Service-Error-Code headers, or nil when it carries none. A code that is not a number
// is reported as 500.
func ResponseError(m *conn.Msg) *ServiceError {
	if m == nil || (!m.Header.Has(ErrorCodeHeader) && !m.Header.Has(ErrorHeader)) {
		return nil
	}
	code, err := strconv.Atoi(m.Header.Get(ErrorCodeHeader))
	if err != nil {
		code = 500
	}
	return &ServiceError{Code: code, Description: m.Header.Get(ErrorHeader)}
}
