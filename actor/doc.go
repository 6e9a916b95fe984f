// Package actor holds the small concurrency helpers shared by natsactor's actors: the
// connection, subscription and consumer goroutines that each own their state and talk to
// the rest of the program through typed commands and events over channels.
//
//   - [Lifecycle] records the end of an actor once: a Done channel and the reason.
//   - [Call] sends a command that carries a reply channel and waits for the reply, a
//     cancelled context or the actor's end, releasing late replies through a discard hook.
//   - [Mailbox] gives an actor two inbound lanes, control and data, so control commands
//     (close, drain, unsubscribe) never queue behind data.
//   - [Queue] is the bounded, non-blocking pending queue between the socket reader and a
//     subscription actor, limited in items and bytes, with a coalesced wake-up channel.
//
// The package imports only the standard library.
package actor
