package kv

import (
	"context"
	"time"

	"github.com/natsactor/natsactor/jsm"
)

// Status is the state of a bucket as a whole.
type Status struct {
	// Bucket is the bucket's name.
	Bucket string
	// Values counts the messages of the bucket, historical values and markers
	// included.
	Values uint64
	// History is how many values are kept per key.
	History int
	// TTL is how long values are kept (0: forever).
	TTL time.Duration
	// LimitMarkerTTL is how long limit markers are kept (0: no markers).
	LimitMarkerTTL time.Duration
	// Compressed reports S2 compression of the store.
	Compressed bool
	// BackingStore is "JetStream".
	BackingStore string
	// Bytes is the bucket's size.
	Bytes uint64
	// Metadata is the bucket's metadata, the server's "_nats." keys included.
	Metadata map[string]string
	// Config is the bucket's configuration as read back from its stream.
	Config Config
	// StreamInfo is the full information of the stream behind the bucket.
	StreamInfo *jsm.StreamInfo
}

// Status returns the bucket's status. It blocks until the server answered, ctx
// ended, or the API timeout passed when ctx has no deadline; a deleted bucket
// gives ErrBucketNotFound.
func (b *Bucket) Status(ctx context.Context) (*Status, error) {
	ctx, cancel := b.m.WithDefaultTimeout(ctx)
	defer cancel()
	si, err := b.m.StreamInfo(ctx, b.stream)
	if err != nil {
		return nil, bucketErr(b.name, err)
	}
	return statusOf(b.name, si), nil
}

func statusOf(bucket string, si *jsm.StreamInfo) *Status {
	s := &Status{
		Bucket:       bucket,
		Values:       si.State.Msgs,
		History:      int(si.Config.MaxMsgsPerSubject),
		TTL:          si.Config.MaxAge,
		Compressed:   si.Config.Compression == jsm.S2Compression,
		BackingStore: "JetStream",
		Bytes:        si.State.Bytes,
		Metadata:     si.Config.Metadata,
		Config:       configFromStream(bucket, &si.Config),
		StreamInfo:   si,
	}
	if si.Config.AllowMsgTTL {
		s.LimitMarkerTTL = si.Config.SubjectDeleteMarkerTTL
	}
	return s
}
