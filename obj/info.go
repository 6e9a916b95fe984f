package obj

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// Info returns the meta record of the object name, without reading its data.
// A deleted object is ErrObjectNotFound unless IncludeDeleted is given. It blocks
// until the server answered, ctx ended, or the API timeout passed when ctx has no
// deadline. A link's own record is returned; Get follows it.
func (s *Store) Info(ctx context.Context, name string, opts ...InfoOption) (*ObjectInfo, error) {
	o, err := apply(opts)
	if err != nil {
		return nil, err
	}
	info, err := s.info(ctx, name)
	if err != nil {
		return nil, err
	}
	if info.Deleted && !o.deleted {
		return nil, fmt.Errorf("%w: %q (deleted)", ErrObjectNotFound, name)
	}
	return info, nil
}

// info reads the meta record of name, deleted or not.
func (s *Store) info(ctx context.Context, name string) (*ObjectInfo, error) {
	info, _, err := s.lastMeta(ctx, name)
	return info, err
}

// lastMeta reads the meta record of name and its stream sequence. The sequence is
// also returned with ErrBadMeta, for a record that could not be decoded; it is 0 with
// ErrObjectNotFound.
func (s *Store) lastMeta(ctx context.Context, name string) (*ObjectInfo, uint64, error) {
	if name == "" {
		return nil, 0, fmt.Errorf("%w: empty", ErrInvalidObjectName)
	}
	msg, err := s.m.GetLastMsg(ctx, s.stream, metaSubject(s.bucket, name))
	if err != nil {
		if errors.Is(err, jsm.ErrMsgNotFound) {
			return nil, 0, fmt.Errorf("%w: %q", ErrObjectNotFound, name)
		}
		return nil, 0, s.bucketErr(err)
	}
	info, err := decodeInfo(msg.Data, msg.Time)
	return info, msg.Sequence, err
}

// writeMeta stores info as the object's meta record, replacing the previous one
// (Nats-Rollup: sub).
func (s *Store) writeMeta(ctx context.Context, info *ObjectInfo, opts ...js.PubOption) error {
	m := &conn.Msg{Subject: metaSubject(s.bucket, info.Name), Header: conn.Header{hdrRollup: {rollupSubject}}, Data: info.record()}
	if _, err := s.j.PublishMsg(ctx, m, opts...); err != nil {
		return s.bucketErr(err)
	}
	return nil
}

// purge removes every message of subject, after first (when not nil) has run. It is
// clean-up that must happen even when ctx ends, so it runs on a goroutine of its own
// with a deadline of its own (4× the API timeout), retrying failures that may pass
// (such as a server restarting or an API that does not answer, see retry). purge waits
// for it until ctx ends, then returns ctx's error at once and lets it finish alone: a
// cancelled call returns promptly and still leaves nothing behind once the server
// answers. The goroutine ends early when the connection closes.
func (s *Store) purge(ctx context.Context, subject string, first func()) error {
	done := make(chan error, 1)
	go func() {
		if first != nil {
			first()
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 4*s.m.Timeout())
		defer cancel()
		done <- s.retry(pctx, func(ctx context.Context) error {
			_, err := s.m.PurgeStream(ctx, s.stream, jsm.PurgeSubject(subject))
			return err
		})
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxMetaRaces bounds how many times a meta record is written again after another
// writer replaced it in between.
const maxMetaRaces = 32

// replaceMeta writes the record next builds from the current record of name (nil when
// there is none), on the condition that the current record is still the one read
// (ExpectLastSeqPerSubject); when another writer came in between it reads again and
// retries. It returns the record it replaced (nil when none, or when it could not be
// decoded). next may return a nil record to write nothing.
func (s *Store) replaceMeta(ctx context.Context, name string, next func(cur *ObjectInfo) (*ObjectInfo, error)) (*ObjectInfo, error) {
	for attempt := 0; ; attempt++ {
		cur, seq, err := s.lastMeta(ctx, name)
		switch {
		case errors.Is(err, ErrObjectNotFound), errors.Is(err, ErrBadMeta):
			cur = nil
		case err != nil:
			return nil, err
		}
		rec, err := next(cur)
		if err != nil || rec == nil {
			return cur, err
		}
		err = s.writeMeta(ctx, rec, js.ExpectLastSeqPerSubject(seq))
		if err == nil {
			return cur, nil
		}
		if !errors.Is(err, jsm.ErrWrongLastSequence) || attempt == maxMetaRaces {
			return nil, err
		}
		// Back off a random while, growing, so that racing writers do not starve one.
		t := time.NewTimer(time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6))))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}
