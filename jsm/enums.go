package jsm

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The enumerations of the JetStream API are Go integers that marshal to the strings the
// server speaks. Their zero values are the server's defaults, except that the zero
// AckPolicy is AckExplicit, the policy almost every consumer wants. Unmarshalling a
// string the type does not know is an error naming the type and the string.

// enumText returns the server's name of v, or an error for a value outside names.
func enumText[T ~int](v T, names []string, kind string) ([]byte, error) {
	if v < 0 || int(v) >= len(names) {
		return nil, fmt.Errorf("nats: cannot marshal %s %d", kind, int(v))
	}
	return json.Marshal(names[v])
}

// enumParse sets *v to the value whose name is the JSON string data. Aliases are extra
// spellings the server also accepts.
func enumParse[T ~int](v *T, data []byte, names []string, kind string, fold bool, aliases map[string]T) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("nats: %s must be a JSON string: %w", kind, err)
	}
	if fold {
		s = strings.ToLower(s)
	}
	for i, n := range names {
		if n == s {
			*v = T(i)
			return nil
		}
	}
	if a, ok := aliases[s]; ok {
		*v = a
		return nil
	}
	return fmt.Errorf("nats: unknown %s %q", kind, s)
}

func enumString[T ~int](v T, names []string) string {
	if v < 0 || int(v) >= len(names) {
		return fmt.Sprintf("unknown(%d)", int(v))
	}
	return names[v]
}

// RetentionPolicy says when a stream may remove messages (JSON "retention").
type RetentionPolicy int

const (
	// LimitsPolicy keeps messages until a limit (age, count, size) removes them. The default.
	LimitsPolicy RetentionPolicy = iota
	// InterestPolicy keeps messages while some consumer has not acknowledged them.
	InterestPolicy
	// WorkQueuePolicy removes each message once one consumer acknowledged it.
	WorkQueuePolicy
)

var retentionNames = []string{"limits", "interest", "workqueue"}

// String returns the server's name of the policy.
func (p RetentionPolicy) String() string { return enumString(p, retentionNames) }

// MarshalJSON encodes the policy as the server's string.
func (p RetentionPolicy) MarshalJSON() ([]byte, error) {
	return enumText(p, retentionNames, "retention policy")
}

// UnmarshalJSON decodes the server's string.
func (p *RetentionPolicy) UnmarshalJSON(b []byte) error {
	return enumParse(p, b, retentionNames, "retention policy", false, nil)
}

// DiscardPolicy says what a full stream does with a new message (JSON "discard").
type DiscardPolicy int

const (
	// DiscardOld removes the oldest messages to make room. The default.
	DiscardOld DiscardPolicy = iota
	// DiscardNew refuses the new message.
	DiscardNew
)

var discardNames = []string{"old", "new"}

// String returns the server's name of the policy.
func (p DiscardPolicy) String() string { return enumString(p, discardNames) }

// MarshalJSON encodes the policy as the server's string.
func (p DiscardPolicy) MarshalJSON() ([]byte, error) {
	return enumText(p, discardNames, "discard policy")
}

// UnmarshalJSON decodes the server's string, ignoring case as the server does.
func (p *DiscardPolicy) UnmarshalJSON(b []byte) error {
	return enumParse(p, b, discardNames, "discard policy", true, nil)
}

// StorageType says where a stream or consumer keeps its data (JSON "storage").
type StorageType int

const (
	// FileStorage keeps data on disk. The default.
	FileStorage StorageType = iota
	// MemoryStorage keeps data in memory only.
	MemoryStorage
)

var storageNames = []string{"file", "memory"}

// String returns the server's name of the storage type.
func (s StorageType) String() string { return enumString(s, storageNames) }

// MarshalJSON encodes the storage type as the server's string.
func (s StorageType) MarshalJSON() ([]byte, error) {
	return enumText(s, storageNames, "storage type")
}

// UnmarshalJSON decodes the server's string.
func (s *StorageType) UnmarshalJSON(b []byte) error {
	return enumParse(s, b, storageNames, "storage type", false, nil)
}

// StoreCompression is the compression of a file stream's blocks (JSON "compression").
type StoreCompression int

const (
	// NoCompression stores blocks as they are. The default.
	NoCompression StoreCompression = iota
	// S2Compression compresses blocks with S2.
	S2Compression
)

var compressionNames = []string{"none", "s2"}

// String returns the server's name of the algorithm.
func (c StoreCompression) String() string { return enumString(c, compressionNames) }

// MarshalJSON encodes the algorithm as the server's string.
func (c StoreCompression) MarshalJSON() ([]byte, error) {
	return enumText(c, compressionNames, "compression")
}

// UnmarshalJSON decodes the server's string.
func (c *StoreCompression) UnmarshalJSON(b []byte) error {
	return enumParse(c, b, compressionNames, "compression", false, nil)
}

// PersistMode says when a stream's writes are flushed (JSON "persist_mode"; recent
// servers only).
type PersistMode int

const (
	// DefaultPersistMode flushes each write before acknowledging it. The default.
	DefaultPersistMode PersistMode = iota
	// AsyncPersistMode acknowledges before the write is flushed; a hard kill can lose it.
	AsyncPersistMode
)

