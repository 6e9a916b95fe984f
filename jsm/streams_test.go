package jsm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/jsm"
)

func TestStreamLifecycle(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	cfg := jsm.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}, Storage: jsm.MemoryStorage, MaxMsgs: 100}
	info, err := m.AddStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Name != "ORDERS" || info.Config.MaxMsgs != 100 || info.Config.Storage != jsm.MemoryStorage || info.Created.IsZero() {
		t.Fatalf("AddStream info: %+v", info)
	}
	// The same configuration again is fine; another one is not.
	if _, err := m.AddStream(ctx, cfg); err != nil {
		t.Fatalf("AddStream again: %v", err)
	}
	other := cfg
	other.MaxMsgs = 5
	_, err = m.AddStream(ctx, other)
	var apiErr *jsm.APIError
	if !errors.Is(err, jsm.ErrStreamNameInUse) || !errors.As(err, &apiErr) || apiErr.ErrCode != 10058 {
		t.Fatalf("AddStream with another config: %v", err)
	}
	// Update, then read it back.
	info, err = m.UpdateStream(ctx, other)
	if err != nil || info.Config.MaxMsgs != 5 {
		t.Fatalf("UpdateStream: %+v, %v", info, err)
	}
	info, err = m.StreamInfo(ctx, "ORDERS")
	if err != nil || info.Config.MaxMsgs != 5 || info.State.Msgs != 0 {
		t.Fatalf("StreamInfo: %+v, %v", info, err)
	}
	if err := m.DeleteStream(ctx, "ORDERS"); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{
		"StreamInfo":   natstest.Second(m.StreamInfo(ctx, "ORDERS")),
		"DeleteStream": m.DeleteStream(ctx, "ORDERS"),
		"UpdateStream": natstest.Second(m.UpdateStream(ctx, other)),
	} {
		if !errors.Is(err, jsm.ErrStreamNotFound) || !errors.As(err, &apiErr) || apiErr.Code != 404 {
			t.Errorf("%s of a deleted stream: %v", what, err)
		}
	}
}

// TestInvalidConfigRejected checks the server's refusal reaches the caller intact.
func TestInvalidConfigRejected(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "A", Subjects: []string{"a.>"}})
	cases := []struct {
		cfg      jsm.StreamConfig
		errCode  uint16
		sentinel error
	}{
		{jsm.StreamConfig{Name: "M", Subjects: []string{"m"}, Mirror: &jsm.StreamSource{Name: "A"}}, 10034, nil},
		{jsm.StreamConfig{Name: "B", Subjects: []string{"a.b"}}, 10065, jsm.ErrStreamSubjectOverlap},
		{jsm.StreamConfig{Name: "R", Replicas: 3}, 10074, nil},
		{jsm.StreamConfig{Name: "T", Subjects: []string{"t"}, MaxAge: time.Minute, Duplicates: time.Hour}, 10052, nil},
	}
	for _, c := range cases {
		_, err := m.AddStream(ctx, c.cfg)
		var apiErr *jsm.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrCode != c.errCode || apiErr.Description == "" || apiErr.Code < 400 {
			t.Errorf("AddStream(%s): %v, want err_code %d", c.cfg.Name, err, c.errCode)
			continue
		}
		if c.sentinel != nil && !errors.Is(err, c.sentinel) {
			t.Errorf("AddStream(%s): %v does not match %v", c.cfg.Name, err, c.sentinel)
		}
		if !errors.Is(err, &jsm.APIError{ErrCode: c.errCode}) {
			t.Errorf("%v does not match an APIError with the same err_code", err)
		}
		t.Logf("%s: %v", c.cfg.Name, err)
	}
}

