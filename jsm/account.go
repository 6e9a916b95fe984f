package jsm

import "context"

// AccountInfo is the account's JetStream usage and limits: the totals (embedded
// AccountTier), the domain, API statistics, and per-tier figures when the account has
// tiered limits (keys such as "R1", "R3").
type AccountInfo struct {
	AccountTier
	Domain string                 `json:"domain,omitempty"`
	API    APIStats               `json:"api"`
	Tiers  map[string]AccountTier `json:"tiers,omitempty"`
}

// AccountTier is the usage and limits of an account, or of one of its tiers.
type AccountTier struct {
	Memory         uint64        `json:"memory"`
	Store          uint64        `json:"storage"`
	ReservedMemory uint64        `json:"reserved_memory"`
	ReservedStore  uint64        `json:"reserved_storage"`
	Streams        int           `json:"streams"`
	Consumers      int           `json:"consumers"`
	Limits         AccountLimits `json:"limits"`
}

// AccountLimits are an account's JetStream limits (-1: unlimited).
type AccountLimits struct {
	MaxMemory            int64 `json:"max_memory"`
	MaxStore             int64 `json:"max_storage"`
	MaxStreams           int   `json:"max_streams"`
	MaxConsumers         int   `json:"max_consumers"`
	MaxAckPending        int   `json:"max_ack_pending"`
	MemoryMaxStreamBytes int64 `json:"memory_max_stream_bytes"`
	StoreMaxStreamBytes  int64 `json:"storage_max_stream_bytes"`
	MaxBytesRequired     bool  `json:"max_bytes_required"`
}

// APIStats counts the account's JetStream API requests; Level is the API level the
// server implements (ADR-44).
type APIStats struct {
	Level    int    `json:"level"`
	Total    uint64 `json:"total"`
	Errors   uint64 `json:"errors"`
	Inflight uint64 `json:"inflight,omitempty"`
}

// AccountInfo asks for the account's JetStream usage and limits ($JS.API.INFO).
// It blocks until the answer, ctx's end, or the default timeout when ctx has none.
// A server or account without JetStream gives ErrJetStreamNotEnabled.
func (m *Manager) AccountInfo(ctx context.Context) (*AccountInfo, error) {
	var resp AccountInfo
	if err := m.APIRequest(ctx, "INFO", nil, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}
