// Package conn is natsactor's connection to NATS: publish and subscribe, queue groups,
// headers, request/reply and request-many, with reconnects, server discovery, lame-duck
// migration and every authentication method servers offer.
//
// A Conn is a small set of actors. The reader goroutine owns the socket's read side: it
// feeds the bytes to the allocation-free parser in package proto and queues each message
// straight into its subscription, never waiting on user code. The writer owns the write
// side: Publish appends a whole encoded frame to its buffer and returns, and the writer
// sends many frames in one write. A payload of 32 KiB or more on an idle connection is
// the exception: Publish writes it itself, from the caller's buffer, behind whatever was
// queued, in one writev, since copying it would cost more than the frame it saves from
// waiting. The connection actor owns the server pool, the PING
// timer, Flush waiters and the reconnect loop. Each Subscription is an actor too: it holds
// a bounded queue of pending messages and hands them, in order, to its channel C() or to
// its handler, on a goroutine of its own.
//
// Calls that wait take a ctx first. Lifecycle calls (Unsubscribe, Drain, Close) are
// idempotent and safe from inside handlers; once they return, no handler of theirs starts.
// Events (connected, disconnected, reconnected, lame duck, slow consumer, async errors,
// closed) reach one handler, WithEventHandler, in order, and actors built on a connection
// can listen with Events.
package conn
