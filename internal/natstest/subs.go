package natstest

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// ClientSubs returns the number of subscriptions the server holds for the client that
// connected with the name name (conn.WithName). Cancellation and leak tests compare it
// with a baseline to show a call left no subscription behind. It fails the test when
// no client of that name is connected.
func (s *Server) ClientSubs(t testing.TB, name string) int {
	t.Helper()
	cz, err := s.Server().Connz(&server.ConnzOptions{Subscriptions: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, ci := range cz.Conns {
		if ci.Name == name {
			return int(ci.NumSubs)
		}
	}
	t.Fatalf("natstest: no client named %q on server %s", name, s.Name())
	return 0
}
