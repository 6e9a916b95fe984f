package kv_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/natsactor/natsactor/kv"
)

// Every server of a 3-node cluster restarts in turn while a writer puts into an R3
// bucket and a watcher follows it: each acknowledged revision arrives exactly once,
// in order.
func TestWatcherAcrossClusterRestarts(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	j := newClient(t, cl.URLs())
	ctx := ctxT(t, 60*time.Second)
	b, err := kv.Create(ctx, j, kv.Config{Bucket: "r3w", Replicas: 3, History: 64})
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.WatchAll(ctx, kv.WatchHeartbeat(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if next(t, w, 5*time.Second) != nil {
		t.Fatal("marker")
	}

	var mu sync.Mutex
	acked := map[uint64]bool{}
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			pctx := ctxT(t, 2*time.Second)
			if r, err := b.Put(pctx, fmt.Sprint("k", i%50), []byte(fmt.Sprint(i))); err == nil {
				mu.Lock()
				acked[r] = true
				mu.Unlock()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()

	seen := map[uint64]bool{}
	var last uint64
	readerDone := make(chan error, 1)
	go func() {
		for e := range w.C() {
			if e == nil {
				readerDone <- fmt.Errorf("second marker")
				return
			}
			if e.Revision <= last {
				readerDone <- fmt.Errorf("revision %d after %d", e.Revision, last)
				return
			}
			last = e.Revision
			mu.Lock()
			seen[e.Revision] = true
			mu.Unlock()
		}
		readerDone <- nil
	}()

	for i := range 3 {
		time.Sleep(300 * time.Millisecond)
		cl.Restart(t, i)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	<-writerDone
	var final uint64
	waitFor(t, 20*time.Second, "a final put", func() bool {
		var err error
		final, err = b.Put(ctxT(t, 2*time.Second), "final", []byte("x"))
		return err == nil
	})
	waitFor(t, 20*time.Second, "the final revision", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen[final]
	})
	w.Stop()
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	missing := 0
	for r := range acked {
		if !seen[r] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged revisions never arrived", missing, len(acked))
	}
	t.Logf("%d acknowledged puts, %d entries", len(acked), len(seen))
}
