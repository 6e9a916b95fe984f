package natstest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// logEnv names the environment variable that turns server logs on: "1" (or any value)
// logs notices, warnings and errors to t.Log, "debug" adds debug lines, "trace" adds
// protocol traces too.
const logEnv = "NATSTEST_LOG"

// logger routes a server's log to t.Log while the test runs.
type logger struct {
	prefix       string
	debug, trace bool

	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

// newLogger returns nil (servers stay silent) unless NATSTEST_LOG is set.
func newLogger(t testing.TB, name string) *logger {
	v := os.Getenv(logEnv)
	if v == "" || v == "0" {
		return nil
	}
	return &logger{
		t:      t,
		prefix: "[" + name + "] ",
		debug:  v == "debug" || v == "trace",
		trace:  v == "trace",
	}
}

// stop drops later log lines: testing panics on a Log after the test completed.
func (l *logger) stop() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}

func (l *logger) logf(level, format string, v []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Log(l.prefix + level + fmt.Sprintf(format, v...))
	}
}

// Noticef implements server.Logger.
func (l *logger) Noticef(format string, v ...any) { l.logf("INF ", format, v) }

// Warnf implements server.Logger.
func (l *logger) Warnf(format string, v ...any) { l.logf("WRN ", format, v) }

// Fatalf implements server.Logger; unlike the server's own logger it does not exit.
func (l *logger) Fatalf(format string, v ...any) { l.logf("FTL ", format, v) }

// Errorf implements server.Logger.
func (l *logger) Errorf(format string, v ...any) { l.logf("ERR ", format, v) }

// Debugf implements server.Logger.
func (l *logger) Debugf(format string, v ...any) { l.logf("DBG ", format, v) }

// Tracef implements server.Logger.
func (l *logger) Tracef(format string, v ...any) { l.logf("TRC ", format, v) }
