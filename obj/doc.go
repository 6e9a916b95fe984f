// Package obj is natsactor's object store: objects of any size kept in a JetStream
// stream as chunks plus one meta record each, in the layout of ADR-20, so that
// buckets and objects written here are read by the other NATS clients and the other
// way round.
//
//	s, err := obj.Create(ctx, j, obj.Config{Bucket: "files"})
//	info, err := s.Put(ctx, obj.Meta{Name: "a.bin"}, reader)
//	r, err := s.Get(ctx, "a.bin")
//	defer r.Close()
//	_, err = io.Copy(w, r) // chunks go to w as received (Object.WriteTo); the size,
//	                       // chunk count and digest are checked at the end
//
// A bucket <b> is the stream OBJ_<b> with the subjects $O.<b>.C.> and $O.<b>.M.>.
// An object's data is published in chunks (128 KiB unless Meta.ChunkSize says
// otherwise) to $O.<b>.C.<nuid>, a fresh NUID per put; its ObjectInfo is stored as
// JSON under $O.<b>.M.<base64url(name)> with Nats-Rollup: sub, so the stream keeps
// one meta record per name. The digest is "SHA-256=" and the base64url of the
// SHA-256 of the data.
//
// Memory stays bounded whatever the object's size: Put reads its io.Reader one chunk
// at a time and keeps a bounded window of chunks waiting for their acknowledgement;
// the meta record is written only once every chunk is acknowledged, and a put that
// fails or is cancelled purges the chunks it wrote. Get returns an *Object, an
// io.ReadCloser that fetches a few chunks ahead with batched direct gets (ADR-31;
// one direct get per chunk on servers older than 2.11), so no consumer is created.
// GetRange starts at the chunk holding the offset.
//
// Calls that wait take a ctx first; a ctx without deadline bounds each JetStream
// request by the API timeout of the js.Client's Manager (5 s by default), not the
// whole transfer. Lists are iter.Seq2 values; Watch starts a Watcher actor that
// lives until Stop or the connection's close.
//
// Errors are package sentinels matched with errors.Is (ErrObjectNotFound,
// ErrBucketNotFound, ErrDigestMismatch, ...); errors the JetStream API answers with
// are *jsm.APIError values.
package obj
