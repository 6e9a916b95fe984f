package kv_test

// The cancellation sweep of package kv, first slice: the calls below, cancelled while
// their request waits for an answer that never comes, return context.Canceled within
// 2 s and leave no subscription behind on the server (goroutines are checked for the
// whole package by natstest.Main).
//
//	Create, CreateOrUpdate, Open, Update, Delete, List, Names (package functions):
//	    covered — the Client's API prefix leads to a subscriber that never answers.
//	Bucket.Put, PutString, Create, Update, Delete, Purge (publishes) and Get,
//	GetRevision (direct gets): covered — the bucket's stream is deleted after Open
//	and a subscriber that never answers listens on its subjects and direct-get subject.
//	Bucket.Status, History, Keys, ListKeys, PurgeDeletes, Watch*, Watcher.Next/Drain:
//	    not covered yet — they go through the real API (stream info, consumer
//	    creation), which answers at once; they need a proxy like js/cancel_test.go's.

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/kv"
)

func TestCancelMidFlight(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	type call func(ctx context.Context, j *js.Client, b *kv.Bucket) error
	first := func(seq func(func(string, error) bool)) error {
		for _, err := range seq {
			if err != nil {
				return err
			}
		}
		return errors.New("the iteration ended without an error")
	}
	apiCalls := map[string]call{
		"Create": func(ctx context.Context, j *js.Client, _ *kv.Bucket) error {
			_, err := kv.Create(ctx, j, kv.Config{Bucket: "x"})
			return err
		},
		"CreateOrUpdate": func(ctx context.Context, j *js.Client, _ *kv.Bucket) error {
			_, err := kv.CreateOrUpdate(ctx, j, kv.Config{Bucket: "x"})
			return err
		},
		"Open": func(ctx context.Context, j *js.Client, _ *kv.Bucket) error {
			_, err := kv.Open(ctx, j, "x")
			return err
		},
		"Update": func(ctx context.Context, j *js.Client, _ *kv.Bucket) error {
			_, err := kv.Update(ctx, j, kv.Config{Bucket: "x"})
			return err
		},
		"Delete": func(ctx context.Context, j *js.Client, _ *kv.Bucket) error { return kv.Delete(ctx, j, "x") },
		"List": func(ctx context.Context, j *js.Client, _ *kv.Bucket) error {
			for _, err := range kv.List(ctx, j) {
				if err != nil {
					return err
				}
			}
			return errors.New("the iteration ended without an error")
		},
		"Names": func(ctx context.Context, j *js.Client, _ *kv.Bucket) error { return first(kv.Names(ctx, j)) },
	}
	bucketCalls := map[string]call{
		"Put": func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			_, err := b.Put(ctx, "k", []byte("v"))
			return err
		},
		"PutString": func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			_, err := b.PutString(ctx, "k", "v")
			return err
		},
		"BucketCreate": func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			_, err := b.Create(ctx, "k", []byte("v"))
			return err
		},
		"BucketUpdate": func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			_, err := b.Update(ctx, "k", []byte("v"), 1)
			return err
		},
		"BucketDelete": func(ctx context.Context, _ *js.Client, b *kv.Bucket) error { return b.Delete(ctx, "k") },
		"Purge":        func(ctx context.Context, _ *js.Client, b *kv.Bucket) error { return b.Purge(ctx, "k") },
		"Get": func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			_, err := b.Get(ctx, "k")
			return err
		},
		"GetRevision": func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			_, err := b.GetRevision(ctx, "k", 1)
			return err
		},
	}
	run := func(t *testing.T, name string, f call, onBucket bool) {
		t.Parallel()
		cname := "cancel-" + name
		c := connect(t, s.URL(), conn.WithName(cname))
		real := js.New(c)
		// A real answer first, so that the shared reply subscription counts in the baseline.
		if _, err := real.Manager().AccountInfo(ctxT(t, 10*time.Second)); err != nil {
			t.Fatal(err)
		}
		hole := connect(t, s.URL())
		var arrived atomic.Int64
		swallow := conn.WithHandler(func(*conn.Msg) { arrived.Add(1) })
		j, b := real, (*kv.Bucket)(nil)
		if onBucket {
			var err error
			if b, err = kv.Create(ctxT(t, 10*time.Second), real, kv.Config{Bucket: name}); err != nil {
				t.Fatal(err)
			}
			if err := real.Manager().DeleteStream(ctxT(t, 10*time.Second), "KV_"+name); err != nil {
				t.Fatal(err)
			}
			for _, subj := range []string{"$KV." + name + ".>", "$JS.API.DIRECT.GET.KV_" + name, "$JS.API.DIRECT.GET.KV_" + name + ".>"} {
				if _, err := hole.Subscribe(subj, swallow); err != nil {
					t.Fatal(err)
				}
			}
		} else {
			if _, err := hole.Subscribe("HOLE."+name+".>", swallow); err != nil {
				t.Fatal(err)
			}
			j = js.New(c, js.WithAPIPrefix("HOLE."+name))
		}
		if err := hole.Flush(ctxT(t, 10*time.Second)); err != nil {
			t.Fatal(err)
		}
		base := s.ClientSubs(t, cname)

		natstest.CancelWhileBlocked(t, func() bool { return arrived.Load() > 0 }, func(ctx context.Context) error { return f(ctx, j, b) })
		waitFor(t, 10*time.Second, "the server's subscriptions back to the baseline", func() bool {
			return s.ClientSubs(t, cname) == base
		})
	}
	for name, f := range apiCalls {
		t.Run(name, func(t *testing.T) { run(t, name, f, false) })
	}
	for name, f := range bucketCalls {
		t.Run(name, func(t *testing.T) { run(t, name, f, true) })
	}
}
