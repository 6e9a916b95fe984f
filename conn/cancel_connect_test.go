package conn_test

import (
	"context"
	"testing"

	"github.com/natsactor/natsactor/conn"
)

// A Connect cancelled while the server has not sent INFO yet returns context.Canceled:
// the cancel reaches the handshake as a socket deadline, which alone would read as an
// i/o timeout.
func TestCancelConnect(t *testing.T) {
	t.Parallel()
	st := startStallServer(t, false)
	cancelMidFlight(t, st.pinged, func(ctx context.Context) error {
		c, err := conn.Connect(ctx, st.addr)
		if err == nil {
			c.Close()
		}
		return err
	})
}
