package js_test

import (
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// counterStream adds the counter stream name on "<name>.>".
func (e *env) counterStream(t *testing.T, name string) {
	t.Helper()
	e.stream(t, jsm.StreamConfig{Name: name, Subjects: []string{name + ".>"}, AllowMsgCounter: true, AllowDirect: true, Storage: jsm.MemoryStorage})
}

func bigInt(t *testing.T, s string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("bad number %q", s)
	}
	return v
}

func TestCounterIncr(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.counterStream(t, "CNT")
	ctx := ctxT(t, 20*time.Second)

	huge := bigInt(t, "123456789012345678901234567890") // beyond int64
	total := new(big.Int)
	for i, d := range []*big.Int{big.NewInt(1), big.NewInt(5), big.NewInt(-3), big.NewInt(0), huge, new(big.Int).Neg(huge), huge, big.NewInt(-10)} {
		got, err := e.j.Incr(ctx, "CNT.hits", d)
		if err != nil {
			t.Fatalf("incr %d (%v): %v", i, d, err)
		}
		total.Add(total, d)
		if got.Cmp(total) != 0 {
			t.Fatalf("incr %d (%v): total %v, want %v", i, d, got, total)
		}
	}
	want := "123456789012345678901234567883"
	if total.String() != want {
		t.Fatalf("test arithmetic: %v", total)
	}
	if v, err := e.j.IncrInt(ctx, "CNT.hits", 7); err != nil || v.String() != "123456789012345678901234567890" {
		t.Fatalf("incr int: %v %v", v, err)
	}
	v, err := e.j.CounterValue(ctx, "CNT", "CNT.hits")
	if err != nil || v.String() != "123456789012345678901234567890" {
		t.Fatalf("counter value: %v %v", v, err)
	}
	c, err := e.j.Counter(ctx, "CNT", "CNT.hits")
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "CNT.hits" || c.Sequence != 9 || c.Incr.Int64() != 7 || c.Sources != nil || c.Value.Cmp(v) != 0 {
		t.Fatalf("counter %+v", c)
	}
	// The stored message is what other clients expect: the body and the header.
	m, err := e.j.Manager().GetMsg(ctx, "CNT", 3)
	if err != nil || string(m.Data) != `{"val":"3"}` || m.Header.Get(js.HeaderIncr) != "-3" {
		t.Fatalf("stored message %q %v %v", m.Data, m.Header, err)
	}
	m, err = e.j.Manager().GetMsg(ctx, "CNT", 1)
	if err != nil || m.Header.Get(js.HeaderIncr) != "+1" {
		t.Fatalf("stored message %v %v", m.Header, err)
	}

	// Counters are per subject.
	if v, err := e.j.IncrInt(ctx, "CNT.other", -2); err != nil || v.Int64() != -2 {
		t.Fatalf("other counter: %v %v", v, err)
	}
	got := map[string]string{}
	for c, err := range e.j.Counters(ctx, "CNT", "CNT.>") {
		if err != nil {
			t.Fatal(err)
		}
		got[c.Subject] = c.Value.String()
	}
	if len(got) != 2 || got["CNT.hits"] != "123456789012345678901234567890" || got["CNT.other"] != "-2" {
		t.Fatalf("counters %v", got)
	}
	if _, err := e.j.Counter(ctx, "CNT", "CNT.never"); !errors.Is(err, jsm.ErrMsgNotFound) {
		t.Fatalf("counter never incremented: %v", err)
	}

	// With the option: PublishAsync, and the PubAck's Value.
	f, err := e.j.PublishAsync("CNT.async", nil, js.Increment(big.NewInt(4)))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ack := <-f.Ok():
		if ack.Value != "4" {
			t.Fatalf("async ack %+v", ack)
		}
	case err := <-f.Err():
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}

	// De-duplicated increments count once; the duplicate reports the current total.
	if v, err := e.j.IncrInt(ctx, "CNT.dd", 10, js.MsgID("once")); err != nil || v.Int64() != 10 {
		t.Fatalf("first: %v %v", v, err)
	}
	if v, err := e.j.IncrInt(ctx, "CNT.dd", 10, js.MsgID("once")); err != nil || v.Int64() != 10 {
		t.Fatalf("duplicate: %v %v", v, err)
	}
}

func TestCounterErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.counterStream(t, "CE")
	e.stream(t, jsm.StreamConfig{Name: "PLAIN", Subjects: []string{"plain.>"}, Storage: jsm.MemoryStorage})
	ctx := ctxT(t, 20*time.Second)

	// A stream without counters refuses, and stores nothing.
	_, err := e.j.IncrInt(ctx, "plain.x", 1)
	var apiErr *jsm.APIError
	if !errors.Is(err, js.ErrCounterNotEnabled) || !errors.As(err, &apiErr) || apiErr.ErrCode != 10168 {
		t.Fatalf("incr on a plain stream: %v", err)
	}
	wantMsgs(t, e.j, "PLAIN", 0)
	// Reading a plain message as a counter.
	if _, err := e.j.Publish(ctx, "plain.x", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.j.CounterValue(ctx, "PLAIN", "plain.x"); !errors.Is(err, js.ErrCounterNotEnabled) {
		t.Fatalf("counter value of a plain message: %v", err)
	}

	// A nil increment is refused before sending.
	if _, err := e.j.Incr(ctx, "CE.x", nil); !errors.Is(err, js.ErrInvalidOption) {
		t.Fatalf("nil increment: %v", err)
	}
	if _, err := e.j.Publish(ctx, "CE.x", nil, js.Increment(nil)); !errors.Is(err, js.ErrInvalidOption) {
		t.Fatalf("nil increment option: %v", err)
	}
	// The stream's refusals: a malformed increment, a payload, an expectation, no
	// increment at all.
	bad := &conn.Msg{Subject: "CE.x", Header: conn.Header{js.HeaderIncr: {"1.5"}}}
	if _, err := e.j.PublishMsg(ctx, bad); !errors.Is(err, js.ErrInvalidCounterIncr) {
		t.Fatalf("malformed increment: %v", err)
	}
	if _, err := e.j.Publish(ctx, "CE.x", []byte("x"), js.Increment(big.NewInt(1))); !errors.Is(err, js.ErrInvalidCounterIncr) {
		t.Fatalf("increment with payload: %v", err)
	}
	if _, err := e.j.IncrInt(ctx, "CE.x", 1, js.ExpectLastSeq(0)); !errors.Is(err, js.ErrInvalidCounterIncr) {
		t.Fatalf("increment with expectation: %v", err)
	}
	if _, err := e.j.Publish(ctx, "CE.x", nil); !errors.Is(err, js.ErrCounterIncrMissing) {
		t.Fatalf("plain publish to a counter stream: %v", err)
	}
	if _, err := e.j.IncrInt(ctx, "CE.*", 1); !errors.Is(err, js.ErrInvalidOption) {
		t.Fatalf("increment of a wildcard subject: %v", err)
	}
	wantMsgs(t, e.j, "CE", 0)
	// No stream.
	if _, err := e.j.IncrInt(ctx, "nowhere", 1); !errors.Is(err, js.ErrNoStreamResponse) {
		t.Fatalf("no stream: %v", err)
	}
}

func TestCounterSources(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.counterStream(t, "EU")
	e.counterStream(t, "US")
	e.stream(t, jsm.StreamConfig{
		Name: "GLOBAL", Subjects: []string{"count.>"}, AllowMsgCounter: true, AllowDirect: true, Storage: jsm.MemoryStorage,
		Sources: []*jsm.StreamSource{
			{Name: "EU", SubjectTransforms: []jsm.SubjectTransformConfig{{Source: "EU.>", Destination: "count.>"}}},
			{Name: "US", SubjectTransforms: []jsm.SubjectTransformConfig{{Source: "US.>", Destination: "count.>"}}},
		},
	})
	ctx := ctxT(t, 30*time.Second)

	for _, inc := range []struct {
		subject string
		delta   int64
	}{{"EU.hits", 3}, {"US.hits", 4}, {"EU.hits", 10}, {"US.hits", -1}, {"EU.views", 2}} {
		if _, err := e.j.IncrInt(ctx, inc.subject, inc.delta); err != nil {
			t.Fatal(err)
		}
	}
	var c *js.Counter
	waitFor(t, 20*time.Second, "the aggregate counter", func() bool {
		var err error
		c, err = e.j.Counter(ctx, "GLOBAL", "count.hits")
		if err != nil && !errors.Is(err, jsm.ErrMsgNotFound) {
			t.Fatal(err)
		}
		return err == nil && c.Value.Int64() == 16 && len(c.Sources) == 2
	})
	if c.Sources["EU"]["EU.hits"].Int64() != 13 || c.Sources["US"]["US.hits"].Int64() != 3 {
		t.Fatalf("sources %v", c.Sources)
	}
	// Local increments add to the aggregate; later sourced values add their change
	// since the source's last value.
	if v, err := e.j.IncrInt(ctx, "count.hits", 100); err != nil || v.Int64() != 116 {
		t.Fatalf("local increment: %v %v", v, err)
	}
	if _, err := e.j.IncrInt(ctx, "EU.hits", 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the next sourced value", func() bool {
		var err error
		c, err = e.j.Counter(ctx, "GLOBAL", "count.hits")
		if err != nil {
			t.Fatal(err)
		}
		return c.Value.Int64() == 117
	})
	if c.Incr.Int64() != 1 || c.Sources["EU"]["EU.hits"].Int64() != 14 || c.Sources["US"]["US.hits"].Int64() != 3 {
		t.Fatalf("after the local increment: incr %v, sources %v", c.Incr, c.Sources)
	}
	waitFor(t, 20*time.Second, "the views counter", func() bool {
		v, err := e.j.CounterValue(ctx, "GLOBAL", "count.views")
		if err != nil && !errors.Is(err, jsm.ErrMsgNotFound) {
			t.Fatal(err)
		}
		return err == nil && v.Int64() == 2
	})
}

