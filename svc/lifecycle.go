package svc

import (
	"context"
	"fmt"

	"github.com/natsactor/natsactor/conn"
)

// Stop drains the service with DefaultDrainTimeout; see Drain.
func (s *Service) Stop() error { return s.Drain(context.Background()) }

// Drain stops the service gracefully: no endpoint takes new requests, the requests already
// received are handled and answered (those of request channels are handed out, so keep
// receiving until Requests is closed), then the $SRV subscriptions end and DoneHandler is
// called. Once Drain returns, the server no longer routes requests to the service.
//
// It returns when the service has stopped (Done is closed), or with ctx's error (a ctx
// without deadline gets DefaultDrainTimeout), in which case the requests not yet handled
// are dropped and the service stops as soon as the running handlers return. It is
// idempotent and safe from inside a handler, where it does not wait for handlers to return
// (the service stops once they have). Nor does it wait for the receivers of request
// channels, one of which may be its caller: with such endpoints it returns once the
// server stopped routing requests, and Done closes after Requests handed out the rest.
func (s *Service) Drain(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultDrainTimeout)
		defer cancel()
	}
	eps, mons := s.beginStop(nil)
	var firstErr error
	// Endpoints first, so that monitoring answers while their last requests are handled.
	for _, e := range eps {
		if err := e.sub.Drain(ctx); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for _, m := range mons {
		if err := m.Drain(ctx); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		s.abortRequests()
		return fmt.Errorf("nats: service %s: drain: %w", s.cfg.Name, firstErr)
	}
	// From inside a handler, conn's Drain does not wait for handlers to return: some
	// subscription is then still running and waiting for the service would deadlock.
	for _, e := range eps {
		if !closed(e.sub.Done()) {
			return nil
		}
	}
	for _, m := range mons {
		if !closed(m.Done()) {
			return nil
		}
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.abortRequests()
		return fmt.Errorf("nats: service %s: drain: %w", s.cfg.Name, ctx.Err())
	}
}

// Done is closed when the service has stopped: every subscription ended and the last
// handler call returned.
func (s *Service) Done() <-chan struct{} { return s.done }

// Stopped reports whether the service is stopping or stopped: Stop or Drain was called,
// or its connection closed.
func (s *Service) Stopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// Err returns why the service stopped when it was not Stop or Drain (the connection
// closed), nil otherwise.
func (s *Service) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopErr
}

// beginStop marks the service as stopping (once) and returns its subscriptions.
func (s *Service) beginStop(cause error) ([]*Endpoint, []*conn.Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopping {
		s.stopping = true
		s.stopErr = cause
		close(s.stopCh)
	}
	return append([]*Endpoint(nil), s.endpoints...), append([]*conn.Subscription(nil), s.monitors...)
}

func (s *Service) subscriptionsLocked() []*conn.Subscription {
	subs := make([]*conn.Subscription, 0, len(s.endpoints)+len(s.monitors))
	for _, e := range s.endpoints {
		subs = append(subs, e.sub)
	}
	return append(subs, s.monitors...)
}

// abortRequests makes request channels stop waiting for their receivers.
func (s *Service) abortRequests() {
	s.abortOnce.Do(func() { close(s.abort) })
}

// finish is the service's goroutine that ends it: it waits for Stop, Drain or the
// connection to close, then for every subscription to end, closes the request channels and
// Done, and calls DoneHandler.
func (s *Service) finish() {
	select {
	case <-s.stopCh:
	case <-s.c.Done():
		cause := conn.ErrConnectionClosed
		if err := s.c.Err(); err != nil {
			cause = err
		}
		s.beginStop(fmt.Errorf("nats: service %s stopped: %w", s.cfg.Name, cause))
		s.abortRequests()
	}
	s.mu.Lock()
	eps := append([]*Endpoint(nil), s.endpoints...)
	subs := s.subscriptionsLocked()
	s.mu.Unlock()
	for _, sub := range subs {
		<-sub.Done()
	}
	for _, e := range eps {
		if e.reqs != nil {
			<-e.pumped // it may still be handing out a request
			close(e.reqs)
		}
	}
	s.evStop()
	close(s.done)
	if h := s.cfg.DoneHandler; h != nil {
		func() {
			defer func() { _ = recover() }()
			h(s)
		}()
	}
}

// reportError queues err for ErrorHandler without ever blocking.
func (s *Service) reportError(err error) {
	if s.cfg.ErrorHandler == nil {
		return
	}
	select {
	case s.errs <- err:
	default:
	}
}

// notify is the service's goroutine that calls ErrorHandler, in order, with the errors
// of handlers and of the connection's events about the service's subscriptions.
func (s *Service) notify(events <-chan conn.Event) {
	for {
		select {
		case err := <-s.errs:
			s.callErrorHandler(err)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if what := s.describe(ev.Sub); what != "" && ev.Err != nil {
				s.callErrorHandler(fmt.Errorf("nats: service %s: %s: %w", s.cfg.Name, what, ev.Err))
			}
		case <-s.done:
			for {
				select {
				case err := <-s.errs:
					s.callErrorHandler(err)
				default:
					return
				}
			}
		}
	}
}

func (s *Service) callErrorHandler(err error) {
	h := s.cfg.ErrorHandler
	if h == nil {
		return
	}
	defer func() { _ = recover() }()
	h(s, err)
}

// describe names the service's subscription sub ("endpoint \"add\"", "monitoring
// subject ..."), or returns "" when sub is not the service's.
func (s *Service) describe(sub *conn.Subscription) string {
	if sub == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.endpoints {
		if e.sub == sub {
			return fmt.Sprintf("endpoint %q", e.name)
		}
	}
	for _, m := range s.monitors {
		if m == sub {
			return fmt.Sprintf("monitoring subject %q", m.Subject())
		}
	}
	return ""
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
