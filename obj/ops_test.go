package obj_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/obj"
)

func listNames(t *testing.T, s *obj.Store, opts ...obj.ListOption) []string {
	t.Helper()
	var names []string
	for info, err := range s.List(ctxT(t, 10*time.Second), opts...) {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		names = append(names, info.Name)
	}
	slices.Sort(names)
	return names
}

func TestInfoDeleteList(t *testing.T) {
	t.Parallel()
	for _, batch := range []bool{true, false} {
		e := newEnv(t)
		s := e.store(t, obj.Config{Bucket: "idl"})
		if !batch {
			obj.NoBatch(s)
		}
		ctx := ctxT(t, 30*time.Second)
		if got := listNames(t, s); len(got) != 0 {
			t.Errorf("empty store lists %v", got)
		}
		put, err := s.Put(ctx, obj.Meta{Name: "a", ChunkSize: 100}, bytes.NewReader(patternBytes(1000)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutString(ctx, "b", "bee"); err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx, "a")
		if err != nil || info.NUID != put.NUID || info.Size != 1000 || info.Chunks != 10 || info.Digest != put.Digest || info.ChunkSize != 100 || info.Bucket != "idl" {
			t.Errorf("info %+v %v", info, err)
		}
		if d := time.Since(info.ModTime); d < 0 || d > time.Minute {
			t.Errorf("mod time %v", info.ModTime)
		}
		if got := listNames(t, s); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("list %v", got)
		}

		if err := s.Delete(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if n := e.subjectMsgs(t, "idl", "$O.idl.C."+put.NUID); n != 0 {
			t.Errorf("%d chunks left after delete", n)
		}
		if _, err := s.Info(ctx, "a"); !errors.Is(err, obj.ErrObjectNotFound) {
			t.Errorf("info of deleted: %v", err)
		}
		del, err := s.Info(ctx, "a", obj.IncludeDeleted())
		if err != nil || !del.Deleted || del.Size != 0 || del.Chunks != 0 || del.Digest != "" || del.NUID != put.NUID {
			t.Errorf("deleted info %+v %v", del, err)
		}
		if _, err := s.Get(ctx, "a"); !errors.Is(err, obj.ErrObjectNotFound) {
			t.Errorf("get deleted: %v", err)
		}
		if err := s.Delete(ctx, "a"); err != nil {
			t.Errorf("delete twice: %v", err)
		}
		if err := s.Delete(ctx, "never"); !errors.Is(err, obj.ErrObjectNotFound) {
			t.Errorf("delete missing: %v", err)
		}
		if got := listNames(t, s); !slices.Equal(got, []string{"b"}) {
			t.Errorf("list after delete %v", got)
		}
		if got := listNames(t, s, obj.ListDeleted()); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("list with deleted %v", got)
		}
		// A deleted name can be put again.
		if _, err := s.PutString(ctx, "a", "again"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetString(ctx, "a"); err != nil || got != "again" {
			t.Errorf("put after delete: %q %v", got, err)
		}

		// More objects than a page.
		for i := range 300 {
			if _, err := s.PutString(ctx, "many/"+string(rune('a'+i%26))+string(rune('0'+i/26)), "x"); err != nil {
				t.Fatal(err)
			}
		}
		if got := listNames(t, s); len(got) != 302 {
			t.Errorf("list of 302: %d", len(got))
		}
		// Breaking out of the loop is fine.
		for range s.List(ctx) {
			break
		}
	}
}

func TestUpdateMeta(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "um"})
	ctx := ctxT(t, 30*time.Second)
	data := patternBytes(3000)
	put, err := s.Put(ctx, obj.Meta{Name: "a", ChunkSize: 1000}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	up, err := s.UpdateMeta(ctx, "a", obj.Meta{Name: "a", Description: "new", Headers: conn.Header{"X": {"y"}}, Metadata: map[string]string{"m": "1"}, ChunkSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, "a")
	if err != nil || info.Description != "new" || info.Headers.Get("X") != "y" || info.Metadata["m"] != "1" ||
		info.NUID != put.NUID || info.Digest != put.Digest || info.ChunkSize != 1000 || up.Description != "new" {
		t.Errorf("updated %+v %v", info, err)
	}
	if got, err := s.GetBytes(ctx, "a"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("data after update: %v", err)
	}

	// Rename: the data follows, the old name is gone.
	if _, err := s.UpdateMeta(ctx, "a", obj.Meta{Name: "b", Description: "renamed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Info(ctx, "a", obj.IncludeDeleted()); !errors.Is(err, obj.ErrObjectNotFound) {
		t.Errorf("old name: %v", err)
	}
	if got, err := s.GetBytes(ctx, "b"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("renamed data: %v", err)
	}
	if n := e.subjectMsgs(t, "um", "$O.um.M.>"); n != 1 {
		t.Errorf("%d meta records after rename", n)
	}
	// Renaming onto a live object fails; onto a deleted one works.
	if _, err := s.PutString(ctx, "c", "sea"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateMeta(ctx, "b", obj.Meta{Name: "c"}); !errors.Is(err, obj.ErrObjectExists) {
		t.Errorf("rename onto existing: %v", err)
	}
	if err := s.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateMeta(ctx, "b", obj.Meta{Name: "c"}); err != nil {
		t.Errorf("rename onto deleted: %v", err)
	}
	if got, err := s.GetBytes(ctx, "c"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("data after second rename: %v", err)
	}
	// Missing or deleted objects cannot be updated.
	if _, err := s.UpdateMeta(ctx, "zz", obj.Meta{Description: "x"}); !errors.Is(err, obj.ErrObjectNotFound) {
		t.Errorf("update missing: %v", err)
	}
	if _, err := s.UpdateMeta(ctx, "b", obj.Meta{Description: "x"}); !errors.Is(err, obj.ErrObjectNotFound) {
		t.Errorf("update renamed-away: %v", err)
	}
}

func TestLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.store(t, obj.Config{Bucket: "ln"})
	other := e.store(t, obj.Config{Bucket: "other"})
	ctx := ctxT(t, 30*time.Second)
	data := patternBytes(2500)
	target, err := s.Put(ctx, obj.Meta{Name: "target", ChunkSize: 1000}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.AddLink(ctx, "link", target)
	if err != nil {
		t.Fatal(err)
	}
	if !link.IsLink() || link.Link.Bucket != "ln" || link.Link.Name != "target" || link.Size != 0 {
		t.Errorf("link %+v", link)
	}
	if got, err := s.GetBytes(ctx, "link"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("get through link: %v", err)
	}
	r, err := s.GetRange(ctx, "link", 1500, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(t, r); err != nil || !bytes.Equal(got, data[1500:1510]) {
		t.Errorf("range through link: %v", err)
	}
	r.Close()
	// Info shows the link itself.
	if li, err := s.Info(ctx, "link"); err != nil || !li.IsLink() {
		t.Errorf("info of link %+v %v", li, err)
	}
	// A link from another bucket.
	if _, err := other.AddLink(ctx, "far", target); err != nil {
		t.Fatal(err)
	}
	if got, err := other.GetBytes(ctx, "far"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("get through cross-bucket link: %v", err)
	}
	// Bucket links.
	bl, err := s.AddBucketLink(ctx, "dir", other)
	if err != nil || bl.Link.Bucket != "other" || bl.Link.Name != "" {
		t.Fatalf("bucket link %+v %v", bl, err)
	}
	if _, err := s.Get(ctx, "dir"); !errors.Is(err, obj.ErrBucketLink) {
		t.Errorf("get bucket link: %v", err)
	}
	// Rules.
	if _, err := s.AddLink(ctx, "l2", link); !errors.Is(err, obj.ErrLinkNotAllowed) {
		t.Errorf("link to link: %v", err)
	}
	if _, err := s.AddLink(ctx, "target", target); !errors.Is(err, obj.ErrObjectExists) {
		t.Errorf("link over object: %v", err)
	}
	if _, err := s.AddBucketLink(ctx, "target", other); !errors.Is(err, obj.ErrObjectExists) {
		t.Errorf("bucket link over object: %v", err)
	}
	if _, err := s.AddLink(ctx, "link", target); err != nil {
		t.Errorf("link over link: %v", err)
	}
	if _, err := s.AddLink(ctx, "", target); !errors.Is(err, obj.ErrInvalidObjectName) {
		t.Errorf("empty name: %v", err)
	}
	if _, err := s.AddLink(ctx, "x", nil); !errors.Is(err, obj.ErrInvalidOption) {
		t.Errorf("nil target: %v", err)
	}
	if _, err := s.AddBucketLink(ctx, "x", nil); !errors.Is(err, obj.ErrInvalidOption) {
		t.Errorf("nil store: %v", err)
	}
	// Links can be renamed and deleted without touching the target.
	if _, err := s.UpdateMeta(ctx, "link", obj.Meta{Name: "link2", Description: "d"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetBytes(ctx, "link2"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("renamed link: %v", err)
	}
	if err := s.Delete(ctx, "link2"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetBytes(ctx, "target"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("target after link delete: %v", err)
	}
	// A deleted target: no new links, and old links do not find it.
	if err := s.Delete(ctx, "target"); err != nil {
		t.Fatal(err)
	}
	dead, err := s.Info(ctx, "target", obj.IncludeDeleted())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddLink(ctx, "l3", dead); !errors.Is(err, obj.ErrNoLinkToDeleted) {
		t.Errorf("link to deleted: %v", err)
	}
	if _, err := other.Get(ctx, "far"); !errors.Is(err, obj.ErrObjectNotFound) {
		t.Errorf("get through dangling link: %v", err)
	}
	// A link may take the name of a deleted object.
	if _, err := s.AddBucketLink(ctx, "target", other); err != nil {
		t.Errorf("link over deleted: %v", err)
	}
}
