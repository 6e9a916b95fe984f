package svc_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/svc"
)

// TestDiscoveryLevels runs 3 instances of "calc" and one "other", and checks the three
// subject levels of PING, INFO and STATS.
func TestDiscoveryLevels(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	var calcs []*svc.Service
	for range 3 {
		calcs = append(calcs, addService(t, c, svc.Config{Name: "calc", Version: "1.0.0",
			Endpoint: &svc.EndpointConfig{Name: "add", Handler: echo}}))
	}
	other := addService(t, connect(t, s), svc.Config{Name: "other", Version: "2.1.0-rc.1+build.5"})
	client := connect(t, s)
	ctx := testCtx(t)
	stall := svc.WithStall(200 * time.Millisecond)

	pings, err := svc.Ping(ctx, client, "", stall)
	if err != nil || len(pings) != 4 {
		t.Fatalf("Ping(all) = %d answers, %v; want 4", len(pings), err)
	}
	var ids []string
	for _, p := range pings {
		if p.Type != svc.TypePingResponse {
			t.Errorf("type %q", p.Type)
		}
		ids = append(ids, p.ID)
	}
	for _, srv := range append(slices.Clone(calcs), other) {
		if !slices.Contains(ids, srv.ID()) {
			t.Errorf("instance %s missing from %v", srv.ID(), ids)
		}
	}
	if pings, err := svc.Ping(ctx, client, "calc", stall); err != nil || len(pings) != 3 {
		t.Fatalf("Ping(calc) = %d answers, %v; want 3", len(pings), err)
	}
	one, err := svc.Ping(ctx, client, "calc", svc.WithID(calcs[1].ID()))
	if err != nil || len(one) != 1 || one[0].ID != calcs[1].ID() {
		t.Fatalf("Ping(calc, id) = %+v, %v", one, err)
	}

	infos, err := svc.Info(ctx, client, "calc", stall)
	if err != nil || len(infos) != 3 {
		t.Fatalf("Info(calc) = %d answers, %v; want 3", len(infos), err)
	}
	for _, in := range infos {
		if len(in.Endpoints) != 1 || in.Endpoints[0].Subject != "add" || in.Endpoints[0].QueueGroup != "q" {
			t.Errorf("info endpoints %+v", in.Endpoints)
		}
	}
	stats, err := svc.Stats(ctx, client, "other", stall)
	if err != nil || len(stats) != 1 || stats[0].ID != other.ID() || stats[0].Version != "2.1.0-rc.1+build.5" {
		t.Fatalf("Stats(other) = %+v, %v", stats, err)
	}
	if all, err := svc.Stats(ctx, client, "", stall); err != nil || len(all) != 4 {
		t.Fatalf("Stats(all) = %d answers, %v; want 4", len(all), err)
	}

	// Nobody answers: an empty slice, no error.
	none, err := svc.Ping(ctx, client, "nosuch", stall)
	if err != nil || len(none) != 0 || none == nil {
		t.Fatalf("Ping(nosuch) = %#v, %v", none, err)
	}
	// An id needs a name.
	if _, err := svc.Ping(ctx, client, "", svc.WithID("x")); !errors.Is(err, svc.ErrInvalidOption) {
		t.Fatalf("Ping with id and no name: %v", err)
	}

	// A stopped instance no longer answers.
	if err := calcs[0].Stop(); err != nil {
		t.Fatal(err)
	}
	if pings, err := svc.Ping(ctx, client, "calc", stall); err != nil || len(pings) != 2 {
		t.Fatalf("Ping(calc) after a Stop = %d answers, %v; want 2", len(pings), err)
	}
}

// TestDiscoveryAPIPrefix checks that a service with another API prefix answers there only.
func TestDiscoveryAPIPrefix(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	srv := addService(t, c, svc.Config{Name: "calc", Version: "1.0.0", APIPrefix: "$ACME.SRV"})
	ctx := testCtx(t)
	got, err := svc.Info(ctx, c, "calc", svc.WithAPIPrefix("$ACME.SRV"), svc.WithID(srv.ID()))
	if err != nil || len(got) != 1 {
		t.Fatalf("Info with prefix = %+v, %v", got, err)
	}
	if got, err := svc.Ping(ctx, c, "", svc.WithStall(100*time.Millisecond)); err != nil || len(got) != 0 {
		t.Fatalf("Ping on $SRV = %+v, %v; want none", got, err)
	}
	if got := svc.DiscoverySubject("", svc.VerbStats, "calc", "abc"); got != "$SRV.STATS.calc.abc" {
		t.Fatalf("DiscoverySubject = %q", got)
	}
}
