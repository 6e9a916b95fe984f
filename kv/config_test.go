package kv_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/kv"
)

// adrExample is the stream configuration ADR-8 gives for the CONFIGURATION bucket,
// with the duplicate window a bucket without TTL gets (two minutes).
const adrExample = `{
  "name": "KV_CONFIGURATION",
  "subjects": ["$KV.CONFIGURATION.>"],
  "retention": "limits",
  "max_consumers": -1,
  "max_msgs_per_subject": 5,
  "max_msgs": -1,
  "max_bytes": -1,
  "max_age": 0,
  "max_msg_size": -1,
  "storage": "file",
  "discard": "new",
  "num_replicas": 1,
  "duplicate_window": 120000000000,
  "rollup_hdrs_unused": null,
  "allow_rollup_hdrs": true,
  "deny_delete": true,
  "deny_purge": false,
  "allow_direct": true,
  "mirror_direct": false,
  "sealed": false,
  "consumer_limits": {},
  "compression": "s2",
  "allow_msg_ttl": true,
  "subject_delete_marker_ttl": 900000000000,
  "placement": {"cluster": "clstr", "tags": ["tag1", "tag2"]},
  "republish": {"src": "repub.>", "dest": "dest.>", "headers_only": true},
  "metadata": {"encoding": "base64"}
}`

func jsonMap(t *testing.T, v any) map[string]any {
	t.Helper()
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStreamConfigGoldenADR8(t *testing.T) {
	t.Parallel()
	sc, err := kv.Config{
		Bucket:         "CONFIGURATION",
		History:        5,
		Compression:    true,
		LimitMarkerTTL: 15 * time.Minute,
		Placement:      &jsm.Placement{Cluster: "clstr", Tags: []string{"tag1", "tag2"}},
		RePublish:      &jsm.RePublish{Source: "repub.>", Destination: "dest.>", HeadersOnly: true},
		Metadata:       map[string]string{"encoding": "base64"},
	}.StreamConfig()
	if err != nil {
		t.Fatal(err)
	}
	want := jsonMap(t, adrExample)
	delete(want, "rollup_hdrs_unused")
	got := jsonMap(t, sc)
	if !reflect.DeepEqual(got, want) {
		gb, _ := json.MarshalIndent(got, "", " ")
		wb, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("stream config differs from ADR-8's\n got: %s\nwant: %s", gb, wb)
	}
}

func TestStreamConfigDefaultsAndDuplicateWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ttl, dup time.Duration
	}{
		{0, 2 * time.Minute},
		{time.Second, time.Second},
		{2 * time.Minute, 2 * time.Minute},
		{90 * time.Second, 90 * time.Second},
		{time.Hour, 2 * time.Minute},
	} {
		sc, err := kv.Config{Bucket: "b", TTL: tc.ttl}.StreamConfig()
		if err != nil {
			t.Fatal(err)
		}
		if sc.Duplicates != tc.dup || sc.MaxAge != tc.ttl {
			t.Errorf("ttl %v: duplicate window %v max age %v, want %v", tc.ttl, sc.Duplicates, sc.MaxAge, tc.dup)
		}
		if sc.MaxMsgsPerSubject != 1 || sc.Replicas != 1 || sc.Discard != jsm.DiscardNew || !sc.AllowRollup ||
			!sc.DenyDelete || !sc.AllowDirect || sc.AllowMsgTTL || sc.SubjectDeleteMarkerTTL != 0 ||
			sc.Compression != jsm.NoCompression || sc.MaxBytes != -1 || sc.MaxMsgSize != -1 {
			t.Errorf("defaults: %+v", sc)
		}
	}
}

