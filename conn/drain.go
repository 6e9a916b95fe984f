package conn

import (
	"context"
	"errors"
	"fmt"
	"github.com/natsactor/natsactor/actor"
	"log/slog"
)

// Drain closes the connection gracefully: every subscription stops interest and delivers
// what it already received (UNSUB, one PING/PONG fence, then the queues run dry), the
// publishes made meanwhile — replies from handlers included — are flushed, and the
// connection closes. New subscriptions are refused with ErrConnectionDraining; publishing
// still works until the close. It returns when closed, or with ctx's error (a ctx without
// deadline gets WithDrainTimeout's, 30 s by default), in which case the connection is
// closed anyway and the messages not yet delivered are discarded. Safe from a handler (it
// then does not wait for that handler). It does wait for the receivers of subscriptions
// without handler to take what was received (the consumers of js and kv are such
// receivers, and their handlers' acks must leave before the close): from a goroutine
// ranging over a C(), Drain that subscription instead, and the connection after the loop.
func (c *Conn) Drain(ctx context.Context) error {
	if c.life.Closed() {
		return nil
	}
	if !c.draining.CompareAndSwap(false, true) {
		select {
		case <-c.life.Done():
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.drainTimeout)
		defer cancel()
	}
	c.status.Store(int32(StatusDraining))
	var errs []error
	subs := c.subs.snapshot()
	for _, s := range subs {
		if s.direct == nil {
			_ = c.sendUnsub(s.sid, 0)
		}
	}
	if err := c.Flush(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain fence: %w", err))
	}
	inside := actor.InHandler()
	for _, s := range subs {
		if s.direct != nil {
			continue
		}
		c.subs.remove(s.sid)
		s.endInput()
	}
	if !inside {
		for _, s := range subs {
			if s.direct != nil {
				continue
			}
			select {
			case <-s.Done():
			case <-ctx.Done():
			}
		}
	}
	if err := c.Flush(ctx); err != nil && !errors.Is(err, ErrConnectionClosed) {
		errs = append(errs, fmt.Errorf("drain flush: %w", err))
	}
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	c.Close()
	return errors.Join(errs...)
}

// discardHandler is the silent slog handler used when no logger is given.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
