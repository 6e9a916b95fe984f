package compare_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/kv"
)

// kvEntry is a key-value entry as both clients must see it.
type kvEntry struct {
	Key      string
	Value    string
	Revision uint64
	Op       string // PUT, DEL or PURGE
}

// kvSide is one client's view of a bucket, so that one test body runs in both
// directions. A missing key is errKVNotFound whatever the client's own sentinel.
type kvSide interface {
	put(ctx context.Context, key, value string) (uint64, error)
	update(ctx context.Context, key, value string, last uint64) (uint64, error)
	del(ctx context.Context, key string) error
	purge(ctx context.Context, key string) error
	get(ctx context.Context, key string) (kvEntry, error)
	history(ctx context.Context, key string) ([]kvEntry, error)
	keys(ctx context.Context) ([]string, error)
	// watch starts a watcher of every key; next returns its entries, nil for the end
	// of the initial values.
	watch(ctx context.Context) (next func(context.Context) (*kvEntry, error), stop func(), err error)
}

var errKVNotFound = errors.New("key not found")

// natsactorKV is kvSide over natsactor's kv.Bucket.
type natsactorKV struct{ b *kv.Bucket }

func natsactorEntry(e *kv.Entry) kvEntry {
	ops := map[kv.Operation]string{kv.OpPut: "PUT", kv.OpDelete: "DEL", kv.OpPurge: "PURGE"}
	return kvEntry{Key: e.Key, Value: string(e.Value), Revision: e.Revision, Op: ops[e.Operation]}
}

func (s natsactorKV) put(ctx context.Context, k, v string) (uint64, error) {
	return s.b.Put(ctx, k, []byte(v))
}

func (s natsactorKV) update(ctx context.Context, k, v string, last uint64) (uint64, error) {
	return s.b.Update(ctx, k, []byte(v), last)
}
func (s natsactorKV) del(ctx context.Context, k string) error   { return s.b.Delete(ctx, k) }
func (s natsactorKV) purge(ctx context.Context, k string) error { return s.b.Purge(ctx, k) }

func (s natsactorKV) get(ctx context.Context, k string) (kvEntry, error) {
	e, err := s.b.Get(ctx, k)
	if errors.Is(err, kv.ErrKeyNotFound) {
		return kvEntry{}, errKVNotFound
	}
	if err != nil {
		return kvEntry{}, err
	}
	return natsactorEntry(e), nil
}

func (s natsactorKV) history(ctx context.Context, k string) ([]kvEntry, error) {
	es, err := s.b.History(ctx, k)
	var out []kvEntry
	for _, e := range es {
		out = append(out, natsactorEntry(e))
	}
	return out, err
}

func (s natsactorKV) keys(ctx context.Context) ([]string, error) { return s.b.ListKeys(ctx) }

func (s natsactorKV) watch(ctx context.Context) (func(context.Context) (*kvEntry, error), func(), error) {
	w, err := s.b.WatchAll(ctx)
	if err != nil {
		return nil, nil, err
	}
	next := func(ctx context.Context) (*kvEntry, error) { return nextFrom(ctx, w.C(), natsactorEntry) }
	return next, w.Stop, nil
}

// natsgoKV is kvSide over nats.go's jetstream.KeyValue.
type natsgoKV struct{ b jetstream.KeyValue }

func natsgoEntry(e jetstream.KeyValueEntry) kvEntry {
	ops := map[jetstream.KeyValueOp]string{jetstream.KeyValuePut: "PUT", jetstream.KeyValueDelete: "DEL", jetstream.KeyValuePurge: "PURGE"}
	return kvEntry{Key: e.Key(), Value: string(e.Value()), Revision: e.Revision(), Op: ops[e.Operation()]}
}

func (s natsgoKV) put(ctx context.Context, k, v string) (uint64, error) {
	return s.b.Put(ctx, k, []byte(v))
}

