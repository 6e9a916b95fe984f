package jsm

import "time"

// ConsumerConfig is a consumer's configuration, with the JSON of the server's
// $JS.API.CONSUMER.CREATE request. Durations are nanoseconds on the wire. A consumer
// with a Durable name survives inactivity; one without is ephemeral and is removed
// after InactiveThreshold without activity (AddConsumer sets DefaultInactiveThreshold
// when it is zero). A DeliverSubject makes a push consumer; without one it is a pull
// consumer.
type ConsumerConfig struct {
	Durable     string `json:"durable_name,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// DeliverPolicy with OptStartSeq or OptStartTime says where the consumer starts.
	DeliverPolicy DeliverPolicy `json:"deliver_policy"`
	OptStartSeq   uint64        `json:"opt_start_seq,omitempty"`
	OptStartTime  *time.Time    `json:"opt_start_time,omitempty"`
	// AckPolicy's zero value is AckExplicit.
	AckPolicy  AckPolicy     `json:"ack_policy"`
	AckWait    time.Duration `json:"ack_wait,omitempty"`
	MaxDeliver int           `json:"max_deliver,omitempty"`
	// BackOff are the redelivery delays, one per delivery attempt.
	BackOff []time.Duration `json:"backoff,omitempty"`
	// FilterSubject or FilterSubjects (not both) restrict the subjects delivered.
	FilterSubject  string       `json:"filter_subject,omitempty"`
	FilterSubjects []string     `json:"filter_subjects,omitempty"`
	ReplayPolicy   ReplayPolicy `json:"replay_policy"`
	// RateLimit is in bits per second (push consumers).
	RateLimit       uint64 `json:"rate_limit_bps,omitempty"`
	SampleFrequency string `json:"sample_freq,omitempty"`
	// MaxWaiting bounds the pull requests waiting at once (pull consumers).
	MaxWaiting    int  `json:"max_waiting,omitempty"`
	MaxAckPending int  `json:"max_ack_pending,omitempty"`
	FlowControl   bool `json:"flow_control,omitempty"`
	HeadersOnly   bool `json:"headers_only,omitempty"`

	// Limits on each pull request (pull consumers).
	MaxRequestBatch    int           `json:"max_batch,omitempty"`
	MaxRequestExpires  time.Duration `json:"max_expires,omitempty"`
	MaxRequestMaxBytes int           `json:"max_bytes,omitempty"`

	// Push consumers.
	DeliverSubject string        `json:"deliver_subject,omitempty"`
	DeliverGroup   string        `json:"deliver_group,omitempty"`
	Heartbeat      time.Duration `json:"idle_heartbeat,omitempty"`

	// InactiveThreshold removes the consumer after this long without activity.
	InactiveThreshold time.Duration `json:"inactive_threshold,omitempty"`

	// Replicas overrides the stream's (0: inherit). MemoryStorage forces memory storage.
	Replicas      int  `json:"num_replicas"`
	MemoryStorage bool `json:"mem_storage,omitempty"`

	// Direct and Sourcing mark the server's internal consumers of mirrors and sources.
	Direct   bool `json:"direct,omitempty"`
	Sourcing bool `json:"sourcing,omitempty"`

	Metadata map[string]string `json:"metadata,omitempty"`

	// PauseUntil creates the consumer paused until then (see PauseConsumer).
	PauseUntil *time.Time `json:"pause_until,omitempty"`

	// Priority groups (ADR-42): the group names pulls must name, the policy, and for
	// PriorityPinnedClient how long a pin lasts without pulls.
	PriorityGroups []string       `json:"priority_groups,omitempty"`
	PriorityPolicy PriorityPolicy `json:"priority_policy,omitempty"`
	PinnedTTL      time.Duration  `json:"priority_timeout,omitempty"`
}

// ConsumerInfo is a consumer's configuration and state as the server reports it.
type ConsumerInfo struct {
	Stream  string         `json:"stream_name"`
	Name    string         `json:"name"`
	Created time.Time      `json:"created"`
	Config  ConsumerConfig `json:"config,omitempty"` // always present; by value
	// Delivered is the last delivered sequence pair; AckFloor the pair below which
	// everything is acknowledged.
	Delivered      SequenceInfo  `json:"delivered"`
	AckFloor       SequenceInfo  `json:"ack_floor"`
	NumAckPending  int           `json:"num_ack_pending"`
	NumRedelivered int           `json:"num_redelivered"`
	NumWaiting     int           `json:"num_waiting"`
	NumPending     uint64        `json:"num_pending"`
	Cluster        *ClusterInfo  `json:"cluster,omitempty"`
	PushBound      bool          `json:"push_bound,omitempty"`
	Paused         bool          `json:"paused,omitempty"`
	PauseRemaining time.Duration `json:"pause_remaining,omitempty"`
	// TimeStamp is when the server gathered the information.
	TimeStamp      time.Time            `json:"ts"`
	PriorityGroups []PriorityGroupState `json:"priority_groups,omitempty"`
}

// SequenceInfo is a consumer sequence, the stream sequence it stands for, and when
// that was last active.
type SequenceInfo struct {
	Consumer uint64     `json:"consumer_seq"`
	Stream   uint64     `json:"stream_seq"`
	Last     *time.Time `json:"last_active,omitempty"`
}

// PriorityGroupState is the pinning state of one priority group (ADR-42).
type PriorityGroupState struct {
	Group          string    `json:"group"`
	PinnedClientID string    `json:"pinned_client_id,omitempty"`
	PinnedTS       time.Time `json:"pinned_ts,omitempty"`
}
