//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// tieToParent makes the kernel kill the server if the bench dies without cleaning up.
func tieToParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// clockTick is the unit of utime and stime in /proc/<pid>/stat (USER_HZ), which Linux
// fixes at 100 for user space on every architecture.
const clockTick = 10 * time.Millisecond

// processCPUOf returns the CPU time (user + system, all threads) process pid has used
// so far, from /proc/<pid>/stat, in steps of clockTick; 0 when it cannot be read.
func processCPUOf(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	return statCPU(b)
}

// statCPU returns utime + stime of a /proc/<pid>/stat line; 0 when it is malformed.
func statCPU(b []byte) time.Duration {
	// The command name, in parentheses, may hold spaces and parentheses: count fields
	// after its last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+1:])
	// After the name: state (field 3) ... utime (14), stime (15).
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * clockTick
}
