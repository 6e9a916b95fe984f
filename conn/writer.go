package conn

import (
	"net"
	"sync"
	"time"
)

// writer is the actor that owns the socket's write side. Publishers append whole encoded
// frames to its buffer under a short lock; its goroutine swaps the buffer out and writes it
// in one call, so many small frames leave in one large write. While disconnected the buffer
// is the reconnect buffer, bounded in bytes. A write that fails puts its batch back in front
// of the buffer, whole, so nothing is ever split across a reconnect.
type writer struct {
	mu        sync.Mutex
	cond      sync.Cond // publishers wait here while the buffer is over maxBuffer
	buf       []byte    // frames not yet written
	nc        net.Conn  // nil while disconnected
	epoch     uint64    // which connection nc belongs to
	closed    bool
	reconnBuf int // bytes allowed while disconnected; -1: none
	maxBuffer int // bytes allowed while connected before publishers wait
	deadline  time.Duration

	wake    chan struct{}
	onError func(epoch uint64, err error) // called from the writer goroutine, never under mu
	pending func(n int)                   // reports the number of buffered bytes for Stats
	done    chan struct{}
}

func newWriter(reconnBuf int, deadline time.Duration, onError func(uint64, error)) *writer {
	w := &writer{
		reconnBuf: reconnBuf,
		maxBuffer: defaultMaxOutboundBufBytes,
		deadline:  deadline,
		wake:      make(chan struct{}, 1),
		onError:   onError,
		done:      make(chan struct{}),
	}
	w.cond.L = &w.mu
	go w.run()
	return w
}

// begin locks the buffer for one whole frame of about size bytes and returns it; the
// caller appends the frame and hands the result to end. Data frames (publishes) respect the
// reconnect buffer while disconnected and wait while the buffer is over its bound. Control
// frames (SUB, UNSUB, PING, PONG) are not buffered while disconnected, since the reconnect
// handshake restores what matters: then ok is false, err nil, and end must not be called.
// Two calls rather than a callback keep the publish path free of allocations.
func (w *writer) begin(data bool, size int) (buf []byte, ok bool, err error) {
	w.mu.Lock()
	for {
		if w.closed {
			w.mu.Unlock()
			return nil, false, ErrConnectionClosed
		}
		if w.nc == nil {
			if !data {
				w.mu.Unlock()
				return nil, false, nil
			}
			if w.reconnBuf < 0 || len(w.buf)+size > w.reconnBuf {
				w.mu.Unlock()
				return nil, false, ErrReconnectBufExceeded
			}
			break
		}
		if !data || len(w.buf) < w.maxBuffer {
			break
		}
		w.cond.Wait()
	}
	return w.buf, true, nil
}

// end stores the buffer with the appended frame, unlocks, and wakes the writer if the
// buffer was empty.
func (w *writer) end(buf []byte) {
	wasEmpty := len(w.buf) == 0
	w.buf = buf
	w.mu.Unlock()
	if wasEmpty {
		w.kick()
	}
}

// control queues a ready-made control frame (dropped while disconnected).
func (w *writer) control(frame []byte) error {
	b, ok, err := w.begin(false, len(frame))
	if ok {
		w.end(append(b, frame...))
	}
	return err
}

// buffered returns the number of bytes not yet written.
func (w *writer) buffered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.buf)
}

// attach gives the writer a freshly handshaken connection. prefix (the subscriptions to
// restore) goes out before anything buffered while disconnected.
func (w *writer) attach(nc net.Conn, epoch uint64, prefix []byte) {
	w.mu.Lock()
	if len(prefix) > 0 {
		w.buf = append(prefix, w.buf...)
	}
	w.nc, w.epoch = nc, epoch
	w.mu.Unlock()
	w.kick()
}

// detach forgets the connection of epoch (if it is still the current one); frames stay
// buffered for the next one.
func (w *writer) detach(epoch uint64) {
	w.mu.Lock()
	if w.epoch == epoch {
		w.nc = nil
	}
	w.mu.Unlock()
	w.cond.Broadcast()
}

// close stops the writer after it wrote what it holds, if connected, within the write
// deadline. Publishers waiting on the buffer get ErrConnectionClosed.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cond.Broadcast()
	w.kick()
	<-w.done
}

func (w *writer) kick() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *writer) run() {
	defer close(w.done)
	var spare []byte
	for range w.wake {
		for {
			w.mu.Lock()
			nc, epoch, closed := w.nc, w.epoch, w.closed
			if nc == nil || len(w.buf) == 0 {
				if closed {
					w.buf = nil
					w.mu.Unlock()
					return
				}
				w.mu.Unlock()
				break
			}
			batch := w.buf
			w.buf = spare[:0]
			w.mu.Unlock()
			w.cond.Broadcast()

			_ = nc.SetWriteDeadline(time.Now().Add(w.deadline))
			_, err := nc.Write(batch)
			if err != nil {
				w.mu.Lock()
				// Put the batch back in front, whole: it is re-sent on the next connection.
				w.buf = append(batch, w.buf...)
				if w.epoch == epoch {
					w.nc = nil
				}
				closed = w.closed
				w.mu.Unlock()
				if closed {
					return
				}
				w.onError(epoch, err)
				break
			}
			// Keep the larger buffer for reuse, but do not hold on to a burst's worth.
			if cap(batch) > 4*1024*1024 {
				batch = nil
			}
			spare = batch
		}
	}
}
