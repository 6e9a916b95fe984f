//go:build tools

// This file pins the nats-server version that cmd/bench builds and runs as a separate
// process (go build github.com/nats-io/nats-server/v2 from inside this module).
package compare

import _ "github.com/nats-io/nats-server/v2"
