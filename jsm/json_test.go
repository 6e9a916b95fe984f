package jsm_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/natsactor/natsactor/jsm"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ (server fixtures included)")

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// TestJSONTagsMatchServer checks, field by field, that the JSON keys and options of the
// configuration and information types are exactly those of nats-server's own types,
// and that no server field is missing. Unexported server fields are skipped.
func TestJSONTagsMatchServer(t *testing.T) {
	t.Parallel()
	pairs := []struct {
		ours, server any
		skip         []string // server tags deliberately absent here
	}{
		{jsm.StreamConfig{}, server.StreamConfig{}, nil},
		{jsm.StreamConsumerLimits{}, server.StreamConsumerLimits{}, nil},
		{jsm.Placement{}, server.Placement{}, nil},
		{jsm.SubjectTransformConfig{}, server.SubjectTransformConfig{}, nil},
		{jsm.RePublish{}, server.RePublish{}, nil},
		{jsm.StreamSource{}, server.StreamSource{}, nil},
		{jsm.ExternalStream{}, server.ExternalStream{}, nil},
		{jsm.StreamConsumerSource{}, server.StreamConsumerSource{}, nil},
		{jsm.StreamInfo{}, server.StreamInfo{}, nil},
		{jsm.StreamState{}, server.StreamState{}, nil},
		{jsm.LostStreamData{}, server.LostStreamData{}, nil},
		{jsm.StreamAlternate{}, server.StreamAlternate{}, nil},
		{jsm.StreamSourceInfo{}, server.StreamSourceInfo{}, nil},
		{jsm.ClusterInfo{}, server.ClusterInfo{}, nil},
		{jsm.PeerInfo{}, server.PeerInfo{}, nil},
		{jsm.DesiredClusterInfo{}, server.DesiredClusterInfo{}, nil},
		{jsm.DesiredPeerInfo{}, server.DesiredPeerInfo{}, nil},
		{jsm.DesiredClusterInfoOrigin{}, server.DesiredClusterInfoOrigin{}, nil},
		{jsm.DesiredClusterInfoStatus{}, server.DesiredClusterInfoStatus{}, nil},
		{jsm.ConsumerConfig{}, server.ConsumerConfig{}, nil},
		{jsm.ConsumerInfo{}, server.ConsumerInfo{}, nil},
		{jsm.SequenceInfo{}, server.SequenceInfo{}, nil},
		{jsm.PriorityGroupState{}, server.PriorityGroupState{}, nil},
		{jsm.AccountInfo{}, server.JetStreamAccountStats{}, nil},
		{jsm.AccountTier{}, server.JetStreamTier{}, nil},
		{jsm.AccountLimits{}, server.JetStreamAccountLimits{}, nil},
		{jsm.APIStats{}, server.JetStreamAPIStats{}, nil},
		{jsm.APIError{}, server.ApiError{}, nil},
		{jsm.PauseResponse{}, server.JSApiConsumerPauseResponse{}, []string{"type", "error"}},
	}
	for _, p := range pairs {
		ours, theirs := jsonTags(reflect.TypeOf(p.ours)), jsonTags(reflect.TypeOf(p.server))
		for _, s := range p.skip {
			delete(theirs, s)
		}
		if d := cmp.Diff(theirs, ours); d != "" {
			t.Errorf("%T vs server %T: JSON tags differ (-server +ours):\n%s", p.ours, p.server, d)
		}
	}
}

// jsonTags maps each JSON key of t (embedded structs flattened) to its full tag.
func jsonTags(t reflect.Type) map[string]string {
	out := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range jsonTags(ft) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name := strings.Split(tag, ",")[0]
		if name == "" {
			name = f.Name
		}
		out[name] = tag
	}
	return out
}

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	return want
}