func TestStreamConfigMirrorAndSources(t *testing.T) {
	t.Parallel()
	sc, err := kv.Config{Bucket: "M", Mirror: &kv.Source{Name: "ORIGIN", Domain: "hub"}}.StreamConfig()
	if err != nil {
		t.Fatal(err)
	}
	want := &jsm.StreamSource{Name: "KV_ORIGIN", External: &jsm.ExternalStream{APIPrefix: "$JS.hub.API"}}
	if !reflect.DeepEqual(sc.Mirror, want) || !sc.MirrorDirect || len(sc.Subjects) != 0 || len(sc.Sources) != 0 {
		t.Errorf("mirror: %+v %+v", sc.Mirror, sc)
	}
	sc, _ = kv.Config{Bucket: "M", Mirror: &kv.Source{Name: "KV_ORIGIN", FilterSubject: "a.>"}}.StreamConfig()
	if sc.Mirror.Name != "KV_ORIGIN" || sc.Mirror.FilterSubject != "$KV.ORIGIN.a.>" || sc.Mirror.External != nil {
		t.Errorf("filtered mirror: %+v", sc.Mirror)
	}

	custom := []jsm.SubjectTransformConfig{{Source: "events.processed.>", Destination: "$KV.EVENT_CACHE.>"}}
	sc, err = kv.Config{Bucket: "NEW_ORDERS", Sources: []*kv.Source{
		{Name: "ORDERS", FilterSubject: "NEW.>"},
		{Name: "KV_OTHER", Domain: "leaf"},
		{Name: "EVENTS", SubjectTransforms: custom},
	}}.StreamConfig()
	if err != nil {
		t.Fatal(err)
	}
	wantSources := []*jsm.StreamSource{
		{Name: "KV_ORDERS", SubjectTransforms: []jsm.SubjectTransformConfig{{Source: "$KV.ORDERS.NEW.>", Destination: "$KV.NEW_ORDERS.>"}}},
		{Name: "KV_OTHER", External: &jsm.ExternalStream{APIPrefix: "$JS.leaf.API"},
			SubjectTransforms: []jsm.SubjectTransformConfig{{Source: "$KV.OTHER.>", Destination: "$KV.NEW_ORDERS.>"}}},
		{Name: "EVENTS", SubjectTransforms: custom},
	}
	if !reflect.DeepEqual(sc.Sources, wantSources) {
		g, _ := json.Marshal(sc.Sources)
		t.Errorf("sources: %s", g)
	}
	if !reflect.DeepEqual(sc.Subjects, []string{"$KV.NEW_ORDERS.>"}) || sc.Mirror != nil {
		t.Errorf("subjects %v mirror %v", sc.Subjects, sc.Mirror)
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  kv.Config
		want error
	}{
		{kv.Config{}, kv.ErrInvalidBucketName},
		{kv.Config{Bucket: "a.b"}, kv.ErrInvalidBucketName},
		{kv.Config{Bucket: "a b"}, kv.ErrInvalidBucketName},
		{kv.Config{Bucket: "a*"}, kv.ErrInvalidBucketName},
		{kv.Config{Bucket: "ok", History: 65}, kv.ErrInvalidConfig},
		{kv.Config{Bucket: "ok", History: -1}, kv.ErrInvalidConfig},
		{kv.Config{Bucket: "ok", TTL: -time.Second}, kv.ErrInvalidConfig},
		{kv.Config{Bucket: "ok", LimitMarkerTTL: 500 * time.Millisecond}, kv.ErrInvalidConfig},
		{kv.Config{Bucket: "ok", Mirror: &kv.Source{Name: "x"}, Sources: []*kv.Source{{Name: "y"}}}, kv.ErrInvalidConfig},
		{kv.Config{Bucket: "ok", Mirror: &kv.Source{Name: "x"}, LimitMarkerTTL: time.Second}, kv.ErrInvalidConfig},
		{kv.Config{Bucket: "ok", Sources: []*kv.Source{{Name: "x", FilterSubject: "a..b"}}}, kv.ErrInvalidConfig},
	} {
		if _, err := tc.cfg.StreamConfig(); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.cfg, err, tc.want)
		}
	}
	for _, ok := range []kv.Config{{Bucket: "a-B_9"}, {Bucket: "x", History: 64}, {Bucket: "x", LimitMarkerTTL: time.Second}} {
		if _, err := ok.StreamConfig(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}
