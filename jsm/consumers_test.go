package jsm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/natsactor/natsactor/jsm"
)

func TestConsumerLifecycle(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s.>"}})
	pub(t, m, "s.a", "1")
	pub(t, m, "s.b", "2")

	cfg := jsm.ConsumerConfig{Durable: "proc", FilterSubject: "s.a", AckWait: 10 * time.Second, MaxDeliver: 3}
	ci, err := m.AddConsumer(ctx, "S", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Name != "proc" || ci.Stream != "S" || ci.Config.AckPolicy != jsm.AckExplicit || ci.Config.AckWait != 10*time.Second ||
		ci.NumPending != 1 || ci.Config.InactiveThreshold != 0 {
		t.Fatalf("AddConsumer: %+v", ci)
	}
	// Create-only with the same config succeeds, with another fails.
	if _, err := m.CreateConsumer(ctx, "S", cfg); err != nil {
		t.Errorf("CreateConsumer, same config: %v", err)
	}
	changed := cfg
	changed.MaxDeliver = 7
	if _, err := m.CreateConsumer(ctx, "S", changed); !errors.Is(err, jsm.ErrConsumerExists) {
		t.Errorf("CreateConsumer, other config: %v", err)
	}
	// Update and create-or-update change it.
	if ci, err = m.UpdateConsumer(ctx, "S", changed); err != nil || ci.Config.MaxDeliver != 7 {
		t.Errorf("UpdateConsumer: %+v, %v", ci, err)
	}
	changed.MaxDeliver = 9
	if ci, err = m.AddConsumer(ctx, "S", changed); err != nil || ci.Config.MaxDeliver != 9 {
		t.Errorf("AddConsumer as update: %+v, %v", ci, err)
	}
	if ci, err = m.ConsumerInfo(ctx, "S", "proc"); err != nil || ci.Config.MaxDeliver != 9 || ci.Config.FilterSubject != "s.a" {
		t.Errorf("ConsumerInfo: %+v, %v", ci, err)
	}
	if _, err := m.UpdateConsumer(ctx, "S", jsm.ConsumerConfig{Durable: "nope"}); !errors.Is(err, jsm.ErrConsumerNotFound) {
		t.Errorf("UpdateConsumer of a missing one: %v", err)
	}
	// Several filters, and a wildcard filter (not put into the subject).
	if ci, err = m.AddConsumer(ctx, "S", jsm.ConsumerConfig{Name: "multi", FilterSubjects: []string{"s.a", "s.b"}}); err != nil || ci.NumPending != 2 {
		t.Errorf("FilterSubjects: %+v, %v", ci, err)
	}
	if ci, err = m.AddConsumer(ctx, "S", jsm.ConsumerConfig{Durable: "wild", FilterSubject: "s.*"}); err != nil || ci.NumPending != 2 {
		t.Errorf("wildcard filter: %+v, %v", ci, err)
	}
	if err := m.DeleteConsumer(ctx, "S", "proc"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ConsumerInfo(ctx, "S", "proc"); !errors.Is(err, jsm.ErrConsumerNotFound) {
		t.Errorf("ConsumerInfo after delete: %v", err)
	}
	if err := m.DeleteConsumer(ctx, "S", "proc"); !errors.Is(err, jsm.ErrConsumerNotFound) {
		t.Errorf("DeleteConsumer again: %v", err)
	}
	if _, err := m.ConsumerInfo(ctx, "NOPE", "proc"); !errors.Is(err, jsm.ErrStreamNotFound) {
		t.Errorf("ConsumerInfo on a missing stream: %v", err)
	}
	if _, err := m.AddConsumer(ctx, "NOPE", cfg); !errors.Is(err, jsm.ErrStreamNotFound) {
		t.Errorf("AddConsumer on a missing stream: %v", err)
	}
}

func TestEphemeralConsumer(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s"}})
	ci, err := m.AddConsumer(ctx, "S", jsm.ConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if ci.Name == "" || ci.Config.Durable != "" || ci.Config.InactiveThreshold != jsm.DefaultInactiveThreshold {
		t.Errorf("ephemeral: %+v", ci)
	}
	ci, err = m.AddConsumer(ctx, "S", jsm.ConsumerConfig{Name: "eph", InactiveThreshold: time.Hour})
	if err != nil || ci.Name != "eph" || ci.Config.InactiveThreshold != time.Hour {
		t.Errorf("named ephemeral: %+v, %v", ci, err)
	}
}

func TestConsumerConfigRejected(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s.>"}})
	cases := []struct {
		cfg     jsm.ConsumerConfig
		errCode uint16
	}{
		{jsm.ConsumerConfig{Durable: "c", FilterSubject: "s.a", FilterSubjects: []string{"s.b"}}, 10136},
		{jsm.ConsumerConfig{Durable: "c", Name: "d"}, 10017},
		{jsm.ConsumerConfig{Durable: "c", PriorityPolicy: jsm.PriorityPinnedClient}, 10159},
		{jsm.ConsumerConfig{Durable: "c", Heartbeat: time.Second}, 10088},
	}
	for _, c := range cases {
		_, err := m.AddConsumer(ctx, "S", c.cfg)
		var apiErr *jsm.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrCode != c.errCode || apiErr.Description == "" {
			t.Errorf("%+v: %v, want err_code %d", c.cfg, err, c.errCode)
		}
	}
}

func TestPushConsumer(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s"}})
	cfg := jsm.ConsumerConfig{Durable: "push", DeliverSubject: "deliver.here", DeliverGroup: "g", FlowControl: true,
		Heartbeat: time.Second, AckPolicy: jsm.AckAll, DeliverPolicy: jsm.DeliverNew, ReplayPolicy: jsm.ReplayOriginal,
		MemoryStorage: true, Metadata: map[string]string{"k": "v"}, BackOff: []time.Duration{time.Second, 2 * time.Second}, MaxDeliver: 5}
	ci, err := m.AddConsumer(ctx, "S", cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := ci.Config
	if got.DeliverSubject != "deliver.here" || got.DeliverGroup != "g" || !got.FlowControl || got.AckPolicy != jsm.AckAll ||
		got.DeliverPolicy != jsm.DeliverNew || got.ReplayPolicy != jsm.ReplayOriginal || !got.MemoryStorage ||
		got.Metadata["k"] != "v" || len(got.BackOff) != 2 {
		t.Errorf("push consumer config: %+v", got)
	}
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s"}})
	if _, err := m.AddConsumer(ctx, "S", jsm.ConsumerConfig{Durable: "c"}); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour).UTC()
	pr, err := m.PauseConsumer(ctx, "S", "c", until)
	if err != nil || !pr.Paused || !pr.PauseUntil.Equal(until) || pr.PauseRemaining <= 0 {
		t.Fatalf("PauseConsumer: %+v, %v", pr, err)
	}
	ci, err := m.ConsumerInfo(ctx, "S", "c")
	if err != nil || !ci.Paused || ci.Config.PauseUntil == nil {
		t.Errorf("paused info: %+v, %v", ci, err)
	}
	if pr, err = m.ResumeConsumer(ctx, "S", "c"); err != nil || pr.Paused {
		t.Errorf("ResumeConsumer: %+v, %v", pr, err)
	}
	if ci, err = m.ConsumerInfo(ctx, "S", "c"); err != nil || ci.Paused {
		t.Errorf("resumed info: %+v, %v", ci, err)
	}
	if _, err := m.PauseConsumer(ctx, "S", "nope", until); !errors.Is(err, jsm.ErrConsumerNotFound) {
		t.Errorf("pause a missing consumer: %v", err)
	}
	// Created paused.
	ci, err = m.AddConsumer(ctx, "S", jsm.ConsumerConfig{Durable: "p", PauseUntil: &until})
	if err != nil || !ci.Paused {
		t.Errorf("created paused: %+v, %v", ci, err)
	}
}

func TestUnpin(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s"}})
	ci, err := m.AddConsumer(ctx, "S", jsm.ConsumerConfig{Durable: "c", PriorityGroups: []string{"jobs"},
		PriorityPolicy: jsm.PriorityPinnedClient, PinnedTTL: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if ci.Config.PriorityPolicy != jsm.PriorityPinnedClient || ci.Config.PinnedTTL != 10*time.Second || len(ci.PriorityGroups) != 1 {
		t.Errorf("priority consumer: %+v", ci)
	}
	if err := m.UnpinConsumer(ctx, "S", "c", "jobs"); err != nil {
		t.Errorf("UnpinConsumer: %v", err)
	}
	var apiErr *jsm.APIError
	if err := m.UnpinConsumer(ctx, "S", "c", "other"); !errors.As(err, &apiErr) || apiErr.ErrCode != 10160 {
		t.Errorf("unpin an unknown group: %v", err)
	}
	if err := m.UnpinConsumer(ctx, "S", "c", ""); !errors.Is(err, jsm.ErrInvalidOption) {
		t.Errorf("unpin with no group: %v", err)
	}
	if err := m.UnpinConsumer(ctx, "S", "nope", "jobs"); !errors.Is(err, jsm.ErrConsumerNotFound) {
		t.Errorf("unpin a missing consumer: %v", err)
	}
}

// TestConsumerPaging creates more consumers than a page of CONSUMER.LIST (256) holds.
func TestConsumerPaging(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s"}})
	const n = 260
	for i := range n {
		if _, err := m.AddConsumer(ctx, "S", jsm.ConsumerConfig{Durable: fmt.Sprintf("c%03d", i), MemoryStorage: true}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]int{}
	for ci, err := range m.Consumers(ctx, "S") {
		if err != nil {
			t.Fatal(err)
		}
		seen[ci.Name]++
	}
	names := collect(t, m.ConsumerNames(ctx, "S"))
	if len(seen) != n || len(names) != n {
		t.Fatalf("Consumers saw %d, ConsumerNames %d, want %d", len(seen), len(names), n)
	}
	for _, name := range names {
		if seen[name] != 1 || !strings.HasPrefix(name, "c") {
			t.Errorf("%s seen %d times", name, seen[name])
		}
	}
	for _, err := range m.Consumers(ctx, "NOPE") {
		if !errors.Is(err, jsm.ErrStreamNotFound) {
			t.Errorf("Consumers of a missing stream: %v", err)
		}
	}
}
