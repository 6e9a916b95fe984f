//go:build linux

package main

import (
	"os"
	"testing"
	"time"
)

// statCPU reads utime and stime past a command name holding spaces and parentheses,
// and refuses what is not a stat line.
func TestStatCPU(t *testing.T) {
	line := "4242 (nats server (x)) S 1 4242 4242 0 -1 4194560 2091 0 0 0 137 25 0 0 20 0 9 0 1234 1934252 13810\n"
	if got, want := statCPU([]byte(line)), (137+25)*clockTick; got != want {
		t.Fatalf("statCPU = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "4242 nats-server S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 2091 0 0 0 a 25"} {
		if got := statCPU([]byte(bad)); got != 0 {
			t.Errorf("statCPU(%q) = %v, want 0", bad, got)
		}
	}
	// This process's own line: its CPU time grows as it works.
	before := processCPUOf(os.Getpid())
	for deadline := time.Now().Add(5 * time.Second); processCPUOf(os.Getpid()) <= before; {
		if time.Now().After(deadline) {
			t.Fatal("own CPU time did not grow in 5 s of spinning")
		}
	}
}
