package obj

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// Store is one object store bucket. It holds no state the server does not have
// besides its names, and is safe for concurrent use.
type Store struct {
	j      *js.Client
	m      *jsm.Manager
	bucket string
	stream string
	// noBatch forces one direct get per chunk (tests of the pre-2.11 path).
	noBatch bool
}

func newStore(j *js.Client, bucket string) *Store {
	return &Store{j: j, m: j.Manager(), bucket: bucket, stream: streamName(bucket)}
}

// Bucket returns the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// Create creates the bucket cfg describes, or opens it when it exists with the same
// configuration; with another configuration it returns ErrBucketExists. It blocks until
// the server answered, ctx ended, or the API timeout passed when ctx has no deadline.
func Create(ctx context.Context, j *js.Client, cfg Config) (*Store, error) {
	if err := validBucket(cfg.Bucket); err != nil {
		return nil, err
	}
	if _, err := j.Manager().AddStream(ctx, cfg.streamConfig()); err != nil {
		if errors.Is(err, jsm.ErrStreamNameInUse) {
			return nil, fmt.Errorf("%w: %q: %w", ErrBucketExists, cfg.Bucket, err)
		}
		return nil, err
	}
	return newStore(j, cfg.Bucket), nil
}

// Update changes the configuration of an existing bucket (ErrBucketNotFound when there
// is none). It blocks as Create does.
func Update(ctx context.Context, j *js.Client, cfg Config) (*Store, error) {
	if err := validBucket(cfg.Bucket); err != nil {
		return nil, err
	}
	if _, err := j.Manager().UpdateStream(ctx, cfg.streamConfig()); err != nil {
		if errors.Is(err, jsm.ErrStreamNotFound) {
			return nil, fmt.Errorf("%w: %q", ErrBucketNotFound, cfg.Bucket)
		}
		return nil, err
	}
	return newStore(j, cfg.Bucket), nil
}

// Open binds to an existing bucket (ErrBucketNotFound when there is none, ErrBadBucket
// for a stream OBJ_<bucket> without the object store's subjects). It blocks as Create
// does.
func Open(ctx context.Context, j *js.Client, bucket string) (*Store, error) {
	if err := validBucket(bucket); err != nil {
		return nil, err
	}
	info, err := j.Manager().StreamInfo(ctx, streamName(bucket))
	if err != nil {
		if errors.Is(err, jsm.ErrStreamNotFound) {
			return nil, fmt.Errorf("%w: %q", ErrBucketNotFound, bucket)
		}
		return nil, err
	}
	if !slices.Contains(info.Config.Subjects, allChunks(bucket)) || !slices.Contains(info.Config.Subjects, allMeta(bucket)) {
		return nil, fmt.Errorf("%w: %q has subjects %v", ErrBadBucket, info.Config.Name, info.Config.Subjects)
	}
	return newStore(j, bucket), nil
}

// Delete deletes a bucket with all its objects (ErrBucketNotFound when there is none).
// It blocks as Create does.
func Delete(ctx context.Context, j *js.Client, bucket string) error {
	if err := validBucket(bucket); err != nil {
		return err
	}
	if err := j.Manager().DeleteStream(ctx, streamName(bucket)); err != nil {
		if errors.Is(err, jsm.ErrStreamNotFound) {
			return fmt.Errorf("%w: %q", ErrBucketNotFound, bucket)
		}
		return err
	}
	return nil
}

// Names iterates over the names of the account's buckets, asking the server page by
// page as the loop goes. An error ends the iteration as its last pair; ctx's end stops
// it.
func Names(ctx context.Context, j *js.Client) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for name, err := range j.Manager().StreamNames(ctx, jsm.ListSubject("$O.*.M.>")) {
			if err != nil {
				yield("", err)
				return
			}
			if b, ok := strings.CutPrefix(name, streamPrefix); ok {
				if !yield(b, nil) {
					return
				}
			}
		}
	}
}

// List iterates over the Status of every bucket of the account, as Names does.
func List(ctx context.Context, j *js.Client) iter.Seq2[*Status, error] {
	return func(yield func(*Status, error) bool) {
		for info, err := range j.Manager().Streams(ctx, jsm.ListSubject("$O.*.M.>")) {
			if err != nil {
				yield(nil, err)
				return
			}
			if strings.HasPrefix(info.Config.Name, streamPrefix) {
				if !yield(newStatus(info), nil) {
					return
				}
			}
		}
	}
}

// Status returns the bucket's configuration and size. It blocks until the server
// answered, ctx ended, or the API timeout passed when ctx has no deadline.
func (s *Store) Status(ctx context.Context) (*Status, error) {
	info, err := s.m.StreamInfo(ctx, s.stream)
	if err != nil {
		return nil, s.bucketErr(err)
	}
	return newStatus(info), nil
}

// Seal seals the bucket: from then on no object can be put, changed or deleted, and
// the bucket cannot be unsealed. It returns the sealed bucket's Status and blocks as
// Status does.
func (s *Store) Seal(ctx context.Context) (*Status, error) {
	ctx, cancel := s.m.WithDefaultTimeout(ctx)
	defer cancel()
	info, err := s.m.StreamInfo(ctx, s.stream)
	if err != nil {
		return nil, s.bucketErr(err)
	}
	cfg := info.Config
	cfg.Sealed = true
	info, err = s.m.UpdateStream(ctx, cfg)
	if err != nil {
		return nil, s.bucketErr(err)
	}
	return newStatus(info), nil
}

// bucketErr turns the stream's absence into ErrBucketNotFound.
func (s *Store) bucketErr(err error) error {
	if errors.Is(err, jsm.ErrStreamNotFound) {
		return fmt.Errorf("%w: %q: %w", ErrBucketNotFound, s.bucket, err)
	}
	return err
}
