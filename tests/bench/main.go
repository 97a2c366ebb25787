// Command bench measures Graft end to end against its floor.
//
// It creates a fresh database, seeds deterministic data (2,000 authors,
// 20,000 articles, 60,000 comments), tracks it, starts Graft in-process on
// 127.0.0.1 and, for three queries at concurrency 1 and 16, sends a fixed
// number of requests through HTTP POST /v1/graphql. The floor is the same
// SQL and bind arguments, obtained from Engine.Compile for each request's
// variables, run straight through a pgxpool of the same size: what Graft
// would cost if parsing, planning, HTTP and response writing were free.
//
// Run it with `make bench`, or
//
//	scripts/with-env.sh go run ./tests/bench [-quick] [-cpuprofile FILE]
//
// -quick (or BENCH_QUICK=1) is a ~10 s run for a quick look.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"
)

// settings are the sizes of one benchmark run.
type settings struct {
	quick      bool
	serialN    int // measured requests at concurrency 1
	parallelN  int // measured requests at concurrency > 1
	warmup     int // unmeasured requests before each measurement
	poolSize   int // Graft's and the floor's Postgres pool size
	cpuProfile string
}

var concurrencies = []int{1, 16}

func main() {
	s := settings{poolSize: 32}
	quickEnv := os.Getenv("BENCH_QUICK")
	flag.BoolVar(&s.quick, "quick", quickEnv != "" && quickEnv != "0" && quickEnv != "false",
		"short run (about 10 s); also BENCH_QUICK=1")
	flag.StringVar(&s.cpuProfile, "cpuprofile", "", "write a CPU profile of the measurement phase to `file`")
	flag.Parse()
	if s.quick {
		s.serialN, s.parallelN, s.warmup = 300, 1000, 50
	} else {
		s.serialN, s.parallelN, s.warmup = 2000, 8000, 300
	}
	if err := run(s); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(s settings) error {
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		return errors.New("DATABASE_URL is not set: run `make bench` (scripts/with-env.sh starts the dev database)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	began := time.Now()
	env, err := setup(ctx, base, s.poolSize)
	if err != nil {
		return err
	}
	defer env.close()
	fmt.Printf("graft bench: %s on %s; %d CPUs, GOMAXPROCS %d, pool size %d; setup %.1fs\n",
		runtime.Version(), env.pgVersion, runtime.NumCPU(), runtime.GOMAXPROCS(0), s.poolSize, time.Since(began).Seconds())
	fmt.Printf("requests: %d at c=1, %d at c>1, after %d warm-up requests each\n\n", s.serialN, s.parallelN, s.warmup)

	if s.cpuProfile != "" {
		stopProfile, err := startProfile(s.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer stopProfile()
	}
	var rows []row
	var workloads []*workload
	for _, q := range benchQueries() {
		maxN := max(s.serialN, s.parallelN) + s.warmup
		w, err := prepare(ctx, env, q, maxN)
		if err != nil {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		if err := w.verify(ctx, env, 20); err != nil {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		workloads = append(workloads, w)
		for _, c := range concurrencies {
			n := s.parallelN
			if c == 1 {
				n = s.serialN
			}
			r, err := measure(ctx, env, w, c, n, s.warmup)
			if err != nil {
				return fmt.Errorf("%s at concurrency %d: %w", q.name, c, err)
			}
			rows = append(rows, r)
			fmt.Fprintf(os.Stderr, "  done: %-28s c=%-2d graft p50 %s, floor p50 %s\n", q.name, c, ms(r.graft.p50), ms(r.floor.p50))
		}
	}
	fmt.Println()
	printTable(os.Stdout, rows)
	httpBase, parts, err := breakdown(ctx, env, workloads, s.serialN, s.warmup)
	if err != nil {
		return fmt.Errorf("breakdown: %w", err)
	}
	printBreakdown(os.Stdout, httpBase, parts)
	fmt.Printf("\ntotal %.1fs\n", time.Since(began).Seconds())
	return nil
}

// measure runs one query at one concurrency: Graft through HTTP, then the
// floor, each after its own warm-up on the same request mix.
func measure(ctx context.Context, env *benchEnv, w *workload, c, n, warmup int) (row, error) {
	r := row{query: w.q.name, concurrency: c}
	graft := func(ctx context.Context, i int) error { return env.client.post(ctx, w.bodies[i]) }
	floor := func(ctx context.Context, i int) error { return env.floorQuery(ctx, w.stmts[i]) }

	if _, err := runLoad(ctx, warmup, c, 0, graft); err != nil {
		return r, fmt.Errorf("graft warm-up: %w", err)
	}
	g, err := runLoad(ctx, n, c, warmup, graft)
	if err != nil {
		return r, fmt.Errorf("graft: %w", err)
	}
	if _, err := runLoad(ctx, warmup, c, 0, floor); err != nil {
		return r, fmt.Errorf("floor warm-up: %w", err)
	}
	f, err := runLoad(ctx, n, c, warmup, floor)
	if err != nil {
		return r, fmt.Errorf("floor: %w", err)
	}
	r.graft, r.floor = g, f
	return r, nil
}

// startProfile starts a CPU profile of the measurement phase (Graft and
// floor runs alike; `go tool pprof -focus` separates them) and returns its stop.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		fmt.Fprintf(os.Stderr, "CPU profile written to %s (go tool pprof -top %s)\n", path, path)
	}, nil
}
