package compare_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/obj"
)

// objInfo is an object's meta record as both clients must see it.
type objInfo struct {
	Name, Description string
	Headers           map[string][]string
	Metadata          map[string]string
	ChunkSize         uint32
	Bucket, NUID      string
	Size              uint64
	Chunks            uint32
	Digest            string
	Deleted           bool
	// Link is "bucket/name" for links ("bucket/" for a bucket link), "" otherwise.
	Link string
}

// objPut is what a put says about an object.
type objPut struct {
	Name, Description string
	Headers           map[string][]string
	Metadata          map[string]string
	ChunkSize         uint32
	Data              []byte
}

// objSide is one client's view of an object store, so that one test body runs in both
// directions. A missing object is errObjNotFound whatever the client's sentinel.
type objSide interface {
	put(ctx context.Context, p objPut) (objInfo, error)
	// get reads the whole object (the client checks its digest at the end) and returns
	// it with the meta record the reader has.
	get(ctx context.Context, name string) ([]byte, objInfo, error)
	info(ctx context.Context, name string, deleted bool) (objInfo, error)
	list(ctx context.Context) ([]objInfo, error)
	del(ctx context.Context, name string) error
	updateDescription(ctx context.Context, name, description string) error
	// addLink links name to the object target of this side's bucket; addBucketLink
	// links name to the bucket named bucket.
	addLink(ctx context.Context, name, target string) (objInfo, error)
	addBucketLink(ctx context.Context, name, bucket string) (objInfo, error)
	// watch starts a watcher of the bucket; next returns its records, nil for the end
	// of the initial values.
	watch(ctx context.Context) (next func(context.Context) (*objInfo, error), stop func(), err error)
}

var errObjNotFound = errors.New("object not found")

// natsactorObj is objSide over natsactor's obj.Store.
type natsactorObj struct {
	p jsPair
	s *obj.Store
}

func natsactorObjInfo(i *obj.ObjectInfo) objInfo {
	o := objInfo{
		Name: i.Name, Description: i.Description, Headers: i.Headers, Metadata: i.Metadata, ChunkSize: i.ChunkSize,
		Bucket: i.Bucket, NUID: i.NUID, Size: i.Size, Chunks: i.Chunks, Digest: i.Digest, Deleted: i.Deleted,
	}
	if i.Link != nil {
		o.Link = i.Link.Bucket + "/" + i.Link.Name
	}
	return normalizeObjInfo(o)
}

func normalizeObjInfo(o objInfo) objInfo {
	if len(o.Headers) == 0 {
		o.Headers = nil
	}
	if len(o.Metadata) == 0 {
		o.Metadata = nil
	}
	return o
}

func natsactorObjErr(err error) error {
	if errors.Is(err, obj.ErrObjectNotFound) {
		return errObjNotFound
	}
	return err
}

func (s natsactorObj) put(ctx context.Context, p objPut) (objInfo, error) {
	i, err := s.s.Put(ctx, obj.Meta{
		Name: p.Name, Description: p.Description, Headers: conn.Header(p.Headers), Metadata: p.Metadata, ChunkSize: p.ChunkSize,
	}, bytes.NewReader(p.Data))
	if err != nil {
		return objInfo{}, err
	}
	return natsactorObjInfo(i), nil
}

func (s natsactorObj) get(ctx context.Context, name string) ([]byte, objInfo, error) {
	o, err := s.s.Get(ctx, name)
	if err != nil {
		return nil, objInfo{}, natsactorObjErr(err)
	}
	defer o.Close()
	data, err := io.ReadAll(o)
	return data, natsactorObjInfo(o.Info()), err
}

func (s natsactorObj) info(ctx context.Context, name string, deleted bool) (objInfo, error) {
	var opts []obj.InfoOption
	if deleted {
		opts = append(opts, obj.IncludeDeleted())
	}
	i, err := s.s.Info(ctx, name, opts...)
	if err != nil {
		return objInfo{}, natsactorObjErr(err)
	}
	return natsactorObjInfo(i), nil
}

