package obj

import (
	"context"
	"errors"
	"fmt"

	"github.com/natsactor/natsactor/conn"
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
	if name == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidObjectName)
	}
	msg, err := s.m.GetLastMsg(ctx, s.stream, metaSubject(s.bucket, name))
	if err != nil {
		if errors.Is(err, jsm.ErrMsgNotFound) {
			return nil, fmt.Errorf("%w: %q", ErrObjectNotFound, name)
		}
		return nil, s.bucketErr(err)
	}
	return decodeInfo(msg.Data, msg.Time)
}

// writeMeta stores info as the object's meta record, replacing the previous one
// (Nats-Rollup: sub).
func (s *Store) writeMeta(ctx context.Context, info *ObjectInfo) error {
	m := &conn.Msg{Subject: metaSubject(s.bucket, info.Name), Header: conn.Header{hdrRollup: {rollupSubject}}, Data: info.record()}
	if _, err := s.j.PublishMsg(ctx, m); err != nil {
		return s.bucketErr(err)
	}
	return nil
}

// purge removes every message of subject; it is given its own deadline so that it
// runs after ctx was cancelled, as clean-up must.
func (s *Store) purge(ctx context.Context, subject string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.m.Timeout())
	defer cancel()
	_, err := s.m.PurgeStream(ctx, s.stream, jsm.PurgeSubject(subject))
	return err
}
