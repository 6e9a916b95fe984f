package obj_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/obj"
)

// chunkSeqs returns the stream sequences of an object's chunks, in order.
func (e *env) chunkSeqs(t *testing.T, info *obj.ObjectInfo) []uint64 {
	t.Helper()
	var seqs []uint64
	for m, err := range e.m.GetBatch(ctxT(t, 5*time.Second), "OBJ_"+info.Bucket, jsm.BatchRequest{Subject: "$O." + info.Bucket + ".C." + info.NUID}) {
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, m.Sequence)
	}
	return seqs
}

// readAll reads r to its end and returns what it read and the final error (nil for
// io.EOF).
func readAll(t *testing.T, r io.Reader) ([]byte, error) {
	t.Helper()
	done := make(chan struct{})
	var b []byte
	var err error
	go func() {
		defer close(done)
		b, err = io.ReadAll(r)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("read hangs")
	}
	return b, err
}

// writeAll is readAll through o.WriteTo: what reached the writer and WriteTo's error.
func writeAll(t *testing.T, o *obj.Object) ([]byte, error) {
	t.Helper()
	done := make(chan struct{})
	var b bytes.Buffer
	var n int64
	var err error
	go func() {
		defer close(done)
		n, err = o.WriteTo(&b)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("WriteTo hangs")
	}
	if n != int64(b.Len()) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, b.Len())
	}
	return b.Bytes(), err
}

// reading is what one way of reading an object to its end got.
type reading struct {
	how string
	got []byte
	err error
}

