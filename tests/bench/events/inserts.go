package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/graftql/graft/tests/bench/benchkit"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Section 1: single-row INSERT throughput on a table without a trigger,
// with a Graft event trigger, and with a Hasura-style trigger.

// insertRun is one configuration's measured INSERTs, over all rounds.
type insertRun struct {
	label, table string
	graft        bool // the table has a Graft event trigger
	held         bool // and its webhook answers nothing until the inserts end
	n            int
	elapsed      time.Duration // the inserts' time, summed over rounds
	p50, p99     time.Duration // per INSERT (autocommit: includes the commit)
	cpu          cpuUse        // Graft: until each round's events were all delivered
	// Graft only: events delivered while the inserts ran, the longest wait
	// after a round's last INSERT for all its events, and redeliveries.
	during int
	drain  time.Duration
	dups   int
}

func (r insertRun) tps() float64 { return float64(r.n) / r.elapsed.Seconds() }

// config is one table of section 1.
type config struct {
	label, table string
	graft        bool
	held         bool // the receiver holds the webhook's requests while the inserts run
}

func insertSQL(table string) string {
	return "INSERT INTO " + table + " (seq, account_id, name, amount) VALUES ($1, $2, $3, $4)"
}

// insertLoad runs n single-row INSERTs (seq from..from+n-1) from c
// concurrent clients, each statement in its own transaction, and returns
// each one's latency and the time they took.
func insertLoad(ctx context.Context, pool *pgxpool.Pool, table string, from, n, c int) ([]time.Duration, time.Duration, error) {
	sql := insertSQL(table)
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				seq := int64(from + i)
				t0 := time.Now()
				_, err := pool.Exec(ctx, sql, seq, seq%1000, fmt.Sprintf("customer %d", seq), float64(seq%100000)/100)
				lat[i] = time.Since(t0)
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, 0, fmt.Errorf("insert into %s: %w", table, firstErr)
	}
	if ctx.Err() != nil {
		return nil, 0, errors.New("interrupted")
	}
	return lat, elapsed, nil
}

// The configurations of section 1, in the order of a round: (a) and (c)
// while Graft is stopped (no slot is read: no walsender decodes the WAL),
// then Graft starts and (b) and (a') run.
var insertConfigs = []config{
	{label: "(a) no trigger", table: tablePlain},
	{label: "(c) Hasura-style trigger + event_log", table: tableHasura},
	{label: "(b) Graft event trigger", table: tableGraft, graft: true},
	{label: "(b') Graft event trigger, webhook held", table: tableHeld, graft: true, held: true},
	{label: "(a') no trigger, Graft reading the WAL", table: tablePlain2},
}

// graftControl starts and stops the in-process Graft (on the same slot).
type graftControl interface {
	start(ctx context.Context) error
	stop()
}

// measureInserts measures insertConfigs in s.rounds rounds (each round
// inserts s.inserts/s.rounds rows into each table), stopping Graft before
// each round and starting it again for (b), so that bursts of other load on
// a shared machine spread over all configurations. Every table gets its
// warm-up first; after each start of Graft, a few rows must be delivered
// before (b) is measured (the slot streams, the pipeline is warm), and after
// each round of (b) its events are waited for, so that no backlog slows down
// (a'); (b)'s CPU counts until then. Graft is left running.
func (b *bench) measureInserts(ctx context.Context, g graftControl) ([]insertRun, error) {
	s := b.s
	runs := make([]insertRun, len(insertConfigs))
	lats := make([][]time.Duration, len(insertConfigs))
	next := make([]int, len(insertConfigs)) // the next seq of each table
	cols := map[string]*collector{}
	for r := range s.rounds {
		rows := (r+1)*s.inserts/s.rounds - r*s.inserts/s.rounds
		for k, c := range insertConfigs {
			warmup := 0
			if r == 0 {
				runs[k] = insertRun{label: c.label, table: c.table, graft: c.graft, held: c.held, cpu: cpuUse{ok: true}}
				warmup = s.insertWarmup
			}
			if c.graft {
				if err := g.start(ctx); err != nil {
					return nil, err
				}
				if cols[c.table] == nil {
					cols[c.table] = b.rcv.collect(c.table)
				}
				warmup = max(warmup, s.insertWarmup/4)
			}
			if warmup > 0 {
				if _, _, err := insertLoad(ctx, b.pool, c.table, next[k], warmup, s.clients); err != nil {
					return nil, err
				}
				next[k] += warmup
			}
			col := cols[c.table]
			if c.graft {
				if _, err := waitFor(ctx, col, next[k], time.Minute, c.label+": the warm-up's events"); err != nil {
					return nil, err
				}
			}
			if c.held {
				col.hold()
			}
			c0 := b.cpu.sample()
			lat, el, err := insertLoad(ctx, b.pool, c.table, next[k], rows, s.clients)
			if c.held {
				col.release()
			}
			if err != nil {
				return nil, err
			}
			end := time.Now()
			run := &runs[k]
			run.n, run.elapsed = run.n+len(lat), run.elapsed+el
			lats[k] = append(lats[k], lat...)
			if c.graft {
				run.during += col.count() - next[k]
				last, err := waitFor(ctx, col, next[k]+rows, 2*time.Minute, c.label+": the inserts' events")
				if err != nil {
					return nil, err
				}
				run.drain = max(run.drain, last.Sub(end))
				run.dups = col.duplicates()
			}
			next[k] += rows
			run.cpu = run.cpu.add(b.cpu.since(c0))
		}
		if r < s.rounds-1 {
			g.stop()
		}
		fmt.Fprintf(os.Stderr, "  round %d of %d done\n", r+1, s.rounds)
	}
	for k := range runs {
		slices.Sort(lats[k])
		runs[k].p50, runs[k].p99 = benchkit.Percentile(lats[k], 0.50), benchkit.Percentile(lats[k], 0.99)
	}
	return runs, nil
}

