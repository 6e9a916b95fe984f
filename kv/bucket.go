package kv

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// Bucket is a handle on one key-value bucket. It holds no state the server does
// not have besides the names it reads and writes under, and is safe for
// concurrent use.
type Bucket struct {
	name   string
	stream string
	j      *js.Client
	m      *jsm.Manager
	c      *conn.Conn
	// readPre is the subject prefix of the keys as stored in the stream
	// ("$KV.<bucket>."; for a mirror, the mirrored bucket's).
	readPre string
	// writePre is the prefix writes are published under: the bucket's own, or the
	// mirrored bucket's for a mirror, behind the API prefix of another domain.
	writePre string
	// inboxPre is the connection's inbox prefix, for watchers' deliver subjects.
	inboxPre string
}

// Name returns the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Create makes a bucket as cfg describes and returns its handle. A bucket of
// that name with the same configuration is returned as is; one with another
// configuration gives ErrBucketExists. It blocks until the server answered,
// ctx ended, or the API timeout passed when ctx has no deadline.
func Create(ctx context.Context, j *js.Client, cfg Config) (*Bucket, error) {
	return apply(ctx, j, cfg, func(ctx context.Context, m *jsm.Manager, sc jsm.StreamConfig) (*jsm.StreamInfo, error) {
		si, err := m.AddStream(ctx, sc)
		if errors.Is(err, jsm.ErrStreamNameInUse) {
			return nil, fmt.Errorf("%w: %s: %w", ErrBucketExists, cfg.Bucket, err)
		}
		return si, err
	})
}

// Update changes the configuration of an existing bucket (ErrBucketNotFound when
// there is none) and returns its handle. Limit markers can be turned on but not
// off. It blocks as Create does.
func Update(ctx context.Context, j *js.Client, cfg Config) (*Bucket, error) {
	return apply(ctx, j, cfg, func(ctx context.Context, m *jsm.Manager, sc jsm.StreamConfig) (*jsm.StreamInfo, error) {
		si, err := m.UpdateStream(ctx, sc)
		return si, bucketErr(cfg.Bucket, err)
	})
}

// CreateOrUpdate updates the bucket when it exists and creates it otherwise.
// It blocks as Create does.
func CreateOrUpdate(ctx context.Context, j *js.Client, cfg Config) (*Bucket, error) {
	return apply(ctx, j, cfg, func(ctx context.Context, m *jsm.Manager, sc jsm.StreamConfig) (*jsm.StreamInfo, error) {
		si, err := m.UpdateStream(ctx, sc)
		if errors.Is(err, jsm.ErrStreamNotFound) {
			si, err = m.AddStream(ctx, sc)
		}
		return si, err
	})
}

// apply validates cfg, sends its stream configuration with do and binds the
// bucket.
func apply(ctx context.Context, j *js.Client, cfg Config,
	do func(context.Context, *jsm.Manager, jsm.StreamConfig) (*jsm.StreamInfo, error)) (*Bucket, error) {
	ctx, cancel := j.Manager().WithDefaultTimeout(ctx)
	defer cancel()
	sc, err := prepare(ctx, j, cfg)
	if err != nil {
		return nil, err
	}
	si, err := do(ctx, j.Manager(), sc)
	if err != nil {
		return nil, err
	}
	return bind(j, cfg.Bucket, si), nil
}

// prepare validates cfg, checks the server's API level when limit markers are
// asked for, and returns the stream configuration.
func prepare(ctx context.Context, j *js.Client, cfg Config) (jsm.StreamConfig, error) {
	sc, err := cfg.StreamConfig()
	if err != nil {
		return sc, err
	}
	if cfg.LimitMarkerTTL > 0 {
		ai, err := j.Manager().AccountInfo(ctx)
		if err != nil {
			return sc, err
		}
		if ai.API.Level < 1 {
			return sc, ErrLimitMarkersUnsupported
		}
	}
	return sc, nil
}

// Open returns the handle of an existing bucket (ErrBucketNotFound when there is
// none). It blocks until the server answered, ctx ended, or the API timeout
// passed when ctx has no deadline.
func Open(ctx context.Context, j *js.Client, bucket string) (*Bucket, error) {
	if err := checkBucket(bucket); err != nil {
		return nil, err
	}
	ctx, cancel := j.Manager().WithDefaultTimeout(ctx)
	defer cancel()
	si, err := j.Manager().StreamInfo(ctx, streamName(bucket))
	if err != nil {
		return nil, bucketErr(bucket, err)
	}
	if si.Config.MaxMsgsPerSubject < 1 {
		return nil, fmt.Errorf("%w: %s", ErrNotKVBucket, si.Config.Name)
	}
	return bind(j, bucket, si), nil
}

// Delete removes a bucket with all its keys (ErrBucketNotFound when there is
// none). Watchers of the bucket end. It blocks as Open does.
func Delete(ctx context.Context, j *js.Client, bucket string) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	ctx, cancel := j.Manager().WithDefaultTimeout(ctx)
	defer cancel()
	return bucketErr(bucket, j.Manager().DeleteStream(ctx, streamName(bucket)))
}

// Names iterates over the names of the account's buckets (the streams named
// KV_<name>), asking the server page by page as the loop goes. An error ends the
// iteration as its last pair; ctx's end stops it.
func Names(ctx context.Context, j *js.Client) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for name, err := range j.Manager().StreamNames(ctx) {
			if err != nil {
				yield("", err)
				return
			}
			if b, ok := strings.CutPrefix(name, streamPrefix); ok && validBucketName(b) {
				if !yield(b, nil) {
					return
				}
			}
		}
	}
}

// List iterates over the status of each of the account's buckets, as Names does.
func List(ctx context.Context, j *js.Client) iter.Seq2[*Status, error] {
	return func(yield func(*Status, error) bool) {
		for si, err := range j.Manager().Streams(ctx) {
			if err != nil {
				yield(nil, err)
				return
			}
			b, ok := strings.CutPrefix(si.Config.Name, streamPrefix)
			if !ok || !validBucketName(b) {
				continue
			}
			if !yield(statusOf(b, si), nil) {
				return
			}
		}
	}
}

// bind makes the handle of bucket from its stream's information.
func bind(j *js.Client, bucket string, si *jsm.StreamInfo) *Bucket {
	b := &Bucket{
		name:   bucket,
		stream: streamName(bucket),
		j:      j,
		m:      j.Manager(),
		c:      j.Conn(),
	}
	b.inboxPre = inboxPrefix(b.c)
	// Writes to a bucket of another domain (or account) go through its API
	// prefix: "$JS.hub.API.$KV.<bucket>.<key>" reaches the stream there.
	writeVia := ""
	if p := b.m.APIPrefix(); p != jsm.DefaultAPIPrefix {
		writeVia = p + "."
	}
	origin := bucket
	if m := si.Config.Mirror; m != nil {
		origin = strings.TrimPrefix(m.Name, streamPrefix)
		if m.External != nil && m.External.APIPrefix != "" {
			writeVia = m.External.APIPrefix + "."
		}
	}
	b.readPre = subjectPrefix + origin + "."
	b.writePre = writeVia + b.readPre
	return b
}
