package kv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// Get returns the latest value of key. A key without value, or whose latest
// operation is a delete or a purge, gives ErrKeyNotFound. It reads with a direct
// get, which any replica (or mirror) may answer, and blocks until the answer,
// ctx's end, or the API timeout when ctx has no deadline.
func (b *Bucket) Get(ctx context.Context, key string) (*Entry, error) {
	e, err := b.last(ctx, key)
	if err != nil {
		return nil, err
	}
	if e.Operation != OpPut {
		return nil, fmt.Errorf("%w: %s (%s at revision %d)", ErrKeyNotFound, key, e.Operation, e.Revision)
	}
	return e, nil
}

// GetRevision returns the value of key at revision rev. A revision that is not
// one of key's (or no longer in the bucket), or that is a delete or purge,
// gives ErrKeyNotFound. It blocks as Get does.
func (b *Bucket) GetRevision(ctx context.Context, key string, rev uint64) (*Entry, error) {
	if err := checkKey(key, false); err != nil {
		return nil, err
	}
	if rev == 0 {
		return nil, fmt.Errorf("%w: %s at revision 0", ErrKeyNotFound, key)
	}
	ctx, cancel := b.m.WithDefaultTimeout(ctx)
	defer cancel()
	m, err := b.m.GetMsg(ctx, b.stream, rev)
	if err != nil {
		return nil, b.readErr(key, err)
	}
	if m.Subject != b.readPre+key {
		return nil, fmt.Errorf("%w: %s at revision %d", ErrKeyNotFound, key, rev)
	}
	e := b.entryOf(key, m)
	if e.Operation != OpPut {
		return nil, fmt.Errorf("%w: %s (%s at revision %d)", ErrKeyNotFound, key, e.Operation, e.Revision)
	}
	return e, nil
}

// last returns key's latest entry, deletes and purges included.
func (b *Bucket) last(ctx context.Context, key string) (*Entry, error) {
	if err := checkKey(key, false); err != nil {
		return nil, err
	}
	ctx, cancel := b.m.WithDefaultTimeout(ctx)
	defer cancel()
	m, err := b.m.GetLastMsg(ctx, b.stream, b.readPre+key)
	if err != nil {
		return nil, b.readErr(key, err)
	}
	return b.entryOf(key, m), nil
}

func (b *Bucket) readErr(key string, err error) error {
	if errors.Is(err, jsm.ErrMsgNotFound) {
		return fmt.Errorf("%w: %s", ErrKeyNotFound, key)
	}
	return bucketErr(b.name, err)
}

func (b *Bucket) entryOf(key string, m *jsm.RawStreamMsg) *Entry {
	return &Entry{
		Bucket:    b.name,
		Key:       key,
		Value:     m.Data,
		Revision:  m.Sequence,
		Created:   m.Time,
		Operation: operationOf(m.Header),
	}
}

// Put stores value under key and returns its revision. It blocks until the
// bucket acknowledged, ctx's end, or the API timeout when ctx has no deadline.
func (b *Bucket) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	if err := checkKey(key, false); err != nil {
		return 0, err
	}
	return b.publish(ctx, &conn.Msg{Subject: b.writePre + key, Data: value})
}

// PutString is Put with a string value.
func (b *Bucket) PutString(ctx context.Context, key, value string) (uint64, error) {
	return b.Put(ctx, key, []byte(value))
}

func (b *Bucket) publish(ctx context.Context, m *conn.Msg, opts ...js.PubOption) (uint64, error) {
	ack, err := b.j.PublishMsg(ctx, m, opts...)
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// CreateOption configures one Create.
type CreateOption func(*createOpts) error

type createOpts struct{ ttl time.Duration }

// KeyTTL makes the created value expire after d (at least one second). The
// bucket must have limit markers (Config.LimitMarkerTTL); the server's
// *jsm.APIError says so otherwise. A purge marker is left when it expires.
func KeyTTL(d time.Duration) CreateOption {
	return func(o *createOpts) error {
		if d < time.Second {
			return fmt.Errorf("%w: key TTL %v is under one second", ErrInvalidOption, d)
		}
		o.ttl = d
		return nil
	}
}

// Create stores value under key only if the key has no value: it never had
// one, or its latest operation is a delete or a purge. Otherwise it returns
// ErrKeyExists. It returns the new revision and blocks as Put does (two
// round trips more when the key was deleted).
func (b *Bucket) Create(ctx context.Context, key string, value []byte, opts ...CreateOption) (uint64, error) {
	if err := checkKey(key, false); err != nil {
		return 0, err
	}
	var o createOpts
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return 0, err
		}
	}
	ctx, cancel := b.m.WithDefaultTimeout(ctx)
	defer cancel()
	pub := func(last uint64) (uint64, error) {
		po := []js.PubOption{js.ExpectLastSeqPerSubject(last)}
		if o.ttl > 0 {
			po = append(po, js.MsgTTL(o.ttl))
		}
		return b.publish(ctx, &conn.Msg{Subject: b.writePre + key, Data: value}, po...)
	}
	rev, err := pub(0)
	if err == nil || !isWrongSeq(err) {
		return rev, err
	}
	// The key has messages: allowed over a delete or purge marker only.
	e, gerr := b.last(ctx, key)
	if gerr != nil {
		if errors.Is(gerr, ErrKeyNotFound) {
			return 0, fmt.Errorf("%w: %s: %w", ErrKeyExists, key, err)
		}
		return 0, gerr
	}
	if e.Operation == OpPut {
		return 0, fmt.Errorf("%w: %s (revision %d): %w", ErrKeyExists, key, e.Revision, err)
	}
	rev, err = pub(e.Revision)
	if err != nil && isWrongSeq(err) {
		return 0, fmt.Errorf("%w: %s: %w", ErrKeyExists, key, err)
	}
	return rev, err
}