func (s natsgoKV) update(ctx context.Context, k, v string, last uint64) (uint64, error) {
	return s.b.Update(ctx, k, []byte(v), last)
}
func (s natsgoKV) del(ctx context.Context, k string) error   { return s.b.Delete(ctx, k) }
func (s natsgoKV) purge(ctx context.Context, k string) error { return s.b.Purge(ctx, k) }

func (s natsgoKV) get(ctx context.Context, k string) (kvEntry, error) {
	e, err := s.b.Get(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return kvEntry{}, errKVNotFound
	}
	if err != nil {
		return kvEntry{}, err
	}
	return natsgoEntry(e), nil
}

func (s natsgoKV) history(ctx context.Context, k string) ([]kvEntry, error) {
	es, err := s.b.History(ctx, k)
	var out []kvEntry
	for _, e := range es {
		out = append(out, natsgoEntry(e))
	}
	return out, err
}

func (s natsgoKV) keys(ctx context.Context) ([]string, error) {
	l, err := s.b.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	_ = l.Stop() // the lister has ended already: Stop reports its subscription gone
	return keys, nil
}

func (s natsgoKV) watch(ctx context.Context) (func(context.Context) (*kvEntry, error), func(), error) {
	w, err := s.b.WatchAll(ctx)
	if err != nil {
		return nil, nil, err
	}
	next := func(ctx context.Context) (*kvEntry, error) { return nextFrom(ctx, w.Updates(), natsgoEntry) }
	return next, func() { _ = w.Stop() }, nil
}

// kvDirections are the (writer, reader) pairs of a test: each client writes what the
// other reads. create makes the bucket with the writer's client; open opens it with the
// reader's.
type kvDirection struct {
	name         string
	create, open func(ctx context.Context, t *testing.T, p jsPair, bucket string) kvSide
}

func kvCreateNatsactor(ctx context.Context, t *testing.T, p jsPair, bucket string) kvSide {
	b, err := kv.Create(ctx, p.aj, kv.Config{Bucket: bucket, History: 5})
	if err != nil {
		t.Fatal(err)
	}
	return natsactorKV{b}
}

func kvOpenNatsactor(ctx context.Context, t *testing.T, p jsPair, bucket string) kvSide {
	b, err := kv.Open(ctx, p.aj, bucket)
	if err != nil {
		t.Fatal(err)
	}
	return natsactorKV{b}
}

func kvCreateNatsgo(ctx context.Context, t *testing.T, p jsPair, bucket string) kvSide {
	b, err := p.gj.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, History: 5})
	if err != nil {
		t.Fatal(err)
	}
	return natsgoKV{b}
}

