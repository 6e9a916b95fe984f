package js

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// errLinkLost is the cause a publish's attempt is cancelled with when the link drops
// while it waits for its acknowledgement.
var errLinkLost = errors.New("nats: link lost while waiting for the acknowledgement")

// linkWatch lets a synchronous publish that carries a Nats-Msg-Id survive the loss of
// the link it was sent on. A request written to a socket the server was closing is
// lost with it, and its acknowledgement never comes: without this the publish waited
// out its whole ctx. linkWatch follows the connection's events; at a disconnect it
// cancels the attempts in flight, which then wait for the reconnect and send the same
// message again — the stream's duplicate window makes that safe: it stores the message
// once and acknowledges the retry as a duplicate of the original's sequence. Publishes
// without a Msg-Id are not tracked (sending them again could store them twice).
type linkWatch struct {
	mu       sync.Mutex
	inflight map[*context.CancelCauseFunc]struct{}
	up       chan struct{} // while disconnected: closed at the reconnect or the close
	closed   bool
}

// link starts the Client's linkWatch on first use.
func (j *Client) link() *linkWatch {
	j.linkOnce.Do(func() {
		w := &linkWatch{inflight: map[*context.CancelCauseFunc]struct{}{}}
		events, _ := j.c.Events(conn.EventDisconnected, conn.EventReconnected, conn.EventClosed)
		go w.watch(events)
		j.links = w
	})
	return j.links
}

// watch runs for the connection's life (its events channel closes with it).
func (w *linkWatch) watch(events <-chan conn.Event) {
	for ev := range events {
		w.mu.Lock()
		switch ev.Kind {
		case conn.EventDisconnected:
			if w.up == nil {
				w.up = make(chan struct{})
			}
			for cancel := range w.inflight {
				(*cancel)(errLinkLost)
			}
			clear(w.inflight)
		case conn.EventReconnected:
			if w.up != nil {
				close(w.up)
				w.up = nil
			}
		case conn.EventClosed:
			w.closed = true
			if w.up != nil {
				close(w.up)
				w.up = nil
			}
		}
		w.mu.Unlock()
	}
}

// attempt returns ctx for one attempt, cancelled with errLinkLost at the next
// disconnect, and the func that stops tracking it.
func (w *linkWatch) attempt(ctx context.Context) (context.Context, func()) {
	actx, cancel := context.WithCancelCause(ctx)
	key := &cancel
	w.mu.Lock()
	if !w.closed {
		w.inflight[key] = struct{}{}
	}
	w.mu.Unlock()
	return actx, func() {
		w.mu.Lock()
		delete(w.inflight, key)
		w.mu.Unlock()
		cancel(nil)
	}
}

// reconnected waits until the link is up again (or the connection closed); false when
// ctx ended first. Besides the Reconnected event it looks at the connection's state now
// and then: an event listener that was full misses events.
func (w *linkWatch) reconnected(ctx context.Context, c *conn.Conn) bool {
	w.mu.Lock()
	up := w.up
	w.mu.Unlock()
	if up == nil {
		return ctx.Err() == nil
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-up:
			return true
		case <-tick.C:
			if st := c.Status(); st == conn.StatusConnected || st == conn.StatusClosed {
				return true
			}
		case <-ctx.Done():
			return false
		}
	}
}

// requestSurvivingDisconnects is RequestMsg for a message with a Nats-Msg-Id: an attempt
// cut short by a disconnect is sent again once the link is up, within ctx.
func (j *Client) requestSurvivingDisconnects(ctx context.Context, out *conn.Msg) (*conn.Msg, error) {
	w := j.link()
	for {
		actx, done := w.attempt(ctx)
		resp, err := j.c.RequestMsg(actx, out)
		lost := err != nil && errors.Is(context.Cause(actx), errLinkLost)
		done()
		if !lost || ctx.Err() != nil {
			return resp, err
		}
		if !w.reconnected(ctx, j.c) {
			return nil, ctx.Err()
		}
	}
}
