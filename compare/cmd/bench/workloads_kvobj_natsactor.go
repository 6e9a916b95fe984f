package main

// The key-value and object-store workloads written with natsactor's kv and obj packages.
// Each mirrors its nats.go twin in workloads_kvobj_natsgo.go step for step: a fresh
// bucket per run with default settings (file storage, history 1, 128 KiB chunks), only
// the work itself timed.

import (
	"context"
	"fmt"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/kv"
	"github.com/natsactor/natsactor/obj"
)

// natsactorJS connects and returns a js.Client with default options; close closes the
// connection.
func natsactorJS(ctx context.Context, p params, name string) (*js.Client, func(), error) {
	c, err := natsactorConnect(ctx, p.URL, name)
	if err != nil {
		return nil, nil, err
	}
	return js.New(c), func() { _ = c.Close() }, nil
}

// natsactorBucket connects and creates a fresh key-value bucket; cleanup deletes it and
// closes the connection.
func natsactorBucket(ctx context.Context, p params) (*kv.Bucket, func(), error) {
	j, closeConn, err := natsactorJS(ctx, p, "kv")
	if err != nil {
		return nil, nil, err
	}
	name := bucketName(p)
	b, err := kv.Create(ctx, j, kv.Config{Bucket: name})
	if err != nil {
		closeConn()
		return nil, nil, fmt.Errorf("natsactor create bucket: %w", err)
	}
	cleanup := func() {
		dctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_ = kv.Delete(dctx, j, name)
		closeConn()
	}
	return b, cleanup, nil
}

// natsactorKVPut is kv_put: p.N sequential Puts of p.Size bytes over kvKeys keys.
func natsactorKVPut(ctx context.Context, p params) (result, error) {
	b, cleanup, err := natsactorBucket(ctx, p)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	return timedRate(p.N, func() error { return putKeys(ctx, p.N, p.Size, b.Put) })
}

// natsactorKVGet is kv_get: kvKeys keys are put (untimed), then p.N sequential Gets
// read them round-robin.
func natsactorKVGet(ctx context.Context, p params) (result, error) {
	b, cleanup, err := natsactorBucket(ctx, p)
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
			return len(e.Value), nil
		})
	})
}

// natsactorStore connects and creates a fresh object store; cleanup deletes it and
// closes the connection.
func natsactorStore(ctx context.Context, p params) (*obj.Store, func(), error) {
	j, closeConn, err := natsactorJS(ctx, p, "obj")
	if err != nil {
		return nil, nil, err
	}
	name := bucketName(p)
	s, err := obj.Create(ctx, j, obj.Config{Bucket: name})
	if err != nil {
		closeConn()
		return nil, nil, fmt.Errorf("natsactor create object store: %w", err)
	}
	cleanup := func() {
		dctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_ = obj.Delete(dctx, j, name)
		closeConn()
	}
	return s, cleanup, nil
}

// natsactorObjPut is obj_put: one object of objectSize(p) bytes put from a reader;
// MB/s until Put returns.
func natsactorObjPut(ctx context.Context, p params) (result, error) {
	s, cleanup, err := natsactorStore(ctx, p)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	return timedObject(p, func() error { return natsactorPutObject(ctx, p, s) })
}

// natsactorPutObject puts the object of p into s.
func natsactorPutObject(ctx context.Context, p params, s *obj.Store) error {
	info, err := s.Put(ctx, obj.Meta{Name: objectName}, objectData(objectSize(p)))
	if err != nil {
		return checkPut(p, 0, err)
	}
	return checkPut(p, info.Size, nil)
}

// natsactorObjGet is obj_get: one object of objectSize(p) bytes is put (untimed), then
// read with Get to io.Discard; MB/s until the read reaches EOF (digest checked).
func natsactorObjGet(ctx context.Context, p params) (result, error) {
	s, cleanup, err := natsactorStore(ctx, p)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	if err := natsactorPutObject(ctx, p, s); err != nil {
		return result{}, fmt.Errorf("fill: %w", err)
	}
	settle()
	return timedObject(p, func() error {
		o, err := s.Get(ctx, objectName)
		return readObject(p, o, err)
	})
}
