package obj_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/obj"
)

// checkRanges reads many ranges of name and compares them with data.
func checkRanges(t *testing.T, s *obj.Store, name string, data []byte, cs int) {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	n := int64(len(data))
	c := int64(cs)
	for _, rg := range [][2]int64{
		{0, -1}, {0, 1}, {0, c}, {0, c + 1}, {1, 10}, {c - 1, 2}, {c, c}, {c + 7, 3*c + 5},
		{n - 1, 1}, {n - 1, -1}, {n - 10, 100}, {n, 5}, {n / 2, -1}, {n / 3, 0}, {2 * c, -1},
	} {
		off, l := rg[0], rg[1]
		if off > n {
			continue
		}
		end := n
		if l >= 0 && off+l < n {
			end = off + l
		}
		r, err := s.GetRange(ctx, name, off, l)
		if err != nil {
			t.Fatalf("range %d+%d: %v", off, l, err)
		}
		got, err := readAll(t, r)
		r.Close()
		if err != nil || !bytes.Equal(got, data[off:end]) {
			t.Errorf("range %d+%d: %d bytes (want %d), %v", off, l, len(got), end-off, err)
		}
		if r, err = s.GetRange(ctx, name, off, l); err != nil {
			t.Fatalf("range %d+%d: %v", off, l, err)
		}
		got, err = writeAll(t, r)
		r.Close()
		if err != nil || !bytes.Equal(got, data[off:end]) {
			t.Errorf("range %d+%d, WriteTo: %d bytes (want %d), %v", off, l, len(got), end-off, err)
		}
	}
}

func TestGetRange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "rg"})
	ctx := ctxT(t, 30*time.Second)
	data := patternBytes(50_000)
	info, err := s.Put(ctx, obj.Meta{Name: "a", ChunkSize: 1000}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	checkRanges(t, s, "a", data, 1000)

	// The chunk holding the offset is found directly: contiguous chunks sit at first+k.
	seqs := e.chunkSeqs(t, info)
	for _, off := range []uint64{0, 999, 1000, 25_500, 49_999} {
		cs, seq, k, err := obj.Locate(ctx, s, info, off)
		if err != nil || cs != 1000 || k != uint32(off/1000) || seq != seqs[k] {
			t.Errorf("locate %d: cs %d seq %d k %d, %v (want seq %d)", off, cs, seq, k, err, seqs[off/1000])
		}
	}

	// Errors.
	for _, off := range []int64{-1, 50_001} {
		if _, err := s.GetRange(ctx, "a", off, 1); !errors.Is(err, obj.ErrInvalidRange) {
			t.Errorf("offset %d: %v", off, err)
		}
	}
	if _, err := s.GetRange(ctx, "nope", 0, 1); !errors.Is(err, obj.ErrObjectNotFound) {
		t.Errorf("missing: %v", err)
	}
	// An empty object.
	if _, err := s.PutString(ctx, "empty", ""); err != nil {
		t.Fatal(err)
	}
	r, err := s.GetRange(ctx, "empty", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(t, r); err != nil || len(got) != 0 {
		t.Errorf("empty: %q %v", got, err)
	}
	r.Close()
}

// putForeign stores an object the way another client might: chunks of the given sizes
// interleaved with the chunks of another subject, then its meta record.
func putForeign(t *testing.T, e *env, bucket, name string, sizes []int, chunkSize uint32) []byte {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	nuid := fmt.Sprintf("FOREIGN%015d", len(sizes))
	var data []byte
	for i, n := range sizes {
		chunk := patternBytes(len(data) + n)[len(data):]
		data = append(data, chunk...)
		if _, err := e.j.Publish(ctx, "$O."+bucket+".C."+nuid, chunk); err != nil {
			t.Fatal(err)
		}
		if _, err := e.j.Publish(ctx, "$O."+bucket+".C.OTHER", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	rec := map[string]any{"name": name, "bucket": bucket, "nuid": nuid, "size": len(data), "chunks": len(sizes), "digest": digestOf(data)}
	if chunkSize > 0 {
		rec["options"] = map[string]any{"max_chunk_size": chunkSize}
	}
	raw, _ := json.Marshal(rec)
	m := &conn.Msg{Subject: "$O." + bucket + ".M." + b64(name), Header: conn.Header{"Nats-Rollup": {"sub"}}, Data: raw}
	if _, err := e.j.PublishMsg(ctx, m); err != nil {
		t.Fatal(err)
	}
	return data
}

// TestGetRangeForeignObjects: interleaved chunks are found by searching; chunks of
// several sizes make the read start at the beginning; both give the right bytes.
func TestGetRangeForeignObjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "fo"})
	ctx := ctxT(t, 30*time.Second)

	sizes := make([]int, 37)
	for i := range sizes {
		sizes[i] = 500
	}
	sizes[36] = 123
	data := putForeign(t, e, "fo", "interleaved", sizes, 0) // no max_chunk_size: taken from the first chunk
	if got, err := s.GetBytes(ctx, "interleaved"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get: %v", err)
	}
	checkRanges(t, s, "interleaved", data, 500)
	info, err := s.Info(ctx, "interleaved")
	if err != nil {
		t.Fatal(err)
	}
	seqs := e.chunkSeqs(t, info)
	for _, off := range []uint64{0, 500, 7_777, 18_000} {
		cs, seq, k, err := obj.Locate(ctx, s, info, off)
		if err != nil || cs != 500 || seq != seqs[off/500] || k != uint32(off/500) {
			t.Errorf("locate %d: cs %d seq %d k %d, %v", off, cs, seq, k, err)
		}
	}

	ragged := putForeign(t, e, "fo", "ragged", []int{100, 50, 100, 100, 30}, 100)
	info, err = s.Info(ctx, "ragged")
	if err != nil {
		t.Fatal(err)
	}
	if cs, _, _, err := obj.Locate(ctx, s, info, 250); err != nil || cs != 0 {
		t.Errorf("ragged chunks located: cs %d, %v", cs, err)
	}
	checkRanges(t, s, "ragged", ragged, 100)
	if got, err := s.GetBytes(ctx, "ragged"); err != nil || !bytes.Equal(got, ragged) {
		t.Fatalf("get ragged: %v", err)
	}
}
