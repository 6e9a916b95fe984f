package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -timedprofile writes one profile per timed part, named after the run announced before
// it, and nothing for a timed part no run announced.
func TestTimedProfile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "prof")
	if err := setTimedProfileDir(dir); err != nil {
		t.Fatal(err)
	}
	defer func() {
		timedProfiles.mu.Lock()
		timedProfiles.dir, timedProfiles.next = "", ""
		timedProfiles.mu.Unlock()
	}()
	nextTimedProfile("pub16", "natsactor", 2)
	var r result
	startMeter().stop(&r)
	startMeter().stop(&r) // not announced: no file
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "pub16-natsactor-2.pprof" {
		t.Fatalf("profiles written: %v, want only pub16-natsactor-2.pprof", entries)
	}
	b, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) { // pprof's gzipped protobuf
		t.Fatalf("profile starts %x, not a gzipped pprof profile", b[:min(len(b), 8)])
	}
}

// The whole-bench profile and the timed ones cannot both run: Go has one CPU profiler.
func TestProfileFlagsExclusive(t *testing.T) {
	dir := t.TempDir()
	cfg := config{runs: 1, names: []string{"pub16"}, clients: []string{"natsactor"},
		cpuProfile: filepath.Join(dir, "all.pprof"), timedProf: filepath.Join(dir, "timed")}
	err := run(t.Context(), cfg, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "exclude each other") {
		t.Fatalf("run with both profiles: %v", err)
	}
	if _, err := os.Stat(cfg.timedProf); !os.IsNotExist(err) {
		t.Fatalf("the timed profile directory was made anyway (%v)", err)
	}
}
