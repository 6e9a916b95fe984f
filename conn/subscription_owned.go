package conn

import "sync"

// WithOwner makes the caller the subscription's only consumer, for actors built on a
// subscription (JetStream's pull consumer is one): the subscription starts no goroutine
// of its own, C() is nil, and the owner waits on Ready and takes what is queued with
// Take, in one hop from the connection's reader and in batches. The owner calls
// Unsubscribe when it is done, after the last batch too: Done closes then (or when the
// connection's close ends the subscription), so that a Drain of the connection waits
// until the owner handled what it took.
func WithOwner() SubOption {
	return func(o *subOptions) error {
		o.owned = true
		return nil
	}
}

// owned is the state of a WithOwner subscription.
type owned struct {
	finishOnce sync.Once
}

// Ready returns the channel on which a WithOwner subscription signals its owner: a value
// is pending after messages arrived, and after the subscription ended, since the owner
// last received from it; a wake-up may stand for many messages or be spurious. It is nil
// for other subscriptions.
func (s *Subscription) Ready() <-chan struct{} {
	if s.own == nil {
		return nil
	}
	return s.q.Ready()
}

// Take appends every queued message of a WithOwner subscription to dst, oldest first,
// without blocking, and returns the extended slice. open is false when this is the last
// batch: the subscription ended, by Unsubscribe or the connection's close (then nothing
// more is delivered), or by Drain or its auto-unsubscribe limit (then msgs holds the
// last of what was received); Err tells why. For a subscription without WithOwner it
// returns dst and false.
//
// The owner must take until the end, or Unsubscribe: the connection's Drain waits for
// every subscription's Done.
func (s *Subscription) Take(dst []*Msg) (msgs []*Msg, open bool) {
	if s.own == nil || s.stopped.Load() {
		return dst, false
	}
	// The end of input is looked at before the queue: once it is seen, nothing more is
	// queued, so the pop below takes the last of it.
	ended := false
	select {
	case <-s.inputEnd:
		ended = true
	default:
	}
	n := len(dst)
	dst = s.q.PopBatch(dst, 0)
	if len(dst) > n {
		s.delivered.Add(uint64(len(dst) - n))
	} else {
		s.slow.Store(false)
	}
	return dst, !ended
}

// finishOwned ends a WithOwner subscription once.
func (s *Subscription) finishOwned() { s.own.finishOnce.Do(s.finish) }
