package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The subscribers of sections (c) and (d) live in a child process (this
// program run with -child): the RSS read from /proc/self/status is then
// Graft's alone (plus this harness's pools), not the clients' too, and the
// open-file limit is split between the two processes.

// child is the parent's handle on a client process.
type child struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	pid  string
	open time.Duration // how long opening every subscription took
}

// startChild runs n subscribers on ids 1..cohorts (round robin) and
// returns once each has its first result.
func startChild(ctx context.Context, url string, n, cohorts int) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "-child", "-url", url, "-n", strconv.Itoa(n), "-cohorts", strconv.Itoa(cohorts))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewReader(out), pid: strconv.Itoa(cmd.Process.Pid)}
	line, err := c.out.ReadString('\n')
	var secs float64
	if _, serr := fmt.Sscanf(line, "ready %f", &secs); err != nil || serr != nil {
		c.close()
		return nil, fmt.Errorf("client process: %q %v", strings.TrimSpace(line), err)
	}
	c.open = time.Duration(secs * float64(time.Second))
	return c, nil
}

// waitFrames waits until the child has received total pushes (after the
// first results), and returns the count and the wall-clock arrival times
// (Unix ns) of the first and last push since the previous wait.
func (c *child) waitFrames(total int) (count int, first, last int64, err error) {
	if _, err := fmt.Fprintf(c.in, "wait %d\n", total); err != nil {
		return 0, 0, 0, err
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		return 0, 0, 0, err
	}
	if _, err := fmt.Sscanf(line, "done %d %d %d", &count, &first, &last); err != nil {
		return 0, 0, 0, fmt.Errorf("client process: %q", strings.TrimSpace(line))
	}
	return count, first, last, nil
}

func (c *child) close() {
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// runChild is the client process: see startChild and waitFrames. Its
// stdin closing ends it.
func runChild(url string, n, cohorts int) error {
	ctx := context.Background()
	began := time.Now()
	clients, err := openAll(ctx, url, n, func(i int) int { return 1 + i%cohorts })
	if err != nil {
		fmt.Printf("error %v\n", err)
		return err
	}
	var count, base, first, last atomic.Int64
	for _, c := range clients {
		go c.read(func(msg []byte, at time.Time) {
			if !bytes.Contains(msg, []byte(`"type":"next"`)) {
				return
			}
			now := at.UnixNano()
			if count.Add(1) == base.Load()+1 {
				first.Store(now)
			}
			for {
				l := last.Load()
				if now <= l || last.CompareAndSwap(l, now) {
					break
				}
			}
		})
	}
	fmt.Printf("ready %.3f\n", time.Since(began).Seconds())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var total int64
		if _, err := fmt.Sscanf(sc.Text(), "wait %d", &total); err != nil {
			continue
		}
		deadline := time.Now().Add(60 * time.Second)
		for count.Load() < total && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		got := count.Load()
		fmt.Printf("done %d %d %d\n", got, first.Load(), last.Load())
		base.Store(got)
	}
	closeAll(clients)
	return nil
}

// memResult is section (c).
type memResult struct {
	subs, cohorts        int
	before, after, child float64 // RSS, MiB
	heap                 float64 // Go heap in use with the subscriptions, MiB
	goroutines           int
	open                 time.Duration
}

// runMemory opens n subscriptions on n distinct ids (n cohorts: the most
// state Graft keeps for n subscribers) and reads Graft's RSS.
func runMemory(ctx context.Context, env *benchEnv, n int, heapProfile string) (memResult, error) {
	res := memResult{subs: n}
	res.before, _ = settledMemory()
	c, err := startChild(ctx, env.wsURL, n, n)
	if err != nil {
		return res, err
	}
	defer c.close()
	res.open = c.open
	res.after, res.child = rssMB("self"), rssMB(c.pid)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.heap = float64(ms.HeapInuse) / (1 << 20)
	res.goroutines = runtime.NumGoroutine()
	res.cohorts = env.app.Engine.Live.Cohorts()
	if heapProfile != "" {
		if f, err := os.Create(heapProfile); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
			fmt.Fprintf(os.Stderr, "heap profile written to %s (go tool pprof -sample_index=inuse_space -top %s)\n", heapProfile, heapProfile)
		}
	}
	return res, nil
}

// fanResult is section (d).
type fanResult struct {
	subs, cohorts int
	rss           float64
	rounds        []fanRound
}

type fanRound struct {
	frames     int
	fromCommit time.Duration // commit -> last frame read
	spread     time.Duration // first frame read -> last frame read
	statements int64
}

// runFanout opens n subscriptions over `cohorts` ids; each round one
// UPDATE changes every one of those rows, and all n subscribers get a push.
func runFanout(ctx context.Context, env *benchEnv, n, cohorts, rounds int, opened func()) (fanResult, error) {
	res := fanResult{subs: n, cohorts: cohorts}
	c, err := startChild(ctx, env.wsURL, n, cohorts)
	if err != nil {
		return res, err
	}
	defer c.close()
	res.rss = rssMB("self")
	opened()
	for r := 1; r <= rounds; r++ {
		stmts := env.app.Engine.Live.Statements()
		if _, err := env.pool.Exec(ctx, "UPDATE item SET v = v + 1 WHERE id <= $1", cohorts); err != nil {
			return res, err
		}
		committed := time.Now().UnixNano()
		got, first, last, err := c.waitFrames(n * r)
		if err != nil {
			return res, err
		}
		if got < n*r {
			return res, fmt.Errorf("round %d: %d of %d pushes arrived within 60 s", r, got-n*(r-1), n)
		}
		res.rounds = append(res.rounds, fanRound{frames: got - n*(r-1), fromCommit: time.Duration(last - committed),
			spread: time.Duration(last - first), statements: env.app.Engine.Live.Statements() - stmts})
	}
	return res, nil
}
