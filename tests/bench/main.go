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
// Two sections follow the query table. Permissions (perms.go): one article
// list query as admin and as the role "reader", whose select permissions
// filter through the author relationship on X-Hasura-Org-Id, reported as
// reader/admin. Mutations (mutations.go): insert_bench_event_one and a
// 100-row insert_bench_event against the same INSERTs run through pgx in
// their own transactions.
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
	"github.com/graftql/graft/tests/bench/benchkit"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

// settings are the sizes of one benchmark run.
type settings struct {
	quick      bool
	serialN    int      // measured requests at concurrency 1
	parallelN  int      // measured requests at concurrency > 1
	warmup     int      // unmeasured requests before each measurement
	single     mutSizes // insert_bench_event_one's counts
	bulk       mutSizes // the 100-row insert's counts (its requests are slower)
	poolSize   int      // Graft's and the floor's Postgres pool size
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
		s.single = mutSizes{serialN: 300, parallelN: 1000, warmup: 50}
		s.bulk = mutSizes{serialN: 60, parallelN: 200, warmup: 10}
	} else {
		s.serialN, s.parallelN, s.warmup = 2000, 8000, 300
		s.single = mutSizes{serialN: 1000, parallelN: 4000, warmup: 100}
		s.bulk = mutSizes{serialN: 400, parallelN: 1600, warmup: 40}
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
		stopProfile, err := benchkit.StartProfile(s.cpuProfile)
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
	httpBase, parts, err := breakdown(ctx, env, workloads, s.serialN, s.warmup, alternatingRounds)
	if err != nil {
		return fmt.Errorf("breakdown: %w", err)
	}
	fmt.Printf("\n(the breakdown below alternates its pieces in %d rounds)", alternatingRounds)
	printBreakdown(os.Stdout, httpBase, parts)
	printTarget(os.Stdout, rows, parts)

	sectionStart := time.Now()
	perms, err := runPermissions(ctx, env, s)
	if err != nil {
		return fmt.Errorf("permissions: %w", err)
	}
	printPermissions(os.Stdout, perms)
	fmt.Printf("(permissions section %.1fs)\n", time.Since(sectionStart).Seconds())

	sectionStart = time.Now()
	muts, err := runMutations(ctx, env, s)
	if err != nil {
		return fmt.Errorf("mutations: %w", err)
	}
	printMutations(os.Stdout, muts)
	fmt.Printf("(mutations section %.1fs)\n", time.Since(sectionStart).Seconds())

	fmt.Printf("\ntotal %.1fs\n", time.Since(began).Seconds())
	return nil
}

// measure runs one query at one concurrency: Graft through HTTP and the
// floor, each after its own warm-up on the same request mix, alternating
// in rounds so that noise from neighbours lands on both.
func measure(ctx context.Context, env *benchEnv, w *workload, c, n, warmup int) (row, error) {
	graft := func(ctx context.Context, i int) error { return w.post(ctx, env, i) }
	floor := func(ctx context.Context, i int) error { return env.floorQuery(ctx, w.stmts[i]) }
	return measurePair(ctx, w.q.name, c, n, warmup, alternatingRounds, graft, floor, nil)
}

// measurePair measures graft and floor with measureSides.
func measurePair(ctx context.Context, name string, c, n, warmup, rounds int, graft, floor func(context.Context, int) error,
	reset func(context.Context) error) (row, error) {
	st, err := measureSides(ctx, c, n, warmup, rounds, []side{{"graft", graft}, {"floor", floor}}, reset)
	if err != nil {
		return row{}, err
	}
	return row{query: name, concurrency: c, graft: st[0], floor: st[1]}, nil
}

// side is one way of running request i.
type side struct {
	name string
	do   func(context.Context, int) error
}

// measureSides runs n requests of each side at concurrency c, in rounds
// that alternate between the sides (round r of every side covers the same
// request indexes), so that a burst of noise on a shared machine spreads
// over all sides instead of landing on one. Each side warms up on its own
// just before its first round; reset, when not nil, runs before every
// warm-up and round (the mutation section empties its table there). With
// one round it is: warm up and measure the first side, then the next.
func measureSides(ctx context.Context, c, n, warmup, rounds int, sides []side, reset func(context.Context) error) ([]stats, error) {
	if reset == nil {
		reset = func(context.Context) error { return nil }
	}
	rounds = max(1, min(rounds, n))
	lats := make([][]time.Duration, len(sides))
	elapsed := make([]time.Duration, len(sides))
	for r := range rounds {
		from, to := r*n/rounds, (r+1)*n/rounds
		for k, sd := range sides {
			if err := reset(ctx); err != nil {
				return nil, fmt.Errorf("reset: %w", err)
			}
			if r == 0 {
				if _, err := runLoad(ctx, warmup, c, 0, sd.do); err != nil {
					return nil, fmt.Errorf("%s warm-up: %w", sd.name, err)
				}
			}
			lat, el, err := runLoadLat(ctx, to-from, c, warmup+from, sd.do)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", sd.name, err)
			}
			lats[k] = append(lats[k], lat...)
			elapsed[k] += el
		}
	}
	out := make([]stats, len(sides))
	for k := range sides {
		out[k] = summarize(lats[k], elapsed[k])
	}
	return out, nil
}
