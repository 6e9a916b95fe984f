package obj

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("golden: %v", err)
	}
	return b.String()
}

// TestStreamConfigGolden checks the stream configuration of ADR-20, key for key.
func TestStreamConfigGolden(t *testing.T) {
	cfg := Config{
		Bucket:      "MY-STORE",
		Description: "description",
		Metadata:    map[string]string{"owner": "infra"},
		Placement:   &jsm.Placement{Cluster: "clstr", Tags: []string{"tag1", "tag2"}},
		Compression: true,
		TTL:         time.Hour,
		Replicas:    3,
		Storage:     jsm.MemoryStorage,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cfg.streamConfig()); err != nil {
		t.Fatal(err)
	}
	got := bytes.TrimSpace(buf.Bytes())
	want := compactJSON(t, `{
		"name": "OBJ_MY-STORE",
		"description": "description",
		"subjects": ["$O.MY-STORE.C.>", "$O.MY-STORE.M.>"],
		"retention": "limits",
		"max_consumers": 0,
		"max_msgs": 0,
		"max_bytes": -1,
		"max_age": 3600000000000,
		"max_msgs_per_subject": 0,
		"discard": "new",
		"storage": "memory",
		"num_replicas": 3,
		"placement": {"cluster": "clstr", "tags": ["tag1", "tag2"]},
		"compression": "s2",
		"allow_direct": true,
		"mirror_direct": false,
		"sealed": false,
		"deny_delete": false,
		"deny_purge": false,
		"allow_rollup_hdrs": true,
		"consumer_limits": {},
		"allow_msg_ttl": false,
		"metadata": {"owner": "infra"}
	}`)
	if string(got) != want {
		t.Errorf("stream config\n got %s\nwant %s", got, want)
	}

	// Defaults: file storage, one replica, no compression, unlimited.
	sc := Config{Bucket: "b", MaxBytes: 1024}.streamConfig()
	if sc.Storage != jsm.FileStorage || sc.Replicas != 1 || sc.Compression != jsm.NoCompression || sc.MaxBytes != 1024 || sc.MaxAge != 0 || sc.Placement != nil {
		t.Errorf("defaults: %+v", sc)
	}
}

// TestObjectInfoGolden checks the JSON of ADR-20's ObjectInfo: the meta fields
// inline, options{link, max_chunk_size}, no mtime in the stored record.
func TestObjectInfoGolden(t *testing.T) {
	info := &ObjectInfo{
		Meta: Meta{
			Name:        "object-name",
			Description: "object-desc",
			Headers:     conn.Header{"key1": {"foo"}, "key2": {"bar", "baz"}},
			Metadata:    map[string]string{"owner": "infra"},
			Link:        &Link{Bucket: "link-to-bucket", Name: "link-to-name"},
			ChunkSize:   8196,
		},
		Bucket:  "object-bucket",
		NUID:    "CkuyLEX4z2hbyjj1aWCfiH",
		Size:    344000,
		Chunks:  42,
		Digest:  "SHA-256=abcdefghijklmnopqrstuvwxyz=",
		Deleted: true,
		ModTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	want := compactJSON(t, `{
		"name": "object-name",
		"description": "object-desc",
		"headers": {"key1": ["foo"], "key2": ["bar", "baz"]},
		"metadata": {"owner": "infra"},
		"options": {"link": {"bucket": "link-to-bucket", "name": "link-to-name"}, "max_chunk_size": 8196},
		"bucket": "object-bucket",
		"nuid": "CkuyLEX4z2hbyjj1aWCfiH",
		"size": 344000,
		"chunks": 42,
		"digest": "SHA-256=abcdefghijklmnopqrstuvwxyz=",
		"deleted": true
	}`)
	if got := string(info.record()); got != want {
		t.Errorf("record\n got %s\nwant %s", got, want)
	}
	// Marshalling the value shows mtime; reading it back gives the same info.
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"mtime":"2024-01-02T03:04:05Z"`)) {
		t.Errorf("marshal without mtime: %s", b)
	}
	var back ObjectInfo
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(back); !bytes.Equal(got, b) {
		t.Errorf("round trip\n got %s\nwant %s", got, b)
	}

	// A plain object: no description, headers, metadata, link, deleted.
	plain := &ObjectInfo{Meta: Meta{Name: "a", ChunkSize: 131072}, Bucket: "b", NUID: "n", Size: 0, Chunks: 0, Digest: "SHA-256=x"}
	want = `{"name":"a","options":{"max_chunk_size":131072},"bucket":"b","nuid":"n","size":0,"chunks":0,"digest":"SHA-256=x"}`
	if got := string(plain.record()); got != want {
		t.Errorf("plain\n got %s\nwant %s", got, want)
	}

	// Meta alone is ADR-20's ObjectMeta.
	mb, _ := json.Marshal(Meta{Name: "m", Link: &Link{Bucket: "other"}})
	if string(mb) != `{"name":"m","options":{"link":{"bucket":"other"}}}` {
		t.Errorf("meta: %s", mb)
	}
	// A record written by another client with a zero mtime and no options reads back.
	got, err := decodeInfo([]byte(`{"name":"x","bucket":"b","nuid":"N","size":3,"mtime":"0001-01-01T00:00:00Z","chunks":1,"digest":"SHA-256=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0="}`), info.ModTime)
	if err != nil || got.Name != "x" || got.Size != 3 || got.ChunkSize != 0 || got.Link != nil || !got.ModTime.Equal(info.ModTime) {
		t.Errorf("decode: %+v, %v", got, err)
	}
}

func TestNamesAndDigest(t *testing.T) {
	if got := metaSubject("b", "a/b c.txt"); got != "$O.b.M.YS9iIGMudHh0" {
		t.Errorf("meta subject %q", got)
	}
	if got := metaSubject("b", "ab?"); got != "$O.b.M.YWI_" { // url alphabet
		t.Errorf("meta subject %q", got)
	}
	if got := metaSubject("b", "a"); got != "$O.b.M.YQ==" { // padded
		t.Errorf("meta subject %q", got)
	}
	if got := chunkSubject("b", "N"); got != "$O.b.C.N" {
		t.Errorf("chunk subject %q", got)
	}
	h := newDigest()
	h.Write([]byte("abc"))
	d := formatDigest(h.Sum(nil))
	if d != "SHA-256=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0=" {
		t.Errorf("digest %q", d)
	}
	for _, s := range []string{d, "sha-256=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0", "SHA-256=ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="} {
		if b, err := parseDigest(s); err != nil || formatDigest(b) != d {
			t.Errorf("parse %q: %v", s, err)
		}
	}
	for _, s := range []string{"", "MD5=abc", "SHA-256=!!", "SHA-256=YQ=="} {
		if _, err := parseDigest(s); err == nil {
			t.Errorf("parse %q: no error", s)
		}
	}
	seen := map[string]bool{}
	for range 1000 {
		n := newNUID()
		if len(n) != 22 || seen[n] {
			t.Fatalf("nuid %q", n)
		}
		for _, c := range n {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				t.Fatalf("nuid %q", n)
			}
		}
		seen[n] = true
	}
	for _, b := range []string{"", "a.b", "a b", "a*", "ä"} {
		if validBucket(b) == nil {
			t.Errorf("bucket %q accepted", b)
		}
	}
	if validBucket("Az09-_") != nil {
		t.Error("valid bucket refused")
	}
}
