package natstest

import (
	"net/url"
	"slices"
	"testing"
)

// The proxy passes every frame but the publishes it was told to drop: a subscriber
// through it sees the others, in order, and headers and payloads with CRLF in them
// are relayed whole.
func TestProxyDropsChosenPublishes(t *testing.T) {
	t.Parallel()
	s := Start(t)
	p := StartProxy(t, s)
	u, err := url.Parse(p.URL())
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, u.Host)
	rc.mustConnect(nil)
	p.DropPublishes("lost.", 2)
	rc.send("SUB > 1\r\n" +
		"PUB lost.1 2\r\nl1\r\n" +
		"PUB kept.1 4\r\na\r\nb\r\n" +
		"HPUB lost.2 r 12 14\r\nNATS/1.0\r\n\r\nl2\r\n" +
		"HPUB kept.2 12 14\r\nNATS/1.0\r\n\r\nk2\r\n" +
		"PUB lost.3 2\r\nl3\r\n" + // only two were to be dropped
		"PING\r\n")
	var got []string
	for l := rc.next(); l != "PONG"; l = rc.next() {
		got = append(got, l)
	}
	want := []string{
		"MSG kept.1 1 4", "a", "b",
		"HMSG kept.2 1 12 14", "NATS/1.0", "", "k2",
		"MSG lost.3 1 2", "l3",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the subscriber got\n%q\nwant\n%q", got, want)
	}
	if d := p.Dropped(); !slices.Equal(d, []string{"lost.1", "lost.2"}) {
		t.Fatalf("dropped %v", d)
	}
}
