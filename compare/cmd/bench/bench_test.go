package main

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsactor/natsactor/compare/internal/testserver"
)

// Every workload runs for both clients and its floor, if it has one, on a few thousand operations against an embedded
// server, and its line has the fields the README documents. The real measurements need a
// separate server process: go run ./cmd/bench.
func TestWorkloadsSmoke(t *testing.T) {
	for _, w := range workloads() {
		t.Run(w.name, func(t *testing.T) {
			s := testserver.Start(t, w.needsJetStream)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if w.needsJetStream {
				if err := anchorStream(ctx, s.URL()); err != nil {
					t.Fatal(err)
				}
			}
			n := min(w.nShort, 2000)
			if w.size >= 1<<20 {
				n = 2 // the object workloads: 2 MiB
			}
			p := params{URL: s.URL(), Subject: "bench." + w.name, N: n, Size: w.size, Short: true}
			res := map[string][]result{}
			for client, f := range map[string]runFunc{"natsactor": w.natsactor, "natsgo": w.natsgo, "floor": w.floor} {
				if f == nil {
					continue
				}
				r, err := f(ctx, p)
				if err != nil {
					t.Fatalf("%s: %v", client, err)
				}
				if r.value <= 0 || r.ops != p.N || r.dropped != 0 {
					t.Errorf("%s: value %v, ops %d, dropped %d", client, r.value, r.ops, r.dropped)
				}
				res[client] = []result{r}
			}
			line := formatLine(w, res)
			for _, field := range []string{"workload=" + w.name + " ", " natsactor=", " natsgo=", " unit=" + w.unit + " ", " ratio=", " cpu_vs_natsgo="} {
				if !strings.Contains(line, field) {
					t.Errorf("line lacks %q: %s", field, line)
				}
			}
			if w.floor != nil && !strings.Contains(line, " floor_vs_natsgo=") {
				t.Errorf("line lacks the floor: %s", line)
			}
			if strings.Contains(line, "ratio=-") || strings.Contains(line, "natsgo=-") {
				t.Errorf("line has no ratio: %s", line)
			}
		})
	}
}

func TestSelected(t *testing.T) {
	ws, err := selected([]string{"req16", "pub16"})
	if err != nil || len(ws) != 2 || ws[0].name != "req16" || ws[1].name != "pub16" {
		t.Fatalf("selected = %v, %v", ws, err)
	}
	if _, err := selected([]string{"nope"}); err == nil {
		t.Fatal("unknown workload accepted")
	}
}

func TestRatioOrientation(t *testing.T) {
	if got := ratio(200, 100, false); got != "2.000" {
		t.Errorf("throughput ratio %s", got)
	}
	if got := ratio(50, 100, true); got != "2.000" {
		t.Errorf("latency ratio %s", got)
	}
	if got := medianOf([]result{{value: 3}, {value: 1}, {value: 2}}, value); got != 2 {
		t.Errorf("median %v", got)
	}
}

// A run that ignores its ctx is reported as hung, with the goroutines on stderr, once
// the grace after its ctx passed; one that ends with its ctx returns its own error.
func TestRunWatched(t *testing.T) {
	oldT, oldG := runTimeout, runGrace
	runTimeout, runGrace = 50*time.Millisecond, 50*time.Millisecond
	defer func() { runTimeout, runGrace = oldT, oldG }()
	stuck := make(chan struct{})
	defer close(stuck)
	_, err := runWatched(t.Context(), "stuck", func(context.Context, params) (result, error) {
		<-stuck
		return result{}, nil
	}, params{})
	if err == nil || !strings.Contains(err.Error(), "hung") {
		t.Fatalf("a run ignoring its ctx: %v, want it reported as hung", err)
	}
	_, err = runWatched(t.Context(), "polite", func(ctx context.Context, _ params) (result, error) {
		<-ctx.Done()
		return result{}, ctx.Err()
	}, params{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a run ending with its ctx: %v, want its deadline", err)
	}
	r, err := runWatched(t.Context(), "quick", func(context.Context, params) (result, error) {
		return result{ops: 7}, nil
	}, params{})
	if err != nil || r.ops != 7 {
		t.Fatalf("a quick run: %+v, %v", r, err)
	}
}

// The floor consume's watchdog pulls again while nothing arrives, then closes the
// connection so that the blocked read fails.
func TestFloorWatchdog(t *testing.T) {
	oldTick, oldTicks := floorIdleTick, floorIdleTicks
	floorIdleTick, floorIdleTicks = 20*time.Millisecond, 4
	defer func() { floorIdleTick, floorIdleTicks = oldTick, oldTicks }()
	client, server := net.Pipe()
	defer server.Close()
	rc := &rawConn{nc: client, unwatch: func() bool { return true }}
	var progress atomic.Int64
	stop := floorWatchdog(t.Context(), rc, []byte("PULL\r\n"), &progress, 10)
	defer stop()
	r := bufio.NewReader(server)
	for i := range floorIdleTicks - 1 {
		line, err := r.ReadString('\n')
		if err != nil || line != "PULL\r\n" {
			t.Fatalf("idle tick %d: read %q, %v; want a pull", i+1, line, err)
		}
	}
	// Then it gives up: the connection closes under the reader.
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("the watchdog did not close the connection")
	}
}
