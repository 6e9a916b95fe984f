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
	handler   func(Event)
	mu        sync.Mutex
	queue     []Event
	listeners map[*listener]struct{}
	wake      chan struct{}
	closed    bool
	done      chan struct{}
}

// listener is a channel subscribed to some kinds of events.
type listener struct {
	kinds map[EventKind]bool
	ch    chan Event
}

func newEventQueue(handler func(Event)) *eventQueue {
	q := &eventQueue{handler: handler, wake: make(chan struct{}, 1), done: make(chan struct{}),
		listeners: map[*listener]struct{}{}}
	go q.run()
	return q
}

// post queues e; it never blocks. After close, events are dropped.
func (q *eventQueue) post(e Event) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.queue = append(q.queue, e)
	q.toListenersLocked(e)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close delivers what is queued (the final Closed event last) to the handler and ends the
// actor; listener channels, which already got every event, are closed at once.
func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	for l := range q.listeners {
		close(l.ch)
		delete(q.listeners, l)
	}
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
				if q.handler != nil {
					q.handler(e)
				}
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

// toListenersLocked offers e to every listener without waiting; the caller holds mu, so a
// listener's stop cannot close its channel during the send, and a listener sees exactly the
// events posted after it was added.
func (q *eventQueue) toListenersLocked(e Event) {
	for l := range q.listeners {
		if len(l.kinds) == 0 || l.kinds[e.Kind] {
			select {
			case l.ch <- e:
			default: // a full listener misses this one; it still knows something happened
			}
		}
	}
}

// Events returns a channel that receives the connection's events of the given kinds (all
// kinds when none are given), in order, from the same actor that calls the
// WithEventHandler handler. It is meant for actors built on the connection (consumers,
// watchers, services) that must react to reconnects. The channel holds 64 events; an event
// that finds it full is skipped for this listener, so treat a receive as "something
// happened" and look at the current state. The channel is closed when the connection
// closes or stop is called.
func (c *Conn) Events(kinds ...EventKind) (events <-chan Event, stop func()) {
	l := &listener{kinds: map[EventKind]bool{}, ch: make(chan Event, 64)}
	for _, k := range kinds {
		l.kinds[k] = true
	}
	q := c.ev
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		close(l.ch)
		return l.ch, func() {}
	}
	q.listeners[l] = struct{}{}
	var once sync.Once
	return l.ch, func() {
		once.Do(func() {
			q.mu.Lock()
			defer q.mu.Unlock()
			if _, ok := q.listeners[l]; ok {
				delete(q.listeners, l)
				close(l.ch)
			}
		})
	}
}
