package kv_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/kv"
)

func TestPutGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "pg", History: 3})
	before := time.Now().Add(-time.Second)
	r1 := put(t, b, "alice", "v1")
	r2, err := b.PutString(ctx, "alice", "v2")
	if err != nil || r2 <= r1 {
		t.Fatalf("put string: %d %v", r2, err)
	}
	got, err := b.Get(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Value) != "v2" || got.Revision != r2 || got.Key != "alice" || got.Bucket != "pg" ||
		got.Operation != kv.OpPut || got.Delta != 0 || got.Created.Before(before) {
		t.Fatalf("get: %+v", got)
	}
	// The value is stored where other clients look for it.
	raw, err := e.j.Manager().GetLastMsg(ctx, "KV_pg", "$KV.pg.alice")
	if err != nil || string(raw.Data) != "v2" {
		t.Fatalf("raw: %v %v", raw, err)
	}
	old, err := b.GetRevision(ctx, "alice", r1)
	if err != nil || string(old.Value) != "v1" || old.Revision != r1 {
		t.Fatalf("get revision: %+v %v", old, err)
	}
	r3 := put(t, b, "bob", "b")
	if _, err := b.GetRevision(ctx, "alice", r3); !errors.Is(err, kv.ErrKeyNotFound) {
		t.Fatalf("revision of another key: %v", err)
	}
	if _, err := b.GetRevision(ctx, "alice", 999); !errors.Is(err, kv.ErrKeyNotFound) {
		t.Fatalf("revision past the end: %v", err)
	}
	if _, err := b.Get(ctx, "nobody"); !errors.Is(err, kv.ErrKeyNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	// Keys with every allowed character, and nested.
	for _, k := range []string{"a.b.c", "A-Z_0=9/x", "x.y-z"} {
		put(t, b, k, k)
		if g, err := b.Get(ctx, k); err != nil || string(g.Value) != k {
			t.Fatalf("get %s: %v %v", k, g, err)
		}
	}
	// Empty value.
	put(t, b, "empty", "")
	if g, err := b.Get(ctx, "empty"); err != nil || len(g.Value) != 0 || g.Operation != kv.OpPut {
		t.Fatalf("empty value: %+v %v", g, err)
	}
}

func TestInvalidKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "keys"})
	for _, k := range []string{"", ".a", "a.", "a..b", "a b", "a*", "*", ">", "a.>", "ä", "a\tb", "a\x00"} {
		if _, err := b.Put(ctx, k, nil); !errors.Is(err, kv.ErrInvalidKey) {
			t.Errorf("put %q: %v", k, err)
		}
		if _, err := b.Get(ctx, k); !errors.Is(err, kv.ErrInvalidKey) {
			t.Errorf("get %q: %v", k, err)
		}
		if err := b.Delete(ctx, k); !errors.Is(err, kv.ErrInvalidKey) {
			t.Errorf("delete %q: %v", k, err)
		}
	}
	if _, err := b.Create(ctx, "a", nil, kv.KeyTTL(time.Millisecond)); !errors.Is(err, kv.ErrInvalidOption) {
		t.Errorf("key TTL under a second: %v", err)
	}
	if err := b.Purge(ctx, "a", kv.PurgeTTL(0)); !errors.Is(err, kv.ErrInvalidOption) {
		t.Errorf("purge TTL 0: %v", err)
	}
	if err := b.Purge(ctx, "a", kv.PurgeTTL(0)); err == nil || !strings.Contains(err.Error(), "purge TTL") {
		t.Errorf("purge TTL error text: %v", err)
	}
}

