package kv_test

// The cancellation sweep of package kv: every exported call that takes a ctx, cancelled
// while its request waits for an answer that never comes, returns context.Canceled
// within 2 s and leaves no subscription and no consumer behind on the server
// (goroutines are checked for the whole package by natstest.Main). The Client under
// test sends its API requests through a blackhole proxy, which forwards them during
// the set-up and swallows them once the call starts.
//
//	Create, CreateOrUpdate, Open, Update, Delete, List, Names (package functions),
//	Bucket.Status, History, Keys, ListKeys, PurgeDeletes, Watch, WatchAll,
//	WatchFiltered (stream info, consumer creation), Get, GetRevision (direct gets),
//	Put, PutString, Create, Update, Delete, Purge (publishes, which a Client with an
//	API prefix sends as "<prefix>.$KV.<bucket>.<key>"): covered — the request is
//	    swallowed.
//	Watcher.Next, Drain: covered in TestCancelWatcher — Next with nothing to deliver;
//	    Drain waits for nothing, so only a ctx ended before can stop it.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/blackhole"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/kv"
)

func TestCancelMidFlight(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	type call func(ctx context.Context, j *js.Client, b *kv.Bucket) error
	cases := map[string]struct {
		bucket bool // the call is on a bucket: make one first
		call   call
	}{
		"Create": {false, func(ctx context.Context, j *js.Client, _ *kv.Bucket) error {
			return natstest.Second(kv.Create(ctx, j, kv.Config{Bucket: "x"}))
		}},
		"CreateOrUpdate": {false, func(ctx context.Context, j *js.Client, _ *kv.Bucket) error {
			return natstest.Second(kv.CreateOrUpdate(ctx, j, kv.Config{Bucket: "x"}))
		}},
		"Open": {false, func(ctx context.Context, j *js.Client, _ *kv.Bucket) error {
			return natstest.Second(kv.Open(ctx, j, "x"))
		}},
		"Update": {false, func(ctx context.Context, j *js.Client, _ *kv.Bucket) error {
			return natstest.Second(kv.Update(ctx, j, kv.Config{Bucket: "x"}))
		}},
		"Delete": {false, func(ctx context.Context, j *js.Client, _ *kv.Bucket) error { return kv.Delete(ctx, j, "x") }},
		"List":   {false, func(ctx context.Context, j *js.Client, _ *kv.Bucket) error { return natstest.FirstErr(kv.List(ctx, j)) }},
		"Names": {false, func(ctx context.Context, j *js.Client, _ *kv.Bucket) error {
			return natstest.FirstErr(kv.Names(ctx, j))
		}},

		"Status": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error { return natstest.Second(b.Status(ctx)) }},
		"History": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			return natstest.Second(b.History(ctx, "k"))
		}},
		"Keys": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error { return natstest.FirstErr(b.Keys(ctx)) }},
		"ListKeys": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			return natstest.Second(b.ListKeys(ctx))
		}},
		"PurgeDeletes": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error { return b.PurgeDeletes(ctx) }},
		"Watch":        {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error { return natstest.Second(b.Watch(ctx, "k")) }},
		"WatchAll":     {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error { return natstest.Second(b.WatchAll(ctx)) }},
		"WatchFiltered": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			return natstest.Second(b.WatchFiltered(ctx, []string{"a", "b"}))
		}},
		"Get": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error { return natstest.Second(b.Get(ctx, "k")) }},
		"GetRevision": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			return natstest.Second(b.GetRevision(ctx, "k", 1))
		}},

		"Put": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			return natstest.Second(b.Put(ctx, "k", []byte("v")))
		}},
		"PutString": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			return natstest.Second(b.PutString(ctx, "k", "v"))
		}},
		"BucketCreate": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			return natstest.Second(b.Create(ctx, "k", []byte("v")))
		}},
		"BucketUpdate": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error {
			return natstest.Second(b.Update(ctx, "k", []byte("v"), 1))
		}},
		"BucketDelete": {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error { return b.Delete(ctx, "k") }},
		"Purge":        {true, func(ctx context.Context, _ *js.Client, b *kv.Bucket) error { return b.Purge(ctx, "k") }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, j := blackhole.Client(t, s.URL(), name)
			var b *kv.Bucket
			if tc.bucket {
				b = createBucket(t, j, name)
				put(t, b, "k", "v")
				put(t, b, "a", "v")
				if err := b.Delete(ctxT(t, 10*time.Second), "b"); err != nil {
					t.Fatal(err)
				}
			}
			consumers := consumerCount(t, j, b)
			base := s.ClientSubs(t, name)
			h.Reset()
			h.SwallowAPI(true)

			natstest.CancelWhileBlocked(t, h.Blocked, func(ctx context.Context) error { return tc.call(ctx, j, b) })
			waitFor(t, 10*time.Second, "the server's subscriptions back to the baseline", func() bool {
				return s.ClientSubs(t, name) == base
			})
			h.SwallowAPI(false)
			if n := consumerCount(t, j, b); n != consumers {
				t.Fatalf("%d consumers on the bucket's stream after the cancel, %d before", n, consumers)
			}
		})
	}
}

