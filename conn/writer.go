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
	mu       sync.Mutex
	cond     sync.Cond // publishers wait here while the buffer is over maxBuffer
	buf      []byte    // frames not yet written
	nc       net.Conn  // nil while disconnected
	epoch    uint64    // which connection nc belongs to
	closed   bool
	writing  bool   // a batch is being written (by the writer goroutine or inline)
	spare    []byte // the buffer of the last batch written, for reuse
	outMsgs  uint64 // messages and payload bytes queued; counted under mu, where the
	outBytes uint64 // publish already is, instead of with atomics of their own
	// lastSubject is the last publish subject found valid, under mu: a publisher that
	// repeats its subject (the common case) skips the token walk.
	lastSubject string
	reconnBuf   int // bytes allowed while disconnected; -1: none
	maxBuffer   int // bytes allowed while connected before publishers wait
	deadline    time.Duration

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

// checkSubject validates a publish subject unless it is the last one validated; mu is
// held (after begin). On an error it unlocks, so the caller just returns the error.
func (w *writer) checkSubject(subject string) error {
	if subject == w.lastSubject && subject != "" { // "" is the field's zero value, never valid
		return nil
	}
	if err := validateSubject(subject); err != nil {
		w.mu.Unlock()
		return err
	}
	w.lastSubject = subject
	return nil
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

// endMsg is end for a publish: it also counts the message and its payload bytes.
func (w *writer) endMsg(buf []byte, payload int) {
	w.outMsgs++
	w.outBytes += uint64(payload)
	w.end(buf)
}

// endMsgNow is endMsg for a frame someone is waiting on (a request, a reply): when the
// writer is idle, the caller writes the buffer itself instead of waking the writer, which
// saves a goroutine hand-off on each side of a round trip. When a write is in progress the
// frame is simply queued behind it, so under load frames still coalesce.
func (w *writer) endMsgNow(buf []byte, payload int) {
	w.outMsgs++
	w.outBytes += uint64(payload)
	w.buf = buf
	if w.writing || w.nc == nil {
		w.mu.Unlock()
		w.kick()
		return
	}
	batch, nc, epoch := w.takeLocked()
	w.mu.Unlock()
	w.write(batch, nc, epoch)
}

// directMin is the payload size from which a publish may skip the copy into the buffer
// (see direct): below it the copy costs less than the hand-off it saves.
const directMin = 32 << 10

// frameEnd ends a PUB or HPUB frame after its payload.
var frameEnd = []byte("\r\n")

// direct reports, with mu held (after begin), whether a publish of a payload of size
// bytes may be written by its caller from where the payload is (endDirect): it is
// large, the writer is connected and idle, and the socket takes several buffers in one
// call (writev), so the frame still leaves in one write with what was queued before it.
func (w *writer) direct(size int) bool {
	if size < directMin || w.writing || w.nc == nil {
		return false
	}
	switch w.nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// endDirect is endMsg for a frame whose head (everything before the payload) the caller
// appended to buf, after direct said yes: the caller writes what was queued, the head,
// data and the frame's end itself, in one call, and data is never copied unless the
// write fails (then the whole frame is buffered for the next connection, as any other).
// It returns once the write is done, so data may be reused then.
func (w *writer) endDirect(buf, data []byte, payload int) {
	w.outMsgs++
	w.outBytes += uint64(payload)
	w.buf = buf
	batch, nc, epoch := w.takeLocked()
	w.mu.Unlock()
	w.writeFrom(batch, data, nc, epoch)
}

// counts returns the messages and bytes queued so far and the bytes not yet written.
func (w *writer) counts() (msgs, bytes uint64, buffered int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.outMsgs, w.outBytes, len(w.buf)
}

// control queues a ready-made control frame (dropped while disconnected).
func (w *writer) control(frame []byte) error {
	b, ok, err := w.begin(false, len(frame))
	if ok {
		w.end(append(b, frame...))
	}
	return err
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
	for range w.wake {
		for {
			w.mu.Lock()
			if w.writing {
				// An inline write is in progress; it kicks again if more is queued.
				w.mu.Unlock()
				break
			}
			if w.nc == nil || len(w.buf) == 0 {
				closed := w.closed
				if closed {
					w.buf = nil
				}
				w.mu.Unlock()
				if closed {
					return
				}
				break
			}
			batch, nc, epoch := w.takeLocked()
			w.mu.Unlock()
			if !w.write(batch, nc, epoch) {
				break
			}
		}
		w.mu.Lock()
		closed, idle := w.closed, !w.writing && (w.nc == nil || len(w.buf) == 0)
		w.mu.Unlock()
		if closed && idle {
			return
		}
	}
}

// takeLocked swaps the buffer out for writing; the caller holds mu.
func (w *writer) takeLocked() (batch []byte, nc net.Conn, epoch uint64) {
	batch = w.buf
	w.buf = w.spare[:0]
	w.spare = nil
	w.writing = true
	return batch, w.nc, w.epoch
}

// write sends one batch. On failure the batch goes back in front of the buffer, whole, to
// be re-sent on the next connection, and the connection actor hears of it. It reports
// whether the write succeeded.
func (w *writer) write(batch []byte, nc net.Conn, epoch uint64) bool {
	return w.writeFrom(batch, nil, nc, epoch)
}

// writeFrom is write for a batch whose last frame's payload, when data is not nil, is
// data and frameEnd, sent from where they are (endDirect).
func (w *writer) writeFrom(batch, data []byte, nc net.Conn, epoch uint64) bool {
	w.cond.Broadcast() // publishers waiting for room
	_ = nc.SetWriteDeadline(time.Now().Add(w.deadline))
	var err error
	if data == nil {
		_, err = nc.Write(batch)
	} else {
		bufs := net.Buffers{batch, data, frameEnd}
		_, err = bufs.WriteTo(nc)
	}
	w.mu.Lock()
	w.writing = false
	if err != nil {
		if data != nil {
			batch = append(append(batch, data...), frameEnd...)
		}
		w.buf = append(batch, w.buf...)
		if w.epoch == epoch {
			w.nc = nil
		}
		closed := w.closed
		w.mu.Unlock()
		w.cond.Broadcast()
		if closed {
			w.kick() // let run see the end
		} else {
			w.onError(epoch, err)
		}
		return false
	}
	// Keep the buffer for reuse, but do not hold on to a burst's worth.
	if cap(batch) <= 4*1024*1024 && w.spare == nil {
		w.spare = batch
	}
	more := len(w.buf) > 0 || w.closed
	w.mu.Unlock()
	if more {
		w.kick()
	}
	return true
}
