package obj_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/natsactor/natsactor/obj"
)

// failingWriter takes up to room bytes, then fails each Write with err after taking
// what fits; with short set it stops short without an error instead.
type failingWriter struct {
	buf   bytes.Buffer
	room  int
	err   error
	short bool
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.room {
		w.room -= len(p)
		return w.buf.Write(p)
	}
	n, _ := w.buf.Write(p[:w.room])
	w.room = 0
	if w.short {
		return n, nil
	}
	return n, w.err
}

// TestWriteToStopsWhereTheWriterStops: io.Copy takes the WriteTo path; a writer that
// fails part-way gets its error back with the count it took, and the Object goes on
// from exactly there, so nothing is lost or repeated across the failure; a writer
// that takes less without an error is io.ErrShortWrite; after Close, ErrObjectClosed.
func TestWriteToStopsWhereTheWriterStops(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "wt"})
	ctx := ctxT(t, 30*time.Second)
	data := patternBytes(10_000)
	if _, err := s.Put(ctx, obj.Meta{Name: "a", ChunkSize: 1000}, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}

	// io.Copy uses WriteTo: the writer sees whole chunks, not Read's buffer-sized pieces.
	r, err := s.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	n, err := io.Copy(writerFunc(func(p []byte) (int, error) { sizes = append(sizes, len(p)); return len(p), nil }), r)
	r.Close()
	if err != nil || n != int64(len(data)) || len(sizes) != 10 || sizes[0] != 1000 {
		t.Fatalf("io.Copy: %d bytes in writes of %v, %v", n, sizes, err)
	}

	boom := errors.New("disk full")
	for _, room := range []int{0, 1, 999, 1000, 1001, 5500, 9999} {
		r, err := s.Get(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		w := &failingWriter{room: room, err: boom}
		n, err := r.WriteTo(w)
		if !errors.Is(err, boom) || n != int64(room) || !bytes.Equal(w.buf.Bytes(), data[:room]) {
			t.Fatalf("room %d: wrote %d, %v", room, n, err)
		}
		// The rest comes from where the writer stopped, half by Read, half by WriteTo.
		half := make([]byte, (len(data)-room)/2)
		if _, err := io.ReadFull(r, half); err != nil {
			t.Fatalf("room %d: read after the failure: %v", room, err)
		}
		rest, err := writeAll(t, r)
		got := append(append(w.buf.Bytes(), half...), rest...)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("room %d: resumed read: %d bytes, %v", room, len(got), err)
		}
		// At the end, WriteTo and Read say so again.
		if n, err := r.WriteTo(io.Discard); n != 0 || err != nil {
			t.Errorf("room %d: WriteTo at the end: %d, %v", room, n, err)
		}
		if _, err := r.Read(half); err != io.EOF {
			t.Errorf("room %d: Read at the end: %v", room, err)
		}
		r.Close()
	}

	r, err = s.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	w := &failingWriter{room: 1500, short: true}
	if n, err := r.WriteTo(w); !errors.Is(err, io.ErrShortWrite) || n != 1500 {
		t.Errorf("short writer: %d, %v", n, err)
	}
	r.Close()
	if n, err := r.WriteTo(io.Discard); !errors.Is(err, obj.ErrObjectClosed) || n != 0 {
		t.Errorf("WriteTo after Close: %d, %v", n, err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