func TestCreateUpdateCAS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "cas", History: 5})
	r1, err := b.Create(ctx, "k", []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, "k", []byte("again")); !errors.Is(err, kv.ErrKeyExists) {
		t.Fatalf("create existing: %v", err)
	}
	r2, err := b.Update(ctx, "k", []byte("2"), r1)
	if err != nil || r2 <= r1 {
		t.Fatalf("update: %d %v", r2, err)
	}
	_, err = b.Update(ctx, "k", []byte("stale"), r1)
	if !errors.Is(err, kv.ErrWrongRevision) {
		t.Fatalf("stale update: %v", err)
	}
	var ae *jsm.APIError
	if !errors.As(err, &ae) || ae.ErrCode != 10071 {
		t.Fatalf("stale update should wrap the server's 10071: %v", err)
	}
	if g, _ := b.Get(ctx, "k"); string(g.Value) != "2" {
		t.Fatalf("value after stale update: %q", g.Value)
	}
	// Update with 0 of a key that exists fails; of one that does not, succeeds.
	if _, err := b.Update(ctx, "k", nil, 0); !errors.Is(err, kv.ErrWrongRevision) {
		t.Fatalf("update 0 of existing: %v", err)
	}
	if _, err := b.Update(ctx, "fresh", []byte("x"), 0); err != nil {
		t.Fatalf("update 0 of new key: %v", err)
	}
	// Create over a delete marker and over a purge marker.
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, kv.ErrKeyNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	r3, err := b.Create(ctx, "k", []byte("3"))
	if err != nil {
		t.Fatalf("create over delete: %v", err)
	}
	if err := b.Purge(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, "k", []byte("4")); err != nil {
		t.Fatalf("create over purge: %v", err)
	}
	if _, err := b.GetRevision(ctx, "k", r3); !errors.Is(err, kv.ErrKeyNotFound) {
		t.Fatalf("purged revision still readable: %v", err)
	}
	// Delete and Purge with an expected revision.
	cur, _ := b.Get(ctx, "k")
	if err := b.Delete(ctx, "k", kv.LastRevision(cur.Revision-1)); !errors.Is(err, kv.ErrWrongRevision) {
		t.Fatalf("delete with stale revision: %v", err)
	}
	if err := b.Delete(ctx, "k", kv.LastRevision(cur.Revision)); err != nil {
		t.Fatalf("delete with revision: %v", err)
	}
	del, err := e.j.Manager().GetLastMsg(ctx, "KV_cas", "$KV.cas.k")
	if err != nil || del.Header.Get("KV-Operation") != "DEL" || len(del.Data) != 0 {
		t.Fatalf("delete marker: %+v %v", del, err)
	}
	if err := b.Purge(ctx, "k", kv.LastRevision(cur.Revision)); !errors.Is(err, kv.ErrWrongRevision) {
		t.Fatalf("purge with stale revision: %v", err)
	}
	if err := b.Purge(ctx, "k", kv.LastRevision(del.Sequence)); err != nil {
		t.Fatalf("purge with revision: %v", err)
	}
	pm, err := e.j.Manager().GetLastMsg(ctx, "KV_cas", "$KV.cas.k")
	if err != nil || pm.Header.Get("KV-Operation") != "PURGE" || pm.Header.Get("Nats-Rollup") != "sub" {
		t.Fatalf("purge marker: %+v %v", pm, err)
	}
	st, _ := b.Status(ctx)
	if n := st.StreamInfo.State.Msgs; n != 2 { // "fresh" and the purge marker of k
		t.Fatalf("messages after purge: %d", n)
	}
}

// Markers written by another client (raw headers as nats.go or the CLI write them)
// read as deleted.
func TestForeignMarkers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b := e.bucket(t, kv.Config{Bucket: "foreign"})
	for _, h := range []conn.Header{{"KV-Operation": {"DEL"}}, {"KV-Operation": {"PURGE"}}, {"Nats-Marker-Reason": {"MaxAge"}}, {"Nats-Marker-Reason": {"Remove"}}} {
		put(t, b, "k", "v")
		if _, err := e.j.PublishMsg(ctx, &conn.Msg{Subject: "$KV.foreign.k", Header: h}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx, "k"); !errors.Is(err, kv.ErrKeyNotFound) {
			t.Fatalf("%v: %v", h, err)
		}
	}
}

func TestCASConflictClustered(t *testing.T) {
	t.Parallel()
	cl := startCluster(t)
	j := newClient(t, cl.URLs())
	ctx := ctxT(t, 20*time.Second)
	b, err := kv.Create(ctx, j, kv.Config{Bucket: "r3", Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	r1, err := b.Put(ctx, "k", []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, "k", []byte("2"), r1); err != nil {
		t.Fatal(err)
	}
	_, err = b.Update(ctx, "k", []byte("3"), r1)
	var ae *jsm.APIError
	if !errors.Is(err, kv.ErrWrongRevision) || !errors.As(err, &ae) {
		t.Fatalf("clustered stale update: %v", err)
	}
	t.Logf("clustered conflict: err_code %d", ae.ErrCode)
	if _, err := b.Create(ctx, "k", nil); !errors.Is(err, kv.ErrKeyExists) {
		t.Fatalf("clustered create of existing: %v", err)
	}
}
