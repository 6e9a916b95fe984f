package obj_test

// The cancellation sweep of package obj, first slice: the calls below, cancelled while
// their request waits for an answer that never comes, return context.Canceled within
// 2 s and leave no subscription behind on the server (goroutines are checked for the
// whole package by natstest.Main).
//
//	Create, Open, Update, Delete, List, Names (package functions): covered — the
//	    Client's API prefix leads to a subscriber that never answers.
//	Store.Put, PutBytes, PutString (chunk publishes) and Get, GetBytes, GetString,
//	Info, Delete, UpdateMeta (meta record read by direct get): covered — the store's
//	stream is deleted after Create and a subscriber that never answers listens on
//	its subjects and direct-get subject.
//	Store.Seal, Status, List, Watch, Watcher.Next/Drain, AddLink, AddBucketLink,
//	GetFile, PutFile, GetRange: not covered yet — they go through the real API
//	    (stream info, consumer creation) or are the covered calls plus a file; they
//	    need a proxy like js/cancel_test.go's.

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/obj"
)

func TestCancelMidFlight(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	type call func(ctx context.Context, j *js.Client, st *obj.Store) error
	drain := func(seq func(func(string, error) bool)) error {
		for _, err := range seq {
			if err != nil {
				return err
			}
		}
		return errors.New("the iteration ended without an error")
	}
	apiCalls := map[string]call{
		"Create": func(ctx context.Context, j *js.Client, _ *obj.Store) error {
			_, err := obj.Create(ctx, j, obj.Config{Bucket: "x"})
			return err
		},
		"Open": func(ctx context.Context, j *js.Client, _ *obj.Store) error {
			_, err := obj.Open(ctx, j, "x")
			return err
		},
		"Update": func(ctx context.Context, j *js.Client, _ *obj.Store) error {
			_, err := obj.Update(ctx, j, obj.Config{Bucket: "x"})
			return err
		},
		"Delete": func(ctx context.Context, j *js.Client, _ *obj.Store) error { return obj.Delete(ctx, j, "x") },
		"List": func(ctx context.Context, j *js.Client, _ *obj.Store) error {
			for _, err := range obj.List(ctx, j) {
				if err != nil {
					return err
				}
			}
			return errors.New("the iteration ended without an error")
		},
		"Names": func(ctx context.Context, j *js.Client, _ *obj.Store) error { return drain(obj.Names(ctx, j)) },
	}
	storeCalls := map[string]call{
		"Put": func(ctx context.Context, _ *js.Client, st *obj.Store) error {
			_, err := st.Put(ctx, obj.Meta{Name: "a"}, strings.NewReader("data"))
			return err
		},
		"PutBytes": func(ctx context.Context, _ *js.Client, st *obj.Store) error {
			_, err := st.PutBytes(ctx, "a", []byte("data"))
			return err
		},
		"PutString": func(ctx context.Context, _ *js.Client, st *obj.Store) error {
			_, err := st.PutString(ctx, "a", "data")
			return err
		},
		"Get": func(ctx context.Context, _ *js.Client, st *obj.Store) error {
			_, err := st.Get(ctx, "a")
			return err
		},
		"GetBytes": func(ctx context.Context, _ *js.Client, st *obj.Store) error {
			_, err := st.GetBytes(ctx, "a")
			return err
		},
		"GetString": func(ctx context.Context, _ *js.Client, st *obj.Store) error {
			_, err := st.GetString(ctx, "a")
			return err
		},
		"Info": func(ctx context.Context, _ *js.Client, st *obj.Store) error {
			_, err := st.Info(ctx, "a")
			return err
		},
		"StoreDelete": func(ctx context.Context, _ *js.Client, st *obj.Store) error { return st.Delete(ctx, "a") },
		"UpdateMeta": func(ctx context.Context, _ *js.Client, st *obj.Store) error {
			_, err := st.UpdateMeta(ctx, "a", obj.Meta{Name: "b"})
			return err
		},
	}
	run := func(t *testing.T, name string, f call, onStore bool) {
		t.Parallel()
		cname := "cancel-" + name
		c := connect(t, s.URL(), conn.WithName(cname))
		real := js.New(c)
		// A real answer first, so that the shared reply subscription counts in the
		// baseline; and an answered async publish, so that the Client's acknowledgement
		// subscription (kept for its life, as the request one) does too.
		if _, err := real.Manager().AccountInfo(ctxT(t, 10*time.Second)); err != nil {
			t.Fatal(err)
		}
		fut, err := real.PublishAsync("nostream."+name, nil)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-fut.Ok():
			t.Fatal("a publish without a stream was acknowledged")
		case <-fut.Err():
		case <-time.After(10 * time.Second):
			t.Fatal("the async publish was never resolved")
		}
		hole := connect(t, s.URL())
		var arrived atomic.Int64
		swallow := conn.WithHandler(func(*conn.Msg) { arrived.Add(1) })
		j, st := real, (*obj.Store)(nil)
		if onStore {
			if st, err = obj.Create(ctxT(t, 10*time.Second), real, obj.Config{Bucket: name}); err != nil {
				t.Fatal(err)
			}
			if err := real.Manager().DeleteStream(ctxT(t, 10*time.Second), "OBJ_"+name); err != nil {
				t.Fatal(err)
			}
			for _, subj := range []string{"$O." + name + ".>", "$JS.API.DIRECT.GET.OBJ_" + name, "$JS.API.DIRECT.GET.OBJ_" + name + ".>"} {
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

		natstest.CancelWhileBlocked(t, func() bool { return arrived.Load() > 0 }, func(ctx context.Context) error { return f(ctx, j, st) })
		waitFor(t, 10*time.Second, "the server's subscriptions back to the baseline", func() bool {
			return s.ClientSubs(t, cname) == base
		})
	}
	for name, f := range apiCalls {
		t.Run(name, func(t *testing.T) { run(t, name, f, false) })
	}
	for name, f := range storeCalls {
		t.Run(name, func(t *testing.T) { run(t, name, f, true) })
	}
}
