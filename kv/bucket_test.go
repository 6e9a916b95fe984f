package kv_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/kv"
)

func TestBucketLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 20*time.Second)
	cfg := kv.Config{Bucket: "profiles", History: 5, TTL: time.Hour, Description: "d", MaxValueSize: 1024,
		MaxBytes: 1 << 20, Compression: true, Metadata: map[string]string{"k": "v"}}
	b, err := kv.Create(ctx, e.j, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != "profiles" {
		t.Fatalf("name %q", b.Name())
	}
	si, err := e.j.Manager().StreamInfo(ctx, "KV_profiles")
	if err != nil {
		t.Fatal(err)
	}
	c := si.Config
	if !slices.Equal(c.Subjects, []string{"$KV.profiles.>"}) || c.MaxMsgsPerSubject != 5 || c.MaxAge != time.Hour ||
		c.Duplicates != 2*time.Minute || c.Discard != jsm.DiscardNew || !c.DenyDelete || !c.AllowRollup || !c.AllowDirect ||
		c.MaxMsgSize != 1024 || c.MaxBytes != 1<<20 || c.Compression != jsm.S2Compression || c.Metadata["k"] != "v" {
		t.Fatalf("stream config as stored: %+v", c)
	}
	// Same config again: fine. Another config: ErrBucketExists.
	if _, err := kv.Create(ctx, e.j, cfg); err != nil {
		t.Fatalf("create again, same config: %v", err)
	}
	other := cfg
	other.History = 2
	if _, err := kv.Create(ctx, e.j, other); !errors.Is(err, kv.ErrBucketExists) {
		t.Fatalf("create with another config: %v", err)
	}
	// Update and CreateOrUpdate.
	if _, err := kv.Update(ctx, e.j, other); err != nil {
		t.Fatalf("update: %v", err)
	}
	st, err := b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.History != 2 || st.TTL != time.Hour || !st.Compressed || st.BackingStore != "JetStream" || st.Bucket != "profiles" ||
		st.Config.Description != "d" || st.Config.MaxValueSize != 1024 || st.Metadata["k"] != "v" || st.StreamInfo == nil {
		t.Fatalf("status: %+v", st)
	}
	if _, err := kv.Update(ctx, e.j, kv.Config{Bucket: "nope"}); !errors.Is(err, kv.ErrBucketNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	if _, err := kv.CreateOrUpdate(ctx, e.j, kv.Config{Bucket: "second"}); err != nil {
		t.Fatalf("create-or-update (create): %v", err)
	}
	if _, err := kv.CreateOrUpdate(ctx, e.j, kv.Config{Bucket: "second", History: 3}); err != nil {
		t.Fatalf("create-or-update (update): %v", err)
	}
	// A plain stream is not listed as a bucket.
	if _, err := e.j.Manager().AddStream(ctx, jsm.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n, err := range kv.Names(ctx, e.j) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"profiles", "second"}) {
		t.Fatalf("names %v", names)
	}
	var hist []int
	for st, err := range kv.List(ctx, e.j) {
		if err != nil {
			t.Fatal(err)
		}
		hist = append(hist, st.History)
	}
	slices.Sort(hist)
	if !slices.Equal(hist, []int{2, 3}) {
		t.Fatalf("list histories %v", hist)
	}
	// Open, Delete.
	if _, err := kv.Open(ctx, e.j, "second"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Open(ctx, e.j, "missing"); !errors.Is(err, kv.ErrBucketNotFound) {
		t.Fatalf("open missing: %v", err)
	}
	if _, err := kv.Open(ctx, e.j, "bad.name"); !errors.Is(err, kv.ErrInvalidBucketName) {
		t.Fatalf("open bad name: %v", err)
	}
	if err := kv.Delete(ctx, e.j, "second"); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, e.j, "second"); !errors.Is(err, kv.ErrBucketNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := kv.Open(ctx, e.j, "second"); !errors.Is(err, kv.ErrBucketNotFound) {
		t.Fatalf("open deleted: %v", err)
	}
	if _, err := kv.Create(ctx, e.j, kv.Config{Bucket: "x", History: 65}); !errors.Is(err, kv.ErrInvalidConfig) {
		t.Fatalf("history 65: %v", err)
	}
}

func TestBucketLimitMarkersAndMemory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 10*time.Second)
	b, err := kv.Create(ctx, e.j, kv.Config{Bucket: "lm", LimitMarkerTTL: 5 * time.Second, Storage: jsm.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	st, err := b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.LimitMarkerTTL != 5*time.Second || !st.StreamInfo.Config.AllowMsgTTL || st.StreamInfo.Config.Storage != jsm.MemoryStorage {
		t.Fatalf("status %+v", st)
	}
	// Turning markers on for an existing bucket works.
	if _, err := kv.Create(ctx, e.j, kv.Config{Bucket: "plain"}); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(ctx, e.j, kv.Config{Bucket: "plain", LimitMarkerTTL: 2 * time.Second}); err != nil {
		t.Fatalf("enable markers: %v", err)
	}
	// ... but not off again (ADR-48): the server refuses.
	_, err = kv.Update(ctx, e.j, kv.Config{Bucket: "plain"})
	var ae *jsm.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("disable markers: %v", err)
	}
}

func TestBucketNoJetStream(t *testing.T) {
	t.Parallel()
	s := newEnvNoJS(t)
	if _, err := kv.Create(ctxT(t, 5*time.Second), s, kv.Config{Bucket: "x"}); !errors.Is(err, jsm.ErrJetStreamNotEnabled) {
		t.Fatalf("create without jetstream: %v", err)
	}
}

func newEnvNoJS(t *testing.T) *js.Client {
	t.Helper()
	s := startPlain(t)
	return js.New(connect(t, s))
}
