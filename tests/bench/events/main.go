// Command events benchmarks Graft's event triggers end to end: PostgreSQL
// commit -> logical replication slot -> Redis queue -> webhook.
//
// It creates a fresh database and prints:
//
//  1. single-row INSERT throughput (TPS) from 4 concurrent clients on
//     tables (a) without any trigger and (c) with a Hasura-style trigger (a
//     PL/pgSQL AFTER INSERT trigger writing each event into an event_log
//     table, as Hasura v2 does), both while Graft is stopped, then (b) with
//     a Graft event trigger (Graft in-process via proxy.NewApp with Redis,
//     the trigger created through the metadata API, events delivered to a
//     local receiver while the inserts run), (b') the same with the
//     webhook answering nothing until the inserts end (what capturing and
//     queueing cost the inserts, without the delivery's CPU on these shared
//     cores) and (a') without a trigger while Graft reads the WAL; in
//     alternating rounds, with b/a, b'/a and c/a (inserts.go);
//  2. events/s delivered to the local receiver (an httptest server on
//     loopback answering 204) for 50,000 rows inserted in 1000-row INSERTs:
//     from the first commit until every distinct event id has arrived
//     (throughput.go);
//  3. commit -> webhook latency (p50/p90/p99) at a steady 1k and 5k events/s
//     (latency.go).
//
// Each figure comes with the CPU it cost per insert or event in this
// process (Graft, the receiver and the inserting clients), Redis,
// PostgreSQL and everything else on the machine (cpu.go): on a shared
// machine the last column is the noise to keep in mind.
//
// The slot and publication have a name unique to the run; on exit Graft
// stops, then the slot is dropped, the run's Redis keys are deleted and the
// database is dropped.
//
// Run it with `make bench-events`, or
//
//	scripts/with-env.sh go run ./tests/bench/events [-quick] [-sections 1,2,3] [-rates 1000,5000]
//	    [-cpuprofile FILE] [-latlog FILE]
//
// -quick (or BENCH_QUICK=1) is a ~20 s run with fewer events. It exits
// non-zero when a section cannot complete (events missing after a few
// minutes), not when a goal is missed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/graftql/graft/tests/bench/benchkit"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The goals printed next to the numbers.
const (
	goalRatio = 0.97 // b/a
	goalRate  = 20000.0
	goalP50   = 5 * time.Millisecond
	goalP99   = 50 * time.Millisecond
)

// settings are the sizes of one run.
type settings struct {
	quick                  bool
	clients                int // section 1's concurrent inserting clients
	inserts, insertWarmup  int
	rounds                 int // section 1's rounds per configuration
	tputEvents, tputBatch  int
	tputTimeout            time.Duration
	latRates               []float64
	latWarmup, latDuration time.Duration
	sections               string
	latLog                 string
	cpuProfile             string
}

// bench is what the sections share.
type bench struct {
	s    settings
	pool *pgxpool.Pool // the inserting clients
	rcv  *receiver
	cpu  *cpuMeter
	// latLog gets section 3's rows as CSV (rate, seq, commit time in Unix
	// seconds and in ms from the rate's start, latency ms) when -latlog is
	// set: a timeline to find what causes the tail.
	latLog io.Writer
}

func main() {
	s := settings{clients: 4, tputBatch: 1000}
	quickEnv := os.Getenv("BENCH_QUICK")
	flag.BoolVar(&s.quick, "quick", quickEnv != "" && quickEnv != "0" && quickEnv != "false",
		"short run (about 20 s): fewer events; also BENCH_QUICK=1")
	flag.StringVar(&s.cpuProfile, "cpuprofile", "", "write a CPU profile of the measurements (Graft and the receiver run in this process) to `file`")
	flag.StringVar(&s.sections, "sections", "1,2,3", "comma-separated sections to run")
	flag.StringVar(&s.latLog, "latlog", "", "write section 3's per-event latencies as CSV to `file`")
	rates := flag.String("rates", "1000,5000", "section 3's event rates (events/s), comma-separated")
	flag.Parse()
	s.latRates = nil
	for _, r := range strings.Split(*rates, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "bench-events: -rates: %q is not a positive number\n", r)
			os.Exit(2)
		}
		s.latRates = append(s.latRates, v)
	}
	if s.quick {
		s.inserts, s.insertWarmup, s.rounds = 4000, 400, 2
		s.tputEvents, s.tputTimeout = 10000, time.Minute
		s.latWarmup, s.latDuration = 500*time.Millisecond, 2500*time.Millisecond
	} else {
		s.inserts, s.insertWarmup, s.rounds = 24000, 1000, 3
		s.tputEvents, s.tputTimeout = 50000, 3*time.Minute
		s.latWarmup, s.latDuration = time.Second, 8*time.Second
	}
	if err := run(s); err != nil {
		fmt.Fprintln(os.Stderr, "bench-events:", err)
		os.Exit(1)
	}
}

