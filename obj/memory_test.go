package obj_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/obj"
)

// heapPeak samples the process's heap (HeapAlloc and HeapInuse, nats-server's
// included, since it runs in this process) until stop is called, and returns the
// peaks.
func heapPeak() (stop func() (alloc, inuse uint64)) {
	var peakAlloc, peakInuse atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peakAlloc.Load() {
				peakAlloc.Store(ms.HeapAlloc)
			}
			if ms.HeapInuse > peakInuse.Load() {
				peakInuse.Store(ms.HeapInuse)
			}
			select {
			case <-t.C:
			case <-done:
				return
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		return peakAlloc.Load(), peakInuse.Load()
	}
}

// TestLargeObjectMemory puts an object generated on the fly and reads it back through
// a hash, never holding it, and checks that the process's peak heap stays under
// 64 MiB. The server runs in another process, as it would for a user, so that the
// figure is the client's. The object is 256 MiB (64 MiB under the race detector, which
// is slower); OBJ_MEM_MB sets another size.
func TestLargeObjectMemory(t *testing.T) {
	size := int64(256)
	if raceEnabled {
		size = 64
	}
	if v := os.Getenv("OBJ_MEM_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("OBJ_MEM_MB=%q", v)
		}
		size = int64(n)
	}
	size <<= 20
	const limit = 64 << 20

	c := connect(t, startChildServer(t))
	e := &env{c: c, j: newClient(c)}
	e.m = e.j.Manager()
	s := e.store(t, obj.Config{Bucket: "big"})
	ctx := ctxT(t, 5*time.Minute)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	stop := heapPeak()
	start := time.Now()
	h := sha256.New()
	info, err := s.Put(ctx, obj.Meta{Name: "big.bin"}, io.TeeReader(&pattern{n: size}, h))
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	putTook := time.Since(start)
	want := "SHA-256=" + base64.URLEncoding.EncodeToString(h.Sum(nil))
	if info.Size != uint64(size) || info.Digest != want || info.Chunks != uint32(size/obj.DefaultChunkSize) {
		t.Fatalf("put info %+v", info)
	}
	start = time.Now()
	r, err := s.Get(ctx, "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	g := sha256.New()
	n, err := io.Copy(g, r)
	r.Close()
	getTook := time.Since(start)
	alloc, inuse := stop()
	if err != nil || n != size {
		t.Fatalf("get: %d bytes, %v", n, err)
	}
	if got := "SHA-256=" + base64.URLEncoding.EncodeToString(g.Sum(nil)); got != want {
		t.Fatalf("read back %s, want %s", got, want)
	}
	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	t.Logf("%d MiB object: put %v (%.0f MiB/s), get %v (%.0f MiB/s); peak heap alloc %.1f MiB, in use %.1f MiB (%.1f MiB before; the server in another process)",
		size>>20, putTook.Round(time.Millisecond), float64(size>>20)/putTook.Seconds(), getTook.Round(time.Millisecond), float64(size>>20)/getTook.Seconds(),
		mb(alloc), mb(inuse), mb(base.HeapAlloc))
	if inuse > limit {
		t.Errorf("peak heap in use %.1f MiB, over %d MiB", mb(inuse), limit>>20)
	}
}
