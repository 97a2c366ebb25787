// Command subs measures Graft's subscriptions: push latency, idle cost,
// memory and fan-out.
//
// It creates a fresh database with a table item(id, v) of as many rows as
// the largest section needs, starts Graft in-process on 127.0.0.1 (WAL
// mode always with a unique slot, Redis for the change fan-out, fallback
// refetch an hour, so only the WAL refetches) and runs four sections, all
// over graphql-transport-ws with one query shape,
//
//	subscription($id: Int!) { item_by_pk(id: $id) { id v } }
//
// (a) latency: 1,000 subscribers on ids 1..1000 (1,000 cohorts of one
// multiplexed plan), in this process; a writer updates random rows with
// plain SQL at a steady rate, each to a new value, noting the time just
// after COMMIT returned; each client notes when the value arrived.
// (b) idle: the same subscribers, no writes: Graft's live-query statement
// counter, the query backends of the database that started a statement
// (pg_stat_activity) and pg_stat_database.xact_commit, over a few seconds.
// (c) memory: 10,000 subscribers on 10,000 ids, in a child process (this
// program with -child), so that VmRSS of this process is Graft's (with the
// harness's small pools), not the clients'.
// (d) fan-out: 10,000 subscribers (child process) on 10 ids; one UPDATE of
// those 10 rows pushes to all; frames read per second, commit to last frame.
//
// Run it with `make bench-subs`, or
//
//	scripts/with-env.sh go run ./tests/bench/subs [-quick] [-cpuprofile FILE]
//
// -quick (or BENCH_QUICK=1) is a ~20 s run with smaller counts (5,000
// subscriptions in (c) and (d), RSS projected to 10,000). -cpuprofile and
// -memprofile profile this process (Graft, the writer and the clients of
// (a) and (b)); -profile picks the sections.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/graftql/graft/tests/bench/benchkit"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

type settings struct {
	quick          bool
	latSubs, rate  int
	latFor         time.Duration
	settle, idle   time.Duration
	memSubs        int
	fanSubs        int
	fanCohorts     int
	fanRounds      int
	cpuProfile     string
	profSections   string // the sections profiled: "abcd" or a subset
	memProfile     string
	childURL       string
	childN, childK int
}