func fullStreamConfig() jsm.StreamConfig {
	start := time.Date(2025, 3, 4, 5, 6, 7, 890, time.UTC)
	return jsm.StreamConfig{
		Name: "ORDERS", Description: "all orders", Subjects: []string{"orders.>", "returns.*"},
		Retention: jsm.WorkQueuePolicy, MaxConsumers: 10, MaxMsgs: 1000, MaxBytes: 1 << 30,
		MaxAge: 24 * time.Hour, MaxMsgsPerSubject: 5, MaxMsgSize: 1 << 20, Discard: jsm.DiscardNew,
		Storage: jsm.MemoryStorage, Replicas: 3, NoAck: true, Duplicates: 2 * time.Minute,
		Placement: &jsm.Placement{Cluster: "east", Tags: []string{"ssd"}, Preferred: "n1"},
		Mirror: &jsm.StreamSource{
			Name: "UP", OptStartSeq: 7, FilterSubject: "up.>",
			External: &jsm.ExternalStream{APIPrefix: "$JS.hub.API", DeliverPrefix: "deliver.hub"},
			Consumer: &jsm.StreamConsumerSource{Name: "mirror", DeliverSubject: "mirror.in"},
		},
		Sources: []*jsm.StreamSource{{
			Name: "SRC", OptStartTime: &start,
			SubjectTransforms: []jsm.SubjectTransformConfig{{Source: "a.*", Destination: "b.{{wildcard(1)}}"}},
		}},
		Compression: jsm.S2Compression, FirstSeq: 42,
		SubjectTransform: &jsm.SubjectTransformConfig{Source: "in.>", Destination: "orders.>"},
		RePublish:        &jsm.RePublish{Source: "orders.>", Destination: "copy.>", HeadersOnly: true},
		AllowDirect:      true, MirrorDirect: true, DiscardNewPerSubject: true,
		Sealed: true, DenyDelete: true, DenyPurge: true, AllowRollup: true,
		ConsumerLimits: jsm.StreamConsumerLimits{InactiveThreshold: time.Hour, MaxAckPending: 100},
		AllowMsgTTL:    true, SubjectDeleteMarkerTTL: 10 * time.Minute,
		AllowMsgCounter: true, AllowAtomicPublish: true, AllowMsgSchedules: true,
		PersistMode: jsm.AsyncPersistMode, AllowBatchPublish: true,
		Metadata: map[string]string{"owner": "shop"},
	}
}

func fullConsumerConfig() jsm.ConsumerConfig {
	start := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	pause := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	return jsm.ConsumerConfig{
		Durable: "proc", Name: "proc", Description: "processor",
		DeliverPolicy: jsm.DeliverByStartTime, OptStartSeq: 3, OptStartTime: &start,
		AckPolicy: jsm.AckAll, AckWait: 30 * time.Second, MaxDeliver: 5,
		BackOff:       []time.Duration{time.Second, 5 * time.Second},
		FilterSubject: "orders.new", FilterSubjects: []string{"orders.a", "orders.b"},
		ReplayPolicy: jsm.ReplayOriginal, RateLimit: 1000, SampleFrequency: "50%",
		MaxWaiting: 64, MaxAckPending: 1000, FlowControl: true, HeadersOnly: true,
		MaxRequestBatch: 100, MaxRequestExpires: time.Minute, MaxRequestMaxBytes: 1 << 20,
		DeliverSubject: "push.proc", DeliverGroup: "workers", Heartbeat: 5 * time.Second,
		InactiveThreshold: time.Hour, Replicas: 3, MemoryStorage: true,
		Direct: true, Sourcing: true,
		Metadata:       map[string]string{"team": "a"},
		PauseUntil:     &pause,
		PriorityGroups: []string{"jobs"}, PriorityPolicy: jsm.PriorityPinnedClient, PinnedTTL: 2 * time.Minute,
	}
}

// TestGoldenConfigs marshals full configurations, compares them with the golden files,
// unmarshals the golden files back, and checks nats-server's own types read the same
// JSON into the same document.
func TestGoldenConfigs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file   string
		value  any
		into   func() any
		server any
	}{
		{"stream_config.json", fullStreamConfig(), func() any { return new(jsm.StreamConfig) }, new(server.StreamConfig)},
		{"consumer_config.json", fullConsumerConfig(), func() any { return new(jsm.ConsumerConfig) }, new(server.ConsumerConfig)},
	}
	for _, c := range cases {
		got, err := json.MarshalIndent(c.value, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		want := golden(t, c.file, got)
		if d := cmp.Diff(string(want), string(got)); d != "" {
			t.Errorf("%s (-golden +marshalled):\n%s", c.file, d)
		}
		back := c.into()
		if err := json.Unmarshal(want, back); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if d := cmp.Diff(c.value, reflect.ValueOf(back).Elem().Interface()); d != "" {
			t.Errorf("%s round trip (-want +got):\n%s", c.file, d)
		}
		// nats-server reads the same document and writes it back unchanged.
		if err := json.Unmarshal(want, c.server); err != nil {
			t.Fatalf("%s into the server's type: %v", c.file, err)
		}
		again, err := json.Marshal(c.server)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(jsonDoc(t, want), jsonDoc(t, again)); d != "" {
			t.Errorf("%s through nats-server's type (-ours +server):\n%s", c.file, d)
		}
	}
}

// jsonDoc decodes b into generic JSON values for comparison.
func jsonDoc(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return v
}

