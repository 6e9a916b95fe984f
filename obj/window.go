package obj

import (
	"context"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
)

// defaultWindowBytes bounds the chunk bytes a put has waiting for acknowledgements.
const defaultWindowBytes = 64 << 20

// maxWindowChunks bounds the chunks a put has waiting for acknowledgements.
const maxWindowChunks = 1024

// ackWindow publishes the chunks of one put asynchronously and keeps at most its
// capacity of them waiting for their acknowledgement. A publish copies the chunk into
// the connection's outgoing buffer before it returns (a chunk is never re-sent: a
// failed one fails the put), so one chunk buffer serves the whole put and the window
// costs the client only its futures: the bytes in flight wait in the socket and the
// server. It is used by one goroutine.
type ackWindow struct {
	j       *js.Client
	ackWait time.Duration // bound of one acknowledgement's wait when ctx has no deadline
	cap     int
	pending []*js.PubAckFuture // oldest first
	buf     []byte
}

func newAckWindow(j *js.Client, chunkSize, window int, ackWait time.Duration) *ackWindow {
	if window <= 0 {
		window = min(max(defaultWindowBytes/chunkSize, 2), maxWindowChunks)
	}
	return &ackWindow{j: j, ackWait: ackWait, cap: window, buf: make([]byte, chunkSize)}
}

// buffer returns the chunk buffer, waiting for the oldest acknowledgement first when
// the window is full.
func (w *ackWindow) buffer(ctx context.Context) ([]byte, error) {
	if len(w.pending) >= w.cap {
		if err := w.waitOldest(ctx); err != nil {
			return nil, err
		}
	}
	return w.buf, nil
}

// publish sends data (a buffer from buffer) to subject without waiting; data may be
// overwritten once it returns.
func (w *ackWindow) publish(ctx context.Context, subject string, data []byte) error {
	f, err := w.j.PublishMsgAsync(&conn.Msg{Subject: subject, Data: data}, js.AsyncContext(ctx))
	if err != nil {
		return err
	}
	w.pending = append(w.pending, f)
	return nil
}

// waitOldest waits for the oldest acknowledgement: until it comes, ctx ends, or — when
// ctx has no deadline — ackWait passed.
func (w *ackWindow) waitOldest(ctx context.Context) error {
	f := w.pending[0]
	w.pending[0] = nil
	w.pending = w.pending[1:]
	var timeout <-chan time.Time
	if _, ok := ctx.Deadline(); !ok && w.ackWait > 0 {
		t := time.NewTimer(w.ackWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return fmt.Errorf("nats: chunk not stored: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout:
		return fmt.Errorf("%w: no acknowledgement of a chunk within %v", js.ErrTimeout, w.ackWait)
	}
}

// flush waits for every acknowledgement still pending.
func (w *ackWindow) flush(ctx context.Context) error {
	for len(w.pending) > 0 {
		if err := w.waitOldest(ctx); err != nil {
			return err
		}
	}
	return nil
}

// settle waits, up to d, for the outcome of every publish still pending, whatever it
// is, so that no chunk of a failed put is stored after its purge.
func (w *ackWindow) settle(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for _, f := range w.pending {
		select {
		case <-f.Ok():
		case <-f.Err():
		case <-t.C:
			return
		}
	}
	w.pending = nil
}
