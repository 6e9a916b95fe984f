//go:build linux

package main

import (
	"os/exec"
	"syscall"
)

// tieToParent makes the kernel kill the server if the bench dies without cleaning up.
func tieToParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
