package jsm

import "time"

// StreamInfo is a stream's configuration and state as the server reports it.
type StreamInfo struct {
	Config     StreamConfig        `json:"config"`
	Created    time.Time           `json:"created"`
	State      StreamState         `json:"state"`
	Domain     string              `json:"domain,omitempty"`
	Cluster    *ClusterInfo        `json:"cluster,omitempty"`
	Mirror     *StreamSourceInfo   `json:"mirror,omitempty"`
	Sources    []*StreamSourceInfo `json:"sources,omitempty"`
	Alternates []StreamAlternate   `json:"alternates,omitempty"`
	// TimeStamp is when the server gathered the information.
	TimeStamp time.Time `json:"ts"`
}

// StreamState is what a stream holds.
type StreamState struct {
	Msgs        uint64    `json:"messages"`
	Bytes       uint64    `json:"bytes"`
	FirstSeq    uint64    `json:"first_seq"`
	FirstTime   time.Time `json:"first_ts"`
	LastSeq     uint64    `json:"last_seq"`
	LastTime    time.Time `json:"last_ts"`
	NumSubjects int       `json:"num_subjects,omitempty"`
	// Subjects counts messages per subject; filled only when asked with
	// StreamInfoSubjects.
	Subjects   map[string]uint64 `json:"subjects,omitempty"`
	NumDeleted int               `json:"num_deleted,omitempty"`
	// Deleted lists interior deleted sequences; filled only with StreamInfoDeletedDetails.
	Deleted   []uint64        `json:"deleted,omitempty"`
	Lost      *LostStreamData `json:"lost,omitempty"`
	Consumers int             `json:"consumer_count"`
}

// LostStreamData reports messages the store lost (after a crash, for example).
type LostStreamData struct {
	Msgs  []uint64 `json:"msgs"`
	Bytes uint64   `json:"bytes"`
}

// StreamAlternate is a mirror of the stream that can serve reads.
type StreamAlternate struct {
	Name    string `json:"name"`
	Domain  string `json:"domain,omitempty"`
	Cluster string `json:"cluster"`
}

// StreamSourceInfo is the state of a mirror or source.
type StreamSourceInfo struct {
	Name     string          `json:"name"`
	External *ExternalStream `json:"external,omitempty"`
	// Lag is how many messages the source is behind.
	Lag uint64 `json:"lag"`
	// Seq is the last sequence received from the source.
	Seq uint64 `json:"seq,omitempty"`
	// Active is how long ago the source was last heard from (-1: never).
	Active            time.Duration            `json:"active"`
	Error             *APIError                `json:"error,omitempty"`
	FilterSubject     string                   `json:"filter_subject,omitempty"`
	SubjectTransforms []SubjectTransformConfig `json:"subject_transforms,omitempty"`
}

// ClusterInfo describes the group of servers behind a clustered stream or consumer.
type ClusterInfo struct {
	Name        string     `json:"name,omitempty"`
	RaftGroup   string     `json:"raft_group,omitempty"`
	Leader      string     `json:"leader,omitempty"`
	LeaderSince *time.Time `json:"leader_since,omitempty"`
	// SystemAccount and TrafficAccount say which account carries the replication traffic.
	SystemAccount  bool        `json:"system_account,omitempty"`
	TrafficAccount string      `json:"traffic_account,omitempty"`
	Replicas       []*PeerInfo `json:"replicas,omitempty"`
	// Desired is the peer set a move or scale-up is heading for (recent servers only).
	Desired *DesiredClusterInfo `json:"desired,omitempty"`
}

// PeerInfo is one replica of a clustered stream or consumer.
type PeerInfo struct {
	Name    string `json:"name"`
	Current bool   `json:"current"`
	Offline bool   `json:"offline,omitempty"`
	// Active is how long ago the peer was last seen.
	Active time.Duration `json:"active"`
	// Lag is how many operations it is behind.
	Lag  uint64 `json:"lag,omitempty"`
	Peer string `json:"peer"`
	// Pending: the peer is assigned but not (or no longer) a member of the group.
	Pending bool `json:"pending,omitempty"`
}

// DesiredClusterInfo is the peer set a stream or consumer is being moved or scaled to.
type DesiredClusterInfo struct {
	Created  time.Time                 `json:"created"`
	Name     string                    `json:"name,omitempty"`
	Replicas []*DesiredPeerInfo        `json:"replicas,omitempty"`
	Origin   *DesiredClusterInfoOrigin `json:"origin,omitempty"`
	Status   *DesiredClusterInfoStatus `json:"status,omitempty"`
}

// DesiredPeerInfo is one peer of a desired peer set.
type DesiredPeerInfo struct {
	Name    string `json:"name"`
	Offline bool   `json:"offline,omitempty"`
	Peer    string `json:"peer"`
}

// DesiredClusterInfoOrigin is what the group looked like before the change.
type DesiredClusterInfoOrigin struct {
	Replicas  int              `json:"replicas"`
	Placement *Placement       `json:"placement,omitempty"`
	Retention *RetentionPolicy `json:"retention,omitempty"`
}

// DesiredClusterInfoStatus says what a move or scale-up waits on. Type is one of
// "meta", "membership", "snapshot", "catchup", "quorum", "blocked", "unavailable".
type DesiredClusterInfoStatus struct {
	Description string `json:"description"`
	Type        string `json:"type"`
	Err         string `json:"err,omitempty"`
}
