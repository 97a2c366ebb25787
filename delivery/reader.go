package delivery

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// readLoop reads the held lanes into memory while there is room: a lane
// just taken from its first entry (every entry still in a lane is
// unfinished: finished ones are deleted), with the retry state of those a
// previous holder attempted; then new entries, with one blocking XREAD over
// every lane from where each was last read. Reading changes nothing in
// Redis, so a read whose reply is lost is simply made again, and a read that
// lands after its lane changed hands costs the new holder nothing.
func (p *WorkerPool) readLoop(ctx context.Context) {
	defer p.loops.Done()
	fails := 0
	for ctx.Err() == nil {
		p.mu.Lock()
		free := p.memCap - p.fresh
		if p.inMem >= p.memCap+p.parkCap {
			free = 0
		}
		var taken, live []int
		var from []string
		for n, l := range p.lanes {
			switch {
			case l.releasing:
			case l.taken:
				taken = append(taken, n)
			default:
				live = append(live, n)
				from = append(from, l.cursor)
			}
		}
		p.mu.Unlock()
		if free <= 0 || len(taken)+len(live) == 0 {
			select {
			case <-ctx.Done():
			case <-p.space:
			case <-p.moved:
			}
			continue
		}
		var err error
		if len(taken) > 0 {
			err = p.readTaken(ctx, taken[0], free)
		} else {
			err = p.readNew(ctx, live, from, free)
		}
		if err == nil {
			fails = 0
			continue
		}
		if ctx.Err() != nil {
			return
		}
		fails++
		p.cfg.Logger.Error("event trigger queue: reading the lanes failed", "err", err)
		if !sleepCtx(ctx, min(time.Duration(fails)*100*time.Millisecond, 5*time.Second)) {
			return
		}
	}
}

// readNew reads the entries queued since the last read of the live lanes.
func (p *WorkerPool) readNew(ctx context.Context, live []int, from []string, free int) error {
	streams := make([]string, 0, 2*len(live))
	for _, n := range live {
		streams = append(streams, p.q.laneKey(n))
	}
	streams = append(streams, from...)
	res, err := p.q.rdb.XRead(ctx, &redis.XReadArgs{Streams: streams,
		Count: int64(max(1, free/len(live))), Block: readBlock}).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return err
	}
	var evs []*Event
	p.mu.Lock()
	for _, s := range res {
		n := p.laneNumber(s.Stream)
		if l := p.lanes[n]; l != nil && !l.taken && len(s.Messages) > 0 {
			l.cursor = s.Messages[len(s.Messages)-1].ID
		}
	}
	p.mu.Unlock()
	for _, s := range res {
		n := p.laneNumber(s.Stream)
		for _, m := range s.Messages {
			if e, ok := p.parseEntry(n, m); ok {
				evs = append(evs, e)
			}
		}
	}
	p.accept(evs)
	return nil
}

// readTaken reads a page of a lane just taken, with the retry state of the
// entries a previous holder attempted.
func (p *WorkerPool) readTaken(ctx context.Context, n, free int) error {
	p.mu.Lock()
	l := p.lanes[n]
	if l == nil {
		p.mu.Unlock()
		return nil
	}
	from := l.cursor
	p.mu.Unlock()
	count := max(1, min(free, 1000))
	res, err := p.q.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{p.q.laneKey(n), from},
		Count: int64(count), Block: -1}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	var msgs []redis.XMessage
	if len(res) > 0 {
		msgs = res[0].Messages
	}
	var evs []*Event
	for _, m := range msgs {
		if e, ok := p.parseEntry(n, m); ok {
			evs = append(evs, e)
		}
	}
	if len(evs) > 0 {
		ids := make([]string, len(evs))
		for i, e := range evs {
			ids[i] = e.ID
		}
		states, err := p.q.rdb.HMGet(ctx, p.q.key("retry"), ids...).Result()
		if err != nil {
			return err
		}
		for i, s := range states {
			if v, ok := s.(string); ok {
				evs[i].applyRetry(v)
			}
		}
	}
	p.mu.Lock()
	if l := p.lanes[n]; l != nil {
		if len(msgs) > 0 {
			l.cursor = msgs[len(msgs)-1].ID
		}
		// Past the end: what comes next was queued after the take-over and
		// has never been attempted.
		l.taken = len(msgs) == count
	}
	p.mu.Unlock()
	p.accept(evs)
	return nil
}

