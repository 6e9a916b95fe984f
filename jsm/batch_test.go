package jsm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

func seqs(t *testing.T, it func(func(*jsm.RawStreamMsg, error) bool)) []uint64 {
	t.Helper()
	var out []uint64
	for _, msg := range collect(t, it) {
		out = append(out, msg.Sequence)
	}
	return out
}

func span(from, to, step uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s += step {
		out = append(out, s)
	}
	return out
}

func TestGetBatch(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s.>"}, AllowDirect: true})
	// 2500 messages, more than two requests' worth; s.0 at odd and s.1 at even sequences.
	const n = 2500
	c := m.Conn()
	for i := range n {
		if err := c.Publish(fmt.Sprintf("s.%d", i%2), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	for {
		if si, err := m.StreamInfo(ctx, "S"); err != nil || si.State.Msgs == n {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("messages not stored")
		}
		time.Sleep(5 * time.Millisecond)
	}
	msg := conn.NewMsg("s.h")
	msg.Header.Set("K", "v")
	msg.Data = []byte("with header")
	publish(t, m, msg) // 2501

	all := collect(t, m.GetBatch(ctx, "S", jsm.BatchRequest{}))
	if len(all) != n+1 {
		t.Fatalf("all: %d messages", len(all))
	}
	for i, msg := range all {
		if msg.Sequence != uint64(i+1) || msg.Time.IsZero() {
			t.Fatalf("message %d: %+v", i, msg)
		}
		if i < n && (string(msg.Data) != fmt.Sprint(i) || msg.Subject != fmt.Sprintf("s.%d", i%2) || msg.Header != nil) {
			t.Fatalf("message %d: %+v", i, msg)
		}
	}
	if last := all[n]; last.Header.Get("K") != "v" || len(last.Header) != 1 || string(last.Data) != "with header" {
		t.Errorf("message with a header: %+v", last)
	}
	cases := []struct {
		name string
		req  jsm.BatchRequest
		want []uint64
	}{
		{"subject", jsm.BatchRequest{Subject: "s.1"}, span(2, n, 2)},
		{"from seq", jsm.BatchRequest{Subject: "s.0", Seq: 2001}, span(2001, n, 2)},
		{"max", jsm.BatchRequest{Seq: 10, Max: 5}, span(10, 14, 1)},
		{"max over pages", jsm.BatchRequest{Subject: "s.0", Max: 1100}, span(1, 2199, 2)},
		{"small max bytes", jsm.BatchRequest{Subject: "s.1", Seq: 2400, MaxBytes: 40}, span(2400, n, 2)},
		{"start time", jsm.BatchRequest{StartTime: all[n-3].Time}, span(n-2, n+1, 1)},
		{"no match", jsm.BatchRequest{Subject: "none"}, nil},
		{"past the end", jsm.BatchRequest{Seq: n + 2}, nil},
	}
	for _, c := range cases {
		if got := seqs(t, m.GetBatch(ctx, "S", c.req)); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %d messages %v, want %d", c.name, len(got), head(got), len(c.want))
		}
	}
	// Stopping early, and a cancelled ctx.
	count := 0
	for range m.GetBatch(ctx, "S", jsm.BatchRequest{}) {
		if count++; count == 3 {
			break
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range m.GetBatch(cctx, "S", jsm.BatchRequest{}) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
	}
}

func head(s []uint64) []uint64 { return s[:min(len(s), 8)] }

func TestGetLastBatch(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "KV", Subjects: []string{"kv.>"}, AllowDirect: true})
	// Five rounds over twenty keys: the last round is sequences 81..100.
	for round := range 5 {
		for k := range 20 {
			pub(t, m, fmt.Sprintf("kv.%02d", k), fmt.Sprintf("r%d", round))
		}
	}
	got := collect(t, m.GetLastBatch(ctx, "KV", jsm.LastBatchRequest{Subjects: []string{"kv.>"}}))
	if len(got) != 20 {
		t.Fatalf("%d messages", len(got))
	}
	for i, msg := range got {
		if msg.Sequence != uint64(81+i) || string(msg.Data) != "r4" || msg.Subject != fmt.Sprintf("kv.%02d", i) {
			t.Errorf("message %d: %+v", i, msg)
		}
	}
	cases := []struct {
		name string
		req  jsm.LastBatchRequest
		want []uint64
	}{
		{"two subjects", jsm.LastBatchRequest{Subjects: []string{"kv.03", "kv.07"}}, []uint64{84, 88}},
		{"up to seq", jsm.LastBatchRequest{Subjects: []string{"kv.>"}, UpToSeq: 50}, span(31, 50, 1)},
		{"max", jsm.LastBatchRequest{Subjects: []string{"kv.>"}, Max: 3}, span(81, 83, 1)},
		// A few bytes per request: many requests over one consistent view.
		{"paged", jsm.LastBatchRequest{Subjects: []string{"kv.>"}, UpToSeq: 70, MaxBytes: 10}, span(51, 70, 1)},
		{"no match", jsm.LastBatchRequest{Subjects: []string{"other"}}, nil},
	}
	for _, c := range cases {
		if got := seqs(t, m.GetLastBatch(ctx, "KV", c.req)); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	// Up to a time: the view as it was before the last round.
	before, err := m.GetMsg(ctx, "KV", 81)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(t, m.GetLastBatch(ctx, "KV", jsm.LastBatchRequest{Subjects: []string{"kv.>"}, UpToTime: before.Time.Add(-time.Nanosecond)})); fmt.Sprint(got) != fmt.Sprint(span(61, 80, 1)) {
		t.Errorf("up to time: %v", got)
	}
	for _, err := range m.GetLastBatch(ctx, "KV", jsm.LastBatchRequest{}) {
		if !errors.Is(err, jsm.ErrInvalidOption) {
			t.Errorf("no subjects: %v", err)
		}
	}
}

func TestGetLastBatchTooMany(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "KV", Subjects: []string{"kv.>"}, AllowDirect: true})
	for k := range 1030 {
		if err := m.Conn().Publish(fmt.Sprintf("kv.%d", k), nil); err != nil {
			t.Fatal(err)
		}
	}
	pub(t, m, "kv.last", "")
	var apiErr *jsm.APIError
	for _, err := range m.GetLastBatch(ctx, "KV", jsm.LastBatchRequest{Subjects: []string{"kv.>"}}) {
		if err != nil && !errors.As(err, &apiErr) {
			t.Errorf("too many subjects: %v", err)
		}
	}
	if apiErr == nil || apiErr.Code != 413 {
		t.Errorf("too many subjects: %v", apiErr)
	}
}

func TestGetBatchErrors(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "NODIRECT", Subjects: []string{"n"}})
	pub(t, m, "n", "x")
	for _, err := range m.GetBatch(ctx, "NODIRECT", jsm.BatchRequest{}) {
		if !errors.Is(err, jsm.ErrNoDirectGet) {
			t.Errorf("stream without direct get: %v", err)
		}
	}
	for _, err := range m.GetLastBatch(ctx, "NOPE", jsm.LastBatchRequest{Subjects: []string{"x"}}) {
		if !errors.Is(err, jsm.ErrStreamNotFound) {
			t.Errorf("missing stream: %v", err)
		}
	}
}
