package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
)

// timedProfiles, when -timedprofile names a directory, CPU-profiles each run's timed part
// alone (what the figures measure, without the set-up, the stream fill or the checks) to
// DIR/WORKLOAD-CLIENT-RUN.pprof. `go tool pprof BIN DIR/js_consume_ack-natsactor-*`
// merges the runs of one client.
var timedProfiles struct {
	mu   sync.Mutex
	dir  string
	next string   // the file the coming timed part goes to, "" for none
	f    *os.File // the profile being written
}

// setTimedProfileDir turns timed profiles on (dir != ""), making the directory.
func setTimedProfileDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-timedprofile: %w", err)
	}
	timedProfiles.mu.Lock()
	timedProfiles.dir = dir
	timedProfiles.mu.Unlock()
	return nil
}

// nextTimedProfile names the profile of the run about to start.
func nextTimedProfile(workload, client string, run int) {
	timedProfiles.mu.Lock()
	defer timedProfiles.mu.Unlock()
	if timedProfiles.dir != "" {
		timedProfiles.next = filepath.Join(timedProfiles.dir, fmt.Sprintf("%s-%s-%d.pprof", workload, client, run))
	}
}

// startTimedProfile starts the profile named by nextTimedProfile, if any. A failure is
// reported on stderr and leaves that run unprofiled: the figures do not depend on it.
func startTimedProfile() {
	timedProfiles.mu.Lock()
	defer timedProfiles.mu.Unlock()
	path := timedProfiles.next
	timedProfiles.next = ""
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: timed profile:", err)
		return
	}
	timedProfiles.f = f
}

// stopTimedProfile ends the profile startTimedProfile began, if any.
func stopTimedProfile() {
	timedProfiles.mu.Lock()
	defer timedProfiles.mu.Unlock()
	if timedProfiles.f == nil {
		return
	}
	pprof.StopCPUProfile()
	if err := timedProfiles.f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: timed profile:", err)
	}
	timedProfiles.f = nil
}