func main() {
	var s settings
	q := os.Getenv("BENCH_QUICK")
	flag.BoolVar(&s.quick, "quick", q != "" && q != "0" && q != "false", "short run (about 30 s, smaller counts); also BENCH_QUICK=1")
	flag.StringVar(&s.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (Graft, and the clients of (a) and (b)) to `file`")
	flag.StringVar(&s.profSections, "profile", "abcd", "the `sections` -cpuprofile covers, e.g. d")
	flag.StringVar(&s.memProfile, "memprofile", "", "write a heap profile of this process at the peak of (c) to `file`")
	flag.StringVar(&s.childURL, "url", "", "internal: the client process's server")
	child := flag.Bool("child", false, "internal: run as the client process of sections (c) and (d)")
	flag.IntVar(&s.childN, "n", 0, "internal: the client process's subscriptions")
	flag.IntVar(&s.childK, "cohorts", 1, "internal: the client process's distinct ids")
	flag.Parse()
	if *child {
		if err := runChild(s.childURL, s.childN, s.childK); err != nil {
			fmt.Fprintln(os.Stderr, "bench-subs client:", err)
			os.Exit(1)
		}
		return
	}
	s.latSubs, s.rate, s.fanCohorts = 1000, 50, 10
	if s.quick {
		s.latFor, s.settle, s.idle = 8*time.Second, 2*time.Second, 3*time.Second
		s.memSubs, s.fanSubs, s.fanRounds = 5000, 5000, 3
	} else {
		s.latFor, s.settle, s.idle = 20*time.Second, 11*time.Second, 5*time.Second
		s.memSubs, s.fanSubs, s.fanRounds = 10000, 10000, 5
	}
	if err := run(s); err != nil {
		fmt.Fprintln(os.Stderr, "bench-subs:", err)
		os.Exit(1)
	}
}

func run(s settings) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	env, err := setup(ctx, max(s.latSubs, s.memSubs, s.fanCohorts))
	if err != nil {
		return err
	}
	defer env.close()
	fmt.Printf("graft bench-subs: %s; %d CPUs, GOMAXPROCS %d; WAL mode always (slot %s), Redis; setup %.1fs\n",
		runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), env.slot, time.Since(began).Seconds())
	fmt.Printf("query: %s\n", subQuery)
	prof := &profiler{path: s.cpuProfile, sections: s.profSections}
	defer prof.stop()
	prof.section("a")

	// (a) and (b): the clients live here, each with a server-side socket.
	fmt.Printf("\n(a) commit -> client latency: %d subscribers, %d writes/s for %s\n", s.latSubs, s.rate, s.latFor)
	if err := raiseFileLimit(uint64(2*s.latSubs + 1024)); err != nil {
		fmt.Printf("  SKIPPED (a) and (b): %v\n", err)
	} else {
		t := time.Now()
		clients, err := openAll(ctx, env.wsURL, s.latSubs, func(i int) int { return i + 1 })
		if err != nil {
			return fmt.Errorf("(a): %w", err)
		}
		fmt.Printf("  %d subscriptions opened in %.1fs\n", s.latSubs, time.Since(t).Seconds())
		lat, err := runLatency(ctx, env, clients, s.rate, s.latFor)
		if err != nil {
			closeAll(clients)
			return fmt.Errorf("(a): %w", err)
		}
		fmt.Printf("  %d writes, %d pushes (%d values superseded by a later write of the row before their refetch)\n",
			lat.writes, lat.pushes, lat.superseded)
		fmt.Printf("  p50 %s  p90 %s  p99 %s  max %s\n", ms(lat.p50), ms(lat.p90), ms(lat.p99), ms(lat.max))
		fmt.Printf("  live-query statements: %d (%.1f per write)\n", lat.statements, float64(lat.statements)/float64(lat.writes))
		fmt.Printf("  goal: p50 < 20ms: %s; p99 < 100ms: %s\n", benchkit.Verdict(lat.p50 < 20*time.Millisecond), benchkit.Verdict(lat.p99 < 100*time.Millisecond))

		fmt.Printf("\n(b) idle: %d subscriptions open, no writes; %s settle, then %s watched\n", s.latSubs, s.settle, s.idle)
		prof.section("b")
		idle, err := runIdle(ctx, env, s.settle, s.idle)
		closeAll(clients)
		if err != nil {
			return fmt.Errorf("(b): %w", err)
		}
		secs := idle.window.Seconds()
		fmt.Printf("  Graft live-query statements: %d (%.1f/s)\n", idle.live, float64(idle.live)/secs)
		fmt.Printf("  Graft query backends that started a statement (pg_stat_activity): %d\n", idle.backends)
		fmt.Printf("  WAL leader lock keep-alive pings (pg_stat_activity, graft_replication): %d\n", idle.walPings)
		fmt.Printf("  pg_stat_database xact_commit: +%d (%.1f/s; the WAL leader's pings count, each a transaction)\n",
			idle.xactCommit, float64(idle.xactCommit)/secs)
		fmt.Printf("  goal: 0 statements/s: %s\n", benchkit.Verdict(idle.live == 0 && idle.backends == 0))
	}
	if err := waitNoCohorts(ctx, env); err != nil {
		return err
	}

	// (c) and (d): the clients live in a child process.
	need := uint64(max(s.memSubs, s.fanSubs) + 1024)
	fmt.Printf("\n(c) memory: %d subscriptions on %d distinct ids (clients in a child process)\n", s.memSubs, s.memSubs)
	if err := raiseFileLimit(need); err != nil {
		fmt.Printf("  SKIPPED (c) and (d): %v\n", err)
		return nil
	}
	prof.section("c")
	mem, err := runMemory(ctx, env, s.memSubs, s.memProfile)
	if err != nil {
		return fmt.Errorf("(c): %w", err)
	}
	perSub := (mem.after - mem.before) * 1024 / float64(mem.subs)
	fmt.Printf("  opened in %.1fs; %d cohorts, %d goroutines\n", mem.open.Seconds(), mem.cohorts, mem.goroutines)
	fmt.Printf("  RSS of this process: %.0f MiB before, %.0f MiB with the subscriptions (%.1f KiB each); Go heap in use %.0f MiB\n",
		mem.before, mem.after, perSub, mem.heap)
	fmt.Printf("  (the client process: %.0f MiB)\n", mem.child)
	proj := mem.after
	if mem.subs != 10000 {
		proj = mem.before + perSub*10000/1024
		fmt.Printf("  projected to 10,000 subscriptions: %.0f MiB\n", proj)
	}
	fmt.Printf("  goal: < 1 GB with 10k subscriptions: %s\n", benchkit.Verdict(proj < 1024))
	if err := waitNoCohorts(ctx, env); err != nil {
		return err
	}
	rss, heap := settledMemory()
	fmt.Printf("  after the clients closed (GC, memory returned): RSS %.0f MiB, Go heap in use %.0f MiB, %d goroutines\n",
		rss, heap, runtime.NumGoroutine())

	fmt.Printf("\n(d) fan-out: %d subscriptions on %d ids (clients in a child process); one UPDATE of the %d rows per round\n",
		s.fanSubs, s.fanCohorts, s.fanCohorts)
	prof.section("-") // (d) is profiled from when its subscriptions are open
	fan, err := runFanout(ctx, env, s.fanSubs, s.fanCohorts, s.fanRounds, func() { prof.section("d") })
	if err != nil {
		return fmt.Errorf("(d): %w", err)
	}
	fmt.Printf("  RSS of this process with them: %.0f MiB\n", fan.rss)
	var rates []float64
	for i, r := range fan.rounds {
		rate := float64(r.frames) / r.fromCommit.Seconds()
		rates = append(rates, rate)
		fmt.Printf("  round %d: %d frames, commit -> last frame %s = %.0f frames/s; first -> last frame %s = %.0f frames/s; %d statement(s)\n",
			i+1, r.frames, ms(r.fromCommit), rate, ms(r.spread), float64(r.frames)/r.spread.Seconds(), r.statements)
	}
	slices.Sort(rates)
	median := rates[len(rates)/2]
	fmt.Printf("  goal: >= 40k frames/s (commit -> last frame; median round %.0f/s, best %.0f/s): %s\n",
		median, rates[len(rates)-1], benchkit.Verdict(median >= 40000))
	prof.stop()
	fmt.Printf("\ntotal %.1fs\n", time.Since(began).Seconds())
	return nil
}

