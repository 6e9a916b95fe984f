package actor

import (
	"errors"
	"sync"
)

// ErrStopped is returned by [Call] when the actor ended before it replied. Callers that
// have a more specific reason (a closed connection, an unsubscribed subscription) map it
// with errors.Is, or report the actor's [Lifecycle.Err].
var ErrStopped = errors.New("nats: actor stopped")

// Lifecycle records the end of an actor: Done closes once and Err tells why.
// All methods are safe for concurrent use and none of them blocks beyond a short
// internal lock. The zero value is not usable; use [NewLifecycle].
type Lifecycle struct {
	mu     sync.Mutex
	err    error
	closed bool
	done   chan struct{}
}

// NewLifecycle returns an open Lifecycle.
func NewLifecycle() *Lifecycle {
	return &Lifecycle{done: make(chan struct{})}
}

// Close ends the lifecycle: the first call records err (which may be nil) and closes
// Done, and returns true. Every later call changes nothing and returns false. It does
// not block and is safe from any goroutine, any number of times.
func (l *Lifecycle) Close(err error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.closed = true
	l.err = err
	close(l.done)
	return true
}

// Done returns a channel that is closed by the first Close. It does not block.
func (l *Lifecycle) Done() <-chan struct{} {
	return l.done
}

// Err returns nil before Close, and the error the first Close recorded after it
// (nil if that was nil). It does not block.
func (l *Lifecycle) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Closed reports whether Close has been called. It does not block.
func (l *Lifecycle) Closed() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}