// TestInvalidNames checks that bad names are refused before anything is sent: the
// connection goes to a server without JetStream, which would make any request fail
// with ErrJetStreamNotEnabled instead.
func TestInvalidNames(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	m := jsm.New(connect(t, s))
	ctx := testCtx(t)
	for _, bad := range []string{"", "a.b", "a*", "a>", "a b", "a\tb", "a/b", `a\b`, string(make([]byte, 256))} {
		calls := map[string]error{
			"AddStream":      natstest.Second(m.AddStream(ctx, jsm.StreamConfig{Name: bad})),
			"UpdateStream":   natstest.Second(m.UpdateStream(ctx, jsm.StreamConfig{Name: bad})),
			"DeleteStream":   m.DeleteStream(ctx, bad),
			"StreamInfo":     natstest.Second(m.StreamInfo(ctx, bad)),
			"AddConsumer":    natstest.Second(m.AddConsumer(ctx, bad, jsm.ConsumerConfig{})),
			"AddConsumer2":   natstest.Second(m.AddConsumer(ctx, "S", jsm.ConsumerConfig{Durable: bad + "x."})),
			"CreateConsumer": natstest.Second(m.CreateConsumer(ctx, "S", jsm.ConsumerConfig{Name: bad + "."})),
			"ConsumerInfo":   natstest.Second(m.ConsumerInfo(ctx, "S", bad)),
			"DeleteConsumer": m.DeleteConsumer(ctx, bad, "C"),
			"PauseConsumer":  natstest.Second(m.PauseConsumer(ctx, "S", bad, time.Now())),
			"UnpinConsumer":  m.UnpinConsumer(ctx, bad, "C", "g"),
			"GetMsg":         natstest.Second(m.GetMsg(ctx, bad, 1)),
			"GetLastMsg":     natstest.Second(m.GetLastMsg(ctx, bad, "x")),
			"DeleteMsg":      m.DeleteMsg(ctx, bad, 1),
			"PurgeStream":    natstest.Second(m.PurgeStream(ctx, bad)),
		}
		for _, it := range []func(yield func(string, error) bool){
			func(yield func(string, error) bool) {
				for _, err := range m.ConsumerNames(ctx, bad) {
					yield("ConsumerNames", err)
				}
			},
			func(yield func(string, error) bool) {
				for _, err := range m.Consumers(ctx, bad) {
					yield("Consumers", err)
				}
			},
			func(yield func(string, error) bool) {
				for _, err := range m.GetBatch(ctx, bad, jsm.BatchRequest{}) {
					yield("GetBatch", err)
				}
			},
		} {
			it(func(name string, err error) bool { calls[name] = err; return false })
		}
		for name, err := range calls {
			if !errors.Is(err, jsm.ErrInvalidName) {
				t.Errorf("%s(%q): %v, want ErrInvalidName", name, bad, err)
			}
		}
	}
	if _, err := m.UpdateConsumer(ctx, "S", jsm.ConsumerConfig{}); !errors.Is(err, jsm.ErrInvalidName) {
		t.Errorf("UpdateConsumer without a name: %v", err)
	}
}

