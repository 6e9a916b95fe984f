package kv_test

import (
	"context"
	"testing"
	"time"

	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/kv"
)

// benchBucket is a memory bucket on an in-process server: the figures include the
// server's work, so they are for comparing client changes, not for absolute claims
// (compare/cmd/bench does those, against nats.go, with the server in its own process).
func benchBucket(b *testing.B) *kv.Bucket {
	b.Helper()
	return newEnv(b).bucket(b, kv.Config{Bucket: "bench", Storage: jsm.MemoryStorage})
}

// BenchmarkGet reads one 16-byte value again and again (a direct get per op).
func BenchmarkGet(b *testing.B) {
	bk := benchBucket(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := bk.Put(ctx, "k", make([]byte, 16)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bk.Get(ctx, "k"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut stores a 16-byte value under one key again and again.
func BenchmarkPut(b *testing.B) {
	bk := benchBucket(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	v := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bk.Put(ctx, "k", v); err != nil {
			b.Fatal(err)
		}
	}
}
