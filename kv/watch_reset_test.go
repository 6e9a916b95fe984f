package kv_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/kv"
)

// A watcher whose consumer disappears notices the missing heartbeats, recreates
// it from the next revision, and delivers on without repeating anything.
func TestWatcherRecreatesLostConsumer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 20*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "lost"})
	put(t, b, "a", "1")
	w := watch(t, b, "", kv.WatchHeartbeat(200*time.Millisecond))
	if got := next(t, w, 2*time.Second); got.Key != "a" {
		t.Fatalf("%+v", got)
	}
	if next(t, w, 2*time.Second) != nil {
		t.Fatal("marker")
	}
	// An updates-only watcher that has seen nothing yet must not lose what is
	// written while its consumer is gone.
	wu := watch(t, b, "", kv.UpdatesOnly(), kv.WatchHeartbeat(200*time.Millisecond))
	if next(t, wu, 2*time.Second) != nil {
		t.Fatal("updates-only marker")
	}
	var names []string
	for n, err := range e.j.Manager().ConsumerNames(ctx, "KV_lost") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if len(names) != 2 {
		t.Fatalf("consumers %v", names)
	}
	for _, n := range names {
		if err := e.j.Manager().DeleteConsumer(ctx, "KV_lost", n); err != nil {
			t.Fatal(err)
		}
	}
	r := put(t, b, "b", "2")
	for _, w := range []*kv.Watcher{w, wu} {
		got := next(t, w, 5*time.Second)
		if got == nil || got.Key != "b" || got.Revision != r {
			t.Fatalf("after the reset: %+v", got)
		}
		if w.Err() == nil {
			t.Fatal("the reset's cause is not readable")
		}
		nothing(t, w, 300*time.Millisecond)
	}
	waitFor(t, 5*time.Second, "two consumers", func() bool {
		n := 0
		for range e.j.Manager().ConsumerNames(ctx, "KV_lost") {
			n++
		}
		return n == 2
	})
}

// A server restart during Watch: the watcher comes back by itself and delivers
// the updates made after the restart, nothing twice.
func TestWatcherSurvivesServerRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.bucket(t, kv.Config{Bucket: "restart", History: 5})
	put(t, b, "a", "1")
	w := watch(t, b, "", kv.WatchHeartbeat(250*time.Millisecond))
	next(t, w, 2*time.Second)
	if next(t, w, 2*time.Second) != nil {
		t.Fatal("marker")
	}
	put(t, b, "a", "2")
	if got := next(t, w, 2*time.Second); string(got.Value) != "2" {
		t.Fatalf("%+v", got)
	}
	e.s.Restart(t)
	var r uint64
	waitFor(t, 15*time.Second, "a put after the restart", func() bool {
		var err error
		r, err = b.Put(ctxT(t, 2*time.Second), "a", []byte("3"))
		return err == nil
	})
	got := next(t, w, 10*time.Second)
	if got == nil || string(got.Value) != "3" || got.Revision != r {
		t.Fatalf("after the restart: %+v (status %v, err %v)", got, w.Status(), w.Err())
	}
	for i := 4; i < 8; i++ {
		r = put(t, b, "a", fmt.Sprint(i))
		if got := next(t, w, 5*time.Second); got.Revision != r {
			t.Fatalf("update %d: %+v", i, got)
		}
	}
	nothing(t, w, 300*time.Millisecond)
	waitFor(t, 5*time.Second, "watcher active", func() bool { return w.Status() == kv.WatcherActive })
}

// Writers busy while watchers start: each watcher's initial values hold every
// key once, the marker comes after them and before any update, and nothing is
// delivered twice or lost. With a history of 64 no value a watcher started with
// is removed before it is delivered.
func TestWatchConcurrentWritersMarker(t *testing.T) {
	t.Parallel()
	concurrentWriters(t, kv.MaxHistory, true)
}

// With a history of 1 (the stream delivers in stream order, values replaced while
// the watcher starts are gone): still every key at most once before the marker,
// nothing twice, nothing lost.
func TestWatchConcurrentWritersHistory1(t *testing.T) {
	t.Parallel()
	concurrentWriters(t, 1, false)
}

