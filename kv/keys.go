package kv

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/natsactor/natsactor/jsm"
)

// collect runs a watcher until its end-of-initial-values marker and calls f with
// each initial entry; f returning false stops early. The watcher is always
// stopped. ctx bounds the whole read; when it has no deadline, the API timeout
// bounds the set-up and each wait for the next entry, so that a read never
// hangs on a server that went away.
func (b *Bucket) collect(ctx context.Context, filters []string, f func(*Entry) bool, opts ...WatchOption) error {
	w, err := b.WatchFiltered(ctx, filters, opts...)
	if err != nil {
		return err
	}
	defer w.Stop()
	_, bounded := ctx.Deadline()
	for {
		nctx, cancel := ctx, context.CancelFunc(func() {})
		if !bounded {
			nctx, cancel = context.WithTimeout(ctx, b.m.Timeout())
		}
		e, err := w.Next(nctx)
		cancel()
		if err != nil {
			if !bounded && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("nats: no entry of bucket %s for %v (watcher %v: %v): %w", b.name, b.m.Timeout(), w.Status(), w.Err(), err)
			}
			return err
		}
		if e == nil || !f(e) {
			return nil
		}
	}
}

// History returns the values kept for key, oldest first, deletes and purges
// included, with Delta counting down to 0 for the latest. A key without any
// gives ErrKeyNotFound. It reads with an ordered consumer and blocks until the
// last kept value arrived or ctx ended (the API timeout when ctx has no
// deadline).
func (b *Bucket) History(ctx context.Context, key string, opts ...WatchOption) ([]*Entry, error) {
	if err := checkKey(key, false); err != nil {
		return nil, err
	}
	ctx, cancel := b.m.WithDefaultTimeout(ctx)
	defer cancel()
	var out []*Entry
	err := b.collect(ctx, []string{key}, func(e *Entry) bool {
		out = append(out, e)
		return true
	}, append(opts, IncludeHistory())...)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrKeyNotFound, key)
	}
	return out, nil
}

// Keys iterates over the keys that have a value (their latest operation is not
// a delete or a purge), each once, matching any of filters (none: every key).
// It reads the latest message of each key, headers only, with an ordered
// consumer as the loop goes; an error ends the iteration as its last pair,
// and ctx's end or breaking out of the loop stops the consumer. When ctx has no
// deadline, the API timeout bounds the consumer's creation and each wait for
// the next key.
func (b *Bucket) Keys(ctx context.Context, filters ...string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		seen := make(map[string]struct{})
		stopped := false
		err := b.collect(ctx, filters, func(e *Entry) bool {
			if _, dup := seen[e.Key]; dup {
				return true
			}
			seen[e.Key] = struct{}{}
			if !yield(e.Key, nil) {
				stopped = true
				return false
			}
			return true
		}, MetaOnly(), IgnoreDeletes())
		if err != nil && !stopped {
			yield("", err)
		}
	}
}

// ListKeys returns the keys Keys iterates over, as a slice.
func (b *Bucket) ListKeys(ctx context.Context, filters ...string) ([]string, error) {
	var keys []string
	for k, err := range b.Keys(ctx, filters...) {
		if err != nil {
			return keys, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// DefaultDeleteMarkersOlderThan is the age past which PurgeDeletes removes delete
// and purge markers entirely.
const DefaultDeleteMarkersOlderThan = 30 * time.Minute

// PurgeDeletesOption configures one PurgeDeletes.
type PurgeDeletesOption func(*purgeDeletesOpts) error

type purgeDeletesOpts struct{ olderThan time.Duration }

// DeleteMarkersOlderThan sets the age past which markers are removed entirely
// (default DefaultDeleteMarkersOlderThan); a negative d removes every marker.
// Younger markers are kept, with the history behind them removed.
func DeleteMarkersOlderThan(d time.Duration) PurgeDeletesOption {
	return func(o *purgeDeletesOpts) error {
		if d == 0 {
			return fmt.Errorf("%w: markers older than 0", ErrInvalidOption)
		}
		o.olderThan = d
		return nil
	}
}

// PurgeDeletes removes the history of the keys whose latest operation is a
// delete or a purge, and the markers themselves when they are older than
// DeleteMarkersOlderThan. It blocks until every such key was purged or ctx ended
// (when ctx has no deadline, each API call and each wait for the next key is
// bounded by the API timeout).
func (b *Bucket) PurgeDeletes(ctx context.Context, opts ...PurgeDeletesOption) error {
	o := purgeDeletesOpts{olderThan: DefaultDeleteMarkersOlderThan}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return err
		}
	}
	var markers []*Entry
	err := b.collect(ctx, nil, func(e *Entry) bool {
		if e.Operation != OpPut {
			markers = append(markers, e)
		}
		return true
	}, MetaOnly())
	if err != nil {
		return err
	}
	limit := time.Now().Add(-o.olderThan)
	for _, e := range markers {
		popts := []jsm.PurgeOption{jsm.PurgeSubject(b.readPre + e.Key)}
		if o.olderThan > 0 && e.Created.After(limit) {
			popts = append(popts, jsm.PurgeKeep(1))
		}
		cctx, cancel := b.m.WithDefaultTimeout(ctx)
		_, err := b.m.PurgeStream(cctx, b.stream, popts...)
		cancel()
		if err != nil {
			return bucketErr(b.name, err)
		}
	}
	return nil
}
