package delivery

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// readLoop reads the held lanes into memory while there is room: first the
// entries a previous holder left unacknowledged, then new ones, with one
// blocking XREADGROUP over every lane.
func (p *WorkerPool) readLoop(ctx context.Context) {
	defer p.loops.Done()
	fails := 0
	for ctx.Err() == nil {
		p.mu.Lock()
		free := p.memCap - p.fresh
		if p.inMem >= p.memCap+p.parkCap {
			free = 0
		}
		var pending, live []int
		for n, l := range p.lanes {
			switch {
			case l.releasing:
			case l.pelFrom != "":
				pending = append(pending, n)
			default:
				live = append(live, n)
			}
		}
		p.mu.Unlock()
		if free <= 0 || len(pending)+len(live) == 0 {
			select {
			case <-ctx.Done():
			case <-p.space:
			case <-p.moved:
			}
			continue
		}
		var err error
		if len(pending) > 0 {
			err = p.readPending(ctx, pending[0], free)
		} else {
			err = p.readNew(ctx, live, free)
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
		// The read may have happened with only its reply lost (a dropped
		// connection): the entries are then in the lanes' pending lists, so
		// read those again (entries already in memory are skipped).
		p.mu.Lock()
		for _, l := range p.lanes {
			l.pelFrom = "0"
		}
		p.mu.Unlock()
		if !sleepCtx(ctx, min(time.Duration(fails)*100*time.Millisecond, 5*time.Second)) {
			return
		}
	}
}

// readNew reads entries never delivered from the live lanes.
func (p *WorkerPool) readNew(ctx context.Context, live []int, free int) error {
	streams := make([]string, 0, 2*len(live))
	for _, n := range live {
		streams = append(streams, p.q.laneKey(n))
	}
	for range live {
		streams = append(streams, ">")
	}
	res, err := p.q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: laneGroup, Consumer: laneConsumer,
		Streams: streams, Count: int64(max(1, free/len(live))), Block: readBlock}).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		if strings.Contains(err.Error(), "NOGROUP") { // the lane's key was deleted: recreate its group
			for _, n := range live {
				_ = p.q.rdb.XGroupCreateMkStream(ctx, p.q.laneKey(n), laneGroup, "0").Err()
			}
		}
		return err
	}
	var evs []*Event
	for _, s := range res {
		n := p.laneNumber(s.Stream)
		for _, m := range s.Messages {
			if e, ok := p.parseEntry(ctx, n, m); ok {
				evs = append(evs, e)
			}
		}
	}
	p.accept(evs)
	return nil
}

// readPending reads a page of the entries a previous holder of the lane read
// and did not finish, with their retry state.
func (p *WorkerPool) readPending(ctx context.Context, n, free int) error {
	p.mu.Lock()
	l := p.lanes[n]
	if l == nil {
		p.mu.Unlock()
		return nil
	}
	from := l.pelFrom
	p.mu.Unlock()
	count := max(1, min(free, 1000))
	res, err := p.q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: laneGroup, Consumer: laneConsumer,
		Streams: []string{p.q.laneKey(n), from}, Count: int64(count), Block: -1}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	var msgs []redis.XMessage
	if len(res) > 0 {
		msgs = res[0].Messages
	}
	var evs []*Event
	for _, m := range msgs {
		if e, ok := p.parseEntry(ctx, n, m); ok {
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
		if len(msgs) < count {
			l.pelFrom = ""
		} else {
			l.pelFrom = msgs[len(msgs)-1].ID
		}
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

// parseEntry reads a lane entry; an entry deleted after being read (it
// shows with no fields) or unreadable is acknowledged and skipped.
func (p *WorkerPool) parseEntry(ctx context.Context, n int, m redis.XMessage) (*Event, bool) {
	e, err := eventFromEntry(n, m)
	if err == nil {
		return e, true
	}
	if len(m.Values) > 0 {
		p.cfg.Logger.Error("event trigger queue: unreadable entry dropped", "lane", n, "entry", m.ID, "err", err)
	}
	_ = p.q.rdb.XAck(ctx, p.q.laneKey(n), laneGroup, m.ID).Err()
	return nil, false
}

// accept queues read events behind the earlier events of their rows.
func (p *WorkerPool) accept(evs []*Event) {
	var gone []int
	p.mu.Lock()
	defer func() {
		p.mu.Unlock()
		p.handBack(gone)
	}()
	for _, ev := range evs {
		l := p.lanes[ev.lane]
		if l == nil || p.state != 1 {
			if !slices.Contains(gone, ev.lane) {
				gone = append(gone, ev.lane)
			}
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

// handBack tells the holders of lanes given up (or lost) while a read was
// under way that it landed in the lanes' pending lists after they had read
// them: they read them again.
func (p *WorkerPool) handBack(lanes []int) {
	for _, n := range lanes {
		ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
		if err := p.q.rdb.Publish(ctx, p.q.key("notify"), rescanPrefix+strconv.Itoa(n)).Err(); err != nil {
			p.cfg.Logger.Error("event trigger queue: handing back a lane's events failed; its holder finds them when it next takes the lane over",
				"lane", n, "err", err)
		}
		cancel()
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
