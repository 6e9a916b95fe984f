package js

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/natsactor/natsactor/jsm"
)

// DefaultPushHeartbeat is the idle heartbeat Subscribe asks for when it creates a push
// consumer and IdleHeartbeat was not given: without heartbeats a consumer that
// vanished (an ephemeral one past its inactive threshold while the client was
// disconnected, a deleted durable) could not be told from a quiet stream.
const DefaultPushHeartbeat = 5 * time.Second

// pushTracker remembers, for an ephemeral consumer a push subscription created, where a
// re-created consumer must start so that nothing handed to the application is lost: at
// the lowest stream sequence handed over and not acknowledged (or nakked), else after
// the last one handed over. Acknowledgements arrive from any goroutine.
type pushTracker struct {
	ackNone, ackAll bool

	mu      sync.Mutex
	last    uint64              // highest stream sequence handed over
	unacked map[uint64]struct{} // handed over, not acknowledged
}

func newPushTracker(policy jsm.AckPolicy) *pushTracker {
	return &pushTracker{ackNone: policy == jsm.AckNone, ackAll: policy == jsm.AckAll, unacked: map[uint64]struct{}{}}
}

// handing records m before it is handed over and hooks its acknowledgement.
func (t *pushTracker) handing(m *Msg) {
	md, err := parseMetadata(m.Reply)
	if err != nil {
		return
	}
	seq := md.Sequence.Stream
	t.mu.Lock()
	t.last = max(t.last, seq)
	if !t.ackNone {
		t.unacked[seq] = struct{}{}
	}
	t.mu.Unlock()
	if !t.ackNone {
		m.onAck = func(redeliver bool) { t.acked(seq, redeliver) }
	}
}

func (t *pushTracker) acked(seq uint64, redeliver bool) {
	if redeliver {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ackAll {
		delete(t.unacked, seq)
		return
	}
	for s := range t.unacked {
		if s <= seq {
			delete(t.unacked, s)
		}
	}
}

// resume returns the stream sequence a re-created consumer starts at; 0 when nothing
// was handed over yet (the original deliver policy still holds).
func (t *pushTracker) resume() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == 0 {
		return 0
	}
	next := t.last + 1
	for s := range t.unacked {
		next = min(next, s)
	}
	return next
}

// pushCheck is the answer of a background check of the consumer behind a silent push
// subscription: err from its info, or the consumer re-created in its place.
type pushCheck struct {
	err        error
	recreated  *jsm.ConsumerInfo
	recreateAt uint64
}

// check runs in the background: it asks whether the consumer still exists and, if it
// is gone and is an ephemeral one this subscription created, creates it again with the
// same configuration, starting where the tracker says.
func (s *Subscription) check(out chan<- pushCheck) {
	ctx, cancel := s.j.withTimeout(context.Background())
	defer cancel()
	_, err := s.j.m.ConsumerInfo(ctx, s.stream, s.Consumer())
	if err == nil || !errors.Is(err, jsm.ErrConsumerNotFound) || s.track == nil {
		out <- pushCheck{err: err}
		return
	}
	cfg := s.cfg
	if at := s.track.resume(); at > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = jsm.DeliverByStartSequence, at, nil
	}
	ci, err := s.j.m.CreateConsumer(ctx, s.stream, cfg)
	if err != nil {
		out <- pushCheck{err: fmt.Errorf("nats: re-creating the consumer: %w", err)}
		return
	}
	out <- pushCheck{recreated: ci, recreateAt: cfg.OptStartSeq}
}
