package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	healthTimeout = 20 * time.Second // graft must answer /healthz by then
	stopTimeout   = 10 * time.Second // SIGTERM grace before SIGKILL
	healthPoll    = 100 * time.Millisecond
)

// buildGraft compiles ./cmd/graft once into outDir.
func buildGraft(ctx context.Context, repoRoot, outDir string) (string, error) {
	bin := filepath.Join(outDir, "graft")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/graft")
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/graft failed: %w\n%s", err, out)
	}
	return bin, nil
}

// graftConfig is what one graft process is started with.
type graftConfig struct {
	bin       string
	dbURL     string // HASURA_GRAPHQL_DATABASE_URL
	sourceURL string // HASURA_GRAPHQL_PG_SOURCE_URL_1, the second source
	secret    string // HASURA_GRAPHQL_ADMIN_SECRET
	redisURL  string // HASURA_GRAPHQL_REDIS_URL when non-empty
	slot      string // replication slot and publication name, unique per process
	logPath   string // stdout and stderr go here
	extraEnv  []string
}

// graftProcess is a running `graft serve`.
type graftProcess struct {
	cmd     *exec.Cmd
	baseURL string
	logPath string
	logFile *os.File
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid once done is closed
}

// startGraft starts `graft serve` on a free port and waits until /healthz
// answers 200. On failure the error names the log file and quotes its tail.
func startGraft(ctx context.Context, cfg graftConfig) (*graftProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(cfg.logPath)
	if err != nil {
		return nil, fmt.Errorf("create graft log: %w", err)
	}
	cmd := exec.Command(cfg.bin, "serve")
	cmd.Env = append(environWithoutOurs(),
		"HASURA_GRAPHQL_DATABASE_URL="+cfg.dbURL,
		"HASURA_GRAPHQL_PG_SOURCE_URL_1="+cfg.sourceURL,
		"HASURA_GRAPHQL_ADMIN_SECRET="+cfg.secret,
		"HASURA_GRAPHQL_SERVER_PORT="+strconv.Itoa(port),
		"HASURA_GRAPHQL_SERVER_HOST=127.0.0.1",
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES=startup",
		// Slots are cluster-wide: each process reads the WAL (on by
		// default) through its own, dropped with its database.
		"HASURA_GRAPHQL_WAL_SLOT_NAME="+cfg.slot,
		"HASURA_GRAPHQL_WAL_PUBLICATION_NAME="+cfg.slot,
	)
	cmd.Env = append(cmd.Env, cfg.extraEnv...)
	if cfg.redisURL != "" {
		cmd.Env = append(cmd.Env, "HASURA_GRAPHQL_REDIS_URL="+cfg.redisURL)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start graft: %w", err)
	}
	p := &graftProcess{
		cmd:     cmd,
		baseURL: fmt.Sprintf("http://127.0.0.1:%d", port),
		logPath: cfg.logPath,
		logFile: logFile,
		done:    make(chan struct{}),
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	if err := p.waitHealthy(ctx); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w (log %s)\n%s", err, cfg.logPath, logTail(cfg.logPath, 2048))
	}
	return p, nil
}

// environWithoutOurs drops inherited HASURA_GRAPHQL_* settings and the
// helper addresses so a developer's shell cannot change what the corpus
// runs against.
func environWithoutOurs() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "HASURA_GRAPHQL_") && !slices.Contains(helperEnvNames, name) {
			env = append(env, kv)
		}
	}
	return env
}

func (p *graftProcess) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	ticker := time.NewTicker(healthPoll)
	defer ticker.Stop()
	lastProblem := "no answer yet"
	for {
		if status, err := getStatus(ctx, client, p.baseURL+"/healthz"); err != nil {
			if ctx.Err() == nil { // keep the real cause, not our own deadline
				lastProblem = err.Error()
			}
		} else if status == http.StatusOK {
			return nil
		} else {
			lastProblem = fmt.Sprintf("/healthz answered %d", status)
		}
		select {
		case <-p.done:
			return fmt.Errorf("graft exited during startup: %v", p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("graft not healthy within %s: %s", healthTimeout, lastProblem)
		case <-ticker.C:
		}
	}
}

func getStatus(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// exited reports whether the process has ended (crashed, or been stopped).
func (p *graftProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL after stopTimeout, and waits for the exit.
func (p *graftProcess) stop() {
	defer p.logFile.Close()
	if p.exited() {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last n bytes of a log file, for error messages.
func logTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > n {
		_, _ = f.Seek(info.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
