package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/graftql/graft/tests/bench/benchkit"
	"io"
	"slices"
	"sync"
	"time"
)

// Section 3: commit -> webhook latency at a steady rate. A pacer releases
// rows at the target rate (checked every millisecond); inserter clients
// commit what is due (a few rows per transaction) and note the time COMMIT
// returned for each row; the receiver notes when each row's event arrived.

type latencyRun struct {
	target   float64 // events/s asked for
	achieved float64 // rows committed per second in the measured window
	events   int     // events measured (after the warm-up)
	rowsPer  float64 // rows per transaction
	p50, p90 time.Duration
	p99, max time.Duration
	cpu      cpuUse // the whole run, warm-up and waiting for the last events included
	total    int
}

const latSQL = `INSERT INTO ` + tableLat + ` (seq, account_id, name, amount)
SELECT s, s % 1000, 'customer ' || s, (s % 100000) / 100.0 FROM unnest($1::bigint[]) s`

const (
	latInserters = 4
	latMaxBatch  = 100 // rows per transaction at most (an inserter catching up)
)

// measureLatency runs rate rows/s for s.latWarmup + s.latDuration; seqs
// start at seq0. It returns the next free seq.
func (b *bench) measureLatency(ctx context.Context, rate float64, seq0 int64) (latencyRun, int64, error) {
	s, pool := b.s, b.pool
	col := b.rcv.collect(tableLat)
	c0 := b.cpu.sample()
	total := int(rate * (s.latWarmup + s.latDuration).Seconds())
	committed := make([]time.Time, total)
	due := make(chan []int64, 1<<14)
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var firstErr error
	txs := 0
	var wg sync.WaitGroup
	for range latInserters {
		wg.Go(func() {
			for seqs := range due {
				// Take whatever else is due, so that a slow commit is
				// followed by a bigger one rather than by a backlog.
			more:
				for len(seqs) < latMaxBatch {
					select {
					case b, ok := <-due:
						if !ok {
							break more
						}
						seqs = append(seqs, b...)
					default:
						break more
					}
				}
				_, err := pool.Exec(ictx, latSQL, seqs)
				at := time.Now()
				mu.Lock()
				txs++
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
				for _, q := range seqs {
					committed[q-seq0] = at
				}
			}
		})
	}
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	issued := 0
	for issued < total && ictx.Err() == nil {
		now := <-tick.C
		n := min(total, int(rate*now.Sub(start).Seconds())) - issued
		for n > 0 {
			k := min(n, latMaxBatch)
			seqs := make([]int64, k)
			for i := range seqs {
				seqs[i] = seq0 + int64(issued+i)
			}
			due <- seqs
			issued, n = issued+k, n-k
		}
	}
	tick.Stop()
	close(due)
	wg.Wait()
	if firstErr != nil {
		return latencyRun{}, 0, fmt.Errorf("insert into %s: %w", tableLat, firstErr)
	}
	if ctx.Err() != nil {
		return latencyRun{}, 0, errors.New("interrupted")
	}
	if _, err := waitFor(ctx, col, total, time.Minute, fmt.Sprintf("the %.0f/s run's events", rate)); err != nil {
		return latencyRun{}, 0, err
	}
	from := start.Add(s.latWarmup)
	var lats []time.Duration
	var lastCommit time.Time
	for i, c := range committed {
		if c.Before(from) {
			continue
		}
		at, ok := col.arrival(seq0 + int64(i))
		if !ok {
			return latencyRun{}, 0, fmt.Errorf("row %d: event delivered under another seq", seq0+int64(i))
		}
		lats = append(lats, max(0, at.Sub(c)))
		if b.latLog != nil {
			fmt.Fprintf(b.latLog, "%.0f,%d,%.6f,%.3f,%.3f\n", rate, seq0+int64(i), float64(c.UnixMicro())/1e6,
				c.Sub(start).Seconds()*1e3, at.Sub(c).Seconds()*1e3)
		}
		if c.After(lastCommit) {
			lastCommit = c
		}
	}
	if len(lats) == 0 {
		return latencyRun{}, 0, errors.New("no row committed after the warm-up")
	}
	slices.Sort(lats)
	r := latencyRun{target: rate, events: len(lats), total: total, cpu: b.cpu.since(c0), rowsPer: float64(total) / float64(txs),
		achieved: float64(len(lats)) / lastCommit.Sub(from).Seconds(),
		p50:      benchkit.Percentile(lats, 0.50), p90: benchkit.Percentile(lats, 0.90), p99: benchkit.Percentile(lats, 0.99), max: lats[len(lats)-1]}
	return r, seq0 + int64(total), nil
}

func printLatency(out io.Writer, s settings, runs []latencyRun) {
	fmt.Fprintf(out, "\n(3) commit -> webhook latency: %s per rate after %s warm-up; %d inserter clients, COMMIT return time -> receiver arrival\n",
		s.latDuration, s.latWarmup, latInserters)
	for _, r := range runs {
		fmt.Fprintf(out, "  %5.0f events/s (achieved %5.0f, %.1f rows/tx, %d events): p50 %s  p90 %s  p99 %s  max %s   %s\n",
			r.target, r.achieved, r.rowsPer, r.events, ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max), latVerdict(r))
		if c := r.cpu.perEvent(r.total, "event"); c != "" {
			fmt.Fprintf(out, "      %s\n", c)
		}
	}
	fmt.Fprintf(out, "  goal: p50 < %s, p99 < %s\n", goalP50, goalP99)
}

func latVerdict(r latencyRun) string {
	return "goal " + benchkit.Verdict(r.p50 < goalP50 && r.p99 < goalP99)
}
