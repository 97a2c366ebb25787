package delivery

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// finishBatch bounds the attempts one finish script records (the script
// holds Redis for its whole run).
const finishBatch = 64

// finishLinger is how long a leader waits for more attempts before recording
// a batch that is not full. It does not delay any webhook: the attempts are
// made; only the next event of each row waits. At a few thousand small
// commits a second the batches were of one or two attempts, and the round
// trips cost more CPU than the webhooks.
const finishLinger = 2 * time.Millisecond

// finishItem is one attempt waiting to be recorded.
type finishItem struct {
	ev      *Event
	outcome string // ok, retry or dead
	tries   int    // attempts made, this one included
	delay   time.Duration
	log     *InvocationLog
	done    chan finishRes
}

// finishRes is the invocation log id of a recorded attempt, or (lead) the
// news that the receiver is to record the pending attempts now.
type finishRes struct {
	logID string
	err   error
	lead  bool
}

// finisher records attempts in groups: one of the waiting workers (the
// leader) runs the script for up to finishBatch of them, then hands the lead
// to the first still waiting. A worker alone records at once; while other
// attempts are under way the leader first waits for them (up to
// finishLinger), so that one round trip serves many attempts.
type finisher struct {
	p        *WorkerPool
	mu       sync.Mutex
	pending  []*finishItem
	flushing bool
	full     chan struct{} // ends a linger: the batch is full or no attempt is under way
}

// record writes the attempt's outcome and invocation log, retrying while
// Redis fails until ctx ends.
func (f *finisher) record(ctx context.Context, it finishItem) (string, error) {
	it.done = make(chan finishRes, 1)
	f.mu.Lock()
	f.pending = append(f.pending, &it)
	lead := !f.flushing
	f.flushing = true
	if f.full == nil {
		f.full = make(chan struct{}, 1)
	}
	if len(f.pending) == finishBatch || f.p.posting.Load() == 0 {
		signal(f.full) // full, or no other attempt is under way: nothing to wait for
	}
	f.mu.Unlock()
	for {
		if !lead {
			res := <-it.done
			if !res.lead {
				return res.logID, res.err
			}
		}
		f.linger(ctx)
		f.mu.Lock()
		n := min(len(f.pending), finishBatch)
		batch := make([]*finishItem, n)
		copy(batch, f.pending)
		f.pending = append(f.pending[:0], f.pending[n:]...)
		f.mu.Unlock()
		f.run(ctx, batch)
		f.mu.Lock()
		if len(f.pending) > 0 {
			f.pending[0].done <- finishRes{lead: true}
		} else {
			f.flushing = false
		}
		f.mu.Unlock()
		lead = false
	}
}

// linger waits, up to finishLinger, for a full batch, while other attempts
// are under way: with none (a single hot row, one event after the other)
// nothing would come, and the row's next event would only wait.
func (f *finisher) linger(ctx context.Context) {
	f.mu.Lock()
	n := len(f.pending)
	select {
	case <-f.full: // a stale signal from an earlier batch
	default:
	}
	f.mu.Unlock()
	if n >= finishBatch || f.p.posting.Load() == 0 {
		return
	}
	t := time.NewTimer(finishLinger)
	defer t.Stop()
	select {
	case <-t.C:
	case <-f.full:
	case <-ctx.Done():
	}
}

// run records a batch, retrying with backoff while Redis fails: the rows
// involved wait, which keeps their events in order.
func (f *finisher) run(ctx context.Context, batch []*finishItem) {
	p := f.p
	args := make([]any, 0, 3+11*len(batch))
	args = append(args, p.q.cfg.Prefix, p.q.cfg.MaxEntries, len(batch))
	now := timeNow().UTC()
	for _, it := range batch {
		it.log.ID, it.log.CreatedAt = randomID(), now
		lj := appendLog(make([]byte, 0, len(it.log.Request)+len(it.log.Response)+256), it.log)
		e := it.ev
		args = append(args, e.lane, e.sid, e.ID, e.Trigger, it.outcome, it.tries, it.delay.Milliseconds(),
			strings.Join(e.logs, ","), e.row, e.def, lj)
	}
	var ids []string
	var err error
	for fails := 1; ; fails++ {
		rctx, cancel := context.WithTimeout(ctx, redisTimeout)
		ids, err = scriptFinish.Run(rctx, p.q.rdb, nil, args...).StringSlice()
		cancel()
		if err == nil && len(ids) != len(batch) {
			err = fmt.Errorf("finish script returned %d results for %d attempts", len(ids), len(batch))
		}
		if err == nil || ctx.Err() != nil {
			break
		}
		p.cfg.Logger.Error("event trigger queue: recording attempts failed; retrying", "attempts", len(batch), "err", err)
		if !sleepCtx(ctx, min(time.Duration(fails)*100*time.Millisecond, 5*time.Second)) {
			break
		}
	}
	for i, it := range batch {
		if err != nil {
			it.done <- finishRes{err: err}
		} else {
			it.done <- finishRes{logID: ids[i]}
		}
	}
}
