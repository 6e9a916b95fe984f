//go:build !linux

package main

import (
	"os/exec"
	"time"
)

// tieToParent does nothing here: the bench stops its servers itself on exit and on
// interrupt.
func tieToParent(*exec.Cmd) {}

// processCPUOf is not measured here: server CPU is reported as 0.
func processCPUOf(int) time.Duration { return 0 }
