package conn

import (
	"slices"
	"testing"
)

func poolHosts(p *serverPool) []string {
	var out []string
	for _, s := range p.servers {
		out = append(out, s.url.Host)
	}
	slices.Sort(out)
	return out
}

func TestPoolDiscoveryAndPruning(t *testing.T) {
	p, err := newServerPool("nats://seed.example:4222, nats://user:pw@other.example", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := poolHosts(p); !slices.Equal(got, []string{"other.example:4222", "seed.example:4222"}) {
		t.Fatalf("explicit pool %v", got)
	}
	added := p.addDiscovered([]string{"10.0.0.1:4222", "10.0.0.2:4222", "seed.example:4222"}, "tls", "seed.example")
	if len(added) != 2 {
		t.Fatalf("added %v", added)
	}
	for _, s := range p.servers {
		if s.url.Hostname() == "10.0.0.1" && (s.tlsName != "seed.example" || s.url.Scheme != "tls") {
			t.Fatalf("bare-IP discovered server keeps TLS name %q, scheme %q", s.tlsName, s.url.Scheme)
		}
	}
	// Announcing again adds nothing.
	if again := p.addDiscovered([]string{"10.0.0.1:4222"}, "tls", "seed.example"); len(again) != 0 {
		t.Fatalf("re-added %v", again)
	}
	cur := p.servers[len(p.servers)-1] // a discovered one is in use
	// 10.0.0.1 leaves the cluster: it goes, the one in use and explicit ones stay.
	p.pruneDiscovered([]string{cur.url.Host}, cur)
	want := []string{"other.example:4222", "seed.example:4222", cur.url.Host}
	slices.Sort(want)
	if got := poolHosts(p); !slices.Equal(got, want) {
		t.Fatalf("after pruning %v, want %v", got, want)
	}
	p.pruneDiscovered(nil, nil)
	if got := poolHosts(p); !slices.Equal(got, []string{"other.example:4222", "seed.example:4222"}) {
		t.Fatalf("explicit servers pruned: %v", got)
	}
}

func TestPoolOrderPutsCurrentAndLameDuckLast(t *testing.T) {
	p, _ := newServerPool("a:1,b:2,c:3", true)
	a, b := p.servers[0], p.servers[1]
	b.lameDuck = true
	order := p.order(a)
	if order[len(order)-1] != a || order[len(order)-2] != b {
		t.Fatalf("order %v", order)
	}
}

func TestParseServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"localhost":              "nats://localhost:4222",
		"127.0.0.1:5000":         "nats://127.0.0.1:5000",
		"tls://h":                "tls://h:4222",
		"nats://tok@h:1":         "nats://tok@h:1",
		"nats://[::1]:4222":      "nats://[::1]:4222",
		"nats://u:p@example:123": "nats://u:p@example:123",
	} {
		u, err := parseServerURL(in)
		if err != nil || u.String() != want {
			t.Errorf("%q: %v %v, want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"http://h", "nats://", "ftp://x:1"} {
		if _, err := parseServerURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