// Update stores value under key only if the key's latest revision is last,
// and returns the new revision. Otherwise it returns ErrWrongRevision (the
// server's error codes 10071 and 10164 alike), wrapping the server's
// *jsm.APIError. It blocks as Put does.
func (b *Bucket) Update(ctx context.Context, key string, value []byte, last uint64) (uint64, error) {
	if err := checkKey(key, false); err != nil {
		return 0, err
	}
	rev, err := b.publish(ctx, &conn.Msg{Subject: b.writePre + key, Data: value}, js.ExpectLastSeqPerSubject(last))
	if err != nil && isWrongSeq(err) {
		return 0, fmt.Errorf("%w: %s expected at revision %d: %w", ErrWrongRevision, key, last, err)
	}
	return rev, err
}

// DeleteOption configures one Delete.
type DeleteOption interface{ applyDelete(*markerOpts) error }

// PurgeOption configures one Purge.
type PurgeOption interface{ applyPurge(*markerOpts) error }

type markerOpts struct {
	last    uint64
	hasLast bool
	ttl     time.Duration
}

// RevisionOption is the option LastRevision returns; it configures Delete and
// Purge.
type RevisionOption struct{ rev uint64 }

func (r RevisionOption) applyDelete(o *markerOpts) error { o.last, o.hasLast = r.rev, true; return nil }
func (r RevisionOption) applyPurge(o *markerOpts) error  { o.last, o.hasLast = r.rev, true; return nil }

// LastRevision makes Delete or Purge succeed only if the key's latest revision
// is rev (ErrWrongRevision otherwise; 0 means the key has no message at all).
func LastRevision(rev uint64) RevisionOption { return RevisionOption{rev} }

type purgeTTL time.Duration

func (d purgeTTL) applyPurge(o *markerOpts) error {
	if time.Duration(d) < time.Second {
		return fmt.Errorf("%w: purge TTL %v is under one second", ErrInvalidOption, time.Duration(d))
	}
	o.ttl = time.Duration(d)
	return nil
}

// PurgeTTL makes the purge marker itself go away after d (at least one second),
// so that a purged key leaves nothing behind. The bucket must have limit markers
// (Config.LimitMarkerTTL).
func PurgeTTL(d time.Duration) PurgeOption { return purgeTTL(d) }

// Delete marks key deleted, keeping its history (as far as Config.History
// keeps it): a message with the header KV-Operation: DEL and no value. Get then
// gives ErrKeyNotFound; watchers and History see an OpDelete entry. It blocks as
// Put does.
func (b *Bucket) Delete(ctx context.Context, key string, opts ...DeleteOption) error {
	var o markerOpts
	for _, opt := range opts {
		if err := opt.applyDelete(&o); err != nil {
			return err
		}
	}
	return b.marker(ctx, key, opDel, o)
}

// Purge removes key's history and leaves one purge marker (KV-Operation: PURGE
// with Nats-Rollup: sub). It blocks as Put does.
func (b *Bucket) Purge(ctx context.Context, key string, opts ...PurgeOption) error {
	var o markerOpts
	for _, opt := range opts {
		if err := opt.applyPurge(&o); err != nil {
			return err
		}
	}
	return b.marker(ctx, key, opPurge, o)
}

func (b *Bucket) marker(ctx context.Context, key, op string, o markerOpts) error {
	if err := checkKey(key, false); err != nil {
		return err
	}
	h := conn.Header{}
	h.Set(hdrOperation, op)
	if op == opPurge {
		h.Set(hdrRollup, rollupSubject)
	}
	var po []js.PubOption
	if o.hasLast {
		po = append(po, js.ExpectLastSeqPerSubject(o.last))
	}
	if o.ttl > 0 {
		po = append(po, js.MsgTTL(o.ttl))
	}
	_, err := b.publish(ctx, &conn.Msg{Subject: b.writePre + key, Header: h}, po...)
	if err != nil && o.hasLast && isWrongSeq(err) {
		return fmt.Errorf("%w: %s expected at revision %d: %w", ErrWrongRevision, key, o.last, err)
	}
	return err
}
