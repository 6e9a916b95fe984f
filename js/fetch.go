package js

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// Fetch asks the consumer for up to n messages and returns what arrived by the time n
// messages came, the server ended the request, or the deadline (ctx's, or
// DefaultFetchWait without one) passed, with a nil error. Nothing by then is ErrTimeout.
// A failure after some messages arrived (a disconnect, two missed heartbeats, a
// leadership change, the consumer's deletion, Stop) returns those messages and the
// error. The pull asks the server to give up a little before the deadline so that its
// messages are not left in flight. Every resource of the call is released when it
// returns.
func (p *PullConsumer) Fetch(ctx context.Context, n int, opts ...FetchOption) ([]*Msg, error) {
	if n <= 0 {
		return nil, fmt.Errorf("%w: batch %d", ErrInvalidOption, n)
	}
	var fo fetchOptions
	for _, f := range opts {
		if err := f(&fo); err != nil {
			return nil, err
		}
	}
	if err := p.begin(nil); err != nil {
		return nil, err
	}
	defer p.end(nil)
	ctx, cancel := withFetchDeadline(ctx)
	defer cancel()
	remaining := timeLeft(ctx)
	if remaining <= 0 {
		return nil, ctx.Err()
	}
	req := pullRequest{Batch: n, MaxBytes: fo.maxBytes, NoWait: fo.noWait}
	if !fo.noWait {
		req.Expires = pullExpiry(remaining)
		req.Heartbeat = fo.heartbeat
		if req.Heartbeat == 0 && req.Expires >= 2*time.Second {
			req.Heartbeat = min(req.Expires/2, 5*time.Second)
		}
		req.Heartbeat = min(req.Heartbeat, req.Expires/2)
	}

	c := p.j.c
	events, stopEvents := c.Events(conn.EventDisconnected)
	defer stopEvents()
	inbox := c.NewInbox()
	sub, err := c.Subscribe(inbox, conn.WithPendingLimits(-1, -1))
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	body, _ := json.Marshal(req)
	if err := c.PublishRequest(p.nextSubject(), inbox, body); err != nil {
		return nil, err
	}

	var hbC <-chan time.Time
	var hbTimer *time.Timer
	if req.Heartbeat > 0 {
		hbTimer = time.NewTimer(2 * req.Heartbeat)
		defer hbTimer.Stop()
		hbC = hbTimer.C
	}
	msgs := make([]*Msg, 0, min(n, 1024))
	end := func(err error) ([]*Msg, error) {
		if len(msgs) == 0 {
			return nil, err
		}
		if errors.Is(err, ErrTimeout) {
			err = nil
		}
		return msgs, err
	}
	for {
		select {
		case m, ok := <-sub.C():
			if !ok {
				return end(fmt.Errorf("nats: fetch subscription ended: %w", sub.Err()))
			}
			if hbTimer != nil {
				hbTimer.Reset(2 * req.Heartbeat)
			}
			st, isStatus := statusOf(m)
			if !isStatus {
				msgs = append(msgs, newMsg(c, m))
				if len(msgs) == n {
					return msgs, nil
				}
				continue
			}
			switch st.kind() {
			case stHeartbeat:
			case stEnded:
				return end(fmt.Errorf("%w: %d %s", ErrTimeout, st.code, st.desc))
			default:
				return end(st.err())
			}
		case <-hbC:
			return end(ErrNoHeartbeat)
		case ev, ok := <-events:
			if ok {
				return end(fmt.Errorf("nats: fetch: %w", errOr(ev.Err, conn.ErrDisconnected)))
			}
			return end(conn.ErrConnectionClosed)
		case <-p.stopc:
			return end(ErrConsumerStopped)
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return end(ErrTimeout)
			}
			return end(ctx.Err())
		}
	}
}

// Next returns the consumer's next message: Fetch of one. Nothing by the deadline
// (ctx's, or DefaultFetchWait without one) is ErrTimeout.
func (p *PullConsumer) Next(ctx context.Context, opts ...FetchOption) (*Msg, error) {
	msgs, err := p.Fetch(ctx, 1, opts...)
	if len(msgs) > 0 {
		return msgs[0], nil
	}
	return nil, err
}

func errOr(err, def error) error {
	if err == nil {
		return def
	}
	if errors.Is(err, def) {
		return err
	}
	return fmt.Errorf("%w: %w", def, err)
}

// withFetchDeadline gives ctx the deadline DefaultFetchWait from now if it has none.
func withFetchDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, DefaultFetchWait)
}

// timeLeft is the time until ctx's deadline.
func timeLeft(ctx context.Context) time.Duration {
	deadline, _ := ctx.Deadline()
	return time.Until(deadline)
}

// pullExpiry is the expiry of a pull request that must end before remaining passed: a
// tenth earlier (10 ms to 1 s), so that its messages are not left in flight when the
// caller stops waiting.
func pullExpiry(remaining time.Duration) time.Duration {
	margin := min(max(remaining/10, 10*time.Millisecond), time.Second)
	if remaining-margin < time.Millisecond {
		return max(remaining/2, time.Nanosecond)
	}
	return remaining - margin
}