// TestEnums checks every enumeration value marshals to the server's string and back,
// the zero AckPolicy is explicit, and unknown strings are errors that say so.
func TestEnums(t *testing.T) {
	t.Parallel()
	type enum interface {
		json.Marshaler
		String() string
	}
	cases := []struct {
		v    enum
		want string
		into any
	}{
		{jsm.LimitsPolicy, "limits", new(jsm.RetentionPolicy)},
		{jsm.InterestPolicy, "interest", new(jsm.RetentionPolicy)},
		{jsm.WorkQueuePolicy, "workqueue", new(jsm.RetentionPolicy)},
		{jsm.DiscardOld, "old", new(jsm.DiscardPolicy)},
		{jsm.DiscardNew, "new", new(jsm.DiscardPolicy)},
		{jsm.FileStorage, "file", new(jsm.StorageType)},
		{jsm.MemoryStorage, "memory", new(jsm.StorageType)},
		{jsm.NoCompression, "none", new(jsm.StoreCompression)},
		{jsm.S2Compression, "s2", new(jsm.StoreCompression)},
		{jsm.DefaultPersistMode, "default", new(jsm.PersistMode)},
		{jsm.AsyncPersistMode, "async", new(jsm.PersistMode)},
		{jsm.DeliverAll, "all", new(jsm.DeliverPolicy)},
		{jsm.DeliverLast, "last", new(jsm.DeliverPolicy)},
		{jsm.DeliverNew, "new", new(jsm.DeliverPolicy)},
		{jsm.DeliverByStartSequence, "by_start_sequence", new(jsm.DeliverPolicy)},
		{jsm.DeliverByStartTime, "by_start_time", new(jsm.DeliverPolicy)},
		{jsm.DeliverLastPerSubject, "last_per_subject", new(jsm.DeliverPolicy)},
		{jsm.AckExplicit, "explicit", new(jsm.AckPolicy)},
		{jsm.AckNone, "none", new(jsm.AckPolicy)},
		{jsm.AckAll, "all", new(jsm.AckPolicy)},
		{jsm.AckFlowControl, "flow_control", new(jsm.AckPolicy)},
		{jsm.ReplayInstant, "instant", new(jsm.ReplayPolicy)},
		{jsm.ReplayOriginal, "original", new(jsm.ReplayPolicy)},
		{jsm.PriorityNone, "none", new(jsm.PriorityPolicy)},
		{jsm.PriorityOverflow, "overflow", new(jsm.PriorityPolicy)},
		{jsm.PriorityPinnedClient, "pinned_client", new(jsm.PriorityPolicy)},
		{jsm.PriorityPrioritized, "prioritized", new(jsm.PriorityPolicy)},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.v)
		if err != nil || string(b) != `"`+c.want+`"` || c.v.String() != c.want {
			t.Errorf("%T %d: marshal %s, %v, String %q; want %q", c.v, c.v, b, err, c.v.String(), c.want)
		}
		if err := json.Unmarshal(b, c.into); err != nil {
			t.Errorf("unmarshal %s into %T: %v", b, c.into, err)
		} else if got := reflect.ValueOf(c.into).Elem().Interface(); got != c.v {
			t.Errorf("unmarshal %s: %v, want %v", b, got, c.v)
		}
		err = json.Unmarshal([]byte(`"bogus"`), c.into)
		if err == nil || !strings.Contains(err.Error(), `unknown`) || !strings.Contains(err.Error(), `"bogus"`) {
			t.Errorf("unmarshal bogus into %T: %v", c.into, err)
		}
	}
	var zero jsm.ConsumerConfig
	if zero.AckPolicy != jsm.AckExplicit {
		t.Error("zero AckPolicy is not AckExplicit")
	}
	if _, err := json.Marshal(jsm.AckPolicy(99)); err == nil {
		t.Error("marshal of an out-of-range AckPolicy succeeded")
	}
	// Spellings the server accepts too.
	var dp jsm.DeliverPolicy = jsm.DeliverNew
	if err := json.Unmarshal([]byte(`"undefined"`), &dp); err != nil || dp != jsm.DeliverAll {
		t.Errorf(`"undefined" deliver policy: %v, %v`, dp, err)
	}
	var disc jsm.DiscardPolicy
	if err := json.Unmarshal([]byte(`"NEW"`), &disc); err != nil || disc != jsm.DiscardNew {
		t.Errorf(`"NEW" discard policy: %v, %v`, disc, err)
	}
	var pm jsm.PersistMode = jsm.AsyncPersistMode
	if err := json.Unmarshal([]byte(`""`), &pm); err != nil || pm != jsm.DefaultPersistMode {
		t.Errorf(`"" persist mode: %v, %v`, pm, err)
	}
	if err := json.Unmarshal([]byte(`3`), &pm); err == nil {
		t.Error("a number unmarshalled as a persist mode")
	}
	// A zero config leaves the zero-valued optional enums out, as the server does.
	b, _ := json.Marshal(jsm.ConsumerConfig{})
	if strings.Contains(string(b), "priority_policy") || !strings.Contains(string(b), `"ack_policy":"explicit"`) {
		t.Errorf("zero consumer config: %s", b)
	}
}