// readBothWays opens name twice and reads it to its end through Read (io.ReadAll) and
// through WriteTo.
func readBothWays(t *testing.T, s *obj.Store, name string) []reading {
	t.Helper()
	var out []reading
	for _, way := range []struct {
		how  string
		read func(*obj.Object) ([]byte, error)
	}{
		{"Read", func(o *obj.Object) ([]byte, error) { return readAll(t, o) }},
		{"WriteTo", func(o *obj.Object) ([]byte, error) { return writeAll(t, o) }},
	} {
		o, err := s.Get(ctxT(t, 30*time.Second), name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := way.read(o)
		o.Close()
		out = append(out, reading{way.how, got, err})
	}
	return out
}

// TestGetDetectsCorruption: a chunk replaced by other bytes is a digest mismatch, a
// missing chunk a chunk-count mismatch, a chunk of another length a size mismatch —
// each the error of the Read that reaches the end, never a hang.
func TestGetDetectsCorruption(t *testing.T) {
	t.Parallel()
	for _, batch := range []bool{true, false} {
		e := newEnv(t)
		s := e.store(t, obj.Config{Bucket: "bad"})
		if !batch {
			obj.NoBatch(s)
		}
		ctx := ctxT(t, 30*time.Second)
		data := patternBytes(5000)
		put := func(name string) *obj.ObjectInfo {
			info, err := s.Put(ctx, obj.Meta{Name: name, ChunkSize: 1000}, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.GetBytes(ctx, name); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("intact %s: %v", name, err)
			}
			return info
		}
		chunkSubj := func(info *obj.ObjectInfo) string { return "$O.bad.C." + info.NUID }

		// Same length, other bytes.
		info := put("digest")
		seqs := e.chunkSeqs(t, info)
		if err := e.m.DeleteMsg(ctx, "OBJ_bad", seqs[2]); err != nil {
			t.Fatal(err)
		}
		if _, err := e.j.Publish(ctx, chunkSubj(info), bytes.Repeat([]byte{'x'}, 1000)); err != nil {
			t.Fatal(err)
		}
		for _, rd := range readBothWays(t, s, "digest") {
			if !errors.Is(rd.err, obj.ErrDigestMismatch) || len(rd.got) != len(data) {
				t.Errorf("batch %v: replaced chunk, %s: %d bytes, %v", batch, rd.how, len(rd.got), rd.err)
			}
		}
		if _, err := s.GetBytes(ctx, "digest"); !errors.Is(err, obj.ErrDigestMismatch) {
			t.Errorf("batch %v: GetBytes: %v", batch, err)
		}

		// A missing chunk.
		info = put("missing")
		seqs = e.chunkSeqs(t, info)
		if err := e.m.DeleteMsg(ctx, "OBJ_bad", seqs[1]); err != nil {
			t.Fatal(err)
		}
		for _, rd := range readBothWays(t, s, "missing") {
			if !errors.Is(rd.err, obj.ErrChunkCountMismatch) || len(rd.got) != 4000 {
				t.Errorf("batch %v: missing chunk, %s: %d bytes, %v", batch, rd.how, len(rd.got), rd.err)
			}
		}

		// A shorter last chunk.
		info = put("size")
		seqs = e.chunkSeqs(t, info)
		if err := e.m.DeleteMsg(ctx, "OBJ_bad", seqs[4]); err != nil {
			t.Fatal(err)
		}
		if _, err := e.j.Publish(ctx, chunkSubj(info), data[4000:4500]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetBytes(ctx, "size"); !errors.Is(err, obj.ErrSizeMismatch) {
			t.Errorf("batch %v: short chunk: %v", batch, err)
		}

		// All chunks gone.
		info = put("gone")
		if _, err := e.m.PurgeStream(ctx, "OBJ_bad", jsm.PurgeSubject(chunkSubj(info))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetBytes(ctx, "gone"); !errors.Is(err, obj.ErrChunkCountMismatch) {
			t.Errorf("batch %v: no chunks: %v", batch, err)
		}

		// A meta record with a bad digest fails Get at once.
		info = put("baddigest")
		info.Digest = "MD5=abc"
		raw, _ := info.MarshalJSON()
		if _, err := e.j.Publish(ctx, "$O.bad.M.YmFkZGlnZXN0", raw); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "baddigest"); !errors.Is(err, obj.ErrBadMeta) {
			t.Errorf("bad digest: %v", err)
		}
		if _, err := e.j.Publish(ctx, "$O.bad.M.YmFkZGlnZXN0", []byte("{not json")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Info(ctx, "baddigest"); !errors.Is(err, obj.ErrBadMeta) {
			t.Errorf("bad json: %v", err)
		}
	}
}

// TestGetWithoutBatch: the one-direct-get-per-chunk path reads what Put wrote.
func TestGetWithoutBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "nb"})
	obj.NoBatch(s)
	ctx := ctxT(t, 30*time.Second)
	data := patternBytes(3*obj.DefaultChunkSize + 77)
	if _, err := s.PutBytes(ctx, "a", data); err != nil {
		t.Fatal(err)
	}
	// Interleave another object so that sequences are not contiguous.
	if _, err := s.PutString(ctx, "b", "other"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetBytes(ctx, "a"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get: %v", err)
	}
	r, err := s.GetRange(ctx, "a", obj.DefaultChunkSize+5, 10)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, r)
	if err != nil || !bytes.Equal(got, data[obj.DefaultChunkSize+5:obj.DefaultChunkSize+15]) {
		t.Errorf("range: %q %v", got, err)
	}
	r.Close()
}

// TestGetCancelled: the ctx given to Get ends the reads; Close stops them.
func TestGetCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "gc"})
	ctx := ctxT(t, 30*time.Second)
	if _, err := s.Put(ctx, obj.Meta{Name: "a", ChunkSize: 1000}, &pattern{n: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	gctx, cancel := contextWithCancel(ctx)
	r, err := s.Get(gctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	var rerr error
	big := make([]byte, 64<<10)
	for range 1000 { // what was fetched before the cancel may still be read
		if _, rerr = r.Read(big); rerr != nil {
			break
		}
	}
	if !errors.Is(rerr, contextCanceled) {
		t.Errorf("read after cancel: %v", rerr)
	}
	r.Close()
	if _, err := r.Read(buf); !errors.Is(err, obj.ErrObjectClosed) {
		t.Errorf("read after close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("close twice: %v", err)
	}
}
