package kv

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/natsactor/natsactor/jsm"
)

// Limits and defaults of ADR-8.
const (
	// MaxHistory is the largest History a bucket may keep per key.
	MaxHistory = 64
	// maxDuplicateWindow is the duplicate window of buckets whose TTL is longer or unset.
	maxDuplicateWindow = 2 * time.Minute
	// minLimitMarkerTTL is the shortest LimitMarkerTTL the server accepts.
	minLimitMarkerTTL = time.Second

	streamPrefix  = "KV_"
	subjectPrefix = "$KV."
)

// Config describes a bucket. The zero values of the limits mean "none"; History 0
// means 1.
type Config struct {
	// Bucket is the bucket's name: letters, digits, '_' and '-'.
	Bucket      string
	Description string
	// MaxValueSize caps the size of one value in bytes (0: no cap).
	MaxValueSize int32
	// History is how many values are kept per key, 1 to MaxHistory (0: 1).
	History int
	// TTL removes values this long after they were written (0: never).
	TTL time.Duration
	// MaxBytes caps the bucket's size; writes beyond it fail (0: no cap).
	MaxBytes int64
	// Storage is FileStorage (the default) or MemoryStorage.
	Storage jsm.StorageType
	// Replicas is the number of copies in a cluster (0: 1).
	Replicas  int
	Placement *jsm.Placement
	// RePublish publishes every change again to another subject.
	RePublish *jsm.RePublish
	// Mirror makes the bucket a read-only copy of another bucket; writes through it
	// go to that bucket. It excludes Sources.
	Mirror *Source
	// Sources copy the keys of other buckets (or streams) into this one.
	Sources []*Source
	// Compression compresses the bucket's file store with S2.
	Compression bool
	// LimitMarkerTTL, at least one second, makes the server leave a purge marker
	// that lives this long when the TTL (or a per-key TTL) removes a key's last value,
	// and allows per-key TTLs (Create with KeyTTL, Purge with PurgeTTL). It needs
	// nats-server 2.11 (ErrLimitMarkersUnsupported) and cannot be turned off again.
	LimitMarkerTTL time.Duration
	// Metadata is free-form; servers add "_nats." keys of their own.
	Metadata map[string]string
}

// Source names a bucket (or stream) to mirror or to source from.
type Source struct {
	// Name is the bucket's name; "KV_" is put in front to name its stream unless it
	// is there already. With SubjectTransforms it names a stream and is kept as is.
	Name string
	// OptStartSeq and OptStartTime start the copy at a sequence or a time.
	OptStartSeq  uint64
	OptStartTime *time.Time
	// FilterSubject is a key filter ("orders.>"): only the keys matching it are copied.
	// For a source it becomes the automatic subject transform's source
	// ($KV.<name>.<filter> -> $KV.<bucket>.>, as ADR-57 shows); for a mirror it is
	// the filter $KV.<name>.<filter>.
	FilterSubject string
	// SubjectTransforms, when set on a source, are used exactly as given, and no
	// automatic transform is made (to source from a stream that is not a bucket).
	SubjectTransforms []jsm.SubjectTransformConfig
	// Domain is the JetStream domain the bucket lives in ("" for the same one). It
	// sets External to the API prefix "$JS.<Domain>.API".
	Domain string
	// External reaches a bucket of another account (or domain) explicitly.
	External *jsm.ExternalStream
}

// streamName returns the stream of bucket b.
func streamName(b string) string { return streamPrefix + b }

