package kv

import (
	"time"

	"github.com/natsactor/natsactor/conn"
)

// Operation is what an entry records: a value put, a delete or a purge.
type Operation uint8

const (
	// OpPut is a value written by Put, Create or Update.
	OpPut Operation = iota
	// OpDelete is a delete marker (KV-Operation: DEL, or a server marker with
	// Nats-Marker-Reason: Remove).
	OpDelete
	// OpPurge is a purge marker (KV-Operation: PURGE, or a server marker with
	// Nats-Marker-Reason: MaxAge or Purge).
	OpPurge
)

// String returns "PUT", "DEL" or "PURGE", as the KV-Operation header spells them.
func (o Operation) String() string {
	switch o {
	case OpPut:
		return "PUT"
	case OpDelete:
		return "DEL"
	case OpPurge:
		return "PURGE"
	}
	return "UNKNOWN"
}

// Header names and values of the KV protocol (ADR-8, ADR-48).
const (
	hdrOperation    = "KV-Operation"
	hdrRollup       = "Nats-Rollup"
	hdrMarkerReason = "Nats-Marker-Reason"
	opDel           = "DEL"
	opPurge         = "PURGE"
	rollupSubject   = "sub"
)

// Entry is one value of a key, or one delete or purge of it.
type Entry struct {
	// Bucket is the bucket the entry was read from.
	Bucket string
	// Key is the entry's key.
	Key string
	// Value is the value; nil for deletes, purges and watchers with MetaOnly.
	Value []byte
	// Revision is the entry's stream sequence, unique in the bucket.
	Revision uint64
	// Created is when the bucket stored the entry.
	Created time.Time
	// Delta is how many newer entries (of the read's keys) follow this one: 0 for the
	// latest. Get and GetRevision leave it 0.
	Delta uint64
	// Operation is PUT, DEL or PURGE.
	Operation Operation
}

// operationOf reads the operation from a stored message's headers: KV-Operation,
// then the Nats-Marker-Reason of server limit markers (ADR-48).
func operationOf(h conn.Header) Operation {
	if h == nil {
		return OpPut
	}
	switch h.Get(hdrOperation) {
	case opDel:
		return OpDelete
	case opPurge:
		return OpPurge
	}
	switch h.Get(hdrMarkerReason) {
	case "MaxAge", "Purge":
		return OpPurge
	case "Remove":
		return OpDelete
	}
	return OpPut
}
