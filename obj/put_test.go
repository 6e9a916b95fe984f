package obj_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/obj"
)

func TestPutGetRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "rt"})
	ctx := ctxT(t, 30*time.Second)
	for _, tc := range []struct {
		name      string
		size      int
		chunkSize uint32
		chunks    uint32
	}{
		{"empty", 0, 0, 0},
		{"one byte", 1, 0, 1},
		{"exactly one chunk", obj.DefaultChunkSize, 0, 1},
		{"one chunk and a byte", obj.DefaultChunkSize + 1, 0, 2},
		{"many chunks", 5*obj.DefaultChunkSize + 123, 0, 6},
		{"small chunks", 10_000, 1000, 10},
		{"dir/with spaces/and.dots ✓", 3000, 1024, 3},
	} {
		data := patternBytes(tc.size)
		before := time.Now().UTC()
		info, err := s.Put(ctx, obj.Meta{Name: tc.name, Description: "d", ChunkSize: tc.chunkSize,
			Headers: conn.Header{"Content-Type": {"application/octet-stream"}}, Metadata: map[string]string{"k": "v"}}, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: put: %v", tc.name, err)
		}
		wantCS := tc.chunkSize
		if wantCS == 0 {
			wantCS = obj.DefaultChunkSize
		}
		if info.Name != tc.name || info.Bucket != "rt" || info.Size != uint64(tc.size) || info.Chunks != tc.chunks ||
			info.Digest != digestOf(data) || len(info.NUID) != 22 || info.ChunkSize != wantCS || info.Deleted ||
			info.ModTime.Before(before.Add(-time.Second)) || info.ModTime.Location() != time.UTC {
			t.Errorf("%s: put info %+v", tc.name, info)
		}
		// The chunks are where ADR-20 says.
		if n := e.subjectMsgs(t, "rt", "$O.rt.C."+info.NUID); n != uint64(tc.chunks) {
			t.Errorf("%s: %d chunk messages, want %d", tc.name, n, tc.chunks)
		}
		got, err := s.GetBytes(ctx, tc.name)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: get %d bytes, %v", tc.name, len(got), err)
		}
		r, err := s.Get(ctx, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		gi := r.Info()
		if gi.Digest != info.Digest || gi.Size != info.Size || gi.Description != "d" || gi.Headers.Get("Content-Type") != "application/octet-stream" ||
			gi.Metadata["k"] != "v" || gi.ModTime.IsZero() {
			t.Errorf("%s: get info %+v", tc.name, gi)
		}
		// Small reads.
		var b bytes.Buffer
		buf := make([]byte, 7)
		for {
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: read: %v", tc.name, err)
			}
		}
		if !bytes.Equal(b.Bytes(), data) {
			t.Errorf("%s: small reads differ", tc.name)
		}
		if n, err := r.Read(buf); n != 0 || err != io.EOF {
			t.Errorf("%s: read after EOF: %d %v", tc.name, n, err)
		}
		r.Close()
		if _, err := r.Read(buf); !errors.Is(err, obj.ErrObjectClosed) {
			t.Errorf("%s: read after close: %v", tc.name, err)
		}
	}
	// Strings and files.
	if _, err := s.PutString(ctx, "s", "hello"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetString(ctx, "s"); err != nil || got != "hello" {
		t.Errorf("get string %q %v", got, err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	data := patternBytes(300_000)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := s.PutFile(ctx, "", src)
	if err != nil || info.Name != "src.bin" {
		t.Fatalf("put file: %+v %v", info, err)
	}
	dst := filepath.Join(dir, "dst.bin")
	if err := s.GetFile(ctx, "src.bin", dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Error("file differs")
	}
	if err := s.GetFile(ctx, "missing", filepath.Join(dir, "no")); !errors.Is(err, obj.ErrObjectNotFound) {
		t.Errorf("get missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !os.IsNotExist(err) {
		t.Errorf("file of a failed get: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("left in dir: %v", ents)
	}
	if _, err := s.PutFile(ctx, "x", filepath.Join(dir, "nothere")); !os.IsNotExist(err) {
		t.Errorf("put missing file: %v", err)
	}

	// Refusals.
	if _, err := s.Put(ctx, obj.Meta{}, bytes.NewReader(nil)); !errors.Is(err, obj.ErrInvalidObjectName) {
		t.Errorf("empty name: %v", err)
	}
	if _, err := s.Put(ctx, obj.Meta{Name: "l", Link: &obj.Link{Bucket: "rt", Name: "s"}}, bytes.NewReader(nil)); !errors.Is(err, obj.ErrLinkNotAllowed) {
		t.Errorf("put link: %v", err)
	}
	if _, err := s.Put(ctx, obj.Meta{Name: "big", ChunkSize: 2 << 20}, bytes.NewReader(nil)); !errors.Is(err, obj.ErrInvalidOption) {
		t.Errorf("chunk over max payload: %v", err)
	}
	if _, err := s.PutBytes(ctx, "w", nil, obj.AckWindow(0)); !errors.Is(err, obj.ErrInvalidOption) {
		t.Errorf("window 0: %v", err)
	}
	if _, err := s.Get(ctx, "missing"); !errors.Is(err, obj.ErrObjectNotFound) {
		t.Errorf("get missing: %v", err)
	}
	if _, err := s.Get(ctx, ""); !errors.Is(err, obj.ErrInvalidObjectName) {
		t.Errorf("get empty name: %v", err)
	}
}

// TestPutReplacePurgesOldChunks: a put over an existing object leaves only the new
// chunks and one meta record.
func TestPutReplacePurgesOldChunks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "rep"})
	ctx := ctxT(t, 20*time.Second)
	first, err := s.Put(ctx, obj.Meta{Name: "a", ChunkSize: 1000}, bytes.NewReader(patternBytes(10_500)))
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.PutString(ctx, "a", "short")
	if err != nil {
		t.Fatal(err)
	}
	if first.NUID == second.NUID {
		t.Fatal("same nuid")
	}
	if n := e.subjectMsgs(t, "rep", "$O.rep.C."+first.NUID); n != 0 {
		t.Errorf("%d old chunks left", n)
	}
	if n := e.subjectMsgs(t, "rep", "$O.rep.C.>"); n != 1 {
		t.Errorf("%d chunks, want 1", n)
	}
	if n := e.subjectMsgs(t, "rep", "$O.rep.M.>"); n != 1 {
		t.Errorf("%d meta records, want 1", n)
	}
	if got, err := s.GetString(ctx, "a"); err != nil || got != "short" {
		t.Errorf("get %q %v", got, err)
	}
}

// cancelReader cancels a ctx once it has given after bytes, then keeps giving data.
type cancelReader struct {
	r      io.Reader
	after  int
	read   int
	cancel context.CancelFunc
}

func (c *cancelReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.read += n
	if c.read >= c.after {
		c.cancel()
	}
	return n, err
}

// failReader fails after some bytes.
type failReader struct {
	r     io.Reader
	after int
	read  int
}

var errBoom = errors.New("boom")

func (f *failReader) Read(b []byte) (int, error) {
	if f.read >= f.after {
		return 0, errBoom
	}
	b = b[:min(len(b), f.after-f.read)]
	n, err := f.r.Read(b)
	f.read += n
	return n, err
}

// TestPutCancelledOrFailedLeavesNoChunks: a put whose ctx is cancelled, or whose reader
// fails, in the middle purges every chunk it wrote and keeps the previous object.
func TestPutCancelledOrFailedLeavesNoChunks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "cx"})
	ctx := ctxT(t, 30*time.Second)
	prev, err := s.PutString(ctx, "a", "previous")
	if err != nil {
		t.Fatal(err)
	}

	pctx, cancel := context.WithCancel(ctx)
	r := &cancelReader{r: &pattern{n: 8 << 20}, after: 2 << 20, cancel: cancel}
	if _, err := s.Put(pctx, obj.Meta{Name: "a"}, r); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put: %v", err)
	}
	cancel()
	if r.read >= 8<<20 {
		t.Error("the put read everything")
	}
	// The cancelled Put returned at once; its purge goes on and leaves the previous
	// object's one chunk.
	waitFor(t, 10*time.Second, "the previous object's chunk alone", func() bool { return e.subjectMsgs(t, "cx", "$O.cx.C.>") == 1 })

	_, err = s.Put(ctx, obj.Meta{Name: "a", ChunkSize: 4096}, &failReader{r: &pattern{n: 1 << 20}, after: 100_000})
	if !errors.Is(err, errBoom) {
		t.Fatalf("failed put: %v", err)
	}
	if n := e.subjectMsgs(t, "cx", "$O.cx.C.>"); n != 1 {
		t.Errorf("%d chunks after a failed put, want 1", n)
	}
	info, err := s.Info(ctx, "a")
	if err != nil || info.NUID != prev.NUID {
		t.Errorf("previous object: %+v %v", info, err)
	}
	if got, err := s.GetString(ctx, "a"); err != nil || got != "previous" {
		t.Errorf("previous data %q %v", got, err)
	}

	// A put into a full bucket fails on a chunk and leaves nothing either.
	full := e.store(t, obj.Config{Bucket: "full", MaxBytes: 256 << 10})
	if _, err := full.Put(ctx, obj.Meta{Name: "big", ChunkSize: 16 << 10}, &pattern{n: 1 << 20}); err == nil {
		t.Fatal("put into a full bucket succeeded")
	}
	if n := e.subjectMsgs(t, "full", "$O.full.>"); n != 0 {
		t.Errorf("%d messages after a refused put", n)
	}
}

