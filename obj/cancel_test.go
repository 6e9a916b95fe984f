package obj_test

// The cancellation sweep of package obj: every exported call that takes a ctx,
// cancelled while its request waits for an answer that never comes, returns
// context.Canceled within 2 s and leaves nothing behind on the server: no
// subscription, no consumer, and — once the server answers again — no message the
// call added (a cancelled put's chunks are purged in the background). Goroutines are
// checked for the whole package by natstest.Main. The Client under test sends its API
// requests through a blackhole proxy, which forwards them during the set-up and
// swallows them once the call starts.
//
//	Create, Open, Update, Delete, List, Names (package functions), Store.Status, Seal,
//	List, Watch, Get, GetBytes, GetString, GetFile, GetRange, Info, Delete,
//	UpdateMeta, AddLink, AddBucketLink (stream info, consumer creation, direct gets
//	of the meta record): covered — the API request is swallowed.
//	Store.Put, PutBytes, PutString, PutFile: covered twice — with the stream there, the
//	    chunks are stored and the meta record's read is swallowed (the chunks must be
//	    gone afterwards); with the stream deleted and a subscriber that never answers
//	    on the bucket's subjects, the chunks' acknowledgements never come.
//	Watcher.Next, Drain: covered in TestCancelWatcher (Drain waits for nothing, so only a
//	    ctx ended before can stop it).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/blackhole"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/obj"
)

// storeState is what a cancellation case needs before its call.
type storeState int

const (
	noStore   storeState = iota // a package function: no store
	withStore                   // the store holds object "a"; API requests are swallowed
	storeGone                   // the store's stream is deleted; its subjects lead to a hole
)

func TestCancelMidFlight(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	type call func(ctx context.Context, j *js.Client, st *obj.Store, dir string) error
	puts := map[string]call{
		"Put": func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.Put(ctx, obj.Meta{Name: "p"}, strings.NewReader("data")))
		},
		"PutBytes": func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.PutBytes(ctx, "p", []byte("data")))
		},
		"PutString": func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.PutString(ctx, "p", "data"))
		},
		"PutFile": func(ctx context.Context, _ *js.Client, st *obj.Store, dir string) error {
			src := filepath.Join(dir, "src")
			if err := os.WriteFile(src, []byte("data"), 0o600); err != nil {
				return err
			}
			return natstest.Second(st.PutFile(ctx, "p", src))
		},
	}
	type tcase struct {
		state storeState
		call  call
	}
	cases := map[string]tcase{
		"Create": {noStore, func(ctx context.Context, j *js.Client, _ *obj.Store, _ string) error {
			return natstest.Second(obj.Create(ctx, j, obj.Config{Bucket: "x"}))
		}},
		"Open": {noStore, func(ctx context.Context, j *js.Client, _ *obj.Store, _ string) error {
			return natstest.Second(obj.Open(ctx, j, "x"))
		}},
		"Update": {noStore, func(ctx context.Context, j *js.Client, _ *obj.Store, _ string) error {
			return natstest.Second(obj.Update(ctx, j, obj.Config{Bucket: "x"}))
		}},
		"Delete": {noStore, func(ctx context.Context, j *js.Client, _ *obj.Store, _ string) error { return obj.Delete(ctx, j, "x") }},
		"List": {noStore, func(ctx context.Context, j *js.Client, _ *obj.Store, _ string) error {
			return natstest.FirstErr(obj.List(ctx, j))
		}},
		"Names": {noStore, func(ctx context.Context, j *js.Client, _ *obj.Store, _ string) error {
			return natstest.FirstErr(obj.Names(ctx, j))
		}},

		"Status": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.Status(ctx))
		}},
		"Seal": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.Seal(ctx))
		}},
		"StoreList": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.FirstErr(st.List(ctx))
		}},
		"Watch": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.Watch(ctx))
		}},
		"Get": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.Get(ctx, "a"))
		}},
		"GetBytes": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.GetBytes(ctx, "a"))
		}},
		"GetString": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.GetString(ctx, "a"))
		}},
		"GetFile": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, dir string) error {
			return st.GetFile(ctx, "a", filepath.Join(dir, "dst"))
		}},
		"GetRange": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.GetRange(ctx, "a", 1, 2))
		}},
		"Info": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.Info(ctx, "a"))
		}},
		"StoreDelete": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error { return st.Delete(ctx, "a") }},
		"UpdateMeta": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.UpdateMeta(ctx, "a", obj.Meta{Name: "b"}))
		}},
		"AddLink": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.AddLink(ctx, "l", &obj.ObjectInfo{Meta: obj.Meta{Name: "a"}, Bucket: "elsewhere"}))
		}},
		"AddBucketLink": {withStore, func(ctx context.Context, _ *js.Client, st *obj.Store, _ string) error {
			return natstest.Second(st.AddBucketLink(ctx, "l", st))
		}},
	}
	for name, f := range puts {
		cases[name] = tcase{withStore, f}
		cases[name+"NoStream"] = tcase{storeGone, f}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, j := blackhole.Client(t, s.URL(), name, js.WithTimeout(2*time.Second))
			var st *obj.Store
			if tc.state != noStore {
				st = createStore(t, j, name)
				// An answered async publish, so that the Client's acknowledgement
				// subscription (kept for its life) counts in the baseline.
				if _, err := st.PutString(ctxT(t, 10*time.Second), "a", "some data"); err != nil {
					t.Fatal(err)
				}
			}
			if tc.state == storeGone {
				if err := j.Manager().DeleteStream(ctxT(t, 10*time.Second), "OBJ_"+name); err != nil {
					t.Fatal(err)
				}
				h.Listen(t, "$O."+name+".>")
			}
			consumers, msgs := storeCounts(t, j, st, tc.state)
			base := s.ClientSubs(t, name)
			dir := t.TempDir()
			h.Reset()
			h.SwallowAPI(true)

			natstest.CancelWhileBlocked(t, h.Blocked, func(ctx context.Context) error { return tc.call(ctx, j, st, dir) })
			waitFor(t, 10*time.Second, "the server's subscriptions back to the baseline", func() bool {
				return s.ClientSubs(t, name) == base
			})
			h.SwallowAPI(false)
			waitFor(t, 15*time.Second, "the stream's consumers and messages as before the call", func() bool {
				c, m := storeCounts(t, j, st, tc.state)
				return c == consumers && m == msgs
			})
		})
	}
}

