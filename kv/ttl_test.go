package kv_test

import (
	"errors"
	"testing"
	"time"

	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/kv"
)

// A key created with a TTL expires and leaves a purge marker that watchers see;
// a purge with a TTL leaves nothing behind once it expires.
func TestKeyTTLAndLimitMarkers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 20*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "ttl", LimitMarkerTTL: time.Second, History: 5})
	w := watch(t, b, "")
	if next(t, w, time.Second) != nil {
		t.Fatal("marker")
	}
	r, err := b.Create(ctx, "session", []byte("s"), kv.KeyTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := e.j.Manager().GetMsg(ctx, "KV_ttl", r)
	if err != nil || raw.Header.Get("Nats-TTL") == "" {
		t.Fatalf("created message without Nats-TTL: %+v %v", raw, err)
	}
	if got := next(t, w, 2*time.Second); got.Key != "session" || got.Operation != kv.OpPut {
		t.Fatalf("put %+v", got)
	}
	// The server removes the value after a second and leaves a MaxAge marker.
	got := next(t, w, 10*time.Second)
	if got.Key != "session" || got.Operation != kv.OpPurge || got.Revision <= r {
		t.Fatalf("expiry marker %+v", got)
	}
	if _, err := b.Get(ctx, "session"); !errors.Is(err, kv.ErrKeyNotFound) {
		t.Fatalf("get expired: %v", err)
	}
	// The key can be created again over the marker.
	if _, err := b.Create(ctx, "session", []byte("again")); err != nil {
		t.Fatalf("create over an expiry marker: %v", err)
	}
	if got := next(t, w, 2*time.Second); got.Operation != kv.OpPut {
		t.Fatalf("re-created %+v", got)
	}
	// Purge with a TTL: the purge marker goes away too.
	if err := b.Purge(ctx, "session", kv.PurgeTTL(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := next(t, w, 2*time.Second); got.Operation != kv.OpPurge {
		t.Fatalf("purge %+v", got)
	}
	waitFor(t, 10*time.Second, "purge marker to expire", func() bool {
		st, err := b.Status(ctx)
		return err == nil && st.Values == 0
	})
}

// A bucket TTL removes values; limit markers tell watchers.
func TestBucketTTLWithMarkers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 20*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "bttl", TTL: time.Second, LimitMarkerTTL: time.Second})
	st, _ := b.Status(ctx)
	if st.StreamInfo.Config.Duplicates != time.Second {
		t.Fatalf("duplicate window %v, want the TTL", st.StreamInfo.Config.Duplicates)
	}
	w := watch(t, b, "", kv.UpdatesOnly())
	next(t, w, time.Second)
	put(t, b, "k", "v")
	if got := next(t, w, 2*time.Second); got.Operation != kv.OpPut {
		t.Fatalf("put %+v", got)
	}
	if got := next(t, w, 10*time.Second); got.Operation != kv.OpPurge || got.Key != "k" {
		t.Fatalf("max age marker %+v", got)
	}
}

// Per-key TTLs need limit markers; the server's error comes back.
func TestKeyTTLWithoutMarkers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "nomarkers"})
	_, err := b.Create(ctx, "k", nil, kv.KeyTTL(time.Second))
	var ae *jsm.APIError
	if !errors.As(err, &ae) || ae.ErrCode != 10166 {
		t.Fatalf("key TTL on a bucket without markers: %v", err)
	}
	if err := b.Purge(ctx, "k", kv.PurgeTTL(time.Second)); !errors.As(err, &ae) {
		t.Fatalf("purge TTL on a bucket without markers: %v", err)
	}
}
