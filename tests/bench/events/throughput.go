package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/graftql/graft/tests/bench/benchkit"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Section 2: sustained delivery throughput. The rows go in with big
// multi-row INSERTs, as fast as the database takes them; the clock runs from
// the first commit until the receiver has seen every event id.

type throughputRun struct {
	events, batch int
	inserting     time.Duration // first commit to last commit
	elapsed       time.Duration // first commit to the last distinct event delivered
	dups          int
	cpu           cpuUse // from the first INSERT until the last event arrived
}

func (r throughputRun) rate() float64 { return float64(r.events) / r.elapsed.Seconds() }

const tputSQL = `INSERT INTO ` + tableTput + ` (seq, account_id, name, amount)
SELECT g, g % 1000, 'customer ' || g, (g % 100000) / 100.0 FROM generate_series($1::bigint, $2::bigint) g`

// tputInserters commit the batches concurrently.
const tputInserters = 2

func (b *bench) measureThroughput(ctx context.Context) (throughputRun, error) {
	s, pool := b.s, b.pool
	col := b.rcv.collect(tableTput)
	c0 := b.cpu.sample()
	done := col.reached(s.tputEvents)
	batches := (s.tputEvents + s.tputBatch - 1) / s.tputBatch
	var next atomic.Int64
	var mu sync.Mutex
	var first, last time.Time
	var firstErr error
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range tputInserters {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= batches || ictx.Err() != nil {
					return
				}
				lo := k * s.tputBatch
				hi := min(lo+s.tputBatch, s.tputEvents) - 1
				_, err := pool.Exec(ictx, tputSQL, lo, hi)
				at := time.Now()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if first.IsZero() || at.Before(first) {
					first = at
				}
				last = at
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return throughputRun{}, fmt.Errorf("insert into %s: %w", tableTput, firstErr)
	}
	r := throughputRun{events: s.tputEvents, batch: s.tputBatch, inserting: last.Sub(first)}
	deadline := time.NewTimer(s.tputTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case at := <-done:
			r.elapsed, r.dups, r.cpu = at.Sub(first), col.duplicates(), b.cpu.since(c0)
			return r, nil
		case <-tick.C:
			n := col.count()
			fmt.Fprintf(os.Stderr, "  ... %d of %d events delivered after %s (%.0f/s)\n",
				n, s.tputEvents, roundMS(time.Since(first)), float64(n)/time.Since(first).Seconds())
		case <-deadline.C:
			return throughputRun{}, fmt.Errorf("only %d of %d events delivered %s after the first commit: delivery is stalled or far too slow",
				col.count(), s.tputEvents, roundMS(time.Since(first)))
		case <-ctx.Done():
			return throughputRun{}, errors.New("interrupted")
		}
	}
}

func printThroughput(out io.Writer, r throughputRun) {
	fmt.Fprintf(out, "\n(2) delivery throughput: %d events (%d-row INSERTs from %d clients, committed in %s)\n",
		r.events, r.batch, tputInserters, roundMS(r.inserting))
	fmt.Fprintf(out, "  first commit -> all %d distinct events at the receiver: %s = %.0f events/s  (%d redelivered)\n",
		r.events, roundMS(r.elapsed), r.rate(), r.dups)
	if c := r.cpu.perEvent(r.events, "event"); c != "" {
		fmt.Fprintf(out, "  %s\n", c)
	}
	fmt.Fprintf(out, "  goal >= %.0f events/s: %s\n", goalRate, benchkit.Verdict(r.rate() >= goalRate))
}
