package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	compareModule = "github.com/natsactor/natsactor/compare"
	serverModule  = "github.com/nats-io/nats-server/v2"
)

// serverBinary returns the path of a nats-server executable built from the version
// compare/go.mod pins. The binary is cached in os.UserCacheDir()/natsactor-bench, keyed
// by version and platform, so only the first run pays for the build.
func serverBinary(ctx context.Context) (string, error) {
	dir, err := compareModuleDir()
	if err != nil {
		return "", err
	}
	out, err := goCmd(ctx, dir, "list", "-m", "-f", "{{.Version}}", serverModule)
	if err != nil {
		return "", fmt.Errorf("finding the pinned nats-server version: %w", err)
	}
	version := strings.TrimSpace(out)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	cache = filepath.Join(cache, "natsactor-bench")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	name := fmt.Sprintf("nats-server-%s-%s-%s", version, runtime.GOOS, runtime.GOARCH)
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	bin := filepath.Join(cache, name)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	fmt.Fprintf(os.Stderr, "building nats-server %s into %s (once)\n", version, bin)
	tmp, err := os.MkdirTemp(cache, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	built := filepath.Join(tmp, name)
	if _, err := goCmd(ctx, dir, "build", "-o", built, serverModule); err != nil {
		return "", fmt.Errorf("building nats-server: %w", err)
	}
	if err := os.Rename(built, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// compareModuleDir finds the directory of the compare module: the current module when
// the bench runs from inside it (go run ./cmd/bench), else the source tree the binary
// was built from.
func compareModuleDir() (string, error) {
	if out, err := goCmd(context.Background(), "", "env", "GOMOD"); err == nil {
		if dir, ok := isCompareModule(filepath.Dir(strings.TrimSpace(out))); ok {
			return dir, nil
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		if dir, ok := isCompareModule(filepath.Join(filepath.Dir(file), "..", "..")); ok {
			return dir, nil
		}
	}
	return "", errors.New("cannot find the compare module to build nats-server from: run from inside compare/ or pass -server-bin")
}

func isCompareModule(dir string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return dir, strings.TrimSpace(strings.TrimPrefix(first, "module")) == compareModule
}

func goCmd(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// serverProc is one nats-server process listening on 127.0.0.1.
type serverProc struct {
	cmd    *exec.Cmd
	dir    string // store and log directory, removed by stop
	url    string
	exited chan struct{}
}

// startServer starts bin on a free loopback port, with JetStream in a fresh store
// directory when jetstream is set, and returns once the server sends its INFO.
func startServer(ctx context.Context, bin, name string, jetstream bool) (*serverProc, error) {
	dir, err := os.MkdirTemp("", "natsactor-bench-"+name+"-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	args := []string{"-a", "127.0.0.1", "-p", strconv.Itoa(port), "-n", "bench-" + name}
	if jetstream {
		args = append(args, "-js", "-sd", filepath.Join(dir, "js"))
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	tieToParent(cmd)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	s := &serverProc{cmd: cmd, dir: dir, url: fmt.Sprintf("nats://127.0.0.1:%d", port), exited: make(chan struct{})}
	go func() { cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx, port); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		s.stop()
		return nil, fmt.Errorf("nats-server on port %d: %w\n%s", port, err, log)
	}
	return s, nil
}

// waitReady dials until the server answers with its INFO line (10 s at most).
func (s *serverProc) waitReady(ctx context.Context, port int) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		select {
		case <-s.exited:
			return errors.New("server exited")
		default:
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil && strings.HasPrefix(line, "INFO ") {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", ctx.Err())
		case <-s.exited:
			return errors.New("server exited")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop asks the server to shut down, kills it after 5 s, and removes its directory.
func (s *serverProc) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	os.RemoveAll(s.dir)
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