// validate checks what the client refuses before sending anything.
func (cfg *Config) validate() error {
	if err := checkBucket(cfg.Bucket); err != nil {
		return err
	}
	switch {
	case cfg.History < 0 || cfg.History > MaxHistory:
		return fmt.Errorf("%w: history %d not in 1..%d", ErrInvalidConfig, cfg.History, MaxHistory)
	case cfg.TTL < 0:
		return fmt.Errorf("%w: negative TTL %v", ErrInvalidConfig, cfg.TTL)
	case cfg.MaxBytes < -1:
		return fmt.Errorf("%w: max bytes %d", ErrInvalidConfig, cfg.MaxBytes)
	case cfg.MaxValueSize < -1:
		return fmt.Errorf("%w: max value size %d", ErrInvalidConfig, cfg.MaxValueSize)
	case cfg.Replicas < 0:
		return fmt.Errorf("%w: replicas %d", ErrInvalidConfig, cfg.Replicas)
	case cfg.LimitMarkerTTL != 0 && cfg.LimitMarkerTTL < minLimitMarkerTTL:
		return fmt.Errorf("%w: limit marker TTL %v is under %v", ErrInvalidConfig, cfg.LimitMarkerTTL, minLimitMarkerTTL)
	case cfg.Mirror != nil && len(cfg.Sources) > 0:
		return fmt.Errorf("%w: a mirror cannot have sources too", ErrInvalidConfig)
	case cfg.Mirror != nil && cfg.LimitMarkerTTL != 0:
		return fmt.Errorf("%w: a mirror cannot have limit markers", ErrInvalidConfig)
	}
	for _, s := range append([]*Source{cfg.Mirror}, cfg.Sources...) {
		if s == nil {
			continue
		}
		if s.Name == "" {
			return fmt.Errorf("%w: source without a name", ErrInvalidConfig)
		}
		if s.Domain != "" && s.External != nil {
			return fmt.Errorf("%w: source %s has both Domain and External", ErrInvalidConfig, s.Name)
		}
		if s.FilterSubject != "" {
			if err := checkKey(s.FilterSubject, true); err != nil {
				return fmt.Errorf("%w: source %s filter: %w", ErrInvalidConfig, s.Name, err)
			}
		}
	}
	return nil
}

// StreamConfig returns the configuration of the stream that holds the bucket,
// exactly as ADR-8 (and ADR-48, ADR-57) define it. Create and Update send it;
// it is exported so that tools can inspect what a Config makes.
func (cfg Config) StreamConfig() (jsm.StreamConfig, error) {
	if err := cfg.validate(); err != nil {
		return jsm.StreamConfig{}, err
	}
	history := int64(cfg.History)
	if history == 0 {
		history = 1
	}
	replicas := cfg.Replicas
	if replicas == 0 {
		replicas = 1
	}
	maxBytes := cfg.MaxBytes
	if maxBytes == 0 {
		maxBytes = -1
	}
	maxValue := cfg.MaxValueSize
	if maxValue == 0 {
		maxValue = -1
	}
	dup := maxDuplicateWindow
	if cfg.TTL > 0 && cfg.TTL < dup {
		dup = cfg.TTL
	}
	sc := jsm.StreamConfig{
		Name:              streamName(cfg.Bucket),
		Description:       cfg.Description,
		Retention:         jsm.LimitsPolicy,
		MaxConsumers:      -1,
		MaxMsgs:           -1,
		MaxBytes:          maxBytes,
		MaxAge:            cfg.TTL,
		MaxMsgsPerSubject: history,
		MaxMsgSize:        maxValue,
		Discard:           jsm.DiscardNew,
		Storage:           cfg.Storage,
		Replicas:          replicas,
		Duplicates:        dup,
		AllowRollup:       true,
		DenyDelete:        true,
		AllowDirect:       true,
		Placement:         cfg.Placement,
		RePublish:         cfg.RePublish,
		Metadata:          maps.Clone(cfg.Metadata),
	}
	if cfg.Compression {
		sc.Compression = jsm.S2Compression
	}
	if cfg.LimitMarkerTTL > 0 {
		sc.AllowMsgTTL = true
		sc.SubjectDeleteMarkerTTL = cfg.LimitMarkerTTL
	}
	switch {
	case cfg.Mirror != nil:
		m := cfg.Mirror
		ss := &jsm.StreamSource{
			Name:         withStreamPrefix(m.Name),
			OptStartSeq:  m.OptStartSeq,
			OptStartTime: m.OptStartTime,
			External:     external(m),
		}
		if len(m.SubjectTransforms) > 0 {
			ss.SubjectTransforms = m.SubjectTransforms
		} else if m.FilterSubject != "" {
			ss.FilterSubject = subjectPrefix + strings.TrimPrefix(ss.Name, streamPrefix) + "." + m.FilterSubject
		}
		sc.Mirror = ss
		sc.MirrorDirect = true
	default:
		sc.Subjects = []string{subjectPrefix + cfg.Bucket + ".>"}
		for _, s := range cfg.Sources {
			sc.Sources = append(sc.Sources, sourceConfig(cfg.Bucket, s))
		}
	}
	return sc, nil
}

