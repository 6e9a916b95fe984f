package obj

import (
	"strings"
	"time"

	"github.com/natsactor/natsactor/jsm"
)

// Config is an object store bucket's configuration, mapped onto its stream as ADR-20
// says.
type Config struct {
	// Bucket names the bucket (stream OBJ_<Bucket>): 1 or more of A-Z, a-z, 0-9, '-', '_'.
	Bucket string
	// Description is the stream's description.
	Description string
	// TTL is how long objects are kept (stream max_age; 0: forever).
	TTL time.Duration
	// MaxBytes bounds the bucket's size (stream max_bytes; 0: unlimited). A full bucket
	// refuses new chunks (discard new).
	MaxBytes int64
	// Storage is file (the default) or memory.
	Storage jsm.StorageType
	// Replicas is the number of copies in a cluster (0: 1).
	Replicas int
	// Placement asks for a cluster and server tags.
	Placement *jsm.Placement
	// Compression stores the stream's blocks compressed with S2.
	Compression bool
	// Metadata is the stream's metadata.
	Metadata map[string]string
}

// streamConfig is the stream configuration of ADR-20 for cfg.
func (cfg Config) streamConfig() jsm.StreamConfig {
	sc := jsm.StreamConfig{
		Name:        streamName(cfg.Bucket),
		Description: cfg.Description,
		Subjects:    []string{allChunks(cfg.Bucket), allMeta(cfg.Bucket)},
		MaxAge:      cfg.TTL,
		MaxBytes:    cfg.MaxBytes,
		Storage:     cfg.Storage,
		Replicas:    max(cfg.Replicas, 1),
		Discard:     jsm.DiscardNew,
		AllowRollup: true,
		AllowDirect: true,
		Placement:   cfg.Placement,
		Metadata:    cfg.Metadata,
	}
	if sc.MaxBytes == 0 {
		sc.MaxBytes = -1
	}
	if cfg.Compression {
		sc.Compression = jsm.S2Compression
	}
	return sc
}

// Status is the state of a bucket: its configuration as its stream has it and how
// much it holds.
type Status struct {
	// Bucket is the bucket's name.
	Bucket      string
	Description string
	// Metadata is the stream's metadata, with any "_nats." keys the server adds.
	Metadata map[string]string
	TTL      time.Duration
	Storage  jsm.StorageType
	Replicas int
	// Sealed is set once Seal was called: nothing can change any more.
	Sealed bool
	// Size is the bytes of all data and meta records in the bucket.
	Size uint64
	// Compressed says whether the stream's blocks are compressed.
	Compressed bool
	// BackingStore is always "JetStream".
	BackingStore string
	// StreamInfo is the stream's information as the server sent it.
	StreamInfo *jsm.StreamInfo
}

func newStatus(info *jsm.StreamInfo) *Status {
	c := info.Config
	return &Status{
		Bucket:       strings.TrimPrefix(c.Name, streamPrefix),
		Description:  c.Description,
		Metadata:     c.Metadata,
		TTL:          c.MaxAge,
		Storage:      c.Storage,
		Replicas:     c.Replicas,
		Sealed:       c.Sealed,
		Size:         info.State.Bytes,
		Compressed:   c.Compression != jsm.NoCompression,
		BackingStore: "JetStream",
		StreamInfo:   info,
	}
}
