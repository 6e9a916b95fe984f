package js

import (
	"encoding/json"
	"testing"
)

// parsePubAck agrees with encoding/json on every input it accepts, and accepts the
// shapes the server writes.
func TestParsePubAckAgreesWithJSON(t *testing.T) {
	accepted := []string{
		`{"stream":"ORDERS","seq":1}`,
		`{"stream":"ORDERS","seq":9999999999999999999}`,
		`{"stream":"KV_b","domain":"hub","seq":42}`,
		`{"stream":"ORDERS","seq":7,"duplicate": true}`,
		`{"stream":"ORDERS","domain":"hub","seq":7,"duplicate":true}`,
	}
	refused := []string{
		``, `{}`, `{"stream":"","seq":1}`, `{"stream":"A\"B","seq":1}`, `{"stream":"A","seq":}`,
		`{"stream":"A","seq":1,"val":"3"}`, `{"error":{"code":503}}`, `{"stream":"A","seq":1} `,
		`{"stream":"A","seq":18446744073709551615}`, `{"stream":"A","seq":01}`, `{"stream":"\x00","seq":0}`, `{"stream":"é","seq":1}`, `{"stream":"A","seq":1,"batch":"b","count":2}`,
	}
	for _, in := range accepted {
		got, ok := parsePubAck([]byte(in))
		var want PubAck
		if err := json.Unmarshal([]byte(in), &want); err != nil || !ok || got != want {
			t.Errorf("%s: fast %+v %v, json %+v %v", in, got, ok, want, err)
		}
	}
	for _, in := range refused {
		if got, ok := parsePubAck([]byte(in)); ok {
			t.Errorf("%s: accepted as %+v", in, got)
		}
	}
}

func FuzzParsePubAck(f *testing.F) {
	f.Add([]byte(`{"stream":"ORDERS","seq":1}`))
	f.Add([]byte(`{"stream":"ORDERS","domain":"d","seq":7,"duplicate": true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := parsePubAck(b)
		if !ok {
			return
		}
		var want PubAck
		if err := json.Unmarshal(b, &want); err != nil || got != want {
			t.Fatalf("%q: fast %+v, json %+v %v", b, got, want, err)
		}
	})
}

func BenchmarkDecodePubAck(b *testing.B) {
	data := []byte(`{"stream":"BENCH_JS_PUBASYNC_R1","seq":123456}`)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, ok := parsePubAck(data); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			var r pubAckResponse
			if err := json.Unmarshal(data, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
