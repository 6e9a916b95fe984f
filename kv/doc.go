// Package kv is natsactor's key-value store: buckets kept in JetStream streams
// exactly as ADR-8 lays them out, so that a bucket made here works from nats.go,
// nats.py and the nats CLI, and the other way round.
//
// A bucket named B is the stream KV_B capturing the subjects $KV.B.>; a key K is
// the subject $KV.B.K and each of its values one message, whose stream sequence
// is the value's revision. Deletes and purges are messages with a KV-Operation
// header (DEL, PURGE; a purge also rolls the key's history up with
// Nats-Rollup: sub), reads are direct gets, and compare-and-set writes use
// Nats-Expected-Last-Subject-Sequence.
//
//	b, err := kv.Create(ctx, j, kv.Config{Bucket: "profiles", History: 5})
//	rev, err := b.Put(ctx, "alice", []byte("v1"))
//	e, err := b.Get(ctx, "alice")                  // e.Value, e.Revision, ...
//	rev, err = b.Update(ctx, "alice", []byte("v2"), e.Revision)
//	w, err := b.Watch(ctx, "alice.>")
//	for e := range w.C() {
//		if e == nil { /* the initial values are done */ continue }
//	}
//
// Calls that wait take a ctx first; a ctx without deadline is bounded by the
// JetStream API timeout of the *js.Client's Manager (5 s by default). Watch's
// ctx bounds only the set-up: the watcher is an actor of its own (an ordered
// push consumer) that keeps delivering across reconnects and server restarts
// until Stop, Drain, the bucket's deletion or the connection's close.
//
// Errors are package sentinels matched with errors.Is (ErrKeyNotFound,
// ErrWrongRevision, ErrBucketNotFound, ...); when the server answered, its
// *jsm.APIError is wrapped too.
package kv