func kvOpenNatsgo(ctx context.Context, t *testing.T, p jsPair, bucket string) kvSide {
	b, err := p.gj.KeyValue(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	return natsgoKV{b}
}

var kvDirections = []kvDirection{
	{"natsactor->nats.go", kvCreateNatsactor, kvOpenNatsgo},
	{"nats.go->natsactor", kvCreateNatsgo, kvOpenNatsactor},
}

// What one client writes into a bucket, the other reads back identically: Get, History,
// Keys, a watcher started before the writes, and an Update on a revision the other
// client made.
func TestKVAcrossClients(t *testing.T) {
	t.Parallel()
	for _, d := range kvDirections {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			p := jsClients(t)
			ctx := testCtx(t, 20*time.Second)
			w := d.create(ctx, t, p, "interop")
			r := d.open(ctx, t, p, "interop")

			next, stop, err := r.watch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			if e, err := next(ctx); err != nil || e != nil {
				t.Fatalf("watch of an empty bucket: first %+v, %v; want the end-of-initial-values marker", e, err)
			}

			// The writer's script; revisions are the stream's sequences 1..7. The purge
			// of k3 rolls up the key: it is made only once the watcher has seen the put
			// of k3, since a consumer that had not delivered that put yet would skip it.
			steps := []func() error{
				func() error { _, err := w.put(ctx, "k1", "v1"); return err },
				func() error { _, err := w.put(ctx, "k1", "v2"); return err },
				func() error { _, err := w.put(ctx, "a.b.c", "abc"); return err },
				func() error { _, err := w.put(ctx, "k2", "x"); return err },
				func() error { return w.del(ctx, "k2") },
				func() error { _, err := w.put(ctx, "k3", "y"); return err },
				func() error { return w.purge(ctx, "k3") },
			}
			all := []kvEntry{
				{"k1", "v1", 1, "PUT"}, {"k1", "v2", 2, "PUT"}, {"a.b.c", "abc", 3, "PUT"},
				{"k2", "x", 4, "PUT"}, {"k2", "", 5, "DEL"}, {"k3", "y", 6, "PUT"}, {"k3", "", 7, "PURGE"},
			}
			var watched []kvEntry
			for i, step := range steps {
				if i == len(steps)-1 {
					for len(watched) < len(all)-1 {
						e, err := next(ctx)
						if err != nil || e == nil {
							t.Fatalf("watch after %d updates: %+v, %v", len(watched), e, err)
						}
						watched = append(watched, *e)
					}
				}
				if err := step(); err != nil {
					t.Fatalf("write step %d: %v", i+1, err)
				}
			}
			e, err := next(ctx)
			if err != nil || e == nil {
				t.Fatalf("watch of the purge: %+v, %v", e, err)
			}
			watched = append(watched, *e)
			if diff := cmp.Diff(all, watched); diff != "" {
				t.Errorf("watched updates (-want +got):\n%s", diff)
			}

			for key, want := range map[string]kvEntry{"k1": all[1], "a.b.c": all[2]} {
				if got, err := r.get(ctx, key); err != nil || got != want {
					t.Errorf("get %s: %+v, %v; want %+v", key, got, err, want)
				}
			}
			for _, key := range []string{"k2", "k3", "never"} {
				if got, err := r.get(ctx, key); !errors.Is(err, errKVNotFound) {
					t.Errorf("get %s: %+v, %v; want not found", key, got, err)
				}
			}
			for key, want := range map[string][]kvEntry{"k1": all[0:2], "k2": all[3:5], "k3": all[6:7]} {
				got, err := r.history(ctx, key)
				if err != nil {
					t.Errorf("history %s: %v", key, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("history %s (-want +got):\n%s", key, diff)
				}
			}
			keys, err := r.keys(ctx)
			slices.Sort(keys)
			if err != nil || !slices.Equal(keys, []string{"a.b.c", "k1"}) {
				t.Errorf("keys: %v, %v; want [a.b.c k1]", keys, err)
			}

			// A watcher started now gets the latest entry of every key the other client
			// wrote, delete and purge markers included (ADR-8: last_per_subject), then
			// the end-of-initial-values marker.
			next2, stop2, err := r.watch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer stop2()
			var initial []kvEntry
			for {
				e, err := next2(ctx)
				if err != nil {
					t.Fatalf("initial values after %d: %v", len(initial), err)
				}
				if e == nil {
					break
				}
				initial = append(initial, *e)
			}
			if diff := cmp.Diff([]kvEntry{all[1], all[2], all[4], all[6]}, initial); diff != "" {
				t.Errorf("initial values of a new watcher (-want +got):\n%s", diff)
			}

			// Optimistic concurrency across clients: the reader updates on the writer's
			// revision, and the writer's update on the stale revision fails.
			rev, err := r.update(ctx, "k1", "v3", 2)
			if err != nil || rev != 8 {
				t.Fatalf("update on the other client's revision: %d, %v", rev, err)
			}
			if _, err := w.update(ctx, "k1", "v4", 2); err == nil {
				t.Error("update on a stale revision succeeded")
			}
			if got, err := w.get(ctx, "k1"); err != nil || got != (kvEntry{"k1", "v3", 8, "PUT"}) {
				t.Errorf("writer's get after the reader's update: %+v, %v", got, err)
			}
			if e, err := next(ctx); err != nil || e == nil || *e != (kvEntry{"k1", "v3", 8, "PUT"}) {
				t.Errorf("watch of the reader's own update: %+v, %v", e, err)
			}
		})
	}
}

