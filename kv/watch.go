package kv

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/natsactor/natsactor/jsm"
)

// DefaultWatchHeartbeat is the idle heartbeat a watcher asks its consumer for;
// two missed in a row make it recreate the consumer.
const DefaultWatchHeartbeat = 5 * time.Second

// WatchOption configures one Watch, WatchAll or WatchFiltered.
type WatchOption func(*watchOpts) error

type watchOpts struct {
	includeHistory bool
	ignoreDeletes  bool
	metaOnly       bool
	updatesOnly    bool
	resumeFrom     uint64
	heartbeat      time.Duration
}

// IncludeHistory sends every value kept in the bucket, oldest first, rather than
// the latest of each key only.
func IncludeHistory() WatchOption {
	return func(o *watchOpts) error { o.includeHistory = true; return nil }
}

// IgnoreDeletes leaves out deletes and purges: only OpPut entries are sent.
func IgnoreDeletes() WatchOption {
	return func(o *watchOpts) error { o.ignoreDeletes = true; return nil }
}

// MetaOnly sends entries without their values (the consumer delivers headers
// only).
func MetaOnly() WatchOption {
	return func(o *watchOpts) error { o.metaOnly = true; return nil }
}

// UpdatesOnly sends only the changes made after the watcher started; the
// end-of-initial-values marker comes at once.
func UpdatesOnly() WatchOption {
	return func(o *watchOpts) error { o.updatesOnly = true; return nil }
}

// ResumeFromRevision starts the watcher at revision rev (at least 1): every
// entry from there on is sent, history included.
func ResumeFromRevision(rev uint64) WatchOption {
	return func(o *watchOpts) error {
		if rev == 0 {
			return fmt.Errorf("%w: resume from revision 0", ErrInvalidOption)
		}
		o.resumeFrom = rev
		return nil
	}
}

// WatchHeartbeat sets the idle heartbeat the watcher's consumer sends (default
// DefaultWatchHeartbeat, at least 100 ms); two missed in a row make the watcher
// recreate its consumer. A natsactor extension to ADR-8's options.
func WatchHeartbeat(d time.Duration) WatchOption {
	return func(o *watchOpts) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("%w: watch heartbeat %v is under 100ms", ErrInvalidOption, d)
		}
		o.heartbeat = d
		return nil
	}
}

func (o *watchOpts) deliverPolicy() (jsm.DeliverPolicy, uint64) {
	switch {
	case o.resumeFrom > 0:
		return jsm.DeliverByStartSequence, o.resumeFrom
	case o.updatesOnly:
		return jsm.DeliverNew, 0
	case o.includeHistory:
		return jsm.DeliverAll, 0
	}
	return jsm.DeliverLastPerSubject, 0
}

// WatcherStatus says what a watcher is doing.
type WatcherStatus int

const (
	// WatcherActive: the watcher's consumer is delivering.
	WatcherActive WatcherStatus = iota
	// WatcherResetting: the watcher is recreating its consumer (after a gap, missed
	// heartbeats, a reconnect or a server restart).
	WatcherResetting
	// WatcherStopped: the watcher ended; C() is closed (once drained).
	WatcherStopped
)

// String returns "active", "resetting" or "stopped".
func (s WatcherStatus) String() string {
	switch s {
	case WatcherActive:
		return "active"
	case WatcherResetting:
		return "resetting"
	case WatcherStopped:
		return "stopped"
	}
	return "unknown"
}

// Watcher delivers the entries of the keys it watches on C(): first the initial
// values (the latest of each key, or their history, or nothing with
// UpdatesOnly), then one nil entry marking their end, then every change as it
// happens. The same entry is never delivered twice, even across the watcher's
// consumer resets. It is an actor of its own: an ordered push consumer that
// recreates its consumer from the last revision delivered after a gap, two missed
// heartbeats, a reconnect or a server restart, one reset at a time. It ends by
// Stop, Drain, the deletion of its bucket or the close of the connection; C() is
// then closed and Done() too.
type Watcher struct {
	a *watcherActor
}

// C returns the channel entries are delivered on: the initial values, one nil
// entry after them (at once when there are none), then the updates. It is closed
// when the watcher ends.
func (w *Watcher) C() <-chan *Entry { return w.a.out }

