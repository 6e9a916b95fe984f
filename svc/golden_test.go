package svc_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/svc"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// calc is the service of the golden tests: a default endpoint, a group with its own queue
// group, a nested group with a wildcard subject and no queue group, metadata everywhere.
func calc(t *testing.T, c *conn.Conn) *svc.Service {
	t.Helper()
	srv := addService(t, c, svc.Config{
		Name:        "calc",
		Version:     "1.2.3",
		Description: "Adds and divides",
		Metadata:    map[string]string{"region": "eu-west", "owner": "team-a"},
		Endpoint:    &svc.EndpointConfig{Name: "status", Handler: echo},
		StatsHandler: func(e *svc.Endpoint) any {
			if e.Name() != "add" {
				return nil
			}
			return map[string]any{"endpoint": e.Name(), "cache_hits": 7}
		},
	})
	math := srv.AddGroup("math", svc.WithGroupQueueGroup("math-workers"))
	if _, err := math.AddEndpoint("add", svc.HandlerFunc(add), svc.WithEndpointMetadata(map[string]string{"unit": "integer"})); err != nil {
		t.Fatal(err)
	}
	if _, err := math.AddGroup("v2").AddEndpoint("div", svc.HandlerFunc(div),
		svc.WithEndpointSubject("divide.*"), svc.WithEndpointNoQueueGroup()); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return srv
}

// add answers "a b" with a+b.
func add(r *svc.Request) {
	var a, b int
	if _, err := fmt.Sscan(string(r.Data()), &a, &b); err != nil {
		r.Error("400", "want two integers", nil)
		return
	}
	r.Respond([]byte(strconv.Itoa(a + b)))
}

// div answers "a b" with a/b.
func div(r *svc.Request) {
	var a, b int
	if _, err := fmt.Sscan(string(r.Data()), &a, &b); err != nil {
		r.Error("400", "want two integers", nil)
		return
	}
	if b == 0 {
		r.Error("422", "division by zero", []byte(`{"error":"division by zero"}`))
		return
	}
	r.Respond([]byte(strconv.Itoa(a / b)))
}

// TestGoldenJSON compares the PING, INFO and STATS answers, field by field, with the
// golden files in testdata/, after replacing the volatile fields (id, started, times).
func TestGoldenJSON(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	srv := calc(t, c)
	for _, in := range []string{"1 2", "40 2"} {
		request(t, c, "math.add", []byte(in))
	}
	if m := request(t, c, "math.v2.divide.int", []byte("7 0")); svc.ResponseError(m) == nil {
		t.Fatalf("7/0 answered %q without a service error", m.Data)
	}
	request(t, c, "math.v2.divide.int", []byte("9 3"))

	for _, verb := range []string{svc.VerbPing, svc.VerbInfo, svc.VerbStats} {
		for _, subj := range []string{
			svc.DiscoverySubject("", verb, "calc", srv.ID()),
			svc.DiscoverySubject("", verb, "calc", ""),
			svc.DiscoverySubject("", verb, "", ""),
		} {
			m := request(t, c, subj, nil)
			checkGolden(t, strings.ToLower(verb)+".json", m.Data, srv.ID())
		}
	}
}

// normalize decodes an answer and replaces its volatile fields with fixed values, after
// checking their form.
func normalize(t *testing.T, data []byte, id string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("answer %s: %v", data, err)
	}
	if doc["id"] != id {
		t.Errorf("id %v, want %s", doc["id"], id)
	}
	doc["id"] = "ID"
	if st, ok := doc["started"]; ok {
		s, _ := st.(string)
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !strings.HasSuffix(s, "Z") || time.Since(ts) > time.Minute {
			t.Errorf("started %q: want a recent RFC 3339 UTC time (%v)", s, err)
		}
		doc["started"] = "STARTED"
	}
	if eps, ok := doc["endpoints"].([]any); ok {
		for _, ep := range eps {
			ep := ep.(map[string]any)
			for _, k := range []string{"processing_time", "average_processing_time"} {
				v, ok := ep[k]
				if !ok {
					continue
				}
				n, err := v.(json.Number).Int64()
				if err != nil || n < 0 {
					t.Errorf("%s %v: want nanoseconds", k, v)
				}
				if ep["num_requests"] == json.Number("0") {
					if n != 0 {
						t.Errorf("%s of an idle endpoint: %d", k, n)
					}
				} else if n <= 0 {
					t.Errorf("%s of a busy endpoint: %d", k, n)
				}
				ep[k] = "NANOS"
			}
		}
	}
	return doc
}

func checkGolden(t *testing.T, name string, data []byte, id string) {
	t.Helper()
	got := normalize(t, data, id)
	path := filepath.Join("testdata", name)
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var want map[string]any
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, d := range diff("", want, got) {
		t.Errorf("%s: %s", name, d)
	}
}

// diff lists the differences between two decoded JSON documents, one line per field.
func diff(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", path, got)}
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var out []string
		for _, k := range sorted {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !gok:
				out = append(out, fmt.Sprintf("%s.%s: missing, want %v", path, k, wv))
			case !wok:
				out = append(out, fmt.Sprintf("%s.%s: unexpected %v", path, k, gv))
			default:
				out = append(out, diff(path+"."+k, wv, gv)...)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: got %v (%T), want %v (%T)", path, got, got, want, want)}
		}
		return nil
	}
}
