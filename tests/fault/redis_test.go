package fault

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a private redis-server on a free port whose data (AOF,
// fsync on every write) lives in the test's temp dir, so killing and
// restarting it disturbs no other test.
type redisServer struct {
	t    *testing.T
	port int
	dir  string
	URL  string

	cmd    *exec.Cmd
	exited chan struct{}
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	r := &redisServer{t: t, port: freePort(t), dir: t.TempDir()}
	r.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", r.port)
	t.Cleanup(func() {
		r.kill()
		if t.Failed() {
			t.Logf("redis log (tail):\n%s", tail(filepath.Join(r.dir, "redis.log"), 20))
		}
	})
	r.start()
	return r
}

// start runs redis-server on the same port and data and waits for PING.
func (r *redisServer) start() {
	r.t.Helper()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--appendonly", "yes", "--appendfsync", "always", "--dir", r.dir, "--save", "",
		"--daemonize", "no", "--logfile", filepath.Join(r.dir, "redis.log"))
	cmd.Dir = r.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	r.cmd, r.exited = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(r.exited)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(r.port), MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Loading the AOF answers LOADING errors: wait for a real PONG.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		select {
		case <-r.exited:
			r.t.Fatalf("redis-server exited: %v\n%s", cmd.ProcessState, tail(filepath.Join(r.dir, "redis.log"), 20))
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server not ready within 30s: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling PING, bounded by deadline
	}
}

// kill sends SIGKILL (a crash: only what is in the AOF survives) and waits.
func (r *redisServer) kill() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	<-r.exited
	r.cmd = nil
}

// client opens a client on the server (closed at cleanup).
func (r *redisServer) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(r.port)})
	r.t.Cleanup(func() { c.Close() })
	return c
}

// aofSize is the size of the append-only files, to show the data is there.
func (r *redisServer) aofSize() int64 {
	var n int64
	filepath.Walk(r.dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && filepath.Ext(info.Name()) == ".aof" {
			n += info.Size()
		}
		return nil
	})
	return n
}
