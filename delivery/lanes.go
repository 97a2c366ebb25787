package delivery

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// trimEvery is how often a pool trims the logs and done/dead streams by age
// (they are also capped by count at each write).
const trimEvery = time.Minute

// heartbeatLoop keeps the pool's lanes: every LeaseTTL/3 it renews their
// leases, takes free lanes up to its fair share and gives back the ones
// over it.
func (p *WorkerPool) heartbeatLoop(ctx context.Context) {
	defer p.loops.Done()
	var trimmed time.Time
	for {
		p.heartbeat(ctx)
		if time.Since(trimmed) >= trimEvery {
			trimmed = time.Now()
			if err := p.q.trim(ctx); err != nil && ctx.Err() == nil {
				p.cfg.Logger.Warn("event trigger queue: trimming logs failed", "err", err)
			}
			p.http.closeStale()
		}
		if !sleepCtx(ctx, p.cfg.LeaseTTL/3) {
			return
		}
	}
}

func (p *WorkerPool) heartbeat(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, p.cfg.LeaseTTL/3)
	defer cancel()
	lanes := p.q.cfg.Lanes
	v, err := scriptLanes.Run(rctx, p.q.rdb, nil, p.q.cfg.Prefix, p.id, p.cfg.LeaseTTL.Milliseconds(), lanes,
		rand.IntN(lanes)).Int64Slice()
	if err != nil || len(v) == 0 {
		if ctx.Err() == nil {
			p.cfg.Logger.Error("event trigger queue: heartbeat failed", "err", err)
		}
		return
	}
	share, held := int(v[0]), make(map[int]bool, len(v)-1)
	var fresh []int
	p.mu.Lock()
	for _, n := range v[1:] {
		held[int(n)] = true
		if p.lanes[int(n)] == nil {
			fresh = append(fresh, int(n))
		}
	}
	for n := range p.lanes {
		if !held[n] {
			p.cfg.Logger.Warn("event trigger queue: lane lease lost (another pool took it over after a missed heartbeat); its events are left to that pool",
				"lane", n)
			p.dropLane(n)
		}
	}
	for _, n := range fresh {
		p.lanes[n] = &laneState{cursor: "0", taken: true}
	}
	// Keep the first `share` lanes; the others are read no more and given
	// back once their events in memory are finished.
	order := make([]int, 0, len(p.lanes))
	for n := range p.lanes {
		order = append(order, n)
	}
	slices.Sort(order)
	var release []any
	for i, n := range order {
		l := p.lanes[n]
		l.releasing = i >= share
		if l.releasing && l.entries == 0 {
			delete(p.lanes, n)
			release = append(release, n)
		}
	}
	p.mu.Unlock()
	p.releaseLanes(rctx, release)
	if len(fresh) > 0 || len(release) > 0 {
		signal(p.moved)
	}
}

// dropLane forgets a lost lane's events (the new holder delivers them).
// p.mu is held.
func (p *WorkerPool) dropLane(n int) {
	for _, e := range p.byID {
		if e.ev.lane == n {
			p.forget(e)
		}
	}
	delete(p.lanes, n)
	signal(p.space)
}

// forget drops an event from memory: a waiting one is not attempted, an
// in-flight one is cancelled and left unrecorded. p.mu is held.
func (p *WorkerPool) forget(e *entry) {
	e.dropped = true
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	if e.cancel != nil {
		e.cancel()
	}
	delete(p.byID, e.ev.ID)
	delete(p.rows, e.ev.row) // a row's queue holds the events of one lane and trigger
	p.inMem--
}

// trim drops logs and done/dead events older than the retention.
func (q *Queue) trim(ctx context.Context) error {
	trigs, err := q.rdb.SMembers(ctx, q.key("trigs")).Result()
	if err != nil || len(trigs) == 0 {
		return err
	}
	minID := strconv.FormatInt(time.Now().Add(-q.cfg.Retention).UnixMilli(), 10)
	pl := q.rdb.Pipeline()
	for _, t := range trigs {
		for _, kind := range []string{"log", "done", "dead"} {
			pl.XTrimMinIDApprox(ctx, q.key(kind, t), minID, 0)
		}
	}
	_, err = pl.Exec(ctx)
	return err
}
