package kv_test

import (
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/kv"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A bucket in the leaf's domain mirrors a bucket of the hub's domain, reached
// through the hub's JetStream API prefix ($JS.hub.API).
func TestMirrorAcrossDomains(t *testing.T) {
	t.Parallel()
	leafPort := freePort(t)
	hub := natstest.Start(t, natstest.Domain("hub"), natstest.Configure(func(o *server.Options) {
		o.LeafNode.Host = "127.0.0.1"
		o.LeafNode.Port = leafPort
	}))
	leaf := natstest.Start(t, natstest.Domain("leaf"), natstest.Configure(func(o *server.Options) {
		u, _ := url.Parse(fmt.Sprintf("nats://127.0.0.1:%d", leafPort))
		o.LeafNode.Remotes = []*server.RemoteLeafOpts{{URLs: []*url.URL{u}}}
	}))
	waitFor(t, 10*time.Second, "leafnode connection", func() bool { return leaf.Server().NumLeafNodes() == 1 })
	ctx := ctxT(t, 30*time.Second)

	hj := js.New(connect(t, hub.URL()))
	origin, err := kv.Create(ctx, hj, kv.Config{Bucket: "origin"})
	if err != nil {
		t.Fatal(err)
	}
	put(t, origin, "a", "from the hub")

	lj := js.New(connect(t, leaf.URL()))
	mirror, err := kv.Create(ctx, lj, kv.Config{Bucket: "local", Mirror: &kv.Source{Name: "origin", Domain: "hub"}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := mirror.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ext := st.StreamInfo.Config.Mirror.External; ext == nil || ext.APIPrefix != "$JS.hub.API" || st.Config.Mirror.Domain != "hub" {
		t.Fatalf("mirror external %+v, config %+v", ext, st.Config.Mirror)
	}
	waitFor(t, 15*time.Second, "the mirror across domains", func() bool {
		g, err := mirror.Get(ctx, "a")
		return err == nil && string(g.Value) == "from the hub"
	})
	// The hub's bucket is also reachable from the leaf through the domain's API.
	hubFromLeaf := js.New(lj.Conn(), js.WithDomain("hub"))
	ob, err := kv.Open(ctx, hubFromLeaf, "origin")
	if err != nil {
		t.Fatal(err)
	}
	if g, err := ob.Get(ctx, "a"); err != nil || string(g.Value) != "from the hub" {
		t.Fatalf("get through the hub's domain: %+v %v", g, err)
	}
	// A watcher through the hub's domain.
	w := watch(t, ob, "")
	if got := next(t, w, 5*time.Second); got == nil || got.Key != "a" {
		t.Fatalf("watch through the domain: %+v", got)
	}
	if next(t, w, 5*time.Second) != nil {
		t.Fatal("marker")
	}
	r := put(t, ob, "b", "written from the leaf")
	if got := next(t, w, 5*time.Second); got == nil || got.Revision != r {
		t.Fatalf("update through the domain: %+v", got)
	}
	waitFor(t, 15*time.Second, "the mirror to get b", func() bool {
		_, err := mirror.Get(ctx, "b")
		return err == nil
	})
	// Writes through the mirror's handle go to the hub's bucket too.
	r, err = mirror.Put(ctx, "c", []byte("via the mirror"))
	if err != nil {
		t.Fatalf("put through the mirror: %v", err)
	}
	if g, err := origin.Get(ctx, "c"); err != nil || g.Revision != r {
		t.Fatalf("hub bucket after a write through the mirror: %+v %v", g, err)
	}
}
