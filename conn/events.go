package conn

import (
	"fmt"
	"sync"
)

// EventKind says what happened to a connection.
type EventKind int

// The kinds of connection events.
const (
	EventConnected         EventKind = iota + 1 // the first connection is up
	EventDisconnected                           // the link dropped; Err says why
	EventReconnected                            // a new link is up and subscriptions are restored
	EventClosed                                 // terminal; Err says why when it was not Close
	EventLameDuck                               // the server announced lame duck mode
	EventServersDiscovered                      // the cluster announced new servers
	EventSlowConsumer                           // a subscription dropped messages (once per episode)
	EventAsyncError                             // an error not tied to a call, e.g. a publish permission violation
)

var eventKindNames = [...]string{"", "connected", "disconnected", "reconnected", "closed",
	"lame duck", "servers discovered", "slow consumer", "async error"}

// String returns a lower-case name for the kind.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event is one thing that happened to a connection. Events reach the handler given with
// WithEventHandler in the order they happened.
type Event struct {
	Kind EventKind
	// Server is the URL of the server concerned, when there is one.
	Server string
	// Err is the cause of a disconnect, close, slow consumer or async error.
	Err error
	// Sub is the subscription concerned by a slow consumer or a permission violation.
	Sub *Subscription
	// Servers lists newly discovered server URLs.
	Servers []string
}

// String describes the event in one line.
func (e Event) String() string {
	s := e.Kind.String()
	if e.Server != "" {
		s += " " + e.Server
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// eventQueue is the actor that delivers events: an unbounded FIFO so that the connection
// never waits for the user's handler, drained by one goroutine so the order holds.
type eventQueue struct {
	handler func(Event)
	mu      sync.Mutex
	queue   []Event
	wake    chan struct{}
	closed  bool
	done    chan struct{}
}

func newEventQueue(handler func(Event)) *eventQueue {
	q := &eventQueue{handler: handler, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if handler == nil {
		close(q.done)
		return q
	}
	go q.run()
	return q
}

// post queues e; it never blocks. After close, events are dropped.
func (q *eventQueue) post(e Event) {
	if q.handler == nil {
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.queue = append(q.queue, e)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close delivers what is queued (the final Closed event last) and ends the actor.
func (q *eventQueue) close() {
	if q.handler == nil {
		return
	}
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) run() {
	defer close(q.done)
	for range q.wake {
		for {
			q.mu.Lock()
			batch := q.queue
			q.queue = nil
			closed := q.closed
			q.mu.Unlock()
			for _, e := range batch {
				q.handler(e)
			}
			if len(batch) == 0 {
				if closed {
					return
				}
				break
			}
		}
	}
}
