package compare_test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/svc"
)

// The service of both service tests, written once per client: "calc" 1.2.3 with two
// endpoints in group "math": "echo" answers with the request's data upper-cased and an
// X-Echo header, "fail" answers with the service error 400 "bad input" and data
// "details". Its stats handler reports {"calls": 42}.
const (
	svcName        = "calc"
	svcVersion     = "1.2.3"
	svcDescription = "interop calculator"
)

var (
	svcMetadata  = map[string]string{"team": "interop"}
	echoMetadata = map[string]string{"kind": "echo"}
)

type svcStatsData struct {
	Calls int `json:"calls"`
}

// svcEndpointWant is what both clients must report about one endpoint.
type svcEndpointWant struct {
	name, subject        string
	metadata             map[string]string
	requests, errorCount int
}

var svcEndpoints = []svcEndpointWant{
	{name: "echo", subject: "math.echo", metadata: echoMetadata, requests: 3},
	{name: "fail", subject: "math.fail", requests: 1, errorCount: 1},
}

// A natsactor service is discovered by plain nats.go requests to $SRV.PING/INFO/STATS
// whose answers decode into nats.go's micro types, and its endpoints are called by
// nats.go, service errors included.
func TestSvcNatsactorServiceNatsGoClient(t *testing.T) {
	t.Parallel()
	a, g := clients(t)
	ctx := testCtx(t, 10*time.Second)
	s, err := svc.Add(ctx, a, svc.Config{
		Name: svcName, Version: svcVersion, Description: svcDescription, Metadata: svcMetadata,
		StatsHandler: func(*svc.Endpoint) any { return svcStatsData{Calls: 42} },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	math := s.AddGroup("math")
	if _, err := math.AddEndpoint("echo", svc.HandlerFunc(func(r *svc.Request) {
		_ = r.Respond([]byte(strings.ToUpper(string(r.Data()))), svc.WithHeaders(conn.Header{"X-Echo": {"yes"}}))
	}), svc.WithEndpointMetadata(echoMetadata)); err != nil {
		t.Fatal(err)
	}
	if _, err := math.AddEndpoint("fail", svc.HandlerFunc(func(r *svc.Request) {
		_ = r.Error("400", "bad input", []byte("details"))
	})); err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	for _, word := range []string{"one", "two", "three"} {
		m, err := g.Request("math.echo", []byte(word), 5*time.Second)
		if err != nil || string(m.Data) != strings.ToUpper(word) || m.Header.Get("X-Echo") != "yes" || m.Header.Get(micro.ErrorHeader) != "" {
			t.Fatalf("nats.go calls echo: %v, %v", m, err)
		}
	}
	m, err := g.Request("math.fail", nil, 5*time.Second)
	if err != nil || m.Header.Get(micro.ErrorHeader) != "bad input" || m.Header.Get(micro.ErrorCodeHeader) != "400" || string(m.Data) != "details" {
		t.Fatalf("nats.go calls fail: %v, %v", m, err)
	}

	// Every discovery subject of ADR-32: all services, by name, by name and id.
	for _, verb := range []micro.Verb{micro.PingVerb, micro.InfoVerb, micro.StatsVerb} {
		for _, target := range [][2]string{{"", ""}, {svcName, ""}, {svcName, s.ID()}} {
			subject, err := micro.ControlSubject(verb, target[0], target[1])
			if err != nil {
				t.Fatal(err)
			}
			m, err := g.Request(subject, nil, 5*time.Second)
			if err != nil {
				t.Fatalf("%s: %v", subject, err)
			}
			checkNatsgoDecodes(t, subject, verb, m, s.ID())
		}
	}
}

// checkNatsgoDecodes decodes a natsactor service's answer to a discovery request with
// nats.go's micro types and checks every field.
func checkNatsgoDecodes(t *testing.T, subject string, verb micro.Verb, m *nats.Msg, id string) {
	t.Helper()
	checkIdentity := func(typ, wantType string, si micro.ServiceIdentity) {
		t.Helper()
		if typ != wantType || si.Name != svcName || si.ID != id || si.Version != svcVersion || !maps.Equal(si.Metadata, svcMetadata) {
			t.Errorf("%s: type %q, identity %+v", subject, typ, si)
		}
	}
	switch verb {
	case micro.PingVerb:
		var p micro.Ping
		if err := json.Unmarshal(m.Data, &p); err != nil {
			t.Fatalf("%s: %v: %s", subject, err, m.Data)
		}
		checkIdentity(p.Type, micro.PingResponseType, p.ServiceIdentity)
	case micro.InfoVerb:
		var info micro.Info
		if err := json.Unmarshal(m.Data, &info); err != nil {
			t.Fatalf("%s: %v: %s", subject, err, m.Data)
		}
		checkIdentity(info.Type, micro.InfoResponseType, info.ServiceIdentity)
		if info.Description != svcDescription || len(info.Endpoints) != len(svcEndpoints) {
			t.Fatalf("%s: %+v", subject, info)
		}
		for i, want := range svcEndpoints {
			e := info.Endpoints[i]
			if e.Name != want.name || e.Subject != want.subject || e.QueueGroup != micro.DefaultQueueGroup || !maps.Equal(e.Metadata, want.metadata) {
				t.Errorf("%s: endpoint %d: %+v, want %+v", subject, i, e, want)
			}
		}
	case micro.StatsVerb:
		var st micro.Stats
		if err := json.Unmarshal(m.Data, &st); err != nil {
			t.Fatalf("%s: %v: %s", subject, err, m.Data)
		}
		checkIdentity(st.Type, micro.StatsResponseType, st.ServiceIdentity)
		if age := time.Since(st.Started); age < 0 || age > time.Minute || len(st.Endpoints) != len(svcEndpoints) {
			t.Fatalf("%s: started %v, %d endpoints", subject, st.Started, len(st.Endpoints))
		}
		for i, want := range svcEndpoints {
			checkEndpointStats(t, subject, endpointStats{
				st.Endpoints[i].Name, st.Endpoints[i].Subject, st.Endpoints[i].QueueGroup, st.Endpoints[i].NumRequests,
				st.Endpoints[i].NumErrors, st.Endpoints[i].LastError, st.Endpoints[i].ProcessingTime,
				st.Endpoints[i].AverageProcessingTime, st.Endpoints[i].Data,
			}, want)
		}
	}
}

// endpointStats are the fields of one endpoint's STATS both clients decode.
type endpointStats struct {
	name, subject, queueGroup string
	requests, errorCount      int
	lastError                 string
	processing, average       time.Duration
	data                      json.RawMessage
}

func checkEndpointStats(t *testing.T, where string, got endpointStats, want svcEndpointWant) {
	t.Helper()
	var data svcStatsData
	if err := json.Unmarshal(got.data, &data); err != nil || data.Calls != 42 {
		t.Errorf("%s: endpoint %s: stats data %s, %v", where, want.name, got.data, err)
	}
	if got.name != want.name || got.subject != want.subject || got.queueGroup != micro.DefaultQueueGroup ||
		got.requests != want.requests || got.errorCount != want.errorCount {
		t.Errorf("%s: endpoint stats %+v, want %+v", where, got, want)
	}
	// ADR-32 leaves last_error's format to the client; both say what the error was.
	if hasErr := strings.Contains(got.lastError, "bad input"); hasErr != (want.errorCount > 0) {
		t.Errorf("%s: endpoint %s: last error %q", where, want.name, got.lastError)
	}
	if got.processing < 0 || got.average < 0 || got.average > got.processing {
		t.Errorf("%s: endpoint %s: processing time %v, average %v", where, want.name, got.processing, got.average)
	}
}

// A nats.go micro service is discovered with natsactor's svc.Ping, Info and Stats,
// which decode every field, and its endpoints are called by natsactor, service errors
// read back with svc.ResponseError.
func TestSvcNatsGoServiceNatsactorClient(t *testing.T) {
	t.Parallel()
	a, g := clients(t)
	ctx := testCtx(t, 10*time.Second)
	s, err := micro.AddService(g, micro.Config{
		Name: svcName, Version: svcVersion, Description: svcDescription, Metadata: svcMetadata,
		StatsHandler: func(*micro.Endpoint) any { return svcStatsData{Calls: 42} },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Stop() }()
	math := s.AddGroup("math")
	if err := math.AddEndpoint("echo", micro.HandlerFunc(func(r micro.Request) {
		_ = r.Respond([]byte(strings.ToUpper(string(r.Data()))), micro.WithHeaders(micro.Headers{"X-Echo": {"yes"}}))
	}), micro.WithEndpointMetadata(echoMetadata)); err != nil {
		t.Fatal(err)
	}
	if err := math.AddEndpoint("fail", micro.HandlerFunc(func(r micro.Request) {
		_ = r.Error("400", "bad input", []byte("details"))
	})); err != nil {
		t.Fatal(err)
	}
	if err := g.Flush(); err != nil {
		t.Fatal(err)
	}
	id := s.Info().ID

	for _, word := range []string{"one", "two", "three"} {
		m, err := a.Request(ctx, "math.echo", []byte(word))
		if err != nil || string(m.Data) != strings.ToUpper(word) || m.Header.Get("X-Echo") != "yes" || svc.ResponseError(m) != nil {
			t.Fatalf("natsactor calls echo: %v, %v", m, err)
		}
	}
	m, err := a.Request(ctx, "math.fail", nil)
	if err != nil {
		t.Fatal(err)
	}
	if se := svc.ResponseError(m); se == nil || se.Code != 400 || se.Description != "bad input" || string(m.Data) != "details" {
		t.Fatalf("natsactor calls fail: %+v, data %q", se, m.Data)
	}

	checkIdentity := func(what string, got svc.Identity, wantType string) {
		t.Helper()
		if got.Type != wantType || got.Name != svcName || got.ID != id || got.Version != svcVersion || !maps.Equal(got.Metadata, svcMetadata) {
			t.Errorf("%s: %+v", what, got)
		}
	}
	for _, name := range []string{"", svcName} {
		for _, opts := range [][]svc.DiscoveryOption{nil, {svc.WithID(id)}} {
			if name == "" && opts != nil {
				continue // an id needs a name
			}
			pings, err := svc.Ping(ctx, a, name, opts...)
			if err != nil || len(pings) != 1 {
				t.Fatalf("svc.Ping(%q): %+v, %v", name, pings, err)
			}
			checkIdentity("ping", pings[0].Identity, svc.TypePingResponse)

			infos, err := svc.Info(ctx, a, name, opts...)
			if err != nil || len(infos) != 1 {
				t.Fatalf("svc.Info(%q): %+v, %v", name, infos, err)
			}
			info := infos[0]
			checkIdentity("info", info.Identity, svc.TypeInfoResponse)
			if info.Description != svcDescription || len(info.Endpoints) != len(svcEndpoints) {
				t.Fatalf("info: %+v", info)
			}
			for i, want := range svcEndpoints {
				e := info.Endpoints[i]
				if e.Name != want.name || e.Subject != want.subject || e.QueueGroup != micro.DefaultQueueGroup || !maps.Equal(e.Metadata, want.metadata) {
					t.Errorf("info endpoint %d: %+v, want %+v", i, e, want)
				}
			}

			stats, err := svc.Stats(ctx, a, name, opts...)
			if err != nil || len(stats) != 1 {
				t.Fatalf("svc.Stats(%q): %+v, %v", name, stats, err)
			}
			st := stats[0]
			checkIdentity("stats", st.Identity, svc.TypeStatsResponse)
			if age := time.Since(st.Started); age < 0 || age > time.Minute || len(st.Endpoints) != len(svcEndpoints) {
				t.Fatalf("stats: started %v, %d endpoints", st.Started, len(st.Endpoints))
			}
			for i, want := range svcEndpoints {
				e := st.Endpoints[i]
				checkEndpointStats(t, "svc.Stats", endpointStats{
					e.Name, e.Subject, e.QueueGroup, e.NumRequests, e.NumErrors, e.LastError,
					e.ProcessingTime, e.AverageProcessingTime, e.Data,
				}, want)
			}
		}
	}
}
