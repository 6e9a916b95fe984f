// Package js is natsactor's JetStream client: publishing with acknowledgements
// (synchronous, asynchronous with a bounded window, with de-duplication and
// optimistic-concurrency expectations), and consuming through pull consumers and
// ordered consumers, with the acknowledgement methods of each received message. Push
// subscriptions deliver to C(), Next or a handler.
//
//	j := js.New(c)
//	ack, err := j.Publish(ctx, "orders.new", data, js.MsgID("o-1"))
//	pc, err := j.PullSubscribe(ctx, "orders.>", "proc")
//	msgs, err := pc.Fetch(ctx, 10)
//	for _, m := range msgs { m.Ack() }
//
// Every pull consumer is an actor: one goroutine owns its pull window, its heartbeat
// alarm and, for an ordered consumer, the sequence tracking and the single reset in
// flight. Each pull asks the server for idle heartbeats; two missed heartbeats, a
// reconnect or a leadership change make the consumer pull again, so a Consume or an
// ordered consumer keeps delivering across reconnects, server restarts and stream
// leader changes. Only the deletion of the consumer (or Stop, Drain, or the
// connection's close) ends a Consume. A worker that handles one message at a time can
// acknowledge and ask for the next in one publication with Msg.AckNext.
//
// A push subscription's actor watches the consumer's idle heartbeats: when they stop it
// checks the consumer, creates an ephemeral one it made again from the first message
// not acknowledged (it may have vanished past its inactive threshold while the client
// was away), and ends with ErrConsumerDeleted when a durable one is gone.
//
// Beyond single publishes, servers 2.12 and newer store an atomic batch (ADR-50) all
// or nothing: NewBatch, then Add for each message and Commit with the last, or
// PublishBatch for a slice; the stream needs AllowAtomicPublish. Servers 2.14 and newer
// also take fast-ingest batches (NewFastBatch, on streams with AllowBatchPublish):
// unbounded and not atomic, published without a round trip per message and paced by
// the stream's flow acknowledgements; by default the first lost or refused message
// ends the batch, so that what is stored is an unbroken prefix. A stream with
// AllowMsgCounter keeps counters (ADR-49): Incr (or Publish with Increment) adds to
// the counter at a subject, Counter and Counters read totals. Older servers answer
// these calls with ErrNotSupported.
//
// Calls that wait take a ctx first; a ctx without deadline is bounded by the
// JetStream API timeout of the Client's Manager (5 s by default). A ctx given to a
// call that starts long-lived work (Subscribe, PullSubscribe, Consume) bounds the
// set-up only. Lifecycle calls (Stop, Drain, Unsubscribe) are idempotent and safe
// from inside handlers.
//
// Errors are package sentinels matched with errors.Is; errors the JetStream API
// answers with are *jsm.APIError values, which match the sentinels of package jsm.
package js
