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

// Kick closes the server's side of the connection of the client named name, as a
// network failure would: the client sees its link drop and reconnects. It fails the
// test when no client of that name is connected.
func (s *Server) Kick(t testing.TB, name string) {
	t.Helper()
	cz, err := s.Server().Connz(&server.ConnzOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ci := range cz.Conns {
		if ci.Name == name {
			if err := s.Server().DisconnectClientByID(ci.Cid); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("natstest: no client named %q on server %s", name, s.Name())
}
