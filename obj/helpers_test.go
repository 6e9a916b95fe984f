package obj_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/obj"
)

// env is one test's server, connection and client.
type env struct {
	s *natstest.Server
	c *conn.Conn
	j *js.Client
	m *jsm.Manager
}

func newEnv(t *testing.T, opts ...natstest.Option) *env {
	t.Helper()
	s := natstest.Start(t, append([]natstest.Option{natstest.JetStream()}, opts...)...)
	c := connect(t, s.URL())
	j := js.New(c)
	return &env{s: s, c: c, j: j, m: j.Manager()}
}

func connect(t testing.TB, url string, opts ...conn.Option) *conn.Conn {
	t.Helper()
	opts = append([]conn.Option{conn.WithReconnectWait(50 * time.Millisecond), conn.WithReconnectJitter(10*time.Millisecond, 10*time.Millisecond)}, opts...)
	c, err := conn.Connect(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// store creates the bucket name.
func (e *env) store(t *testing.T, cfg obj.Config) *obj.Store {
	t.Helper()
	s, err := obj.Create(ctxT(t, 10*time.Second), e.j, cfg)
	if err != nil {
		t.Fatalf("create %q: %v", cfg.Bucket, err)
	}
	return s
}

// streamMsgs returns how many messages the bucket's stream holds under subject.
func (e *env) subjectMsgs(t *testing.T, bucket, filter string) uint64 {
	t.Helper()
	info, err := e.m.StreamInfo(ctxT(t, 5*time.Second), "OBJ_"+bucket, jsm.StreamInfoSubjects(filter))
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

// pattern is a deterministic reader of n bytes that never holds them all.
type pattern struct {
	n, off int64
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if rem := p.n - p.off; int64(len(b)) > rem {
		b = b[:rem]
	}
	for i := range b {
		x := p.off + int64(i)
		b[i] = byte(x*7 + x>>8 + x>>16)
	}
	p.off += int64(len(b))
	return len(b), nil
}

func patternBytes(n int) []byte {
	b := make([]byte, n)
	(&pattern{n: int64(n)}).Read(b)
	return b
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "SHA-256=" + base64.URLEncoding.EncodeToString(sum[:])
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func natstestStartPlain(t *testing.T) string { return natstest.Start(t).URL() }

func newClient(c *conn.Conn) *js.Client { return js.New(c) }

var contextCanceled = context.Canceled

func contextWithCancel(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx)
}

func b64(name string) string { return base64.URLEncoding.EncodeToString([]byte(name)) }

func base64URL(b []byte) string { return base64.URLEncoding.EncodeToString(b) }

func jsmSubjects(filter string) jsm.StreamInfoOption { return jsm.StreamInfoSubjects(filter) }
