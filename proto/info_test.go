package proto

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseInfo(t *testing.T) {
	// An INFO as nats-server 2.15 sends it, with fields this package ignores.
	js := []byte(`{"server_id":"NDX","server_name":"n1","version":"2.15.2","proto":1,"git_commit":"abc",` +
		`"go":"go1.26","host":"0.0.0.0","port":4222,"headers":true,"auth_required":true,"tls_required":true,` +
		`"tls_verify":true,"tls_available":true,"max_payload":1048576,"jetstream":true,"client_id":18,` +
		`"client_ip":"127.0.0.1","nonce":"xyz","cluster":"c1","domain":"hub",` +
		`"connect_urls":["10.0.0.1:4222","10.0.0.2:4222"],"ws_connect_urls":["10.0.0.1:8080"],"ldm":true,` +
		`"xkey":"XKEY","api_lvl":1,"connect_info":true,"cluster_dynamic":true}`)
	got, err := ParseInfo(js)
	if err != nil {
		t.Fatal(err)
	}
	want := &Info{
		ServerID: "NDX", ServerName: "n1", Version: "2.15.2", Proto: 1, GitCommit: "abc", GoVersion: "go1.26",
		Host: "0.0.0.0", Port: 4222, Headers: true, AuthRequired: true, TLSRequired: true, TLSVerify: true,
		TLSAvailable: true, MaxPayload: 1048576, JetStream: true, ClientID: 18, ClientIP: "127.0.0.1",
		Nonce: "xyz", Cluster: "c1", Domain: "hub", ConnectURLs: []string{"10.0.0.1:4222", "10.0.0.2:4222"},
		WSConnectURLs: []string{"10.0.0.1:8080"}, LameDuckMode: true, XKey: "XKEY",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "{", `{"port":"x"}`, "[]"} {
		if _, err := ParseInfo([]byte(bad)); !errors.Is(err, ErrProtocol) {
			t.Errorf("ParseInfo(%q) = %v, want ErrProtocol", bad, err)
		}
	}
}