var persistNames = []string{"default", "async"}

// String returns the server's name of the mode.
func (p PersistMode) String() string { return enumString(p, persistNames) }

// MarshalJSON encodes the mode as the server's string.
func (p PersistMode) MarshalJSON() ([]byte, error) {
	return enumText(p, persistNames, "persist mode")
}

// UnmarshalJSON decodes the server's string ("" is the default mode).
func (p *PersistMode) UnmarshalJSON(b []byte) error {
	return enumParse(p, b, persistNames, "persist mode", false, map[string]PersistMode{"": DefaultPersistMode})
}

// DeliverPolicy says where a consumer starts in its stream (JSON "deliver_policy").
type DeliverPolicy int

const (
	// DeliverAll starts at the first message. The default.
	DeliverAll DeliverPolicy = iota
	// DeliverLast starts at the last message.
	DeliverLast
	// DeliverNew starts with messages stored after the consumer was created.
	DeliverNew
	// DeliverByStartSequence starts at ConsumerConfig.OptStartSeq.
	DeliverByStartSequence
	// DeliverByStartTime starts at the first message at or after ConsumerConfig.OptStartTime.
	DeliverByStartTime
	// DeliverLastPerSubject starts with the last message of each subject.
	DeliverLastPerSubject
)

var deliverNames = []string{"all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"}

// String returns the server's name of the policy.
func (p DeliverPolicy) String() string { return enumString(p, deliverNames) }

// MarshalJSON encodes the policy as the server's string.
func (p DeliverPolicy) MarshalJSON() ([]byte, error) {
	return enumText(p, deliverNames, "deliver policy")
}

// UnmarshalJSON decodes the server's string ("undefined", which servers write for an
// unset policy, is DeliverAll).
func (p *DeliverPolicy) UnmarshalJSON(b []byte) error {
	return enumParse(p, b, deliverNames, "deliver policy", false, map[string]DeliverPolicy{"undefined": DeliverAll})
}

// AckPolicy says how a consumer's messages are acknowledged (JSON "ack_policy").
// Its zero value is AckExplicit.
type AckPolicy int

const (
	// AckExplicit wants every message acknowledged. The zero value.
	AckExplicit AckPolicy = iota
	// AckNone wants no acknowledgements.
	AckNone
	// AckAll takes an acknowledgement as one for every earlier message too.
	AckAll
	// AckFlowControl works like AckAll with the acknowledgements carried by flow-control
	// replies (ADR-60; the consumers of mirrors and sources on recent servers).
	AckFlowControl
)

var ackNames = []string{"explicit", "none", "all", "flow_control"}

// String returns the server's name of the policy.
func (p AckPolicy) String() string { return enumString(p, ackNames) }

// MarshalJSON encodes the policy as the server's string.
func (p AckPolicy) MarshalJSON() ([]byte, error) {
	return enumText(p, ackNames, "ack policy")
}

// UnmarshalJSON decodes the server's string.
func (p *AckPolicy) UnmarshalJSON(b []byte) error {
	return enumParse(p, b, ackNames, "ack policy", false, nil)
}

// ReplayPolicy says at what pace a consumer delivers stored messages (JSON "replay_policy").
type ReplayPolicy int

const (
	// ReplayInstant delivers as fast as the consumer can take them. The default.
	ReplayInstant ReplayPolicy = iota
	// ReplayOriginal delivers at the pace the messages were stored.
	ReplayOriginal
)

var replayNames = []string{"instant", "original"}

// String returns the server's name of the policy.
func (p ReplayPolicy) String() string { return enumString(p, replayNames) }

// MarshalJSON encodes the policy as the server's string.
func (p ReplayPolicy) MarshalJSON() ([]byte, error) {
	return enumText(p, replayNames, "replay policy")
}

// UnmarshalJSON decodes the server's string.
func (p *ReplayPolicy) UnmarshalJSON(b []byte) error {
	return enumParse(p, b, replayNames, "replay policy", false, nil)
}

// PriorityPolicy says how a pull consumer with priority groups (ADR-42) chooses between
// waiting pulls (JSON "priority_policy", servers 2.11 and newer).
type PriorityPolicy int

const (
	// PriorityNone: no priority groups. The default.
	PriorityNone PriorityPolicy = iota
	// PriorityOverflow serves pulls that set min_pending / min_ack_pending only past those marks.
	PriorityOverflow
	// PriorityPinnedClient serves one pinned client at a time; the others wait on standby.
	PriorityPinnedClient
	// PriorityPrioritized serves the pull with the lowest priority number first.
	PriorityPrioritized
)

var priorityNames = []string{"none", "overflow", "pinned_client", "prioritized"}

// String returns the server's name of the policy.
func (p PriorityPolicy) String() string { return enumString(p, priorityNames) }

// MarshalJSON encodes the policy as the server's string.
func (p PriorityPolicy) MarshalJSON() ([]byte, error) {
	return enumText(p, priorityNames, "priority policy")
}

// UnmarshalJSON decodes the server's string.
func (p *PriorityPolicy) UnmarshalJSON(b []byte) error {
	return enumParse(p, b, priorityNames, "priority policy", false, nil)
}
