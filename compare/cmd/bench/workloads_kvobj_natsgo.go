package main

// The key-value and object-store workloads written with nats.go's jetstream package,
// step for step like workloads_kvobj_natsactor.go.

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// natsgoBucket is natsactorBucket with nats.go.
func natsgoBucket(ctx context.Context, p params) (jetstream.KeyValue, func(), error) {
	nc, j, err := natsgoJetStream(p, "kv")
	if err != nil {
		return nil, nil, err
	}
	name := bucketName(p)
	b, err := j.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name})
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("nats.go create bucket: %w", err)
	}
	cleanup := func() {
		dctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_ = j.DeleteKeyValue(dctx, name)
		nc.Close()
	}
	return b, cleanup, nil
}

// natsgoKVPut is natsactorKVPut with nats.go.
func natsgoKVPut(ctx context.Context, p params) (result, error) {
	b, cleanup, err := natsgoBucket(ctx, p)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	return timedRate(p.N, func() error { return putKeys(ctx, p.N, p.Size, b.Put) })
}

// natsgoKVGet is natsactorKVGet with nats.go.
func natsgoKVGet(ctx context.Context, p params) (result, error) {
	b, cleanup, err := natsgoBucket(ctx, p)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	if err := putKeys(ctx, kvKeys, p.Size, b.Put); err != nil {
		return result{}, fmt.Errorf("fill: %w", err)
	}
	return timedRate(p.N, func() error {
		return getKeys(ctx, p.N, p.Size, func(ctx context.Context, key string) (int, error) {
			e, err := b.Get(ctx, key)
			if err != nil {
				return 0, err
			}
			return len(e.Value()), nil
		})
	})
}

// natsgoStore is natsactorStore with nats.go.
func natsgoStore(ctx context.Context, p params) (jetstream.ObjectStore, func(), error) {
	nc, j, err := natsgoJetStream(p, "obj")
	if err != nil {
		return nil, nil, err
	}
	name := bucketName(p)
	s, err := j.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: name})
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("nats.go create object store: %w", err)
	}
	cleanup := func() {
		dctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_ = j.DeleteObjectStore(dctx, name)
		nc.Close()
	}
	return s, cleanup, nil
}

// natsgoObjPut is natsactorObjPut with nats.go.
func natsgoObjPut(ctx context.Context, p params) (result, error) {
	s, cleanup, err := natsgoStore(ctx, p)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	return timedObject(p, func() error { return natsgoPutObject(ctx, p, s) })
}

// natsgoPutObject is natsactorPutObject with nats.go.
func natsgoPutObject(ctx context.Context, p params, s jetstream.ObjectStore) error {
	info, err := s.Put(ctx, jetstream.ObjectMeta{Name: objectName}, objectData(objectSize(p)))
	if err != nil {
		return checkPut(p, 0, err)
	}
	return checkPut(p, info.Size, nil)
}

// natsgoObjGet is natsactorObjGet with nats.go.
func natsgoObjGet(ctx context.Context, p params) (result, error) {
	s, cleanup, err := natsgoStore(ctx, p)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	if err := natsgoPutObject(ctx, p, s); err != nil {
		return result{}, fmt.Errorf("fill: %w", err)
	}
	settle()
	return timedObject(p, func() error {
		o, err := s.Get(ctx, objectName)
		return readObject(p, o, err)
	})
}
