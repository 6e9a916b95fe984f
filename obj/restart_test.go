package obj_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/obj"
)

// readResult is what a background read of an object came to.
type readResult struct {
	n    int64
	sum  []byte
	err  error
	took time.Duration
}

func readInBackground(r io.Reader) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		start := time.Now()
		h := sha256.New()
		n, err := io.Copy(h, r)
		ch <- readResult{n: n, sum: h.Sum(nil), err: err, took: time.Since(start)}
	}()
	return ch
}

// TestGetAcrossServerRestart: a server that goes down in the middle of a large get and
// comes back lets the read complete with the right data; one that stays down makes the
// read fail with a clean error, never a hang or a wrong object.
func TestGetAcrossServerRestart(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t, natstest.JetStream())
	c := connect(t, srv.URL())
	j := js.New(c, js.WithTimeout(2*time.Second))
	s, err := obj.Create(ctxT(t, 10*time.Second), j, obj.Config{Bucket: "rs"})
	if err != nil {
		t.Fatal(err)
	}
	const size = 16 << 20
	data := patternBytes(size)
	want := sha256.Sum256(data)
	if _, err := s.PutBytes(ctxT(t, 30*time.Second), "big", data); err != nil {
		t.Fatal(err)
	}

	// Down, then up again while the reader waits for chunks.
	ctx := ctxT(t, 60*time.Second)
	r, err := s.Get(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	res := readInBackground(r)
	time.Sleep(300 * time.Millisecond) // let the reader run into the outage
	srv.Restart(t)
	var got readResult
	select {
	case got = <-res:
	case <-time.After(30 * time.Second):
		t.Fatal("the read hangs across a restart")
	}
	r.Close()
	if got.err != nil {
		t.Fatalf("read across a restart: %v after %d bytes", got.err, got.n)
	}
	if got.n != size-int64(len(head)) {
		t.Fatalf("read %d bytes after the restart, want %d", got.n, size-len(head))
	}
	restWant := sha256.Sum256(data[len(head):])
	if !bytes.Equal(got.sum, restWant[:]) {
		t.Fatal("data read across the restart differs")
	}
	t.Logf("read across a restart in %v", got.took)
	if got, err := s.GetBytes(ctxT(t, 30*time.Second), "big"); err != nil || sha256.Sum256(got) != want {
		t.Fatalf("get after the restart: %v", err)
	}

	// Down for good: a clean error once the retries are spent.
	r, err = s.Get(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	res = readInBackground(r)
	select {
	case got = <-res:
	case <-time.After(30 * time.Second):
		t.Fatal("the read hangs with the server down")
	}
	r.Close()
	if got.err == nil || errors.Is(got.err, obj.ErrDigestMismatch) || errors.Is(got.err, obj.ErrSizeMismatch) || errors.Is(got.err, obj.ErrChunkCountMismatch) {
		t.Fatalf("read with the server down: %v after %d bytes", got.err, got.n)
	}
	t.Logf("server down: %v after %d more bytes, in %v", got.err, got.n, got.took)
}

// restartReader restarts the server once it has given after bytes.
type restartReader struct {
	t     *testing.T
	r     io.Reader
	srv   *natstest.Server
	after int
	read  int
	done  bool
}

func (r *restartReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.read += n
	if !r.done && r.read >= r.after {
		r.done = true
		r.srv.Restart(r.t)
	}
	return n, err
}

// TestPutAcrossServerRestart: a put whose server restarts in the middle either
// completes with the right object or fails and leaves none of its chunks.
func TestPutAcrossServerRestart(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t, natstest.JetStream())
	c := connect(t, srv.URL())
	j := js.New(c, js.WithTimeout(2*time.Second))
	m := j.Manager()
	s, err := obj.Create(ctxT(t, 10*time.Second), j, obj.Config{Bucket: "pr"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{s: srv, c: c, j: j, m: m}
	const size = 16 << 20
	data := patternBytes(size)
	info, err := s.Put(ctxT(t, 60*time.Second), obj.Meta{Name: "big"}, &restartReader{t: t, r: bytes.NewReader(data), srv: srv, after: 4 << 20})
	var chunks uint64
	waitFor(t, 20*time.Second, "stream info after the restart", func() bool {
		ctx := ctxT(t, 2*time.Second)
		si, err := m.StreamInfo(ctx, "OBJ_pr", jsmSubjects("$O.pr.C.>"))
		if err != nil {
			return false
		}
		chunks = 0
		for _, n := range si.State.Subjects {
			chunks += n
		}
		return true
	})
	if err != nil {
		t.Logf("put across a restart failed: %v", err)
		if chunks != 0 {
			t.Fatalf("%d chunks left by the failed put", chunks)
		}
		if n := e.subjectMsgs(t, "pr", "$O.pr.M.>"); n != 0 {
			t.Fatalf("%d meta records after the failed put", n)
		}
		return
	}
	t.Log("put across a restart completed")
	if chunks != uint64(info.Chunks) {
		t.Fatalf("%d chunks stored, the object has %d", chunks, info.Chunks)
	}
	got, err := s.GetBytes(ctxT(t, 30*time.Second), "big")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get after the put: %v", err)
	}
}