func (s natsactorObj) list(ctx context.Context) ([]objInfo, error) {
	var out []objInfo
	for i, err := range s.s.List(ctx) {
		if err != nil {
			return nil, err
		}
		out = append(out, natsactorObjInfo(i))
	}
	return out, nil
}

func (s natsactorObj) del(ctx context.Context, name string) error {
	return natsactorObjErr(s.s.Delete(ctx, name))
}

func (s natsactorObj) updateDescription(ctx context.Context, name, description string) error {
	i, err := s.s.Info(ctx, name)
	if err != nil {
		return err
	}
	m := i.Meta
	m.Description = description
	_, err = s.s.UpdateMeta(ctx, name, m)
	return err
}

func (s natsactorObj) addLink(ctx context.Context, name, target string) (objInfo, error) {
	t, err := s.s.Info(ctx, target)
	if err != nil {
		return objInfo{}, err
	}
	i, err := s.s.AddLink(ctx, name, t)
	if err != nil {
		return objInfo{}, err
	}
	return natsactorObjInfo(i), nil
}

func (s natsactorObj) addBucketLink(ctx context.Context, name, bucket string) (objInfo, error) {
	b, err := obj.Open(ctx, s.p.aj, bucket)
	if err != nil {
		return objInfo{}, err
	}
	i, err := s.s.AddBucketLink(ctx, name, b)
	if err != nil {
		return objInfo{}, err
	}
	return natsactorObjInfo(i), nil
}

func (s natsactorObj) watch(ctx context.Context) (func(context.Context) (*objInfo, error), func(), error) {
	w, err := s.s.Watch(ctx)
	if err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context) (*objInfo, error) { return nextFrom(ctx, w.C(), natsactorObjInfo) }, w.Stop, nil
}

// natsgoObj is objSide over nats.go's jetstream.ObjectStore.
type natsgoObj struct {
	j jetstream.JetStream
	s jetstream.ObjectStore
}

func natsgoObjInfo(i *jetstream.ObjectInfo) objInfo {
	o := objInfo{
		Name: i.Name, Description: i.Description, Headers: i.Headers, Metadata: i.Metadata,
		Bucket: i.Bucket, NUID: i.NUID, Size: i.Size, Chunks: i.Chunks, Digest: i.Digest, Deleted: i.Deleted,
	}
	if i.Opts != nil {
		o.ChunkSize = i.Opts.ChunkSize
		if i.Opts.Link != nil {
			o.Link = i.Opts.Link.Bucket + "/" + i.Opts.Link.Name
		}
	}
	return normalizeObjInfo(o)
}

func natsgoObjErr(err error) error {
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return errObjNotFound
	}
	return err
}

func (s natsgoObj) put(ctx context.Context, p objPut) (objInfo, error) {
	i, err := s.s.Put(ctx, jetstream.ObjectMeta{
		Name: p.Name, Description: p.Description, Headers: nats.Header(p.Headers), Metadata: p.Metadata,
		Opts: &jetstream.ObjectMetaOptions{ChunkSize: p.ChunkSize},
	}, bytes.NewReader(p.Data))
	if err != nil {
		return objInfo{}, err
	}
	return natsgoObjInfo(i), nil
}

func (s natsgoObj) get(ctx context.Context, name string) ([]byte, objInfo, error) {
	o, err := s.s.Get(ctx, name)
	if err != nil {
		return nil, objInfo{}, natsgoObjErr(err)
	}
	defer o.Close()
	data, err := io.ReadAll(o)
	if err != nil {
		return nil, objInfo{}, err
	}
	i, err := o.Info()
	if err != nil {
		return nil, objInfo{}, err
	}
	return data, natsgoObjInfo(i), nil
}

func (s natsgoObj) info(ctx context.Context, name string, deleted bool) (objInfo, error) {
	var opts []jetstream.GetObjectInfoOpt
	if deleted {
		opts = append(opts, jetstream.GetObjectInfoShowDeleted())
	}
	i, err := s.s.GetInfo(ctx, name, opts...)
	if err != nil {
		return objInfo{}, natsgoObjErr(err)
	}
	return natsgoObjInfo(i), nil
}