func (p *WorkerPool) laneNumber(key string) int {
	n := 0
	for _, c := range key[strings.LastIndexByte(key, ':')+1:] {
		n = n*10 + int(c-'0')
	}
	return n
}

// parseEntry reads a lane entry; an unreadable one is logged and skipped
// (it stays in the lane for inspection).
func (p *WorkerPool) parseEntry(n int, m redis.XMessage) (*Event, bool) {
	e, err := eventFromEntry(n, m)
	if err != nil {
		p.cfg.Logger.Error("event trigger queue: unreadable entry skipped", "lane", n, "entry", m.ID, "err", err)
		return nil, false
	}
	return e, true
}

// accept queues read events behind the earlier events of their rows. Events
// of lanes no longer held (the read raced a change of hands) are left to
// the new holder, which reads its lanes from their first entry.
func (p *WorkerPool) accept(evs []*Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range evs {
		l := p.lanes[ev.lane]
		if l == nil || p.state != 1 {
			continue
		}
		if old := p.byID[ev.ID]; old != nil && old.ev.sid == ev.sid {
			continue
		}
		e := &entry{ev: ev}
		p.byID[ev.ID] = e
		p.inMem++
		l.entries++
		q := append(p.rows[ev.row], e)
		p.rows[ev.row] = q
		if len(q) == 1 {
			p.schedule(e)
		}
	}
}

// schedule makes a row's head due now or at its retry time. p.mu is held.
func (p *WorkerPool) schedule(e *entry) {
	if d := time.Until(e.ev.NextRetryAt); d > 0 {
		e.timer = time.AfterFunc(d, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.state == 1 && !e.dropped && e.timer != nil {
				e.timer = nil
				p.push(e)
			}
		})
		return
	}
	p.push(e)
}

// retryTurn: when both queues wait, one pick in retryTurn is a retry. New
// events go first so that a broken webhook's retries (already late) do not
// hold up the first attempts of everything else; retries still progress.
const retryTurn = 4

// push hands a due row head to the workers. p.mu is held.
func (p *WorkerPool) push(e *entry) {
	if e.ev.Tries == 0 {
		e.first = true
		p.fresh++
		p.readyNew = append(p.readyNew, e)
	} else {
		p.readyRetry = append(p.readyRetry, e)
	}
	p.cond.Signal()
}

// pick takes the next due head, or nil when there is none. p.mu is held.
func (p *WorkerPool) pick() *entry {
	p.picks++
	q := &p.readyNew
	if len(p.readyRetry) > 0 && (len(p.readyNew) == 0 || p.picks%retryTurn == 0) {
		q = &p.readyRetry
	}
	if len(*q) == 0 {
		return nil
	}
	e := (*q)[0]
	(*q)[0] = nil
	*q = (*q)[1:]
	return e
}

// settle ends an attempt's claim on the fresh budget. p.mu is held.
func (p *WorkerPool) settle(e *entry) {
	if e.first {
		e.first = false
		p.fresh--
		signal(p.space)
	}
}

// abandon ends an attempt that recorded nothing (stopping, or the lane was
// lost): the event stays pending in its lane.
func (p *WorkerPool) abandon(e *entry) {
	p.mu.Lock()
	p.settle(e)
	p.mu.Unlock()
}

// work is one of the pool's Size delivery goroutines.
// Once the pool stops, the heads still queued are drained (abandoned).
func (p *WorkerPool) work() {
	defer p.workers.Done()
	p.mu.Lock()
	for {
		e := p.pick()
		for e == nil && p.state == 1 {
			p.cond.Wait()
			e = p.pick()
		}
		if e == nil {
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		p.attempt(e)
		p.mu.Lock()
	}
}

// finished takes a recorded event out of memory and starts the next event
// of its row, or schedules the retry.
func (p *WorkerPool) finished(e *entry, outcome string, delay time.Duration, logID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settle(e)
	if e.dropped {
		return
	}
	e.ev.logs = append(e.ev.logs, logID)
	if outcome == "retry" {
		e.ev.Tries++
		e.ev.NextRetryAt = time.Now().Add(delay)
		if p.state == 1 {
			p.schedule(e)
		}
		return
	}
	delete(p.byID, e.ev.ID)
	p.inMem--
	l := p.lanes[e.ev.lane]
	if l != nil {
		l.entries--
	}
	q := p.rows[e.ev.row]
	if len(q) > 0 && q[0] == e {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(p.rows, e.ev.row)
	} else {
		p.rows[e.ev.row] = q
		if p.state == 1 {
			p.schedule(q[0])
		}
	}
}
