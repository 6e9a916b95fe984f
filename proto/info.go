package proto

import (
	"encoding/json"
	"fmt"
)

// Info is the INFO document a server sends when a client connects and again
// when the cluster changes. Field names and JSON keys follow nats-server's
// own Info type; fields only routes, gateways and leaf nodes use are left
// out and ignored when present.
type Info struct {
	ServerID      string   `json:"server_id"`
	ServerName    string   `json:"server_name"`
	Version       string   `json:"version"`
	Proto         int      `json:"proto"`
	GitCommit     string   `json:"git_commit,omitempty"`
	GoVersion     string   `json:"go"`
	Host          string   `json:"host"`
	Port          int      `json:"port"`
	Headers       bool     `json:"headers"`
	AuthRequired  bool     `json:"auth_required,omitempty"`
	TLSRequired   bool     `json:"tls_required,omitempty"`
	TLSVerify     bool     `json:"tls_verify,omitempty"`
	TLSAvailable  bool     `json:"tls_available,omitempty"`
	MaxPayload    int64    `json:"max_payload"`
	JetStream     bool     `json:"jetstream,omitempty"`
	ClientID      uint64   `json:"client_id,omitempty"`
	ClientIP      string   `json:"client_ip,omitempty"`
	Nonce         string   `json:"nonce,omitempty"`
	Cluster       string   `json:"cluster,omitempty"`
	Domain        string   `json:"domain,omitempty"`
	ConnectURLs   []string `json:"connect_urls,omitempty"`
	WSConnectURLs []string `json:"ws_connect_urls,omitempty"`
	LameDuckMode  bool     `json:"ldm,omitempty"`
	XKey          string   `json:"xkey,omitempty"`
}

// ParseInfo decodes the JSON document of an INFO (what Handler.Info gets).
// Unknown fields are ignored; JSON that does not decode is an error wrapping
// ErrProtocol. The result does not borrow js.
func ParseInfo(js []byte) (*Info, error) {
	info := new(Info)
	if err := json.Unmarshal(js, info); err != nil {
		return nil, fmt.Errorf("%w: bad INFO JSON (%v): %s", ErrProtocol, err, excerpt(js))
	}
	return info, nil
}

// Connect is the document a client sends in CONNECT (see AppendConnect).
// JSON keys follow nats-server's connect options for clients.
type Connect struct {
	Verbose      bool   `json:"verbose"`
	Pedantic     bool   `json:"pedantic"`
	TLSRequired  bool   `json:"tls_required"`
	AuthToken    string `json:"auth_token,omitempty"`
	User         string `json:"user,omitempty"`
	Pass         string `json:"pass,omitempty"`
	Name         string `json:"name,omitempty"`
	Lang         string `json:"lang"`
	Version      string `json:"version"`
	Protocol     int    `json:"protocol"`
	Echo         bool   `json:"echo"`
	Headers      bool   `json:"headers"`
	NoResponders bool   `json:"no_responders"`
	JWT          string `json:"jwt,omitempty"`
	NKey         string `json:"nkey,omitempty"`
	Sig          string `json:"sig,omitempty"`
}
