package compare_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsactor/natsactor/kv"
)

// Per-key TTLs and limit markers (ADR-8 revision 7): a key one client creates with a
// two-second TTL expires, and the other client's watcher gets the server's MaxAge
// marker as a PURGE; its Get reports the key missing. A purge with a TTL made by one
// client is a PURGE for the other. Buckets with limit markers made by either client
// have the same stream configuration.
func TestKVKeyTTLAcrossClients(t *testing.T) {
	t.Parallel()
	for _, d := range []struct {
		name   string
		create func(ctx context.Context, t *testing.T, p jsPair) (ttlSide, kvSide)
	}{
		{"natsactor->nats.go", func(ctx context.Context, t *testing.T, p jsPair) (ttlSide, kvSide) {
			b, err := kv.Create(ctx, p.aj, kv.Config{Bucket: "ttl", LimitMarkerTTL: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			return natsactorKV{b}, kvOpenNatsgo(ctx, t, p, "ttl")
		}},
		{"nats.go->natsactor", func(ctx context.Context, t *testing.T, p jsPair) (ttlSide, kvSide) {
			b, err := p.gj.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "ttl", LimitMarkerTTL: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			return natsgoKV{b}, kvOpenNatsactor(ctx, t, p, "ttl")
		}},
	} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			p := jsClients(t)
			ctx := testCtx(t, 30*time.Second)
			w, r := d.create(ctx, t, p)
			next, stop, err := r.watch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			if e, err := next(ctx); err != nil || e != nil {
				t.Fatalf("watch of an empty bucket: %+v, %v", e, err)
			}
			// Two seconds: long enough for the watcher to deliver the value before the
			// server removes it.
			rev, err := w.createTTL(ctx, "short", "gone soon", 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if e, err := next(ctx); err != nil || e == nil || *e != (kvEntry{"short", "gone soon", rev, "PUT"}) {
				t.Fatalf("watched create: %+v, %v", e, err)
			}
			// The server removes the value when its TTL ends and leaves a MaxAge marker.
			e, err := next(ctx)
			if err != nil || e == nil || e.Key != "short" || e.Op != "PURGE" || e.Value != "" || e.Revision <= rev {
				t.Fatalf("watched expiry: %+v, %v; want a PURGE of short", e, err)
			}
			if got, err := r.get(ctx, "short"); !errors.Is(err, errKVNotFound) {
				t.Errorf("get after expiry: %+v, %v", got, err)
			}

			// The watcher sees the put before the purge is made: a purge rolls up the
			// key, and a consumer that has not delivered the put yet would skip it.
			krev, err := w.put(ctx, "k", "v")
			if err != nil {
				t.Fatal(err)
			}
			if e, err := next(ctx); err != nil || e == nil || *e != (kvEntry{"k", "v", krev, "PUT"}) {
				t.Fatalf("watched put of k: %+v, %v", e, err)
			}
			if err := w.purgeTTL(ctx, "k", time.Second); err != nil {
				t.Fatal(err)
			}
			if e, err := next(ctx); err != nil || e == nil || e.Key != "k" || e.Op != "PURGE" || e.Revision <= krev {
				t.Fatalf("watched purge of k: %+v, %v", e, err)
			}
			if got, err := r.get(ctx, "k"); !errors.Is(err, errKVNotFound) {
				t.Errorf("get after purge: %+v, %v", got, err)
			}
		})
	}

	t.Run("config", func(t *testing.T) {
		t.Parallel()
		p := jsClients(t)
		ctx := testCtx(t, 20*time.Second)
		if _, err := kv.Create(ctx, p.aj, kv.Config{Bucket: "m_a", History: 3, LimitMarkerTTL: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.gj.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "m_g", History: 3, LimitMarkerTTL: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		a, g := streamConfigJSON(ctx, t, p, "KV_m_a"), streamConfigJSON(ctx, t, p, "KV_m_g")
		if a["allow_msg_ttl"] != true || a["subject_delete_marker_ttl"] != float64(5*time.Second) {
			t.Errorf("natsactor bucket: allow_msg_ttl %v, subject_delete_marker_ttl %v", a["allow_msg_ttl"], a["subject_delete_marker_ttl"])
		}
		sameStreamConfig(t, a, g, "subjects")
	})
}

// ttlSide is a kvSide that also writes with per-key TTLs.
type ttlSide interface {
	kvSide
	createTTL(ctx context.Context, key, value string, ttl time.Duration) (uint64, error)
	purgeTTL(ctx context.Context, key string, ttl time.Duration) error
}

func (s natsactorKV) createTTL(ctx context.Context, k, v string, ttl time.Duration) (uint64, error) {
	return s.b.Create(ctx, k, []byte(v), kv.KeyTTL(ttl))
}

func (s natsactorKV) purgeTTL(ctx context.Context, k string, ttl time.Duration) error {
	return s.b.Purge(ctx, k, kv.PurgeTTL(ttl))
}

func (s natsgoKV) createTTL(ctx context.Context, k, v string, ttl time.Duration) (uint64, error) {
	return s.b.Create(ctx, k, []byte(v), jetstream.KeyTTL(ttl))
}

func (s natsgoKV) purgeTTL(ctx context.Context, k string, ttl time.Duration) error {
	return s.b.Purge(ctx, k, jetstream.PurgeTTL(ttl))
}
