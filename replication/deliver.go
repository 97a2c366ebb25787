package replication

import (
	"context"
	"fmt"
	"sync"
)

// The delivery side of a session: a goroutine that calls the Sink, so a
// slow or failing Sink never holds up the receive loop's status updates.

// deliver hands queued transactions to the Sink in order, retrying a
// failing one with backoff (never skipping it), and acknowledges each.
func (ss *session) deliver(ctx context.Context) {
	bo := newBackoff(ss.s.cfg.MinBackoff, ss.s.cfg.MaxBackoff)
	batch, _ := ss.s.cfg.Sink.(BatchSink)
	var ps []*pendingTx
	for {
		ps = ps[:0]
		select {
		case p := <-ss.queue:
			ps = append(ps, p)
		case <-ctx.Done():
			return
		}
	more:
		for batch != nil && len(ps) < maxBatch {
			select {
			case p := <-ss.queue:
				ps = append(ps, p)
			default:
				break more
			}
		}
		bo.reset()
		for attempt := 1; ; attempt++ {
			err := ss.handle(ps, batch)
			if err == nil {
				break
			}
			if ss.sinkCtx.Err() != nil {
				return
			}
			delay := bo.next()
			first, last := ps[0].tx, ps[len(ps)-1].tx
			ss.s.log.Warn("replication: sink failed; retrying the transaction(s)", "xid", first.XID, "transactions", len(ps),
				"commit_lsn", lsnString(first.CommitLSN), "last_commit_lsn", lsnString(last.CommitLSN),
				"attempt", attempt, "retry_in", delay.String(), "error", err)
			if !sleep(ctx, delay) {
				return
			}
		}
		ss.s.advance(ps[len(ps)-1].end)
		ss.acked.Add(uint64(len(ps)))
		if ss.unreported.CompareAndSwap(false, true) {
			ss.waker.wake()
		}
	}
}

func (ss *session) handle(ps []*pendingTx, batch BatchSink) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sink panicked: %v", r)
		}
	}()
	if batch == nil || len(ps) == 1 {
		return ss.s.cfg.Sink.HandleTransaction(ss.sinkCtx, ps[0].tx)
	}
	txs := make([]*Transaction, len(ps))
	for i, p := range ps {
		txs[i] = p.tx
	}
	return batch.HandleTransactions(ss.sinkCtx, txs)
}

// waker interrupts the receive loop's wait when deliver acknowledges a
// transaction (the first since the last status update), so the new
// position is reported within StatusDelay.
type waker struct {
	mu        sync.Mutex
	interrupt func() // ends the current receive, while waiting
	pending   bool
	ch        chan struct{} // for enqueue's wait
}

func (w *waker) wake() {
	w.mu.Lock()
	w.pending = true
	if w.interrupt != nil {
		w.interrupt()
	}
	w.mu.Unlock()
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// arm registers the receive's interrupt, unless a wake-up is pending.
func (w *waker) arm(interrupt func()) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pending {
		w.pending = false
		return false
	}
	w.interrupt = interrupt
	return true
}

func (w *waker) disarm() {
	w.mu.Lock()
	w.interrupt = nil
	w.mu.Unlock()
}