// TestPutAckWindow: puts with a window of one chunk and of many agree.
func TestPutAckWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "win", Storage: jsm.MemoryStorage})
	ctx := ctxT(t, 30*time.Second)
	data := patternBytes(1 << 20)
	for _, w := range []int{1, 3, 200} {
		info, err := s.Put(ctx, obj.Meta{Name: "a", ChunkSize: 10_000}, bytes.NewReader(data), obj.AckWindow(w))
		if err != nil || info.Chunks != 105 || info.Digest != digestOf(data) {
			t.Fatalf("window %d: %+v %v", w, info, err)
		}
		if got, err := s.GetBytes(ctx, "a"); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("window %d: get %v", w, err)
		}
	}
}

// TestConcurrentPutsLeaveNoChunks: puts of one name racing each other leave exactly the
// chunks of the object that won, and deletes racing puts leave none of the deleted.
func TestConcurrentPutsLeaveNoChunks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "race"})
	ctx := ctxT(t, 60*time.Second)
	const writers = 8
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			var err error
			for range 5 {
				if _, err = s.Put(ctx, obj.Meta{Name: "x", ChunkSize: 1000}, &pattern{n: int64(3000 + i*1000)}); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	info, err := s.Info(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if n := e.subjectMsgs(t, "race", "$O.race.C.>"); n != uint64(info.Chunks) {
		t.Errorf("%d chunks stored, the object has %d", n, info.Chunks)
	}
	if _, err := s.GetBytes(ctx, "x"); err != nil {
		t.Error(err)
	}

	// Deletes and puts racing: whatever wins, no chunk of a deleted object is left.
	for i := range writers {
		go func() {
			var err error
			for range 5 {
				if i%2 == 0 {
					err = s.Delete(ctx, "x")
				} else {
					_, err = s.Put(ctx, obj.Meta{Name: "x", ChunkSize: 1000}, &pattern{n: 2500})
				}
				if err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	info, err = s.Info(ctx, "x", obj.IncludeDeleted())
	if err != nil {
		t.Fatal(err)
	}
	if n := e.subjectMsgs(t, "race", "$O.race.C.>"); n != uint64(info.Chunks) {
		t.Errorf("%d chunks stored, the object (deleted %v) has %d", n, info.Deleted, info.Chunks)
	}
}
