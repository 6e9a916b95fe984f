// Package compare holds natsactor's interop tests against nats.go and, in cmd/bench,
// side-by-side benchmarks of the two clients against a nats-server process.
//
// It is a module of its own so that nats.go never enters the library's go.mod.
package compare