// Next returns the next entry (nil for the end-of-initial-values marker).
// It blocks until one comes, ctx ends (the watcher stays usable), or the watcher
// ended (then the error is ErrWatcherStopped, wrapping the cause when there is
// one).
func (w *Watcher) Next(ctx context.Context) (*Entry, error) {
	select {
	case e, ok := <-w.a.out:
		if !ok {
			if err := w.Err(); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrWatcherStopped, err)
			}
			return nil, ErrWatcherStopped
		}
		return e, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Stop ends the watcher at once: entries not yet received from C() are
// discarded, C() is closed and the consumer deleted (without waiting for the
// server). It returns once the watcher's actor has finished; it is idempotent
// and safe from any goroutine.
func (w *Watcher) Stop() {
	w.a.stopOnce.Do(func() { close(w.a.stopc) })
	<-w.a.done
}

// Drain stops taking new entries from the server, hands what the watcher already
// received to C(), then closes it: the receiver still gets every entry before the
// close, and Done closes with it. Drain does not wait for that — the receiver may be
// the one calling it: it returns once the server stopped sending (after a PING/PONG
// fence, bounded by ctx or, without a deadline, the API timeout), and closing the
// connection after that loses none of it. A ctx that already ended stops the watcher
// as Stop does instead, and Drain returns ctx's error.
func (w *Watcher) Drain(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		w.Stop()
		return err
	}
	w.a.drainOnce.Do(func() { close(w.a.drainc) })
	ctx, cancel := w.a.b.m.WithDefaultTimeout(ctx)
	defer cancel()
	select {
	case <-w.a.fenced:
	case <-w.a.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// Done returns a channel closed when the watcher has ended and C() is closed.
func (w *Watcher) Done() <-chan struct{} { return w.a.done }

// Status returns what the watcher is doing.
func (w *Watcher) Status() WatcherStatus {
	w.a.mu.Lock()
	defer w.a.mu.Unlock()
	return w.a.status
}

// Err returns the last error the watcher met: why its consumer was last reset
// or could not be recreated, or why it ended (ErrBucketNotFound,
// conn.ErrConnectionClosed). nil when nothing went wrong or after Stop/Drain.
func (w *Watcher) Err() error {
	w.a.mu.Lock()
	defer w.a.mu.Unlock()
	return w.a.err
}

// Watch watches keys, a key or a filter with '*' and '>' tokens ("" or ">" for
// the whole bucket). ctx bounds the set-up only (the consumer's creation, with
// the API timeout when it has no deadline); the watcher then lives until Stop,
// Drain, the bucket's deletion or the connection's close.
func (b *Bucket) Watch(ctx context.Context, keys string, opts ...WatchOption) (*Watcher, error) {
	return b.WatchFiltered(ctx, []string{keys}, opts...)
}

// WatchAll watches every key of the bucket, as Watch does.
func (b *Bucket) WatchAll(ctx context.Context, opts ...WatchOption) (*Watcher, error) {
	return b.WatchFiltered(ctx, nil, opts...)
}

// WatchFiltered watches the keys matching any of filters (none: every key),
// as Watch does. Several filters need nats-server 2.10.
func (b *Bucket) WatchFiltered(ctx context.Context, filters []string, opts ...WatchOption) (*Watcher, error) {
	o := watchOpts{heartbeat: DefaultWatchHeartbeat}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.updatesOnly && (o.includeHistory || o.resumeFrom > 0) {
		return nil, fmt.Errorf("%w: UpdatesOnly with IncludeHistory or ResumeFromRevision", ErrInvalidOption)
	}
	subjects, err := b.filterSubjects(filters)
	if err != nil {
		return nil, err
	}
	a := newWatcherActor(b, subjects, o)
	if err := a.start(ctx); err != nil {
		return nil, err
	}
	return &Watcher{a: a}, nil
}

// filterSubjects turns key filters into subjects of the bucket's stream.
func (b *Bucket) filterSubjects(filters []string) ([]string, error) {
	var subjects []string
	for _, f := range filters {
		if f == "" || f == ">" {
			return []string{b.readPre + ">"}, nil
		}
		if err := checkKey(f, true); err != nil {
			return nil, err
		}
		subjects = append(subjects, b.readPre+f)
	}
	if len(subjects) == 0 {
		subjects = []string{b.readPre + ">"}
	}
	return subjects, nil
}

// lockedStatus is embedded by the actor for Status and Err.
type lockedStatus struct {
	mu     sync.Mutex
	status WatcherStatus
	err    error
}

func (l *lockedStatus) set(s WatcherStatus, err error) {
	l.mu.Lock()
	l.status = s
	if err != nil || s == WatcherStopped {
		l.err = err
	}
	l.mu.Unlock()
}
