package kv_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/kv"
)

// next returns the watcher's next entry, failing the test after d.
func next(t *testing.T, w *kv.Watcher, d time.Duration) *kv.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	e, err := w.Next(ctx)
	if err != nil {
		t.Fatalf("watcher next: %v (status %v, err %v)", err, w.Status(), w.Err())
	}
	return e
}

// nothing asserts no entry comes within d.
func nothing(t *testing.T, w *kv.Watcher, d time.Duration) {
	t.Helper()
	select {
	case e, ok := <-w.C():
		t.Fatalf("unexpected entry %+v (open %v)", e, ok)
	case <-time.After(d):
	}
}

func watch(t *testing.T, b *kv.Bucket, keys string, opts ...kv.WatchOption) *kv.Watcher {
	t.Helper()
	w, err := b.Watch(ctxT(t, 5*time.Second), keys, opts...)
	if err != nil {
		t.Fatalf("watch %q: %v", keys, err)
	}
	t.Cleanup(w.Stop)
	return w
}

func TestWatchEmptyBucketMarkerAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.bucket(t, kv.Config{Bucket: "empty"})
	w := watch(t, b, "")
	if got := next(t, w, time.Second); got != nil {
		t.Fatalf("first entry of an empty bucket: %+v, want the marker", got)
	}
	ctx := ctxT(t, 5*time.Second)
	r := put(t, b, "a", "1")
	got := next(t, w, 2*time.Second)
	if got == nil || got.Key != "a" || string(got.Value) != "1" || got.Revision != r || got.Operation != kv.OpPut || got.Bucket != "empty" {
		t.Fatalf("update: %+v", got)
	}
	if err := b.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got := next(t, w, 2*time.Second); got.Operation != kv.OpDelete || got.Key != "a" || got.Value != nil && len(got.Value) != 0 {
		t.Fatalf("delete: %+v", got)
	}
	if err := b.Purge(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got := next(t, w, 2*time.Second); got.Operation != kv.OpPurge {
		t.Fatalf("purge: %+v", got)
	}
	if w.Status() != kv.WatcherActive || w.Err() != nil {
		t.Fatalf("status %v err %v", w.Status(), w.Err())
	}
	w.Stop()
	w.Stop() // idempotent
	if _, ok := <-w.C(); ok {
		t.Fatal("C open after Stop")
	}
	<-w.Done()
	if w.Status() != kv.WatcherStopped {
		t.Fatalf("status after stop %v", w.Status())
	}
	if _, err := w.Next(ctx); !errors.Is(err, kv.ErrWatcherStopped) {
		t.Fatalf("next after stop: %v", err)
	}
}

func TestWatchInitialValuesThenUpdates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "init", History: 10})
	put(t, b, "a", "a1")
	put(t, b, "b", "b1")
	put(t, b, "a", "a2")
	put(t, b, "c.x", "c1")
	if err := b.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}

	w := watch(t, b, "")
	var got []string
	for e := next(t, w, 2*time.Second); e != nil; e = next(t, w, 2*time.Second) {
		got = append(got, fmt.Sprintf("%s=%s/%s/d%d", e.Key, e.Value, e.Operation, e.Delta))
	}
	// Latest of each key, in stream order, deletes included.
	want := []string{"a=a2/PUT/d2", "c.x=c1/PUT/d1", "b=/DEL/d0"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("initial values %v, want %v", got, want)
	}
	put(t, b, "d", "d1")
	if e := next(t, w, 2*time.Second); e.Key != "d" {
		t.Fatalf("update %+v", e)
	}

	// IncludeHistory, filtered.
	wh := watch(t, b, "a", kv.IncludeHistory())
	var hist []string
	for e := next(t, wh, 2*time.Second); e != nil; e = next(t, wh, 2*time.Second) {
		hist = append(hist, string(e.Value))
	}
	if fmt.Sprint(hist) != "[a1 a2]" {
		t.Fatalf("history watch %v", hist)
	}
	// IgnoreDeletes and MetaOnly.
	wi := watch(t, b, ">", kv.IgnoreDeletes(), kv.MetaOnly())
	var keys []string
	for e := next(t, wi, 2*time.Second); e != nil; e = next(t, wi, 2*time.Second) {
		if len(e.Value) != 0 {
			t.Fatalf("meta only with a value: %+v", e)
		}
		keys = append(keys, e.Key)
	}
	if fmt.Sprint(keys) != "[a c.x d]" {
		t.Fatalf("ignore deletes: %v", keys)
	}
	if err := b.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	put(t, b, "e", "e1")
	if e := next(t, wi, 2*time.Second); e.Key != "e" {
		t.Fatalf("ignore deletes should skip the delete of a: %+v", e)
	}
	// UpdatesOnly: the marker first, then only new changes.
	wu := watch(t, b, "", kv.UpdatesOnly())
	if e := next(t, wu, time.Second); e != nil {
		t.Fatalf("updates only, first: %+v", e)
	}
	nothing(t, wu, 100*time.Millisecond)
	r := put(t, b, "f", "f1")
	if e := next(t, wu, 2*time.Second); e.Key != "f" || e.Revision != r {
		t.Fatalf("updates only: %+v", e)
	}
	// ResumeFromRevision.
	wr := watch(t, b, "", kv.ResumeFromRevision(r-1))
	if e := next(t, wr, 2*time.Second); e == nil || e.Revision != r-1 {
		t.Fatalf("resume: %+v", e)
	}
	if e := next(t, wr, 2*time.Second); e == nil || e.Revision != r {
		t.Fatalf("resume 2: %+v", e)
	}
	if e := next(t, wr, 2*time.Second); e != nil {
		t.Fatalf("resume marker: %+v", e)
	}
	// Several filters.
	wf, err := b.WatchFiltered(ctx, []string{"c.*", "f"})
	if err != nil {
		t.Fatal(err)
	}
	defer wf.Stop()
	var fk []string
	for e := next(t, wf, 2*time.Second); e != nil; e = next(t, wf, 2*time.Second) {
		fk = append(fk, e.Key)
	}
	if fmt.Sprint(fk) != "[c.x f]" {
		t.Fatalf("filtered %v", fk)
	}
	// WatchAll.
	wa, err := b.WatchAll(ctx, kv.IgnoreDeletes())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for e := next(t, wa, 2*time.Second); e != nil; e = next(t, wa, 2*time.Second) {
		n++
	}
	wa.Stop()
	if n != 4 { // c.x d e f
		t.Fatalf("watch all: %d", n)
	}
}

func TestWatchOptionsRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 5*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "opts"})
	for _, tc := range []struct {
		keys string
		opts []kv.WatchOption
		want error
	}{
		{"a..b", nil, kv.ErrInvalidKey},
		{"a.>.b", nil, kv.ErrInvalidKey},
		{"a", []kv.WatchOption{kv.UpdatesOnly(), kv.IncludeHistory()}, kv.ErrInvalidOption},
		{"a", []kv.WatchOption{kv.ResumeFromRevision(0)}, kv.ErrInvalidOption},
		{"a", []kv.WatchOption{kv.WatchHeartbeat(time.Millisecond)}, kv.ErrInvalidOption},
	} {
		if _, err := b.Watch(ctx, tc.keys, tc.opts...); !errors.Is(err, tc.want) {
			t.Errorf("%q: %v, want %v", tc.keys, err, tc.want)
		}
	}
	if err := kv.Delete(ctx, e.j, "opts"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Watch(ctx, ""); !errors.Is(err, kv.ErrBucketNotFound) {
		t.Fatalf("watch of a deleted bucket: %v", err)
	}
}

func TestWatcherDrainAndBucketDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "drain"})
	for i := range 5 {
		put(t, b, fmt.Sprint("k", i), "v")
	}
	w := watch(t, b, "")
	waitFor(t, 2*time.Second, "entries buffered", func() bool { return len(w.C()) >= 6 })
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Drain(dctx) }()
	n := 0
	for e := range w.C() {
		if e != nil {
			n++
		}
	}
	if err := <-done; err != nil || n != 5 {
		t.Fatalf("drain: %v, %d entries", err, n)
	}

	// Deleting the bucket ends a watcher with ErrBucketNotFound.
	w2 := watch(t, b, "", kv.WatchHeartbeat(100*time.Millisecond))
	for e := next(t, w2, 2*time.Second); e != nil; e = next(t, w2, 2*time.Second) {
	}
	if err := kv.Delete(ctx, e.j, "drain"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w2.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("watcher of a deleted bucket still running: %v %v", w2.Status(), w2.Err())
	}
	if !errors.Is(w2.Err(), kv.ErrBucketNotFound) {
		t.Fatalf("err %v", w2.Err())
	}
}

func TestWatcherConnectionClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.bucket(t, kv.Config{Bucket: "closing"})
	w := watch(t, b, "")
	next(t, w, time.Second)
	e.c.Close()
	select {
	case <-w.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("watcher outlived its connection")
	}
	if _, ok := <-w.C(); ok {
		t.Fatal("C open")
	}
}

// A reader that falls behind: the server waits on flow control, the watcher answers
// as the reader catches up, and everything arrives.
func TestWatchSlowReaderFlowControl(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 20*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "slow"})
	const keys = 2000
	val := make([]byte, 4096)
	for i := range keys {
		if _, err := e.j.PublishAsync(fmt.Sprint("$KV.slow.k", i), val); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-e.j.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("async publishes")
	}
	w := watch(t, b, "", kv.WatchHeartbeat(time.Second))
	time.Sleep(300 * time.Millisecond) // the server stops at its flow-control window
	n := 0
	for en := next(t, w, 5*time.Second); en != nil; en = next(t, w, 5*time.Second) {
		n++
		if n%500 == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if n != keys {
		t.Fatalf("%d entries, want %d", n, keys)
	}
	if w.Err() != nil {
		t.Fatalf("a slow reader made the watcher reset: %v", w.Err())
	}
}

func TestRePublish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "repub", RePublish: &jsm.RePublish{Source: "$KV.repub.>", Destination: "changes.>"}})
	sub, err := e.c.Subscribe("changes.>")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := e.c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	put(t, b, "a.b", "v")
	m, err := sub.Next(ctx)
	if err != nil || m.Subject != "changes.a.b" || string(m.Data) != "v" {
		t.Fatalf("republished: %+v %v", m, err)
	}
}
