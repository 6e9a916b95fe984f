package jsm

import "time"

// StreamConfig is a stream's configuration, with the JSON of the server's
// $JS.API.STREAM.CREATE request. Durations are nanoseconds on the wire; zero values
// are omitted or mean the server's default as the server defines them (0 limits are
// unlimited once the server fills in -1). Fields a server does not know are ignored
// by it, so a config written for a new server still creates a stream on an older one
// without the new behaviour.
type StreamConfig struct {
	// Name of the stream: required, no '.', '*', '>', whitespace or path separators.
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Subjects    []string `json:"subjects,omitempty"`
	// Retention: limits (default), interest or workqueue.
	Retention RetentionPolicy `json:"retention"`
	// MaxConsumers, MaxMsgs, MaxBytes and MaxMsgsPerSubject: 0 or -1 means unlimited.
	MaxConsumers      int           `json:"max_consumers"`
	MaxMsgs           int64         `json:"max_msgs"`
	MaxBytes          int64         `json:"max_bytes"`
	MaxAge            time.Duration `json:"max_age"`
	MaxMsgsPerSubject int64         `json:"max_msgs_per_subject"`
	MaxMsgSize        int32         `json:"max_msg_size,omitempty"`
	Discard           DiscardPolicy `json:"discard"`
	Storage           StorageType   `json:"storage"`
	// Replicas is the number of copies in a cluster (the server makes 0 into 1).
	Replicas int  `json:"num_replicas"`
	NoAck    bool `json:"no_ack,omitempty"`
	// Duplicates is the window within which a Nats-Msg-Id is de-duplicated.
	Duplicates  time.Duration    `json:"duplicate_window,omitempty"`
	Placement   *Placement       `json:"placement,omitempty"`
	Mirror      *StreamSource    `json:"mirror,omitempty"`
	Sources     []*StreamSource  `json:"sources,omitempty"`
	Compression StoreCompression `json:"compression"`
	FirstSeq    uint64           `json:"first_seq,omitempty"`
	// SubjectTransform rewrites the subject of incoming messages before they are stored (ADR-15).
	SubjectTransform *SubjectTransformConfig `json:"subject_transform,omitempty"`
	// RePublish publishes each stored message again to another subject.
	RePublish *RePublish `json:"republish,omitempty"`
	// AllowDirect lets every replica answer direct gets (ADR-31).
	AllowDirect bool `json:"allow_direct"`
	// MirrorDirect lets a mirror's replicas answer direct gets for the mirrored stream.
	MirrorDirect bool `json:"mirror_direct"`
	// DiscardNewPerSubject applies DiscardNew to MaxMsgsPerSubject too.
	DiscardNewPerSubject bool `json:"discard_new_per_subject,omitempty"`
	// Sealed, DenyDelete and DenyPurge can be set but never cleared.
	Sealed     bool `json:"sealed"`
	DenyDelete bool `json:"deny_delete"`
	DenyPurge  bool `json:"deny_purge"`
	// AllowRollup allows the Nats-Rollup header to purge older messages.
	AllowRollup bool `json:"allow_rollup_hdrs"`
	// ConsumerLimits are defaults and ceilings for the stream's consumers.
	ConsumerLimits StreamConsumerLimits `json:"consumer_limits"`
	// AllowMsgTTL honours the Nats-TTL header of messages (ADR-43).
	AllowMsgTTL bool `json:"allow_msg_ttl"`
	// SubjectDeleteMarkerTTL leaves a marker with this TTL when limits remove the last
	// message of a subject (ADR-43).
	SubjectDeleteMarkerTTL time.Duration `json:"subject_delete_marker_ttl,omitempty"`
	// AllowMsgCounter makes the stream a counter stream (ADR-49).
	AllowMsgCounter bool `json:"allow_msg_counter,omitempty"`
	// AllowAtomicPublish allows atomic batch publishing (ADR-50).
	AllowAtomicPublish bool `json:"allow_atomic,omitempty"`
	// AllowMsgSchedules allows scheduled messages (ADR-51).
	AllowMsgSchedules bool `json:"allow_msg_schedules,omitempty"`
	// PersistMode chooses between flushing before or after the acknowledgement.
	PersistMode PersistMode `json:"persist_mode,omitempty"`
	// AllowBatchPublish allows fast (non-atomic) batch publishing.
	AllowBatchPublish bool `json:"allow_batched,omitempty"`
	// Metadata is free-form; servers add "_nats." keys of their own (ADR-44).
	Metadata map[string]string `json:"metadata,omitempty"`
}

// StreamConsumerLimits are the defaults and ceilings a stream sets for its consumers.
type StreamConsumerLimits struct {
	InactiveThreshold time.Duration `json:"inactive_threshold,omitempty"`
	MaxAckPending     int           `json:"max_ack_pending,omitempty"`
}

// Placement asks for the cluster and server tags a stream is placed on.
type Placement struct {
	Cluster   string   `json:"cluster,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	Preferred string   `json:"preferred,omitempty"`
}

// SubjectTransformConfig maps subjects matching Source to Destination (ADR-15).
type SubjectTransformConfig struct {
	Source      string `json:"src"`
	Destination string `json:"dest"`
}

// RePublish publishes stored messages whose subject matches Source to Destination,
// with only their headers when HeadersOnly is set.
type RePublish struct {
	Source      string `json:"src,omitempty"`
	Destination string `json:"dest"`
	HeadersOnly bool   `json:"headers_only,omitempty"`
}

// StreamSource is the mirror of a stream or one of its sources.
type StreamSource struct {
	Name              string                   `json:"name"`
	OptStartSeq       uint64                   `json:"opt_start_seq,omitempty"`
	OptStartTime      *time.Time               `json:"opt_start_time,omitempty"`
	FilterSubject     string                   `json:"filter_subject,omitempty"`
	SubjectTransforms []SubjectTransformConfig `json:"subject_transforms,omitempty"`
	// External reaches a stream in another account or JetStream domain.
	External *ExternalStream `json:"external,omitempty"`
	// Consumer names a durable consumer to source through (recent servers only).
	Consumer *StreamConsumerSource `json:"consumer,omitempty"`
}

// ExternalStream qualifies a source in another account or domain: APIPrefix is that
// JetStream API's prefix (such as "$JS.hub.API"), DeliverPrefix the subject prefix the
// messages come through.
type ExternalStream struct {
	APIPrefix     string `json:"api"`
	DeliverPrefix string `json:"deliver"`
}

// StreamConsumerSource names the durable consumer a source or mirror reads through.
type StreamConsumerSource struct {
	Name           string `json:"name,omitempty"`
	DeliverSubject string `json:"deliver_subject,omitempty"`
}
