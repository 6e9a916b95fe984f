package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
)

func TestTour(t *testing.T) {
	s := natstest.Start(t, natstest.JetStream())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := Tour(ctx, &out, s.URL()); err != nil {
		t.Fatalf("tour failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{"received all 1000", "each job once", "ErrNoResponders",
		"duplicate: true", "ack floor 100", "fast batch: 50000 stored", "no gap, no repeat", "ErrWrongRevision", "digest SHA-256=", "discovered over $SRV: PING 1",
		"tour finished"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("tour output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestEmbeddedRun(t *testing.T) {
	if err := run(""); err != nil {
		t.Fatal(err)
	}
}
