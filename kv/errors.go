package kv

import (
	"errors"
	"fmt"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

// Sentinel errors of package kv. Match them with errors.Is; most are wrapped with
// detail, and with the server's *jsm.APIError when the server answered.
var (
	// ErrKeyNotFound: the key has no value, or its latest operation is a delete or
	// a purge (Get), or the revision is not one of the key's (GetRevision).
	ErrKeyNotFound = errors.New("nats: key not found")
	// ErrKeyExists: Create found a value for the key.
	ErrKeyExists = errors.New("nats: key exists")
	// ErrWrongRevision: the key's latest revision is not the one expected (Update,
	// Delete and Purge with LastRevision). The server says so with error code 10071,
	// or 10164 on clustered streams; both are recognised.
	ErrWrongRevision = errors.New("nats: wrong last sequence")
	// ErrBucketNotFound: no bucket (stream KV_<name>) of that name.
	ErrBucketNotFound = errors.New("nats: bucket not found")
	// ErrBucketExists: Create found a bucket of that name with another configuration.
	ErrBucketExists = errors.New("nats: bucket name already in use")
	// ErrInvalidKey: a key or key filter is empty, holds characters outside
	// [-/_=.a-zA-Z0-9] (plus '*' and '>' tokens in filters), or has an empty token.
	// Nothing is sent.
	ErrInvalidKey = errors.New("nats: invalid key")
	// ErrInvalidBucketName: a bucket name is empty or holds characters outside
	// [a-zA-Z0-9_-]. Nothing is sent.
	ErrInvalidBucketName = errors.New("nats: invalid bucket name")
	// ErrInvalidConfig: a Config the client refuses before sending anything (history
	// outside 1..64, a negative TTL, a limit-marker TTL under one second, ...).
	ErrInvalidConfig = errors.New("nats: invalid key-value configuration")
	// ErrLimitMarkersUnsupported: Config.LimitMarkerTTL needs a server with JetStream
	// API level 1 or newer (nats-server 2.11).
	ErrLimitMarkersUnsupported = errors.New("nats: limit markers need jetstream api level 1 (nats-server 2.11)")
	// ErrNotKVBucket: the stream KV_<name> exists but is not a key-value bucket.
	ErrNotKVBucket = errors.New("nats: stream is not a key-value bucket")
	// ErrWatcherStopped: the watcher was stopped, or ended, before the call finished.
	ErrWatcherStopped = errors.New("nats: watcher stopped")
	// ErrInvalidOption is wrapped by options that reject their argument. It is
	// conn.ErrInvalidOption, so either matches.
	ErrInvalidOption = conn.ErrInvalidOption
)

// Server error codes of a failed Nats-Expected-Last-Subject-Sequence: 10071 from a
// single server, 10164 from a clustered stream.
const (
	errCodeWrongLastSeq        = 10071
	errCodeWrongLastSeqCluster = 10164
)

// isWrongSeq reports whether err is the server refusing an expected last
// (subject) sequence.
func isWrongSeq(err error) bool {
	var ae *jsm.APIError
	if errors.As(err, &ae) && (ae.ErrCode == errCodeWrongLastSeq || ae.ErrCode == errCodeWrongLastSeqCluster) {
		return true
	}
	return errors.Is(err, jsm.ErrWrongLastSequence)
}

// bucketErr turns a missing stream into ErrBucketNotFound (keeping the cause).
func bucketErr(bucket string, err error) error {
	if errors.Is(err, jsm.ErrStreamNotFound) {
		return fmt.Errorf("%w: %s: %w", ErrBucketNotFound, bucket, err)
	}
	return err
}