// TestNoJetStream checks that a server without JetStream answers at once with
// ErrJetStreamNotEnabled, not after a timeout.
func TestNoJetStream(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	m := jsm.New(connect(t, s))
	start := time.Now()
	_, err := m.AccountInfo(context.Background())
	if !errors.Is(err, jsm.ErrJetStreamNotEnabled) || !errors.Is(err, conn.ErrNoResponders) {
		t.Fatalf("AccountInfo: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if _, err := m.AddStream(testCtx(t), jsm.StreamConfig{Name: "S"}); !errors.Is(err, jsm.ErrJetStreamNotEnabled) {
		t.Errorf("AddStream: %v", err)
	}
	for _, err := range m.StreamNames(testCtx(t)) {
		if !errors.Is(err, jsm.ErrJetStreamNotEnabled) {
			t.Errorf("StreamNames: %v", err)
		}
	}
}

// TestAccountNotEnabled: the server has JetStream, the account has not; the server's
// 10039 matches ErrJetStreamNotEnabled.
func TestAccountNotEnabled(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream(), natstest.Configure(func(o *server.Options) {
		acc := server.NewAccount("NOJS")
		o.Accounts = []*server.Account{acc}
		o.Users = []*server.User{{Username: "u", Password: "p", Account: acc}}
	}))
	c, err := conn.Connect(testCtx(t), "nats://u:p@"+s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = jsm.New(c).AccountInfo(testCtx(t))
	var apiErr *jsm.APIError
	if !errors.Is(err, jsm.ErrJetStreamNotEnabled) || !errors.As(err, &apiErr) || apiErr.ErrCode != 10039 {
		t.Fatalf("AccountInfo: %v", err)
	}
}

func TestAccountInfo(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	addStream(t, m, jsm.StreamConfig{Name: "S1", Subjects: []string{"s1"}})
	pub(t, m, "s1", "hello")
	info, err := m.AccountInfo(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.Streams != 1 || info.Memory == 0 || info.API.Total == 0 || info.API.Level < 1 || info.Limits.MaxStreams != -1 {
		t.Errorf("AccountInfo: %+v", info)
	}
}

func TestDomain(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.Domain("hub"))
	c := connect(t, s)
	ctx := testCtx(t)
	for _, m := range []*jsm.Manager{jsm.New(c, jsm.WithDomain("hub")), jsm.New(c, jsm.WithAPIPrefix("$JS.hub.API.")), jsm.New(c)} {
		info, err := m.AccountInfo(ctx)
		if err != nil || info.Domain != "hub" {
			t.Fatalf("%s: AccountInfo %+v, %v", m.APIPrefix(), info, err)
		}
	}
	m := jsm.New(c, jsm.WithDomain("hub"))
	if m.APIPrefix() != "$JS.hub.API" {
		t.Errorf("prefix %q", m.APIPrefix())
	}
	addStream(t, m, jsm.StreamConfig{Name: "D", Subjects: []string{"d.>"}, AllowDirect: true})
	if si, err := m.StreamInfo(ctx, "D"); err != nil || si.Domain != "hub" {
		t.Errorf("stream info in the domain: %+v, %v", si, err)
	}
	seq := pub(t, m, "d.1", "x")
	if msg, err := m.GetMsg(ctx, "D", seq); err != nil || string(msg.Data) != "x" {
		t.Errorf("GetMsg through the domain: %v, %v", msg, err)
	}
	if _, err := m.AddConsumer(ctx, "D", jsm.ConsumerConfig{Durable: "c"}); err != nil {
		t.Errorf("AddConsumer through the domain: %v", err)
	}
	names := collect(t, m.StreamNames(ctx))
	if len(names) != 1 || names[0] != "D" {
		t.Errorf("StreamNames: %v", names)
	}
	// Another domain has no JetStream to answer.
	if _, err := jsm.New(c, jsm.WithDomain("spoke")).AccountInfo(ctx); !errors.Is(err, jsm.ErrJetStreamNotEnabled) {
		t.Errorf("unknown domain: %v", err)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	c := connect(t, s)
	for _, o := range []jsm.Option{jsm.WithDomain("a.b"), jsm.WithDomain("a b"), jsm.WithAPIPrefix(""), jsm.WithAPIPrefix("a.*"), jsm.WithTimeout(0)} {
		m := jsm.New(c, o)
		if _, err := m.AccountInfo(testCtx(t)); !errors.Is(err, jsm.ErrInvalidOption) || !errors.Is(m.Err(), jsm.ErrInvalidOption) {
			t.Errorf("bad option: %v", err)
		}
	}
	m := jsm.New(c, jsm.WithTimeout(time.Second))
	if m.Timeout() != time.Second || m.Conn() != c || jsm.New(c).Timeout() != jsm.DefaultTimeout || m.APIPrefix() != jsm.DefaultAPIPrefix {
		t.Errorf("accessors: %v %v %v", m.Timeout(), m.Conn(), m.APIPrefix())
	}
}

// TestDefaultTimeout checks a ctx without deadline is bounded by WithTimeout: the API
// prefix points at a subscriber that never answers.
func TestDefaultTimeout(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	c := connect(t, s)
	sub, err := c.Subscribe("silent.>")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := c.Flush(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	m := jsm.New(c, jsm.WithAPIPrefix("silent"), jsm.WithTimeout(150*time.Millisecond))
	start := time.Now()
	_, err = m.AccountInfo(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AccountInfo: %v", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	// A ctx with its own deadline wins.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := m.AccountInfo(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 140*time.Millisecond {
		t.Errorf("with a ctx deadline: %v after %v", err, time.Since(start))
	}
}

func TestStreamInfoOptions(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s.>"}})
	for i := range 10 {
		pub(t, m, fmt.Sprintf("s.%d", i%3), "x")
	}
	if err := m.DeleteMsg(ctx, "S", 4); err != nil {
		t.Fatal(err)
	}
	info, err := m.StreamInfo(ctx, "S", jsm.StreamInfoDeletedDetails(), jsm.StreamInfoSubjects("s.>"))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.State.Deleted) != 1 || info.State.Deleted[0] != 4 || info.State.NumDeleted != 1 {
		t.Errorf("deleted: %v (%d)", info.State.Deleted, info.State.NumDeleted)
	}
	want := map[string]uint64{"s.0": 3, "s.1": 3, "s.2": 3}
	if fmt.Sprint(info.State.Subjects) != fmt.Sprint(want) {
		t.Errorf("subjects: %v", info.State.Subjects)
	}
	info, _ = m.StreamInfo(ctx, "S", jsm.StreamInfoSubjects("s.1"))
	if len(info.State.Subjects) != 1 || info.State.Subjects["s.1"] != 3 {
		t.Errorf("filtered subjects: %v", info.State.Subjects)
	}
	info, _ = m.StreamInfo(ctx, "S")
	if info.State.Subjects != nil || info.State.Deleted != nil {
		t.Errorf("details without asking: %+v", info.State)
	}
	if _, err := m.StreamInfo(ctx, "S", jsm.StreamInfoSubjects("")); !errors.Is(err, jsm.ErrInvalidOption) {
		t.Errorf("empty filter: %v", err)
	}
}

// TestStreamPaging creates more streams than one page of STREAM.LIST (256) holds and
// checks both iterators see each exactly once.
func TestStreamPaging(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	const n = 260
	for i := range n {
		addStream(t, m, jsm.StreamConfig{Name: fmt.Sprintf("S%03d", i), Subjects: []string{fmt.Sprintf("p.%d", i)}})
	}
	seen := map[string]int{}
	for si, err := range m.Streams(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		seen[si.Config.Name]++
	}
	names := collect(t, m.StreamNames(ctx))
	if len(seen) != n || len(names) != n {
		t.Fatalf("Streams saw %d, StreamNames %d, want %d", len(seen), len(names), n)
	}
	for _, name := range names {
		if seen[name] != 1 {
			t.Errorf("%s seen %d times", name, seen[name])
		}
	}
	// A filter, and stopping early.
	if got := collect(t, m.StreamNames(ctx, jsm.ListSubject("p.7"))); len(got) != 1 || got[0] != "S007" {
		t.Errorf("filtered names: %v", got)
	}
	if got := collect(t, m.Streams(ctx, jsm.ListSubject("p.*"))); len(got) != n {
		t.Errorf("wildcard filter: %d", len(got))
	}
	count := 0
	for range m.Streams(ctx) {
		if count++; count == 3 {
			break
		}
	}
	for _, err := range m.StreamNames(ctx, jsm.ListSubject("")) {
		if !errors.Is(err, jsm.ErrInvalidOption) {
			t.Errorf("empty list subject: %v", err)
		}
	}
	// A cancelled ctx ends the iteration with its error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range m.Streams(cctx) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
	}
}

// TestNamesPaging feeds StreamNames and ConsumerNames pages of two names from a
// responder standing in for the API, to check many pages of the names lists.
func TestNamesPaging(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	c := connect(t, s)
	all := []string{"a", "b", "c", "d", "e"}
	sub, err := c.Subscribe("fake.>", conn.WithHandler(func(msg *conn.Msg) {
		var req struct {
			Offset int `json:"offset"`
		}
		_ = jsonUnmarshal(msg.Data, &req)
		page := all[min(req.Offset, len(all)):min(req.Offset+2, len(all))]
		key := "streams"
		if msg.Subject != "fake.STREAM.NAMES" {
			key = "consumers"
		}
		b, _ := jsonMarshal(map[string]any{"total": len(all), "offset": req.Offset, "limit": 2, key: page})
		_ = msg.Respond(b)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := c.Flush(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	m := jsm.New(c, jsm.WithAPIPrefix("fake"))
	if got := collect(t, m.StreamNames(testCtx(t))); fmt.Sprint(got) != fmt.Sprint(all) {
		t.Errorf("StreamNames: %v", got)
	}
	if got := collect(t, m.ConsumerNames(testCtx(t), "S")); fmt.Sprint(got) != fmt.Sprint(all) {
		t.Errorf("ConsumerNames: %v", got)
	}
}

func TestStreamNameBySubject(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "A", Subjects: []string{"a.>"}})
	addStream(t, m, jsm.StreamConfig{Name: "B", Subjects: []string{"b.*"}})
	for subj, want := range map[string]string{"a.x.y": "A", "b.1": "B", "a.>": "A"} {
		if got, err := m.StreamNameBySubject(ctx, subj); err != nil || got != want {
			t.Errorf("%s: %q, %v", subj, got, err)
		}
	}
	if _, err := m.StreamNameBySubject(ctx, "c"); !errors.Is(err, jsm.ErrStreamNotFound) {
		t.Errorf("no stream: %v", err)
	}
	if _, err := m.StreamNameBySubject(ctx, ""); !errors.Is(err, jsm.ErrInvalidOption) {
		t.Errorf("empty subject: %v", err)
	}
}