func (s natsgoObj) list(ctx context.Context) ([]objInfo, error) {
	is, err := s.s.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	var out []objInfo
	for _, i := range is {
		out = append(out, natsgoObjInfo(i))
	}
	return out, err
}

func (s natsgoObj) del(ctx context.Context, name string) error {
	return natsgoObjErr(s.s.Delete(ctx, name))
}

func (s natsgoObj) updateDescription(ctx context.Context, name, description string) error {
	i, err := s.s.GetInfo(ctx, name)
	if err != nil {
		return err
	}
	m := i.ObjectMeta
	m.Description = description
	return s.s.UpdateMeta(ctx, name, m)
}

func (s natsgoObj) addLink(ctx context.Context, name, target string) (objInfo, error) {
	t, err := s.s.GetInfo(ctx, target)
	if err != nil {
		return objInfo{}, err
	}
	i, err := s.s.AddLink(ctx, name, t)
	if err != nil {
		return objInfo{}, err
	}
	return natsgoObjInfo(i), nil
}

func (s natsgoObj) addBucketLink(ctx context.Context, name, bucket string) (objInfo, error) {
	b, err := s.j.ObjectStore(ctx, bucket)
	if err != nil {
		return objInfo{}, err
	}
	i, err := s.s.AddBucketLink(ctx, name, b)
	if err != nil {
		return objInfo{}, err
	}
	return natsgoObjInfo(i), nil
}

func (s natsgoObj) watch(ctx context.Context) (func(context.Context) (*objInfo, error), func(), error) {
	w, err := s.s.Watch(ctx)
	if err != nil {
		return nil, nil, err
	}
	next := func(ctx context.Context) (*objInfo, error) { return nextFrom(ctx, w.Updates(), natsgoObjInfo) }
	return next, func() { _ = w.Stop() }, nil
}

// objDirection is a (writer, reader) pair: create makes a bucket with the writer's
// client, open opens one with the reader's.
type objDirection struct {
	name         string
	create, open func(ctx context.Context, t *testing.T, p jsPair, bucket string) objSide
}

