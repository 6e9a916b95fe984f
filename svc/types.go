package svc

import (
	"encoding/json"
	"time"
)

// The values of the "type" field of the $SRV answers (ADR-32).
const (
	TypePingResponse  = "io.nats.micro.v1.ping_response"
	TypeInfoResponse  = "io.nats.micro.v1.info_response"
	TypeStatsResponse = "io.nats.micro.v1.stats_response"
)

// Protocol constants of ADR-32.
const (
	// DefaultAPIPrefix is the first token of the discovery and monitoring subjects.
	DefaultAPIPrefix = "$SRV"
	// DefaultQueueGroup is the queue group endpoints join unless configured otherwise.
	DefaultQueueGroup = "q"
	// ErrorHeader carries the description of a service error in a reply.
	ErrorHeader = "Nats-Service-Error"
	// ErrorCodeHeader carries the numeric code of a service error in a reply.
	ErrorCodeHeader = "Nats-Service-Error-Code"
)

// The verbs of the monitoring subjects: $SRV.<verb>[.<name>[.<id>]].
const (
	VerbPing  = "PING"
	VerbInfo  = "INFO"
	VerbStats = "STATS"
)

// Identity holds the fields every $SRV answer starts with.
type Identity struct {
	// Type is the schema of the answer, such as io.nats.micro.v1.ping_response.
	Type string `json:"type"`
	// Name is the kind of service, shared by all its instances.
	Name string `json:"name"`
	// ID identifies one instance of the service.
	ID string `json:"id"`
	// Version is the SemVer version of the service.
	Version string `json:"version"`
	// Metadata is the service's free-form metadata.
	Metadata map[string]string `json:"metadata"`
}

// PingResponse is the answer to $SRV.PING (type io.nats.micro.v1.ping_response).
type PingResponse struct {
	Identity
}

// InfoResponse is the answer to $SRV.INFO (type io.nats.micro.v1.info_response): the
// service's identity, description and endpoints.
type InfoResponse struct {
	Identity
	// Description is the human-readable description of the service.
	Description string `json:"description"`
	// Endpoints lists the service's endpoints in the order they were added.
	Endpoints []EndpointInfo `json:"endpoints"`
}

// EndpointInfo describes one endpoint in an InfoResponse.
type EndpointInfo struct {
	// Name is the endpoint's name.
	Name string `json:"name"`
	// Subject is the subject the endpoint listens on, group prefixes included.
	Subject string `json:"subject"`
	// QueueGroup is the endpoint's queue group; empty (and left out of the JSON) for an
	// endpoint without one.
	QueueGroup string `json:"queue_group,omitempty"`
	// Metadata is the endpoint's free-form metadata.
	Metadata map[string]string `json:"metadata"`
}

// StatsResponse is the answer to $SRV.STATS (type io.nats.micro.v1.stats_response).
type StatsResponse struct {
	Identity
	// Endpoints holds the statistics of each endpoint, in the order they were added.
	Endpoints []EndpointStats `json:"endpoints"`
	// Started is when the service started, in UTC (RFC 3339 in the JSON).
	Started time.Time `json:"started"`
}

// EndpointStats are the statistics of one endpoint.
type EndpointStats struct {
	// Name is the endpoint's name.
	Name string `json:"name"`
	// Subject is the subject the endpoint listens on.
	Subject string `json:"subject"`
	// QueueGroup is the endpoint's queue group, empty for none.
	QueueGroup string `json:"queue_group,omitempty"`
	// NumRequests counts the requests the endpoint received.
	NumRequests int `json:"num_requests"`
	// NumErrors counts the error replies (Request.Error, handler panics) and failed replies.
	NumErrors int `json:"num_errors"`
	// LastError describes the latest error, "" if there was none.
	LastError string `json:"last_error"`
	// Data is what Config.StatsHandler returned for the endpoint, as JSON; nil without one.
	Data json.RawMessage `json:"data,omitempty"`
	// ProcessingTime is the total time spent handling requests (nanoseconds in the JSON).
	ProcessingTime time.Duration `json:"processing_time"`
	// AverageProcessingTime is ProcessingTime divided by NumRequests.
	AverageProcessingTime time.Duration `json:"average_processing_time"`
}