func TestParseCounter(t *testing.T) {
	t.Parallel()
	h := conn.Header{js.HeaderIncr: {"-5"}, js.HeaderCounterSources: {`{"A":{"a.x":"10"},"B":{"b.x":"-3"}}`}}
	c, err := js.ParseCounter("x", 7, h, []byte(`{"val":"7"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Value.Int64() != 7 || c.Incr.Int64() != -5 || c.Sources["A"]["a.x"].Int64() != 10 || c.Sources["B"]["b.x"].Int64() != -3 || c.Sequence != 7 {
		t.Fatalf("%+v", c)
	}
	for name, tc := range map[string]struct {
		h    conn.Header
		data string
		want error
	}{
		"not json":       {nil, "hello", js.ErrCounterNotEnabled},
		"no val":         {nil, `{"x":1}`, js.ErrCounterNotEnabled},
		"val not number": {nil, `{"val":"abc"}`, js.ErrCounterBroken},
		"bad incr":       {conn.Header{js.HeaderIncr: {"x"}}, `{"val":"1"}`, js.ErrCounterBroken},
		"bad sources":    {conn.Header{js.HeaderCounterSources: {"{"}}, `{"val":"1"}`, js.ErrCounterBroken},
		"bad source val": {conn.Header{js.HeaderCounterSources: {`{"A":{"a":"q"}}`}}, `{"val":"1"}`, js.ErrCounterBroken},
	} {
		if _, err := js.ParseCounter("x", 1, tc.h, []byte(tc.data)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCounterInBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stream(t, jsm.StreamConfig{Name: "CB", Subjects: []string{"CB.>"}, AllowMsgCounter: true, AllowAtomicPublish: true, Storage: jsm.MemoryStorage})
	ctx := ctxT(t, 20*time.Second)

	// Increments of one batch apply together, in order, also to the same counter.
	b := e.j.NewBatch()
	for _, d := range []int64{2, 3} {
		if err := b.Add(ctx, "CB.a", nil, js.Increment(big.NewInt(d))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Add(ctx, "CB.b", nil, js.Increment(big.NewInt(-1))); err != nil {
		t.Fatal(err)
	}
	if ack, err := b.Commit(ctx, "CB.a", nil, js.Increment(big.NewInt(10))); err != nil || ack.BatchSize != 4 {
		t.Fatalf("commit: %+v %v", ack, err)
	}
	if v, err := e.j.CounterValue(ctx, "CB", "CB.a"); err != nil || v.Int64() != 15 {
		t.Fatalf("CB.a: %v %v", v, err)
	}
	if v, err := e.j.CounterValue(ctx, "CB", "CB.b"); err != nil || v.Int64() != -1 {
		t.Fatalf("CB.b: %v %v", v, err)
	}
	// A message without an increment fails the whole batch.
	b = e.j.NewBatch()
	if err := b.Add(ctx, "CB.a", nil, js.Increment(big.NewInt(100))); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(ctx, "CB.a", nil); !errors.Is(err, js.ErrCounterIncrMissing) {
		t.Fatalf("commit without an increment: %v", err)
	}
	if v, err := e.j.CounterValue(ctx, "CB", "CB.a"); err != nil || v.Int64() != 15 {
		t.Fatalf("CB.a after the failed batch: %v %v", v, err)
	}
}
