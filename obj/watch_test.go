package obj_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/natsactor/natsactor/obj"
)

// next reads the next record of w, failing the test after a while.
func next(t *testing.T, w *obj.Watcher) *obj.ObjectInfo {
	t.Helper()
	select {
	case info, ok := <-w.C():
		if !ok {
			t.Fatal("watcher ended")
		}
		return info
	case <-time.After(10 * time.Second):
		t.Fatal("no record from the watcher")
	}
	return nil
}

func TestWatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "w"})
	ctx := ctxT(t, 30*time.Second)

	// An empty bucket: the marker at once.
	w, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info := next(t, w); info != nil {
		t.Fatalf("first of an empty bucket: %+v", info)
	}
	if _, err := s.PutString(ctx, "a", "1"); err != nil {
		t.Fatal(err)
	}
	if info := next(t, w); info == nil || info.Name != "a" || info.Size != 1 || info.ModTime.IsZero() {
		t.Errorf("put: %+v", info)
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if info := next(t, w); info == nil || info.Name != "a" || !info.Deleted {
		t.Errorf("delete: %+v", info)
	}
	w.Stop()
	w.Stop()
	select {
	case <-w.Done():
	default:
		t.Error("Done open after Stop")
	}
	if _, ok := <-w.C(); ok {
		t.Error("C open after Stop")
	}
	if _, err := w.Next(ctx); !errors.Is(err, obj.ErrWatcherStopped) {
		t.Errorf("next after stop: %v", err)
	}

	// Initial values, then the marker, then updates; deletes ignored on request.
	for _, n := range []string{"b", "c", "d"} {
		if _, err := s.PutString(ctx, n, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.PutString(ctx, "b", "bb"); err != nil { // b's latest only
		t.Fatal(err)
	}
	w, err = s.Watch(ctx, obj.IgnoreDeletes())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	got := map[string]uint64{}
	for {
		info, err := w.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info == nil {
			break
		}
		got[info.Name] = info.Size
	}
	// "a" is deleted and ignored.
	if len(got) != 3 || got["b"] != 2 || got["c"] != 1 || got["d"] != 1 {
		t.Errorf("initial values %v", got)
	}
	if err := s.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutString(ctx, "e", "eee"); err != nil {
		t.Fatal(err)
	}
	if info := next(t, w); info == nil || info.Name != "e" {
		t.Errorf("after ignored delete: %+v", info)
	}

	// Updates only: the marker at once, then only new changes.
	u, err := s.Watch(ctx, obj.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Stop()
	if info := next(t, u); info != nil {
		t.Errorf("updates only: first %+v", info)
	}
	if _, err := s.UpdateMeta(ctx, "d", obj.Meta{Description: "dd"}); err != nil {
		t.Fatal(err)
	}
	if info := next(t, u); info == nil || info.Name != "d" || info.Description != "dd" {
		t.Errorf("updates only: %+v", info)
	}

	// Drain ends it.
	if err := u.Drain(ctx); err != nil {
		t.Errorf("drain: %v", err)
	}
	<-u.Done()

	// Watching a bucket that is gone fails.
	if err := obj.Delete(ctx, e.j, "w"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Watch(ctx); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("watch deleted bucket: %v", err)
	}
}

// TestWatchAcrossRestart: a watcher keeps delivering after its server restarts, and
// IncludeHistory delivers every record kept.
func TestWatchAcrossRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "wr"})
	ctx := ctxT(t, 60*time.Second)
	for _, n := range []string{"a", "b"} {
		if _, err := s.PutString(ctx, n, n); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.Watch(ctx, obj.IncludeHistory())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for _, want := range []string{"a", "b", ""} {
		info := next(t, w)
		if (want == "") != (info == nil) || (info != nil && info.Name != want) {
			t.Fatalf("initial: got %+v, want %q", info, want)
		}
	}
	e.s.Restart(t)
	// Puts may fail while the client reconnects; retry until one goes through.
	waitFor(t, 20*time.Second, "a put after the restart", func() bool {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := s.PutString(pctx, "c", "c")
		if err != nil {
			t.Logf("put after restart: %v", err)
		}
		return err == nil
	})
	info := next(t, w)
	if info == nil || info.Name != "c" {
		t.Fatalf("after restart: %+v", info)
	}
}
