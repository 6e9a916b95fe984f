//go:build !linux

package main

import "os/exec"

// tieToParent does nothing here: the bench stops its servers itself on exit and on
// interrupt.
func tieToParent(*exec.Cmd) {}
