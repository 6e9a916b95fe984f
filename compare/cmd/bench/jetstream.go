package main

// Helpers shared by the JetStream, key-value and object-store workloads of both clients.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/natsactor/natsactor/jsm"
)

const (
	// cleanupTimeout bounds the deletion of a run's stream, bucket or object store.
	cleanupTimeout = 30 * time.Second
	// kvKeys is how many distinct keys kv_get reads from (round-robin) and kv_put writes
	// to (round-robin too, so the bucket's size does not grow with p.N).
	kvKeys = 1000
	// mb is the unit of the object-store figures (MB/s).
	mb = 1e6
)

// runSeq numbers the runs of this process so that every run gets streams and buckets of
// its own, even when both clients share a server (the smoke test).
var runSeq atomic.Int64

// benchStream names a run's stream: name, the wildcard its subjects are captured by,
// and the one subject messages are published to.
type benchStream struct {
	name, subjects, subject string
}

// newBenchStream returns fresh names for one run of the workload p describes.
func newBenchStream(p params) benchStream {
	id := strconv.FormatInt(runSeq.Add(1), 10)
	base := p.Subject + ".r" + id
	return benchStream{
		name:     strings.ToUpper(strings.NewReplacer(".", "_").Replace(base)),
		subjects: base + ".>",
		subject:  base + ".m",
	}
}

// bucketName returns a fresh bucket name for one run of the workload p describes.
func bucketName(p params) string {
	return strings.NewReplacer(".", "_").Replace(p.Subject) + "_r" + strconv.FormatInt(runSeq.Add(1), 10)
}

// kvKey is the i-th key of the key-value workloads (i modulo kvKeys); the names are
// made once so that building them is not timed.
func kvKey(i int) string { return kvKeyNames[i%kvKeys] }

var kvKeyNames = func() []string {
	keys := make([]string, kvKeys)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	return keys
}()

// waitAckFloor polls floor until it reports at least want, for up to 5 s: a consumer's
// ack floor follows the last acknowledgement by a moment.
func waitAckFloor(ctx context.Context, want uint64, floor func(context.Context) (uint64, error)) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := floor(ctx)
		if err != nil {
			return fmt.Errorf("consumer info: %w", err)
		}
		if got >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %d, want %d", errAckFloor, got, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitDone waits until all is closed or ctx ends; it reports ctx's error.
func waitDone(ctx context.Context, all <-chan struct{}) error {
	select {
	case <-all:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// objectSize is the size in bytes of the object of obj_put and obj_get: p.N units of
// p.Size bytes (MiB), so that the CPU per operation is per MiB.
func objectSize(p params) int64 { return int64(p.N) * int64(p.Size) }

// objectData returns a reader of size bytes of pseudo-random data that holds only one
// 1 MiB block in memory, repeated, so that the peak heap of the object-store workloads
// is the client's and not the test data's.
func objectData(size int64) io.Reader {
	return io.LimitReader(&repeatReader{block: block1M}, size)
}

// block1M is 1 MiB of pseudo-random bytes, the same on every run.
var block1M = func() []byte {
	b := make([]byte, 1<<20)
	r := rand.NewChaCha8([32]byte{'n', 'a', 't', 's'})
	_, _ = r.Read(b)
	return b
}()

// repeatReader reads block over and over.
type repeatReader struct {
	block []byte
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.block[r.off:])
		n += c
		r.off = (r.off + c) % len(r.block)
	}
	return n, nil
}

// objectName is the name of the one object of obj_put and obj_get.
const objectName = "blob"

// errAckFloor reports a consumer whose acknowledgements did not all arrive.
var errAckFloor = errors.New("ack floor below the last message")

// anchorStream creates a small file stream that lives as long as the server, before any
// run. It works around a race in nats-server 2.15.2 (server/stream.go, stream.stop with
// the delete flag): after deleting a stream the server removes the account's "streams"
// directory in a goroutine of its own when it looks empty, and a stream created at that
// moment fails with "error creating store for stream" (mkdir: no such file or directory).
// A run deletes its stream when it ends and the next run creates one at once; with the
// anchor the directory is never empty. It is made with natsactor's jsm, outside any
// timing, and serves both clients alike.
func anchorStream(ctx context.Context, url string) error {
	c, err := natsactorConnect(ctx, url, "anchor")
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	if _, err := jsm.New(c).AddStream(ctx, jsm.StreamConfig{
		Name:     "BENCH_ANCHOR",
		Subjects: []string{"bench-anchor"},
		Storage:  jsm.FileStorage,
	}); err != nil {
		return fmt.Errorf("anchor stream: %w", err)
	}
	return nil
}
