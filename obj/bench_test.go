package obj_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/obj"
)

func benchStore(b *testing.B) *obj.Store {
	b.Helper()
	srv := natstest.Start(b, natstest.JetStream())
	c := connect(b, srv.URL())
	s, err := obj.Create(context.Background(), js.New(c), obj.Config{Bucket: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkPut16MiB measures Put of a 16 MiB object in 128 KiB chunks.
func BenchmarkPut16MiB(b *testing.B) {
	s := benchStore(b)
	data := patternBytes(16 << 20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.PutBytes(ctx, "x", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet16MiB measures Get of a 16 MiB object, read through to its digest check.
func BenchmarkGet16MiB(b *testing.B) {
	s := benchStore(b)
	data := patternBytes(16 << 20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := s.PutBytes(ctx, "x", data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		r, err := s.Get(ctx, "x")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

// BenchmarkGetRangeTail measures a 1 KiB read at the end of a 16 MiB object: only the
// last chunk is fetched.
func BenchmarkGetRangeTail(b *testing.B) {
	s := benchStore(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := s.Put(ctx, obj.Meta{Name: "x"}, bytes.NewReader(patternBytes(16<<20))); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		r, err := s.GetRange(ctx, "x", 16<<20-1024, 1024)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != 1024 {
			b.Fatal(n, err)
		}
		r.Close()
	}
}