func concurrentWriters(t *testing.T, history int, everyKey bool) {
	e := newEnv(t)
	ctx := ctxT(t, 40*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "busy", History: history})
	const keys = 200
	for i := range keys {
		put(t, b, fmt.Sprint("k", i), "0")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for n := 1; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprint("k", rng.IntN(keys))
				if _, err := b.Put(ctx, k, []byte(fmt.Sprint(g, "-", n))); err != nil {
					t.Errorf("writer: %v", err)
					return
				}
				writes.Add(1)
			}
		}()
	}
	type result struct {
		initial map[string]int
		revs    []uint64
		last    map[string]string
		err     error
		marker  bool
	}
	const watchers = 6
	results := make([]result, watchers)
	ws := make([]*kv.Watcher, watchers)
	for i := range watchers {
		waitFor(t, 5*time.Second, "writes", func() bool { return writes.Load() > int64(50*(i+1)) })
		w, err := b.WatchAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ws[i] = w
		t.Cleanup(w.Stop)
	}
	var readers sync.WaitGroup
	for i, w := range ws {
		readers.Add(1)
		go func() {
			defer readers.Done()
			res := result{initial: map[string]int{}, last: map[string]string{}}
			initial := true
			for {
				ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
				en, err := w.Next(ectx)
				cancel()
				if err != nil {
					res.err = err
					break
				}
				if en == nil {
					if !initial {
						res.err = fmt.Errorf("second marker")
						break
					}
					initial = false
					res.marker = true
					continue
				}
				if initial {
					res.initial[en.Key]++
				}
				res.revs = append(res.revs, en.Revision)
				res.last[en.Key] = string(en.Value)
				if en.Key == "done" {
					break
				}
			}
			results[i] = res
		}()
	}
	time.Sleep(200 * time.Millisecond) // let updates flow after the markers
	close(stop)
	wg.Wait()
	put(t, b, "done", "x")
	readers.Wait()

	ctx = ctxT(t, 10*time.Second)
	want := map[string]string{}
	for k, err := range b.Keys(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		g, err := b.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		want[k] = string(g.Value)
	}
	for i, res := range results {
		if res.err != nil {
			t.Fatalf("watcher %d: %v", i, res.err)
		}
		if !res.marker {
			t.Fatalf("watcher %d: no marker before the final update (marker late or missing)", i)
		}
		if everyKey && len(res.initial) != keys {
			t.Errorf("watcher %d: %d keys before the marker, want %d (marker early)", i, len(res.initial), keys)
		}
		for k, n := range res.initial {
			if n != 1 {
				t.Errorf("watcher %d: key %s %d times before the marker (marker late)", i, k, n)
			}
		}
		for j := 1; j < len(res.revs); j++ {
			if res.revs[j] <= res.revs[j-1] {
				t.Fatalf("watcher %d: revision %d after %d (duplicate or out of order)", i, res.revs[j], res.revs[j-1])
			}
		}
		for k, v := range want {
			if res.last[k] != v {
				t.Errorf("watcher %d: key %s last seen %q, bucket has %q (lost update)", i, k, res.last[k], v)
			}
		}
	}
	t.Logf("%d concurrent writes", writes.Load())
}

// A server restart while a watcher's initial values are still coming: the watcher
// starts over with the latest values, skips what it already delivered, and still
// delivers every key once before its marker.
func TestWatcherRestartDuringInitialValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 30*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "initrestart", History: 3})
	const keys = 3000
	val := make([]byte, 4096)
	// Every key, then the even keys again: the latest values are spread over the
	// stream, with older values of the even keys between them.
	for i := range keys {
		if _, err := e.j.PublishAsync(fmt.Sprint("$KV.initrestart.k", i), val); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < keys; i += 2 {
		if _, err := e.j.PublishAsync(fmt.Sprint("$KV.initrestart.k", i), []byte("2")); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-e.j.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("async publishes")
	}
	w := watch(t, b, "", kv.WatchHeartbeat(250*time.Millisecond))
	// Take a few, leave the rest in flight, restart.
	seen := map[string]int{}
	check := func(en *kv.Entry) {
		t.Helper()
		seen[en.Key]++
		if seen[en.Key] > 1 {
			t.Fatalf("key %s twice before the marker", en.Key)
		}
		var i int
		fmt.Sscanf(en.Key, "k%d", &i)
		if (i%2 == 0) != (string(en.Value) == "2") {
			t.Fatalf("key %s: not its latest value", en.Key)
		}
	}
	for range 10 {
		en := next(t, w, 2*time.Second)
		if en == nil {
			t.Fatal("marker too early")
		}
		check(en)
	}
	e.s.Restart(t)
	n := 10
	for {
		en := next(t, w, 10*time.Second)
		if en == nil {
			break
		}
		n++
		check(en)
	}
	if n != keys {
		t.Fatalf("%d entries before the marker, want %d", n, keys)
	}
	var r uint64
	waitFor(t, 15*time.Second, "a put after the restart", func() bool {
		var err error
		r, err = b.Put(ctxT(t, 2*time.Second), "after", []byte("x"))
		return err == nil
	})
	if got := next(t, w, 10*time.Second); got == nil || got.Revision != r {
		t.Fatalf("after: %+v", got)
	}
}
