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
	ServerID      string   `json:"server_id"`                 // unique ID of the server
	ServerName    string   `json:"server_name"`               // configured name, or the ID
	Version       string   `json:"version"`                   // server version, e.g. "2.15.2"
	Proto         int      `json:"proto"`                     // protocol version the server speaks
	GitCommit     string   `json:"git_commit,omitempty"`      // commit the server was built from
	GoVersion     string   `json:"go"`                        // Go version the server was built with
	Host          string   `json:"host"`                      // host the server listens on
	Port          int      `json:"port"`                      // port the server listens on
	Headers       bool     `json:"headers"`                   // the server supports headers (HPUB/HMSG)
	AuthRequired  bool     `json:"auth_required,omitempty"`   // the client must authenticate in CONNECT
	TLSRequired   bool     `json:"tls_required,omitempty"`    // the client must upgrade to TLS
	TLSVerify     bool     `json:"tls_verify,omitempty"`      // the client must present a certificate
	TLSAvailable  bool     `json:"tls_available,omitempty"`   // TLS is offered but optional
	MaxPayload    int64    `json:"max_payload"`               // largest message (headers plus data) the server accepts
	JetStream     bool     `json:"jetstream,omitempty"`       // JetStream is enabled
	ClientID      uint64   `json:"client_id,omitempty"`       // ID the server gave this connection
	ClientIP      string   `json:"client_ip,omitempty"`       // the client address the server sees
	Nonce         string   `json:"nonce,omitempty"`           // challenge to sign for nkey or JWT auth
	Cluster       string   `json:"cluster,omitempty"`         // cluster name
	Domain        string   `json:"domain,omitempty"`          // JetStream domain
	ConnectURLs   []string `json:"connect_urls,omitempty"`    // client URLs of the cluster's servers
	WSConnectURLs []string `json:"ws_connect_urls,omitempty"` // websocket URLs of the cluster's servers
	LameDuckMode  bool     `json:"ldm,omitempty"`             // the server is shutting down: move away
	XKey          string   `json:"xkey,omitempty"`            // the server's x25519 public key
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
	Verbose      bool   `json:"verbose"`              // ask for +OK after every operation
	Pedantic     bool   `json:"pedantic"`             // ask for strict checking
	TLSRequired  bool   `json:"tls_required"`         // the client requires TLS
	AuthToken    string `json:"auth_token,omitempty"` // token authentication
	User         string `json:"user,omitempty"`       // user name
	Pass         string `json:"pass,omitempty"`       // password
	Name         string `json:"name,omitempty"`       // client name, shown in monitoring
	Lang         string `json:"lang"`                 // client language, e.g. "go"
	Version      string `json:"version"`              // client version
	Protocol     int    `json:"protocol"`             // protocol version: 1 for INFO updates
	Echo         bool   `json:"echo"`                 // deliver the client's own messages back to it
	Headers      bool   `json:"headers"`              // the client supports headers
	NoResponders bool   `json:"no_responders"`        // send a 503 status when a request has no responders; needs Headers
	JWT          string `json:"jwt,omitempty"`        // user JWT
	NKey         string `json:"nkey,omitempty"`       // public nkey
	Sig          string `json:"sig,omitempty"`        // signature of the INFO nonce
}