// TestCancelWatcher cancels the two Watcher calls that take a ctx: Next with nothing to
// deliver (the watcher stays usable), and Drain, which waits for nothing, with a ctx
// cancelled before (the watcher then stops at once, its subscription and consumer go,
// though it held more entries than C() buffers).
func TestCancelWatcher(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	for _, name := range []string{"Next", "Drain"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, j := blackhole.Client(t, s.URL(), name)
			b := createBucket(t, j, name)
			// More initial values than C() buffers, so that a Drain has some left to hand over.
			const keys = 200
			for i := range keys {
				put(t, b, fmt.Sprintf("k%d", i), "v")
			}
			base := s.ClientSubs(t, name)
			w, err := b.WatchAll(ctxT(t, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			if name == "Next" {
				for range keys + 1 { // the initial values, then their end marker
					if _, err := w.Next(ctxT(t, 10*time.Second)); err != nil {
						t.Fatal(err)
					}
				}
				natstest.CancelWhileBlocked(t, natstest.Settled(100*time.Millisecond), func(ctx context.Context) error { return natstest.Second(w.Next(ctx)) })
				if _, err := b.PutString(ctxT(t, 10*time.Second), "k0", "after"); err != nil {
					t.Fatal(err)
				}
				e, err := w.Next(ctxT(t, 10*time.Second))
				if err != nil || e == nil || string(e.Value) != "after" {
					t.Fatalf("Next after the cancelled one: %v, %v; want the value put after it", e, err)
				}
				return
			}
			// Drain waits for nothing (its receiver may be its caller): the ctx that can
			// stop it is one that ended before.
			natstest.DrainCancelledBefore(t, w.Drain, w.Done())
			waitFor(t, 10*time.Second, "the watcher's subscription gone", func() bool { return s.ClientSubs(t, name) == base })
			// Stop deletes the consumer without waiting for the server's answer.
			waitFor(t, 10*time.Second, "the watcher's consumer deleted", func() bool { return consumerCount(t, j, b) == 0 })
		})
	}
}

func createBucket(t *testing.T, j *js.Client, name string) *kv.Bucket {
	t.Helper()
	b, err := kv.Create(ctxT(t, 10*time.Second), j, kv.Config{Bucket: name, History: 5})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// consumerCount returns the number of consumers on the bucket's stream (0 without a bucket).
func consumerCount(t *testing.T, j *js.Client, b *kv.Bucket) int {
	t.Helper()
	if b == nil {
		return 0
	}
	n := 0
	for _, err := range j.Manager().ConsumerNames(ctxT(t, 10*time.Second), "KV_"+b.Name()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}
