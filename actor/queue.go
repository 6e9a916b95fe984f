package actor

import (
	"sync"
	"sync/atomic"
)

const (
	// queueMinCap is the ring's first allocation.
	queueMinCap = 8
	// queueRetainCap is the largest ring kept once the queue drains; a larger one, left
	// by a burst, is dropped so an idle subscription does not hold it forever.
	queueRetainCap = 4096
)

// Queue is the bounded pending queue between a producer that must never block (the
// socket reader) and the actor that delivers to user code. It is limited in items and in
// bytes; a Push that would exceed either limit stores nothing and returns false, and the
// caller counts a drop. It is safe for many producers and one consumer. No method blocks
// beyond a short internal lock.
//
// The consumer waits on [Queue.Ready] and then pops until the queue is empty:
//
//	for {
//		select {
//		case <-q.Ready():
//		case <-done:
//			return
//		}
//		for v, _, ok := q.Pop(); ok; v, _, ok = q.Pop() {
//			deliver(v)
//		}
//	}
//
// Every successful Push leaves a wake-up pending, so an item can never sit in the queue
// without one after the consumer last found it empty. Wake-ups coalesce: one may stand
// for many items, and one may be spurious (its items already popped).
//
// A busy consumer takes many items under one lock instead: PopBatch, or Hold, whose
// items keep counting toward the limits and Len until each is given back with Release
// (a subscription holds a batch and releases each message as it hands it on).
//
// Items live in a ring buffer that grows by doubling and is reused, so Push and Pop do
// not allocate in steady state.
type Queue[T any] struct {
	mu    sync.Mutex
	ring  []Item[T] // len is 0 or a power of two
	head  int       // index of the oldest item
	items int       // in the ring
	bytes int
	// held and heldBytes count the items taken by Hold and not yet released: still
	// pending, so they count toward the limits and Len. They are changed under mu by
	// Hold, without it by Release (a Push racing a Release may see the item still held,
	// as if it had come a moment earlier).
	held      atomic.Int64
	heldBytes atomic.Int64
	maxItems  int
	maxBytes  int
	closed    bool
	ready     chan struct{}
	notify    func() // see SetNotify; called outside mu
}

// Item is a queued value with the size it was pushed with, as Hold hands it out.
type Item[T any] struct {
	V    T
	Size int
}

// NewQueue returns an empty queue holding at most maxItems items and maxBytes bytes;
// a limit <= 0 means that dimension is unlimited.
func NewQueue[T any](maxItems, maxBytes int) *Queue[T] {
	return &Queue[T]{maxItems: maxItems, maxBytes: maxBytes, ready: make(chan struct{}, 1)}
}

// Push appends v, counting size bytes (a negative size counts as 0) toward the byte
// limit. It never blocks on the consumer. It returns false and stores nothing when the
// queue is closed or v would take it past either limit (an item larger than the byte
// limit never fits). A Push that makes the queue non-empty leaves a wake-up pending on
// Ready; later ones do not need to, since the consumer pops until the queue is empty.
func (q *Queue[T]) Push(v T, size int) bool {
	ok, first := q.push(v, size, true)
	if first && q.notify != nil {
		q.notify()
	}
	return ok
}

// PushQuiet is Push for a producer that queues several items in a row and wakes the
// consumer once, after the last: it leaves no wake-up, and wake reports that this push
// made the queue non-empty, so the producer must call Wake when it is done (until then
// the consumer may sleep through the item). The socket reader does this for each chunk
// it reads, so that a consumer takes the chunk's messages in one batch instead of
// waking at the first and racing the reader for the rest.
func (q *Queue[T]) PushQuiet(v T, size int) (ok, wake bool) {
	return q.push(v, size, false)
}

// Wake leaves a wake-up pending on Ready (and calls the SetNotify function), as a Push
// that made the queue non-empty does; for producers using PushQuiet.
func (q *Queue[T]) Wake() {
	q.mu.Lock()
	q.wake()
	q.mu.Unlock()
	if q.notify != nil {
		q.notify()
	}
}

// push appends v; first reports that the queue was empty, and then, when wake is set,
// a wake-up is left pending (the notify function is the caller's to call, outside mu).
func (q *Queue[T]) push(v T, size int, wake bool) (ok, first bool) {
	size = max(size, 0)
	q.mu.Lock()
	if q.closed ||
		(q.maxItems > 0 && q.items+int(q.held.Load()) >= q.maxItems) ||
		(q.maxBytes > 0 && size > q.maxBytes-q.bytes-int(q.heldBytes.Load())) {
		q.mu.Unlock()
		return false, false
	}
	if q.items == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.items)&(len(q.ring)-1)] = Item[T]{V: v, Size: size}
	q.items++
	q.bytes += size
	first = q.items == 1
	if first && wake {
		// Only the push that makes the queue non-empty needs to wake the consumer: it pops
		// until the queue is empty before it waits on Ready again.
		q.wake()
	}
	q.mu.Unlock()
	return true, first
}

