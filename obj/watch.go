package obj

import (
	"context"
	"fmt"
	"sync"

	"github.com/natsactor/natsactor/js"
)

// Watcher delivers the meta records of a bucket's objects as they change: first the
// current record of every object (unless UpdatesOnly), then one nil marking the end of
// those initial values (at once for an empty bucket), then every change, deletions
// included (unless IgnoreDeletes), with ModTime set to when the server stored it.
//
// It is an actor over an ordered consumer (js.OrderedConsumer) of the bucket's meta
// subjects, which survives reconnects and server restarts. It runs until Stop, Drain,
// or the connection's close; then C() is closed.
type Watcher struct {
	oc     *js.OrderedConsumer
	out    chan *ObjectInfo
	stop   chan struct{}
	once   sync.Once
	done   chan struct{}
	ignore bool
}

// Watch starts a Watcher of the bucket. ctx bounds the set-up only (the consumer's
// creation; the API timeout when ctx has no deadline).
func (s *Store) Watch(ctx context.Context, opts ...WatchOption) (*Watcher, error) {
	o, err := apply(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.m.WithDefaultTimeout(ctx)
	defer cancel()
	sub := []js.SubOption{js.BindStream(s.stream), js.DeliverLastPerSubject()}
	switch {
	case o.updatesOnly:
		sub[1] = js.DeliverNew()
	case o.history:
		sub[1] = js.DeliverAll()
	}
	oc, err := s.j.OrderedConsumer(ctx, allMeta(s.bucket), sub...)
	if err != nil {
		return nil, s.bucketErr(err)
	}
	// Whether initial values are coming: the consumer's pending count at its creation,
	// and what it had delivered by then (whose last one carries a pending count of 0).
	empty := o.updatesOnly
	if !empty {
		ci, err := s.m.ConsumerInfo(ctx, s.stream, oc.ConsumerName())
		if err != nil {
			oc.Stop()
			return nil, fmt.Errorf("nats: watch %q: %w", s.bucket, err)
		}
		empty = ci.NumPending == 0 && ci.Delivered.Consumer == 0
	}
	w := &Watcher{oc: oc, out: make(chan *ObjectInfo, 64), stop: make(chan struct{}), done: make(chan struct{}), ignore: o.ignoreDeletes}
	go w.run(empty)
	return w, nil
}

func (w *Watcher) run(markerSent bool) {
	defer close(w.done)
	defer close(w.out)
	defer w.oc.Stop()
	if markerSent && !w.send(nil) {
		return
	}
	for {
		var m *js.Msg
		var ok bool
		select {
		case m, ok = <-w.oc.C():
			if !ok {
				return
			}
		case <-w.stop:
			return
		}
		md, err := m.Metadata()
		if err != nil {
			continue
		}
		info, err := decodeInfo(m.Data, md.Timestamp)
		if err == nil && !(w.ignore && info.Deleted) && !w.send(info) {
			return
		}
		if !markerSent && md.NumPending == 0 {
			markerSent = true
			if !w.send(nil) {
				return
			}
		}
	}
}

// send hands info to C(); false when the Watcher was stopped meanwhile.
func (w *Watcher) send(info *ObjectInfo) bool {
	select {
	case w.out <- info:
		return true
	case <-w.stop:
		return false
	}
}

// C returns the channel the records are delivered on: nil once, after the initial
// values. It is closed when the Watcher ends.
func (w *Watcher) C() <-chan *ObjectInfo { return w.out }

// Next returns the next record (nil for the end-of-initial-values marker). It blocks
// until one comes, ctx ends (the Watcher stays usable), or the Watcher ends
// (ErrWatcherStopped).
func (w *Watcher) Next(ctx context.Context) (*ObjectInfo, error) {
	select {
	case info, ok := <-w.out:
		if !ok {
			return nil, ErrWatcherStopped
		}
		return info, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Stop ends the Watcher at once: records not yet received from C() are dropped, C()
// is closed, and the consumer is deleted in the background. It returns once the
// Watcher's goroutine ended. Idempotent.
func (w *Watcher) Stop() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

// Drain stops consuming and hands the records already received to C(), then closes
// it: the receiver still gets every record before the close, and Done closes with it.
// Drain does not wait for that — the receiver may be the one calling it: it returns once
// the server stopped sending (a PING/PONG fence, bounded by ctx or, without a deadline,
// the API timeout), and closing the connection after that loses none of it. A ctx that
// already ended stops the Watcher as Stop does instead, and Drain returns ctx's error.
func (w *Watcher) Drain(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		w.Stop()
		return err
	}
	return w.oc.Drain(ctx)
}

// Done is closed when the Watcher has ended.
func (w *Watcher) Done() <-chan struct{} { return w.done }