func run(s settings) (err error) {
	base, redisURL := os.Getenv("DATABASE_URL"), os.Getenv("REDIS_URL")
	if base == "" || redisURL == "" {
		return errors.New("DATABASE_URL and REDIS_URL must be set: run `make bench-events` (scripts/with-env.sh starts the dev services)")
	}
	want := map[string]bool{}
	for _, x := range strings.Split(s.sections, ",") {
		want[strings.TrimSpace(x)] = true
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	began := time.Now()
	// Cleanup runs in reverse: Graft stops, then its slot goes, then its
	// Redis keys, then the database (which cannot be dropped with a slot).
	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}()
	dbURL, drop, err := testenv.CreateDatabase(ctx, base)
	if err != nil {
		return err
	}
	closers = append(closers, drop)
	pgVersion, err := createSchema(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	pool, err := openPool(ctx, dbURL, max(s.clients, latInserters, tputInserters))
	if err != nil {
		return err
	}
	closers = append(closers, pool.Close)
	b := &bench{s: s, pool: pool, rcv: newReceiver(), cpu: newCPUMeter(ctx, pool, redisURL)}
	closers = append(closers, b.rcv.close)
	if s.latLog != "" {
		f, err := os.Create(s.latLog)
		if err != nil {
			return err
		}
		closers = append(closers, func() { f.Close() })
		b.latLog = f
		fmt.Fprintln(f, "rate,seq,commit_unix,commit_ms,latency_ms")
	}
	fmt.Printf("graft bench-events: %s on %s; %d CPUs, GOMAXPROCS %d; quick=%v\n",
		runtime.Version(), pgVersion, runtime.NumCPU(), runtime.GOMAXPROCS(0), s.quick)
	c0 := b.cpu.sample()
	time.Sleep(time.Second)
	if u := b.cpu.since(c0); u.ok {
		fmt.Printf("machine %.0f%% busy in the second before the run (other processes share these cores: numbers vary with them)\n", 100*u.busy)
	}
	if s.cpuProfile != "" {
		stopProfile, err := benchkit.StartProfile(s.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer stopProfile()
	}

	g := &graftRunner{dbURL: dbURL, redisURL: redisURL, receiverURL: b.rcv.url, slot: "graft_bench_" + benchkit.RandomHex(6)}
	closers = append(closers, func() {
		if err := dropRedisKeys(redisURL, g.slot); err != nil {
			fmt.Fprintln(os.Stderr, "bench-events: delete the run's Redis keys:", err)
		}
	}, func() {
		if err := testenv.DropSlot(dbURL, g.slot); err != nil {
			fmt.Fprintln(os.Stderr, "bench-events:", err)
		}
	}, g.stop)
	b.cpu.watchSlot(pool, g.slot)
	fmt.Printf("Redis: %s\n", b.cpu.redisSettings(ctx))
	fmt.Printf("Graft in-process with Redis: slot and publication %s; setup %.1fs\n", g.slot, time.Since(began).Seconds())

	if want["1"] {
		runs, err := b.measureInserts(ctx, g)
		if err != nil {
			return err
		}
		printInserts(os.Stdout, s, runs)
	}
	if err := g.start(ctx); err != nil {
		return err
	}
	if want["2"] {
		tr, err := b.measureThroughput(ctx)
		if err != nil {
			return fmt.Errorf("throughput: %w", err)
		}
		printThroughput(os.Stdout, tr)
	}
	if want["3"] {
		var lr []latencyRun
		seq := int64(0)
		for _, rate := range s.latRates {
			var r latencyRun
			if r, seq, err = b.measureLatency(ctx, rate, seq); err != nil {
				return fmt.Errorf("latency at %.0f/s: %w", rate, err)
			}
			lr = append(lr, r)
		}
		printLatency(os.Stdout, s, lr)
	}
	if n, m := b.rcv.bad.Load(), b.rcv.stray.Load(); n+m > 0 {
		return fmt.Errorf("the receiver got %d deliveries that were not Hasura payloads and %d for no table", n, m)
	}
	fmt.Printf("\ntotal %.1fs\n", time.Since(began).Seconds())
	return nil
}