// streamConfigJSON returns the "config" of the stream's INFO as the server sends it,
// read with a plain request so that neither client's types filter it.
func streamConfigJSON(ctx context.Context, t *testing.T, p jsPair, stream string) map[string]any {
	t.Helper()
	m, err := p.g.RequestWithContext(ctx, jsm.DefaultAPIPrefix+".STREAM.INFO."+stream, nil)
	if err != nil {
		t.Fatalf("stream info %s: %v", stream, err)
	}
	var info struct {
		Config map[string]any `json:"config"`
		Error  any            `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &info); err != nil || info.Error != nil {
		t.Fatalf("stream info %s: %v %v", stream, err, info.Error)
	}
	return info.Config
}

// sameStreamConfig fails t when the two streams' configurations differ in anything but
// their names and the subjects derived from them (given as ignore).
func sameStreamConfig(t *testing.T, a, g map[string]any, ignore ...string) {
	t.Helper()
	for _, k := range append([]string{"name"}, ignore...) {
		delete(a, k)
		delete(g, k)
	}
	if diff := cmp.Diff(a, g); diff != "" {
		t.Errorf("stream configs (-natsactor +nats.go):\n%s", diff)
	}
}

// A bucket created by each client with the same settings has the same stream
// configuration, and each client opens the other's bucket and reads its settings back.
func TestKVBucketConfigAcrossClients(t *testing.T) {
	t.Parallel()
	p := jsClients(t)
	ctx := testCtx(t, 20*time.Second)
	md := map[string]string{"team": "interop"}
	if _, err := kv.Create(ctx, p.aj, kv.Config{
		Bucket: "cfg_a", Description: "made by natsactor", History: 5, TTL: time.Hour,
		MaxValueSize: 1024, MaxBytes: 1 << 20, Compression: true, Metadata: md,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.gj.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: "cfg_g", Description: "made by natsactor", History: 5, TTL: time.Hour,
		MaxValueSize: 1024, MaxBytes: 1 << 20, Compression: true, Metadata: md,
	}); err != nil {
		t.Fatal(err)
	}
	a, g := streamConfigJSON(ctx, t, p, "KV_cfg_a"), streamConfigJSON(ctx, t, p, "KV_cfg_g")
	if subj := a["subjects"]; !cmp.Equal(subj, []any{"$KV.cfg_a.>"}) {
		t.Errorf("natsactor bucket subjects %v", subj)
	}
	if subj := g["subjects"]; !cmp.Equal(subj, []any{"$KV.cfg_g.>"}) {
		t.Errorf("nats.go bucket subjects %v", subj)
	}
	sameStreamConfig(t, a, g, "subjects")

	for _, bucket := range []string{"cfg_a", "cfg_g"} {
		ab, err := kv.Open(ctx, p.aj, bucket)
		if err != nil {
			t.Fatal(err)
		}
		as, err := ab.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ac := as.Config
		if ac.Bucket != bucket || ac.Description != "made by natsactor" || ac.History != 5 || ac.TTL != time.Hour ||
			ac.MaxValueSize != 1024 || ac.MaxBytes != 1<<20 || !ac.Compression || ac.Storage != jsm.FileStorage ||
			ac.Metadata["team"] != "interop" || as.History != 5 || as.TTL != time.Hour || !as.Compressed {
			t.Errorf("natsactor opens %s: %+v", bucket, ac)
		}
		gb, err := p.gj.KeyValue(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		gs, err := gb.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		gc := gs.Config()
		if gc.Bucket != bucket || gc.Description != "made by natsactor" || gc.History != 5 || gc.TTL != time.Hour ||
			gc.MaxValueSize != 1024 || gc.MaxBytes != 1<<20 || !gc.Compression || gc.Storage != jetstream.FileStorage ||
			gc.Metadata["team"] != "interop" || gs.History() != 5 || gs.TTL() != time.Hour || !gs.IsCompressed() {
			t.Errorf("nats.go opens %s: %+v", bucket, gc)
		}
	}
}