func objCreateNatsactor(ctx context.Context, t *testing.T, p jsPair, bucket string) objSide {
	s, err := obj.Create(ctx, p.aj, obj.Config{Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	return natsactorObj{p, s}
}

func objOpenNatsactor(ctx context.Context, t *testing.T, p jsPair, bucket string) objSide {
	s, err := obj.Open(ctx, p.aj, bucket)
	if err != nil {
		t.Fatal(err)
	}
	return natsactorObj{p, s}
}

func objCreateNatsgo(ctx context.Context, t *testing.T, p jsPair, bucket string) objSide {
	s, err := p.gj.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	return natsgoObj{p.gj, s}
}

func objOpenNatsgo(ctx context.Context, t *testing.T, p jsPair, bucket string) objSide {
	s, err := p.gj.ObjectStore(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	return natsgoObj{p.gj, s}
}

var objDirections = []objDirection{
	{"natsactor->nats.go", objCreateNatsactor, objOpenNatsgo},
	{"nats.go->natsactor", objCreateNatsgo, objOpenNatsactor},
}

// sha256Digest is ADR-20's digest of data: "SHA-256=" and the URL-safe base64 of the
// SHA-256 sum, padded.
func sha256Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "SHA-256=" + base64.URLEncoding.EncodeToString(sum[:])
}

// objNames returns the names of infos, sorted.
func objNames(infos []objInfo) []string {
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	return names
}

// Objects one client puts, the other gets with the same data (digest checked by the
// reading client and against our own SHA-256), the same meta record (description,
// headers, metadata, chunk size, NUID, size, chunks), links followed, list, delete and a
// meta update seen by the writer.
func TestObjAcrossClients(t *testing.T) {
	t.Parallel()
	big := make([]byte, 300_000)
	rng := rand.NewChaCha8([32]byte{'o', 'b', 'j'})
	_, _ = rng.Read(big)
	puts := []objPut{
		{Name: "empty"},
		{Name: "small", Description: "a greeting", Data: []byte("hello"),
			Headers:  map[string][]string{"X-Kind": {"greeting"}, "X-Multi": {"a", "b"}},
			Metadata: map[string]string{"lang": "en"}},
		{Name: "dir/big file.bin", ChunkSize: 64 * 1024, Data: big},
		{Name: "exact", ChunkSize: 1000, Data: big[:3000]},
	}
	for _, d := range objDirections {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			p := jsClients(t)
			ctx := testCtx(t, 20*time.Second)
			w := d.create(ctx, t, p, "interop")
			d.create(ctx, t, p, "other")
			r := d.open(ctx, t, p, "interop")

			next, stop, err := r.watch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			if i, err := next(ctx); err != nil || i != nil {
				t.Fatalf("watch of an empty bucket: first %+v, %v; want the end-of-initial-values marker", i, err)
			}

			written := map[string]objInfo{}
			for _, put := range puts {
				i, err := w.put(ctx, put)
				if err != nil {
					t.Fatalf("put %s: %v", put.Name, err)
				}
				written[put.Name] = i
				chunkSize := uint64(put.ChunkSize)
				if chunkSize == 0 {
					chunkSize = obj.DefaultChunkSize
				}
				wantChunks := uint32((uint64(len(put.Data)) + chunkSize - 1) / chunkSize)
				if i.Size != uint64(len(put.Data)) || i.Chunks != wantChunks || i.Digest != sha256Digest(put.Data) || i.Bucket != "interop" {
					t.Errorf("put %s: %+v; want size %d, %d chunks, digest %s", put.Name, i, len(put.Data), wantChunks, sha256Digest(put.Data))
				}
			}
			for _, put := range puts {
				data, got, err := r.get(ctx, put.Name)
				if err != nil {
					t.Fatalf("get %s: %v", put.Name, err)
				}
				if !bytes.Equal(data, put.Data) {
					t.Errorf("get %s: %d bytes differ from the %d put", put.Name, len(data), len(put.Data))
				}
				if diff := cmp.Diff(written[put.Name], got); diff != "" {
					t.Errorf("get %s: meta record (-writer +reader):\n%s", put.Name, diff)
				}
				if got.Description != put.Description || !cmp.Equal(got.Headers, put.Headers) || !cmp.Equal(got.Metadata, put.Metadata) {
					t.Errorf("get %s: meta %+v, put %+v", put.Name, got, put)
				}
			}

			// The reader's watcher saw every record the writer put.
			for _, put := range puts {
				i, err := next(ctx)
				if err != nil || i == nil {
					t.Fatalf("watch: %+v, %v", i, err)
				}
				if diff := cmp.Diff(written[put.Name], *i); diff != "" {
					t.Errorf("watched record of %s (-writer +reader):\n%s", put.Name, diff)
				}
			}

			// Links made by the writer are followed by the reader.
			if _, err := w.addLink(ctx, "lnk", "small"); err != nil {
				t.Fatal(err)
			}
			if _, err := w.addBucketLink(ctx, "blink", "other"); err != nil {
				t.Fatal(err)
			}
			if li, err := r.info(ctx, "lnk", false); err != nil || li.Link != "interop/small" {
				t.Errorf("reader's info of the link: %+v, %v", li, err)
			}
			if data, _, err := r.get(ctx, "lnk"); err != nil || string(data) != "hello" {
				t.Errorf("reader's get through the link: %q, %v", data, err)
			}
			if bi, err := r.info(ctx, "blink", false); err != nil || bi.Link != "other/" {
				t.Errorf("reader's info of the bucket link: %+v, %v", bi, err)
			}
			all, err := r.list(ctx)
			if names := objNames(all); err != nil || !slices.Equal(names, []string{"blink", "dir/big file.bin", "empty", "exact", "lnk", "small"}) {
				t.Errorf("reader's list: %v, %v", names, err)
			}

			// The reader deletes and updates; the writer sees it.
			if err := r.del(ctx, "exact"); err != nil {
				t.Fatal(err)
			}
			if _, err := w.info(ctx, "exact", false); !errors.Is(err, errObjNotFound) {
				t.Errorf("writer's info of the deleted object: %v, want not found", err)
			}
			if _, _, err := w.get(ctx, "exact"); !errors.Is(err, errObjNotFound) {
				t.Errorf("writer's get of the deleted object: %v, want not found", err)
			}
			di, err := w.info(ctx, "exact", true)
			if err != nil || !di.Deleted || di.Size != 0 || di.Chunks != 0 || di.Digest != "" || di.NUID != written["exact"].NUID {
				t.Errorf("writer's info of the deleted object, deleted included: %+v, %v", di, err)
			}
			if err := r.updateDescription(ctx, "small", "updated by the reader"); err != nil {
				t.Fatal(err)
			}
			if si, err := w.info(ctx, "small", false); err != nil || si.Description != "updated by the reader" ||
				si.Size != 5 || si.Digest != written["small"].Digest || !cmp.Equal(si.Headers, puts[1].Headers) {
				t.Errorf("writer's info after the reader's update: %+v, %v", si, err)
			}
			all, err = w.list(ctx)
			if names := objNames(all); err != nil || !slices.Equal(names, []string{"blink", "dir/big file.bin", "empty", "lnk", "small"}) {
				t.Errorf("writer's list after the delete: %v, %v", names, err)
			}
		})
	}
}

