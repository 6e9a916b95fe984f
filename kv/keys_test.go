package kv_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/kv"
)

func TestHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "hist", History: 3})
	for i := 1; i <= 5; i++ {
		put(t, b, "k", fmt.Sprint(i))
	}
	put(t, b, "other", "x")
	h, err := b.History(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h {
		got = append(got, fmt.Sprintf("%s/d%d", e.Value, e.Delta))
	}
	if fmt.Sprint(got) != "[3/d2 4/d1 5/d0]" {
		t.Fatalf("history %v", got)
	}
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	h, _ = b.History(ctx, "k")
	if len(h) != 3 || h[2].Operation != kv.OpDelete || string(h[0].Value) != "4" {
		t.Fatalf("history after delete: %+v", h)
	}
	if _, err := b.History(ctx, "none"); !errors.Is(err, kv.ErrKeyNotFound) {
		t.Fatalf("history of missing key: %v", err)
	}
	if _, err := b.History(ctx, "a.*"); !errors.Is(err, kv.ErrInvalidKey) {
		t.Fatalf("history of a filter: %v", err)
	}
	if err := b.Purge(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	h, _ = b.History(ctx, "k")
	if len(h) != 1 || h[0].Operation != kv.OpPurge {
		t.Fatalf("history after purge: %+v", h)
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "keys", History: 5})
	keys, err := b.ListKeys(ctx)
	if err != nil || len(keys) != 0 {
		t.Fatalf("keys of an empty bucket: %v %v", keys, err)
	}
	for _, k := range []string{"a", "b", "c.1", "c.2", "d"} {
		put(t, b, k, "v1")
		put(t, b, k, "v2") // history must not repeat keys
	}
	if err := b.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := b.Purge(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	keys, err = b.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	if fmt.Sprint(keys) != "[a c.1 c.2]" {
		t.Fatalf("keys %v", keys)
	}
	keys, _ = b.ListKeys(ctx, "c.*")
	if fmt.Sprint(keys) != "[c.1 c.2]" {
		t.Fatalf("filtered keys %v", keys)
	}
	keys, _ = b.ListKeys(ctx, "a", "c.2", "b")
	slices.Sort(keys)
	if fmt.Sprint(keys) != "[a c.2]" {
		t.Fatalf("multi-filtered keys %v", keys)
	}
	// Breaking out of the loop early stops the consumer.
	n := 0
	for k, err := range b.Keys(ctx) {
		if err != nil || k == "" {
			t.Fatal(k, err)
		}
		n++
		break
	}
	if n != 1 {
		t.Fatal(n)
	}
	waitFor(t, 5*time.Second, "no consumer left", func() bool {
		st, err := b.Status(ctx)
		return err == nil && st.StreamInfo.State.Consumers == 0
	})
	for _, err := range b.Keys(ctx, "bad..filter") {
		if !errors.Is(err, kv.ErrInvalidKey) {
			t.Fatalf("bad filter: %v", err)
		}
	}
}

func TestPurgeDeletes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "pd", History: 10})
	for _, k := range []string{"a", "b", "c"} {
		put(t, b, k, "1")
		put(t, b, k, "2")
	}
	if err := b.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := b.Purge(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	msgs := func() uint64 {
		st, err := b.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.Values
	}
	if n := msgs(); n != 6 { // a:1,2,DEL  b:PURGE  c:1,2
		t.Fatalf("before: %d", n)
	}
	// Young markers are kept, their history goes.
	if err := b.PurgeDeletes(ctx); err != nil {
		t.Fatal(err)
	}
	if n := msgs(); n != 4 {
		t.Fatalf("after purging history behind young markers: %d", n)
	}
	if err := b.PurgeDeletes(ctx, kv.DeleteMarkersOlderThan(-1)); err != nil {
		t.Fatal(err)
	}
	if n := msgs(); n != 2 {
		t.Fatalf("after removing every marker: %d", n)
	}
	if h, err := b.History(ctx, "c"); err != nil || len(h) != 2 {
		t.Fatalf("untouched key: %v %v", h, err)
	}
	if err := b.PurgeDeletes(ctx, kv.DeleteMarkersOlderThan(0)); !errors.Is(err, kv.ErrInvalidOption) {
		t.Fatalf("older than 0: %v", err)
	}
}

// Reads without a deadline do not hang when the server is gone: the API timeout
// bounds them.
func TestReadsWithoutDeadlineServerGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := js.New(e.c, js.WithTimeout(300*time.Millisecond))
	b, err := kv.Create(ctxT(t, 5*time.Second), j, kv.Config{Bucket: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, "a", "1")
	e.s.Shutdown()
	start := time.Now()
	if _, err := b.ListKeys(context.Background()); err == nil {
		t.Fatal("keys without a server")
	}
	if _, err := b.History(context.Background(), "a"); err == nil {
		t.Fatal("history without a server")
	}
	if err := b.PurgeDeletes(context.Background()); err == nil {
		t.Fatal("purge deletes without a server")
	}
	if _, err := b.Get(context.Background(), "a"); err == nil {
		t.Fatal("get without a server")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
}