// TestCancelWatcher cancels the two Watcher calls that take a ctx: Next with nothing to
// deliver (the Watcher stays usable), and Drain, which waits for nothing, with a ctx
// cancelled before (the Watcher then stops at once, its subscription and consumer go,
// though it held more records than C() buffers).
func TestCancelWatcher(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	for _, name := range []string{"Next", "Drain"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, j := blackhole.Client(t, s.URL(), name, js.WithTimeout(2*time.Second))
			st := createStore(t, j, name)
			// More records than C() buffers, so that a Drain has some left to hand over.
			const objects = 100
			for i := range objects {
				if _, err := st.PutString(ctxT(t, 10*time.Second), fmt.Sprint("o", i), "data"); err != nil {
					t.Fatal(err)
				}
			}
			base := s.ClientSubs(t, name)
			w, err := st.Watch(ctxT(t, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			if name == "Drain" {
				// Drain waits for nothing (its receiver may be its caller): the ctx that can
				// stop it is one that ended before.
				waitFor(t, 10*time.Second, "C() full", func() bool { return len(w.C()) == cap(w.C()) })
				natstest.DrainCancelledBefore(t, w.Drain, w.Done())
				waitFor(t, 10*time.Second, "the Watcher's subscription gone", func() bool { return s.ClientSubs(t, name) == base })
				waitFor(t, 10*time.Second, "the Watcher's consumer deleted", func() bool {
					c, _ := storeCounts(t, j, st, withStore)
					return c == 0
				})
				return
			}
			for range objects + 1 { // the records, then the end-of-initial-values marker
				if _, err := w.Next(ctxT(t, 10*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			natstest.CancelWhileBlocked(t, natstest.Settled(100*time.Millisecond), func(ctx context.Context) error { return natstest.Second(w.Next(ctx)) })
			if _, err := st.PutString(ctxT(t, 10*time.Second), "after", "data"); err != nil {
				t.Fatal(err)
			}
			info, err := w.Next(ctxT(t, 10*time.Second))
			if err != nil || info == nil || info.Name != "after" {
				t.Fatalf("Next after the cancelled one: %v, %v; want the record put after it", info, err)
			}
		})
	}
}

func createStore(t *testing.T, j *js.Client, name string) *obj.Store {
	t.Helper()
	st, err := obj.Create(ctxT(t, 10*time.Second), j, obj.Config{Bucket: name})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// storeCounts returns the consumers and messages of the store's stream (0, 0 when
// there is no store or stream).
func storeCounts(t *testing.T, j *js.Client, st *obj.Store, state storeState) (consumers int, msgs uint64) {
	t.Helper()
	if state != withStore {
		return 0, 0
	}
	info, err := j.Manager().StreamInfo(ctxT(t, 10*time.Second), "OBJ_"+st.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Consumers, info.State.Msgs
}
