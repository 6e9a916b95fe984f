// Package natstest starts real nats-servers in-process for tests: single servers
// (optionally with JetStream, authentication, TLS or a websocket listener), clusters of
// routed servers, and servers in operator (decentralised JWT) mode.
//
// Every server listens on random loopback ports of 127.0.0.1, keeps its JetStream store
// in a t.TempDir(), is silent unless NATSTEST_LOG=1 is set (then its log goes to t.Log),
// and is shut down by t.Cleanup, which waits until no server goroutine is left. Servers
// of different tests share nothing, so tests using this package may run in parallel.
//
//	s := natstest.Start(t, natstest.JetStream())
//	c, err := conn.Connect(ctx, s.URL())
//	...
//	s.Restart(t) // same port, same JetStream store
//
// A Proxy (StartProxy) relays clients to a server and can make chosen publishes vanish
// on the way, for tests of what a client does when a request it sent is never answered.
//
// A cluster started with Partitionable routes its members through relays, so that
// Cluster.Isolate can cut one member off from the others (its clients stay connected to
// it) and Cluster.Heal can join it again.
//
// TLS material (NewCA), nkeys (NewNKeyUser) and operator-mode credentials
// (NewOperator, StartOperator) are generated at test time; no key is checked in.
//
// Only tests import this package; the library itself never imports nats-server.
package natstest