// waitNoCohorts waits until Graft has let go of the last section's
// subscriptions (their sockets are closed by then).
func waitNoCohorts(ctx context.Context, env *benchEnv) error {
	deadline := time.Now().Add(30 * time.Second)
	for env.app.Engine.Live.Cohorts() > 0 {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.New("the subscriptions of the last section are still running 30 s after their clients closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// profiler keeps one CPU profile running over the chosen sections.
type profiler struct {
	path, sections string
	f              *os.File
}

func (p *profiler) section(name string) {
	if p.path == "" {
		return
	}
	if on := strings.Contains(p.sections, name); on && p.f == nil {
		f, err := os.Create(p.path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			p.f = f
		}
	} else if !on {
		p.stop()
	}
}

func (p *profiler) stop() {
	if p.f != nil {
		pprof.StopCPUProfile()
		p.f.Close()
		p.f, p.path = nil, "" // one profile per run
		fmt.Fprintf(os.Stderr, "CPU profile of sections %s written (go tool pprof -top FILE)\n", p.sections)
	}
}

// settledMemory collects garbage, returns what it can to the OS and reads
// RSS and the Go heap in use, in MiB.
func settledMemory() (rss, heap float64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return rssMB("self"), float64(ms.HeapInuse) / (1 << 20)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
