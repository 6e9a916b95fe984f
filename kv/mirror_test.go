package kv_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/natsactor/natsactor/kv"
)

func TestMirrorBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 20*time.Second)
	origin := e.bucket(t, kv.Config{Bucket: "origin", History: 3})
	put(t, origin, "a", "1")
	put(t, origin, "b", "1")
	mirror := e.bucket(t, kv.Config{Bucket: "replica", Mirror: &kv.Source{Name: "origin"}})
	st, err := mirror.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sc := st.StreamInfo.Config
	if sc.Mirror == nil || sc.Mirror.Name != "KV_origin" || !sc.MirrorDirect || len(sc.Subjects) != 0 {
		t.Fatalf("mirror stream config %+v", sc)
	}
	if st.Config.Mirror == nil || st.Config.Mirror.Name != "origin" {
		t.Fatalf("mirror config read back %+v", st.Config.Mirror)
	}
	waitFor(t, 10*time.Second, "mirror to catch up", func() bool {
		g, err := mirror.Get(ctx, "b")
		return err == nil && string(g.Value) == "1"
	})
	// Writes through the mirror's handle go to the origin bucket.
	r, err := mirror.Put(ctx, "c", []byte("via mirror"))
	if err != nil {
		t.Fatal(err)
	}
	// The origin's direct gets are answered by the mirror too (MirrorDirect), which may
	// not have "c" yet: the read converges rather than holding at once.
	waitFor(t, 10*time.Second, "the write through the mirror to be read from the origin", func() bool {
		g, err := origin.Get(ctx, "c")
		return err == nil && g.Revision == r
	})
	waitFor(t, 10*time.Second, "mirror to get c", func() bool {
		_, err := mirror.Get(ctx, "c")
		return err == nil
	})
	// Watch and Keys on the mirror.
	w := watch(t, mirror, "")
	var keys []string
	for e := next(t, w, 2*time.Second); e != nil; e = next(t, w, 2*time.Second) {
		if e.Bucket != "replica" {
			t.Fatalf("entry bucket %q", e.Bucket)
		}
		keys = append(keys, e.Key)
	}
	if fmt.Sprint(keys) != "[a b c]" {
		t.Fatalf("mirror watch %v", keys)
	}
	if err := origin.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got := next(t, w, 5*time.Second); got.Key != "a" || got.Operation != kv.OpDelete {
		t.Fatalf("mirrored delete %+v", got)
	}
	ks, err := mirror.ListKeys(ctx)
	slices.Sort(ks)
	if err != nil || fmt.Sprint(ks) != "[b c]" {
		t.Fatalf("mirror keys %v %v", ks, err)
	}
	if _, err := mirror.Get(ctx, "a"); !errors.Is(err, kv.ErrKeyNotFound) {
		t.Fatalf("mirror get deleted: %v", err)
	}
}

func TestSourcedBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 20*time.Second)
	one := e.bucket(t, kv.Config{Bucket: "one"})
	two := e.bucket(t, kv.Config{Bucket: "two"})
	put(t, one, "x", "from one")
	put(t, two, "y", "from two")
	agg := e.bucket(t, kv.Config{Bucket: "agg", Sources: []*kv.Source{{Name: "one"}, {Name: "KV_two"}}})
	waitFor(t, 10*time.Second, "sources", func() bool {
		a, err1 := agg.Get(ctx, "x")
		b, err2 := agg.Get(ctx, "y")
		return err1 == nil && err2 == nil && string(a.Value) == "from one" && string(b.Value) == "from two"
	})
	// The aggregate is writable on its own subjects.
	put(t, agg, "z", "local")
	ks, _ := agg.ListKeys(ctx)
	slices.Sort(ks)
	if fmt.Sprint(ks) != "[x y z]" {
		t.Fatalf("aggregate keys %v", ks)
	}
}