// sourceConfig maps one Source of bucket to the stream source (ADR-57).
func sourceConfig(bucket string, s *Source) *jsm.StreamSource {
	ss := &jsm.StreamSource{
		Name:         s.Name,
		OptStartSeq:  s.OptStartSeq,
		OptStartTime: s.OptStartTime,
		External:     external(s),
	}
	if len(s.SubjectTransforms) > 0 {
		// Custom transforms: kept exactly, name untouched, no automatic transform.
		ss.SubjectTransforms = s.SubjectTransforms
		ss.FilterSubject = s.FilterSubject
		return ss
	}
	ss.Name = withStreamPrefix(s.Name)
	filter := ">"
	if s.FilterSubject != "" {
		filter = s.FilterSubject
	}
	ss.SubjectTransforms = []jsm.SubjectTransformConfig{{
		Source:      subjectPrefix + strings.TrimPrefix(ss.Name, streamPrefix) + "." + filter,
		Destination: subjectPrefix + bucket + ".>",
	}}
	return ss
}

func withStreamPrefix(name string) string {
	if strings.HasPrefix(name, streamPrefix) {
		return name
	}
	return streamPrefix + name
}

func external(s *Source) *jsm.ExternalStream {
	if s.External != nil {
		e := *s.External
		return &e
	}
	if s.Domain != "" {
		return &jsm.ExternalStream{APIPrefix: "$JS." + s.Domain + ".API"}
	}
	return nil
}

// configFromStream reads a bucket's Config back from its stream's configuration.
func configFromStream(bucket string, sc *jsm.StreamConfig) Config {
	cfg := Config{
		Bucket:       bucket,
		Description:  sc.Description,
		History:      int(sc.MaxMsgsPerSubject),
		TTL:          sc.MaxAge,
		MaxBytes:     sc.MaxBytes,
		MaxValueSize: sc.MaxMsgSize,
		Storage:      sc.Storage,
		Replicas:     sc.Replicas,
		Placement:    sc.Placement,
		RePublish:    sc.RePublish,
		Compression:  sc.Compression == jsm.S2Compression,
		Metadata:     sc.Metadata,
	}
	if cfg.MaxBytes == -1 {
		cfg.MaxBytes = 0
	}
	if cfg.MaxValueSize == -1 {
		cfg.MaxValueSize = 0
	}
	if sc.AllowMsgTTL {
		cfg.LimitMarkerTTL = sc.SubjectDeleteMarkerTTL
	}
	if m := sc.Mirror; m != nil {
		cfg.Mirror = sourceFromStream(m)
	}
	for _, s := range sc.Sources {
		cfg.Sources = append(cfg.Sources, sourceFromStream(s))
	}
	return cfg
}

func sourceFromStream(ss *jsm.StreamSource) *Source {
	s := &Source{
		Name:              strings.TrimPrefix(ss.Name, streamPrefix),
		OptStartSeq:       ss.OptStartSeq,
		OptStartTime:      ss.OptStartTime,
		FilterSubject:     ss.FilterSubject,
		SubjectTransforms: ss.SubjectTransforms,
		External:          ss.External,
	}
	if e := ss.External; e != nil && strings.HasPrefix(e.APIPrefix, "$JS.") && strings.HasSuffix(e.APIPrefix, ".API") && e.DeliverPrefix == "" {
		if d := strings.TrimSuffix(strings.TrimPrefix(e.APIPrefix, "$JS."), ".API"); d != "" && !strings.Contains(d, ".") {
			s.Domain, s.External = d, nil
		}
	}
	return s
}