// A bucket created by each client with the same settings has the same stream
// configuration, and each client opens the other's and reads its settings back.
func TestObjBucketConfigAcrossClients(t *testing.T) {
	t.Parallel()
	p := jsClients(t)
	ctx := testCtx(t, 20*time.Second)
	md := map[string]string{"team": "interop"}
	if _, err := obj.Create(ctx, p.aj, obj.Config{
		Bucket: "cfg_a", Description: "same settings", TTL: time.Hour, MaxBytes: 1 << 24, Compression: true, Metadata: md,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.gj.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: "cfg_g", Description: "same settings", TTL: time.Hour, MaxBytes: 1 << 24, Compression: true, Metadata: md,
	}); err != nil {
		t.Fatal(err)
	}
	a, g := streamConfigJSON(ctx, t, p, "OBJ_cfg_a"), streamConfigJSON(ctx, t, p, "OBJ_cfg_g")
	if subj := a["subjects"]; !cmp.Equal(subj, []any{"$O.cfg_a.C.>", "$O.cfg_a.M.>"}) {
		t.Errorf("natsactor bucket subjects %v", subj)
	}
	if subj := g["subjects"]; !cmp.Equal(subj, []any{"$O.cfg_g.C.>", "$O.cfg_g.M.>"}) {
		t.Errorf("nats.go bucket subjects %v", subj)
	}
	sameStreamConfig(t, a, g, "subjects")

	for _, bucket := range []string{"cfg_a", "cfg_g"} {
		as, err := obj.Open(ctx, p.aj, bucket)
		if err != nil {
			t.Fatal(err)
		}
		st, err := as.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Bucket != bucket || st.Description != "same settings" || st.TTL != time.Hour || !st.Compressed ||
			st.Storage != jsm.FileStorage || st.Metadata["team"] != "interop" || st.Sealed {
			t.Errorf("natsactor opens %s: %+v", bucket, st)
		}
		gs, err := p.gj.ObjectStore(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		gst, err := gs.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if gst.Bucket() != bucket || gst.Description() != "same settings" || gst.TTL() != time.Hour || !gst.IsCompressed() ||
			gst.Storage() != jetstream.FileStorage || gst.Metadata()["team"] != "interop" || gst.Sealed() {
			t.Errorf("nats.go opens %s: %+v", bucket, gst)
		}
	}
}
