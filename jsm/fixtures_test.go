package jsm_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/natsactor/natsactor/jsm"
)

// roundTrip decodes a server answer into v, encodes v again and checks nothing the
// server said was lost or changed: every field the server sends is known to the type.
// The API envelope's keys (type, paging) are not part of the types.
func roundTrip(t *testing.T, name string, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	want := jsonDoc(t, raw).(map[string]any)
	for _, k := range []string{"type", "total", "offset", "limit", "did_create"} {
		delete(want, k)
	}
	if d := cmp.Diff(want, jsonDoc(t, again)); d != "" {
		t.Errorf("%s does not survive a round trip (-server +ours):\n%s", name, d)
	}
}

// TestServerFixtures captures real answers of the server (a stream with sources,
// transforms, republish and limits; a consumer with priority groups; the account),
// checks they round-trip through the types, and compares them in shape with the
// fixtures kept in testdata/ (rewritten with -update), which round-trip as well.
func TestServerFixtures(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "UP", Subjects: []string{"up.>"}})
	pub(t, m, "up.1", "x")
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	addStream(t, m, jsm.StreamConfig{
		Name: "FULL", Description: "fixture", Subjects: []string{"full.>"}, Retention: jsm.LimitsPolicy,
		MaxConsumers: 10, MaxMsgs: 1000, MaxBytes: 1 << 20, MaxAge: time.Hour, MaxMsgsPerSubject: 3, MaxMsgSize: 1024,
		Discard: jsm.DiscardNew, DiscardNewPerSubject: true, Duplicates: time.Minute,
		Sources: []*jsm.StreamSource{{Name: "UP", OptStartTime: &start,
			SubjectTransforms: []jsm.SubjectTransformConfig{{Source: "up.*", Destination: "full.up.{{wildcard(1)}}"}}}},
		SubjectTransform: &jsm.SubjectTransformConfig{Source: "full.in.>", Destination: "full.stored.>"},
		RePublish:        &jsm.RePublish{Source: "full.>", Destination: "copy.>", HeadersOnly: true},
		AllowDirect:      true, AllowRollup: true, DenyDelete: true,
		ConsumerLimits: jsm.StreamConsumerLimits{InactiveThreshold: time.Hour, MaxAckPending: 100},
		AllowMsgTTL:    true, SubjectDeleteMarkerTTL: time.Minute, FirstSeq: 10,
		Metadata: map[string]string{"owner": "tests"},
	})
	pub(t, m, "full.a", "1")
	if _, err := m.AddConsumer(ctx, "FULL", jsm.ConsumerConfig{Durable: "proc", FilterSubjects: []string{"full.a", "full.b"},
		AckWait: time.Minute, BackOff: []time.Duration{time.Second, time.Minute}, MaxDeliver: 5, MaxAckPending: 50,
		PriorityGroups: []string{"jobs"}, PriorityPolicy: jsm.PriorityPinnedClient, PinnedTTL: time.Minute,
		Metadata: map[string]string{"k": "v"}, MaxRequestBatch: 10, MaxRequestExpires: time.Minute}); err != nil {
		t.Fatal(err)
	}
	fixtures := []struct {
		file, subject string
		body          any
		into          func() any
	}{
		{"stream_info.json", "STREAM.INFO.FULL", nil, func() any { return new(jsm.StreamInfo) }},
		{"consumer_info.json", "CONSUMER.INFO.FULL.proc", nil, func() any { return new(jsm.ConsumerInfo) }},
		{"account_info.json", "INFO", nil, func() any { return new(jsm.AccountInfo) }},
	}
	for _, f := range fixtures {
		var raw json.RawMessage
		if err := m.APIRequest(ctx, f.subject, f.body, &raw); err != nil {
			t.Fatalf("%s: %v", f.subject, err)
		}
		roundTrip(t, f.subject, raw, f.into())
		indented, _ := json.MarshalIndent(jsonDoc(t, raw), "", "  ")
		kept := golden(t, f.file, append(indented, '\n'))
		roundTrip(t, f.file, kept, f.into())
		// The live answer has the keys of the kept one (values such as times differ).
		if d := cmp.Diff(keys(jsonDoc(t, kept)), keys(jsonDoc(t, raw))); d != "" {
			t.Errorf("%s: the server's answer changed shape (-kept +live):\n%s", f.file, d)
		}
	}
}

// keys replaces every leaf of a JSON document by nil, keeping its structure.
func keys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = keys(e)
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		return []any{keys(x[0])}
	}
	return nil
}
