// Package proto is the NATS client wire codec: a streaming parser for the
// operations a server sends (MSG, HMSG, INFO, PING, PONG, +OK, -ERR), encoders
// for the frames a client sends (PUB, HPUB, SUB, UNSUB, CONNECT, PING, PONG),
// the NATS header block format, subject and queue name validation, and the
// INFO and CONNECT JSON documents.
//
// The package does no I/O and starts no goroutines. The parser is the hot
// receive path: in steady state it allocates nothing, and the byte slices it
// hands to a [Handler] borrow either the caller's input buffer or the parser's
// own scratch buffer, so they are valid only until the callback returns.
// Callers that keep a subject, reply, header or payload must copy it.
//
// The encoders append one whole frame to a caller-supplied buffer and never
// allocate beyond growing that buffer. They do not validate their arguments;
// callers check names with [ValidateSubject], [ValidatePublishSubject],
// [ValidateQueue], [ValidHeaderKey] and [ValidHeaderValue] first.
package proto
