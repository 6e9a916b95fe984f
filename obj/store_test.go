package obj_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/obj"
)

func TestStoreLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t, 20*time.Second)
	cfg := obj.Config{
		Bucket:      "files",
		Description: "my files",
		TTL:         time.Hour,
		MaxBytes:    64 << 20,
		Compression: true,
		Metadata:    map[string]string{"owner": "infra"},
	}
	s, err := obj.Create(ctx, e.j, cfg)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if s.Bucket() != "files" {
		t.Errorf("bucket %q", s.Bucket())
	}
	// The stream is ADR-20's.
	si, err := e.m.StreamInfo(ctx, "OBJ_files")
	if err != nil {
		t.Fatal(err)
	}
	c := si.Config
	if !slices.Equal(c.Subjects, []string{"$O.files.C.>", "$O.files.M.>"}) || c.Discard != jsm.DiscardNew ||
		!c.AllowRollup || !c.AllowDirect || c.MaxAge != time.Hour || c.MaxBytes != 64<<20 ||
		c.Compression != jsm.S2Compression || c.Description != "my files" || c.Metadata["owner"] != "infra" || c.Replicas != 1 {
		t.Errorf("stream config %+v", c)
	}
	// Create again with the same config opens it; with another, ErrBucketExists.
	if _, err := obj.Create(ctx, e.j, cfg); err != nil {
		t.Errorf("create again: %v", err)
	}
	other := cfg
	other.Description = "other"
	if _, err := obj.Create(ctx, e.j, other); !errors.Is(err, obj.ErrBucketExists) {
		t.Errorf("create other: %v", err)
	}
	// Update changes it.
	if _, err := obj.Update(ctx, e.j, other); err != nil {
		t.Fatalf("update: %v", err)
	}
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bucket != "files" || st.Description != "other" || st.TTL != time.Hour || !st.Compressed || st.BackingStore != "JetStream" ||
		st.Storage != jsm.FileStorage || st.Replicas != 1 || st.Sealed || st.Metadata["owner"] != "infra" || st.StreamInfo == nil {
		t.Errorf("status %+v", st)
	}
	if _, err := obj.Update(ctx, e.j, obj.Config{Bucket: "nope"}); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("update missing: %v", err)
	}

	// Open.
	if _, err := obj.Open(ctx, e.j, "files"); err != nil {
		t.Errorf("open: %v", err)
	}
	if _, err := obj.Open(ctx, e.j, "nope"); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("open missing: %v", err)
	}
	if _, err := e.m.AddStream(ctx, jsm.StreamConfig{Name: "OBJ_fake", Subjects: []string{"fake.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := obj.Open(ctx, e.j, "fake"); !errors.Is(err, obj.ErrBadBucket) {
		t.Errorf("open fake: %v", err)
	}
	for _, bad := range []string{"", "a.b", "a b", "a>"} {
		if _, err := obj.Create(ctx, e.j, obj.Config{Bucket: bad}); !errors.Is(err, obj.ErrInvalidBucketName) {
			t.Errorf("create %q: %v", bad, err)
		}
		if _, err := obj.Open(ctx, e.j, bad); !errors.Is(err, obj.ErrInvalidBucketName) {
			t.Errorf("open %q: %v", bad, err)
		}
		if err := obj.Delete(ctx, e.j, bad); !errors.Is(err, obj.ErrInvalidBucketName) {
			t.Errorf("delete %q: %v", bad, err)
		}
	}

	// Names and List see object stores only.
	e.store(t, obj.Config{Bucket: "second", Storage: jsm.MemoryStorage})
	if _, err := e.m.AddStream(ctx, jsm.StreamConfig{Name: "PLAIN", Subjects: []string{"plain.>"}}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n, err := range obj.Names(ctx, e.j) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"files", "second"}) {
		t.Errorf("names %v", names)
	}
	var listed []string
	for st, err := range obj.List(ctx, e.j) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, st.Bucket)
		if st.Bucket == "second" && st.Storage != jsm.MemoryStorage {
			t.Errorf("second: %+v", st)
		}
	}
	slices.Sort(listed)
	if !slices.Equal(listed, names) {
		t.Errorf("list %v", listed)
	}

	// Seal: nothing changes any more.
	if _, err := s.PutString(ctx, "before", "x"); err != nil {
		t.Fatal(err)
	}
	st, err = s.Seal(ctx)
	if err != nil || !st.Sealed {
		t.Fatalf("seal: %+v %v", st, err)
	}
	if _, err := s.PutString(ctx, "after", "y"); err == nil {
		t.Error("put into a sealed bucket")
	}
	if err := s.Delete(ctx, "before"); err == nil {
		t.Error("delete in a sealed bucket")
	}
	if got, err := s.GetString(ctx, "before"); err != nil || got != "x" {
		t.Errorf("get from sealed: %q %v", got, err)
	}

	// Delete.
	if err := obj.Delete(ctx, e.j, "files"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := obj.Delete(ctx, e.j, "files"); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("delete again: %v", err)
	}
	if _, err := s.Status(ctx); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("status of deleted: %v", err)
	}
	if _, err := s.Info(ctx, "before"); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("info in deleted bucket: %v", err)
	}
}

func TestNoJetStream(t *testing.T) {
	t.Parallel()
	s := natstestStartPlain(t)
	c := connect(t, s)
	j := newClient(c)
	ctx := ctxT(t, 10*time.Second)
	if _, err := obj.Create(ctx, j, obj.Config{Bucket: "b"}); !errors.Is(err, jsm.ErrJetStreamNotEnabled) {
		t.Errorf("create: %v", err)
	}
	if _, err := obj.Open(ctx, j, "b"); !errors.Is(err, jsm.ErrJetStreamNotEnabled) {
		t.Errorf("open: %v", err)
	}
}

// TestMissingBucket: every call on a bucket deleted under the Store says so.
func TestMissingBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "gone"})
	ctx := ctxT(t, 30*time.Second)
	if _, err := s.PutString(ctx, "a", "a"); err != nil {
		t.Fatal(err)
	}
	if err := obj.Delete(ctx, e.j, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutString(ctx, "b", "b"); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("put: %v", err)
	}
	if _, err := s.PutString(ctx, "e", ""); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("put empty: %v", err)
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("get: %v", err)
	}
	if err := s.Delete(ctx, "a"); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("delete: %v", err)
	}
	var listErr error
	for _, err := range s.List(ctx) {
		listErr = err
	}
	if !errors.Is(listErr, obj.ErrBucketNotFound) {
		t.Errorf("list: %v", listErr)
	}
	if _, err := s.Watch(ctx); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("watch: %v", err)
	}
	if _, err := s.Seal(ctx); !errors.Is(err, obj.ErrBucketNotFound) {
		t.Errorf("seal: %v", err)
	}
}
