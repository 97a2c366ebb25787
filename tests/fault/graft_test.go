package fault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// adminSecret is the admin secret of every Graft the tests start.
const adminSecret = "fault-admin-secret"

// The Graft binary is built once per test run, by the first test that needs it.
var build struct {
	once      sync.Once
	dir, path string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// graftBinary builds ./cmd/graft (once) and returns its path.
func graftBinary(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		if build.dir, build.err = os.MkdirTemp("", "graft-fault-bin-"); build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "graft")
		cmd := exec.Command(goTool, "build", "-o", build.path, "github.com/graftql/graft/cmd/graft")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/graft: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// freePort asks the kernel for a free loopback TCP port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// graft is a `graft serve` subprocess; it can be killed and started again
// with the same settings (on a new port).
type graft struct {
	t       *testing.T
	name    string
	env     map[string]string
	logPath string
	URL     string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// newGraft prepares (without starting) a Graft with env on top of a
// minimal environment; it is killed at cleanup if still running.
func newGraft(t *testing.T, env map[string]string) *graft {
	g := &graft{t: t, env: env, logPath: filepath.Join(t.TempDir(), "graft.log")}
	t.Cleanup(func() {
		g.stop()
		if t.Failed() || os.Getenv("FAULT_LOGS") != "" {
			t.Logf("graft log (tail):\n%s", tail(g.logPath, 60))
		}
	})
	return g
}

// start runs the binary and waits until /healthz answers (deadline 60s).
// A start that fails (a port taken meanwhile) is retried on another port.
func (g *graft) start() {
	g.t.Helper()
	bin := graftBinary(g.t)
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		if last = g.startOnce(bin); last == nil {
			return
		}
		g.t.Logf("graft did not start (%v); retrying", last)
	}
	g.t.Fatalf("graft did not start: %v\nlog:\n%s", last, tail(g.logPath, 40))
}

func (g *graft) startOnce(bin string) error {
	port := freePort(g.t)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range g.env {
		env = append(env, k+"="+v)
	}
	env = append(env, "HASURA_GRAPHQL_SERVER_HOST=127.0.0.1", "HASURA_GRAPHQL_SERVER_PORT="+strconv.Itoa(port),
		"HASURA_GRAPHQL_ADMIN_SECRET="+adminSecret)
	logf, err := os.OpenFile(g.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	g.starts++
	fmt.Fprintf(logf, "=== start %d on port %d\n", g.starts, port)
	cmd := exec.Command(bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr, cmd.Dir = env, logf, logf, "/"
	// A test binary that dies (a timeout panic skips cleanups) takes Graft with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	g.mu.Lock()
	g.cmd, g.exited, g.URL = cmd, exited, "http://127.0.0.1:"+strconv.Itoa(port)
	g.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("graft exited during startup (%v)", cmd.ProcessState)
		default:
		}
		if resp, err := client.Get(g.URL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond) // polling /healthz, bounded by deadline
	}
	g.kill()
	return errors.New("/healthz not ready within 60s")
}

// kill sends SIGKILL and waits for the process to be gone.
func (g *graft) kill() { g.signal(syscall.SIGKILL, 0) }

// stop asks for a graceful shutdown (SIGTERM), killing after 15s.
func (g *graft) stop() { g.signal(syscall.SIGTERM, 15*time.Second) }

func (g *graft) signal(sig syscall.Signal, grace time.Duration) {
	g.mu.Lock()
	cmd, exited := g.cmd, g.exited
	g.cmd = nil
	g.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-exited:
			return
		case <-time.After(grace):
			cmd.Process.Kill()
		}
	}
	<-exited
}

// metadata posts an admin request to /v1/metadata and requires a 200.
func (g *graft) metadata(body string) {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/metadata", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		g.t.Fatalf("/v1/metadata: %v", err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		g.t.Fatalf("/v1/metadata: status %d: %s", resp.StatusCode, out.Bytes())
	}
}

// logged reports whether Graft's log (every start) contains s.
func (g *graft) logged(s string) bool {
	b, err := os.ReadFile(g.logPath)
	return err == nil && bytes.Contains(b, []byte(s))
}

// tail returns the last n lines of a file (for failure reports).
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// withDeadline returns a context for cleanup work.
func withDeadline(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