// Pop removes and returns the oldest item and its size; ok is false when the queue is
// empty. It does not block.
func (q *Queue[T]) Pop() (v T, size int, ok bool) {
	q.mu.Lock()
	if q.items == 0 {
		q.mu.Unlock()
		return v, 0, false
	}
	v, size = q.take()
	q.mu.Unlock()
	return v, size, true
}

// PopBatch removes up to limit of the oldest items (all of them if limit <= 0),
// appends them to dst in order and returns the extended slice. It does not block.
func (q *Queue[T]) PopBatch(dst []T, limit int) []T {
	q.mu.Lock()
	n := q.items
	if limit > 0 && limit < n {
		n = limit
	}
	for range n {
		v, _ := q.take()
		dst = append(dst, v)
	}
	q.mu.Unlock()
	return dst
}

// Hold removes up to max of the oldest items (all of them if max <= 0), appends them
// with their sizes to dst in order and returns the extended slice, under one lock where
// Pop takes one per item. The items stay pending, counting toward the limits and Len,
// until the consumer gives each back with Release when it hands the item on; so a
// consumer working through a batch holds no more than the limits allow, and Len counts
// what it has not handed on yet. It does not block.
func (q *Queue[T]) Hold(dst []Item[T], max int) []Item[T] {
	q.mu.Lock()
	n := q.items
	if max > 0 && max < n {
		n = max
	}
	bytes := 0
	for range n {
		v, size := q.take()
		dst = append(dst, Item[T]{V: v, Size: size})
		bytes += size
	}
	q.held.Add(int64(n))
	q.heldBytes.Add(int64(bytes))
	q.mu.Unlock()
	return dst
}

// Release ends the hold of an item taken by Hold: it no longer counts as pending. Call
// it once per held item, delivered or discarded. It does not take the queue's lock.
func (q *Queue[T]) Release(it Item[T]) {
	q.held.Add(-1)
	q.heldBytes.Add(-int64(it.Size))
}

// Ready returns the wake-up channel (capacity 1). A value is pending on it after a Push
// that found the queue empty, until the consumer receives it, and after Close; so a
// consumer that pops until the queue is empty before waiting again never misses an item.
// It is never closed.
func (q *Queue[T]) Ready() <-chan struct{} { return q.ready }

// Len returns the number of items pending (queued, or held and not yet released) and
// their total size in bytes.
func (q *Queue[T]) Len() (items, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.items + int(q.held.Load()), q.bytes + int(q.heldBytes.Load())
}

// SetLimits replaces both limits (<= 0 means unlimited). Items already queued stay even
// if they exceed the new limits; Pushes fail until the queue is back under them.
func (q *Queue[T]) SetLimits(maxItems, maxBytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.maxItems, q.maxBytes = maxItems, maxBytes
}

// Limits returns the current limits as given to NewQueue or SetLimits.
func (q *Queue[T]) Limits() (maxItems, maxBytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.maxItems, q.maxBytes
}

// Close makes every later Push return false. Items already queued can still be popped.
// Close leaves a wake-up pending on Ready so a waiting consumer can notice it through
// Closed. Calling it again has no effect.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.wake()
	q.mu.Unlock()
	if q.notify != nil {
		q.notify()
	}
}

// SetNotify makes every Push and Close that leaves a wake-up pending on Ready also call
// f, after the queue's lock is released; for a consumer that parks somewhere else than
// on Ready and looks at Ready when f wakes it. Call it before the queue is shared.
func (q *Queue[T]) SetNotify(f func()) { q.notify = f }

// Closed reports whether Close has been called.
func (q *Queue[T]) Closed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// take removes the oldest item; q.mu is held and the queue is not empty. The slot is
// zeroed so the queue keeps no reference to a popped value.
func (q *Queue[T]) take() (T, int) {
	it := &q.ring[q.head]
	v, size := it.V, it.Size
	*it = Item[T]{}
	q.head = (q.head + 1) & (len(q.ring) - 1)
	q.items--
	q.bytes -= size
	if q.items == 0 {
		q.head = 0
		if len(q.ring) > queueRetainCap {
			q.ring = nil
		}
	}
	return v, size
}

// grow doubles the ring, moving the items to its start in order; q.mu is held and the
// ring is full.
func (q *Queue[T]) grow() {
	ring := make([]Item[T], max(2*len(q.ring), queueMinCap))
	n := copy(ring, q.ring[q.head:])
	copy(ring[n:], q.ring[:q.head])
	q.ring, q.head = ring, 0
}

// wake leaves a value pending on ready unless one already is; q.mu is held.
func (q *Queue[T]) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