// waitFor waits until col has seen n distinct events and returns when the
// n-th arrived; it fails after timeout, saying how far delivery got.
func waitFor(ctx context.Context, col *collector, n int, timeout time.Duration, what string) (time.Time, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case at := <-col.reached(n):
		return at, nil
	case <-t.C:
		return time.Time{}, fmt.Errorf("%s: only %d of %d delivered after %s", what, col.count(), n, timeout)
	case <-ctx.Done():
		return time.Time{}, errors.New("interrupted")
	}
}

func printInserts(out io.Writer, s settings, runs []insertRun) {
	fmt.Fprintf(out, "\n(1) single-row INSERT throughput: %d inserts from %d clients per configuration, in %d alternating rounds, after %d warm-up inserts; autocommit\n",
		s.inserts, s.clients, s.rounds, s.insertWarmup)
	var a, a2, b, bh, c float64
	for _, r := range runs {
		fmt.Fprintf(out, "  %-46s %7.0f TPS   p50 %s  p99 %s\n", r.label, r.tps(), ms(r.p50), ms(r.p99))
		what := "insert"
		if r.graft {
			what = "insert, until delivered"
			fmt.Fprintf(out, "      delivered %d of %d events while the inserts ran; a round's last event %s after its last insert at most (%d redelivered)\n",
				r.during, r.n, roundMS(r.drain), r.dups)
		}
		if r.held {
			fmt.Fprintf(out, "      (the webhook answered nothing until the inserts ended: Graft read the WAL and queued in Redis, delivering next to nothing meanwhile)\n")
		}
		if c := r.cpu.perEvent(r.n, what); c != "" {
			fmt.Fprintf(out, "      %s\n", c)
		}
		switch r.table {
		case tablePlain:
			a = r.tps()
		case tablePlain2:
			a2 = r.tps()
		case tableGraft:
			b = r.tps()
		case tableHeld:
			bh = r.tps()
		case tableHasura:
			c = r.tps()
		}
	}
	if a > 0 && b > 0 {
		fmt.Fprintf(out, "  b/a = %.3f   goal >= %.2f: %s\n", b/a, goalRatio, benchkit.Verdict(b/a >= goalRatio))
	}
	if a > 0 && bh > 0 {
		fmt.Fprintf(out, "  b'/a = %.3f  (capturing and queueing the events; delivery is what (b) adds on these shared cores)\n", bh/a)
	}
	if a2 > 0 && b > 0 {
		fmt.Fprintf(out, "  b/a' = %.3f  (against (a') measured alongside (b), Graft reading the WAL)\n", b/a2)
	}
	if a > 0 && c > 0 {
		fmt.Fprintf(out, "  c/a = %.3f   (Hasura-style trigger writing event_log rows; Hasura's poller not included)\n", c/a)
	}
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func roundMS(d time.Duration) string { return d.Round(time.Millisecond).String() }
