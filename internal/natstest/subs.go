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
	return int(s.client(t, name).NumSubs)
}

// Kick closes the server's side of the connection of the client named name, as a
// network failure would: the client sees its link drop and reconnects. It fails the
// test when no client of that name is connected.
func (s *Server) Kick(t testing.TB, name string) {
	t.Helper()
	if err := s.Server().DisconnectClientByID(s.client(t, name).Cid); err != nil {
		t.Fatal(err)
	}
}

// client returns the server's description of the connection of the client named name.
func (s *Server) client(t testing.TB, name string) *server.ConnInfo {
	t.Helper()
	cz, err := s.Server().Connz(&server.ConnzOptions{Subscriptions: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, ci := range cz.Conns {
		if ci.Name == name {
			return ci
		}
	}
	t.Fatalf("natstest: no client named %q on server %s", name, s.Name())
	return nil
}
