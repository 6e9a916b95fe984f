package js

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/natsactor/natsactor/conn"
)

// ackNext is the body prefix of an acknowledgement that also asks for more (+NXT).
const ackNext = "+NXT "

// AckNext acknowledges the message and, in the same publication, asks its pull consumer
// for the next message (the "+NXT" acknowledgement), saving the pull request a worker
// that handles one message at a time would otherwise send. It returns the next message,
// or ErrTimeout when none arrived by ctx's deadline (DefaultFetchWait without one); the
// server is asked to give up a little earlier so that no message is left in flight.
//
// The acknowledgement counts once it was sent: a later error (ErrTimeout, ctx's error, a
// disconnect) does not undo it, and a second acknowledgement returns ErrMsgAlreadyAcked.
// If sending fails the message stays unacknowledged. A message of a push consumer is
// acknowledged and the call returns ErrConsumerConfig, since only pull consumers serve
// requests.
func (m *Msg) AckNext(ctx context.Context) (*Msg, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	ctx, cancel := withFetchDeadline(ctx)
	defer cancel()
	remaining := timeLeft(ctx)
	if remaining <= 0 {
		return nil, ctx.Err()
	}
	if !m.acked.CompareAndSwap(false, true) {
		return nil, ErrMsgAlreadyAcked
	}
	req, _ := json.Marshal(pullRequest{Batch: 1, Expires: pullExpiry(remaining)})
	body := append([]byte(ackNext), req...)

	// The next message comes with its own subject on the inbox's subscription, so it
	// cannot go through the connection's request multiplexer, which routes by subject.
	inbox := m.c.NewInbox()
	sub, err := m.c.Subscribe(inbox, conn.WithPendingLimits(-1, -1))
	if err != nil {
		m.acked.Store(false)
		return nil, err
	}
	defer sub.Unsubscribe()
	if err := m.c.PublishRequest(m.Reply, inbox, body); err != nil {
		m.acked.Store(false)
		return nil, err
	}
	m.ended(false)
	select {
	case resp, ok := <-sub.C():
		if !ok {
			return nil, fmt.Errorf("nats: ack-next: %w", errOr(sub.Err(), conn.ErrConnectionClosed))
		}
		st, isStatus := statusOf(resp)
		if !isStatus {
			return newMsg(m.c, resp), nil
		}
		if st.kind() == stEnded {
			return nil, fmt.Errorf("%w: %d %s", ErrTimeout, st.code, st.desc)
		}
		return nil, st.err()
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: no next message", ErrTimeout)
		}
		return nil, ctx.Err()
	}
}
