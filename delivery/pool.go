package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of PoolConfig.
const (
	DefaultPoolSize = 100 // HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE
	DefaultLeaseTTL = 30 * time.Second
)

// readBlock bounds a blocking read of the lanes: new events end it at once;
// it only delays noticing a stop or a change of the lanes held.
const readBlock = 500 * time.Millisecond

// defaultParkCap bounds the events a pool keeps in memory while they wait
// for a retry (or behind a retrying event of their row): a webhook that is
// down for long then stops reading at about 100 MB rather than growing
// without bound; the rest wait in Redis.
const defaultParkCap = 100000

// redisTimeout bounds the bookkeeping calls that must not be cut short by a
// stopping pool.
const redisTimeout = 10 * time.Second

// PoolConfig configures a WorkerPool.
type PoolConfig struct {
	// Size is the number of concurrent deliveries of this process
	// (HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE, default 100).
	Size int
	// LeaseTTL is how long a lane stays held without a heartbeat: the delay
	// before a crashed process's events are taken over by another (default
	// 30s; heartbeats every LeaseTTL/3).
	LeaseTTL time.Duration
	// HTTPClient sends the webhooks (default: a client sized to Size).
	HTTPClient *http.Client
	// LookupEnv resolves webhook_from_env, value_from_env and {{VAR}}
	// templates in webhook URLs at delivery time (default os.LookupEnv). An
	// unset variable fails the attempt.
	LookupEnv func(string) (string, bool)
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// WebhookLog, when set, gets a webhook-log line for every webhook
	// request (HASURA_GRAPHQL_ENABLED_LOG_TYPES has webhook-log).
	WebhookLog *slog.Logger
	// Observer hears of every attempt, for metrics; nil: none.
	Observer Observer
	// Jobs, when set, makes this a job queue's pool: every entry is a job
	// (Queue.EnqueueJob) run by Jobs instead of POSTed (jobs.go).
	Jobs JobRunner
}

// WorkerPool delivers queued events to their webhooks. Any number of pools,
// in any number of processes, may share one Queue: each lane is read by one
// pool at a time, which delivers the events of a (trigger, row) in order,
// one at a time, and those of different rows in parallel.
type WorkerPool struct {
	q    *Queue
	src  TriggerSource
	cfg  PoolConfig
	http *webhookClient
	id   string // the pool's lease token

	mu      sync.Mutex
	state   int // 0 new, 1 running, 2 stopped
	lanes   map[int]*laneState
	rows    map[string][]*entry // by Event.row: the head is in flight or waiting for its retry
	byID    map[string]*entry
	inMem   int // entries read and not yet finished
	fresh   int // of which due or in flight for their first attempt
	memCap  int // bounds fresh: the reader waits while it is reached
	parkCap int // bounds inMem beyond memCap: events waiting for (or due for) a retry do not hold up new ones, up to this

	readyNew   []*entry   // heads due for their first attempt, first come first served
	readyRetry []*entry   // heads due for a retry: every retryTurn-th pick when new ones wait too
	picks      int        // workers' picks, for the turns
	cond       *sync.Cond // on mu: a ready queue grew or the pool stopped

	space  chan struct{}
	moved  chan struct{} // the lanes held changed
	pubsub *redis.PubSub

	defsMu sync.Mutex
	defs   map[string]*Trigger // stored definitions by hash

	cancel   context.CancelFunc // stops the heartbeat, reader and listener
	abort    context.CancelFunc // cancels in-flight deliveries
	jobCtx   context.Context
	loops    sync.WaitGroup
	workers  sync.WaitGroup
	posting  atomic.Int64            // attempts under way (the finisher gathers while any are)
	crashed  atomic.Bool             // tests: stop as a killed process would
	onRecord func(id, result string) // tests: called after each recorded attempt

	fin finisher
}

// laneState is a lane this pool holds.
type laneState struct {
	cursor    string // the last entry read ("0": none yet)
	taken     bool   // just taken: reading what a previous holder left, with its retry state
	entries   int    // entries of the lane in memory
	releasing bool   // over the fair share: read no more, give back once empty
}

// entry is an event read from a lane and not yet finished.
type entry struct {
	ev      *Event
	first   bool               // pushed for its first attempt (counted in fresh)
	cancel  context.CancelFunc // while in flight
	timer   *time.Timer        // while waiting for a retry
	dropped bool               // the lane was lost or the trigger deleted: forget it, record nothing
}

// NewWorkerPool returns a pool delivering q's events; src gives the current
// trigger definitions (an event whose trigger src does not have is
// delivered with the definition it was queued with: another process may
// know the trigger before this one does; a trigger deleted from metadata
// has its events removed by Queue.Archive).
func NewWorkerPool(q *Queue, src TriggerSource, cfg PoolConfig) *WorkerPool {
	if cfg.Size <= 0 {
		cfg.Size = DefaultPoolSize
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LookupEnv == nil {
		cfg.LookupEnv = os.LookupEnv
	}
	c := cfg.HTTPClient
	injected := c != nil
	if c == nil {
		c = &http.Client{Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, MaxIdleConns: cfg.Size, MaxIdleConnsPerHost: cfg.Size,
			IdleConnTimeout: idleTimeout,
		}}
	}
	memCap := max(4*cfg.Size, 512)
	p := &WorkerPool{q: q, src: src, cfg: cfg, http: newWebhookClient(cfg.Size, c, injected), id: randomID(), lanes: map[int]*laneState{},
		rows: map[string][]*entry{}, byID: map[string]*entry{}, memCap: memCap, parkCap: defaultParkCap,
		space: make(chan struct{}, 1),
		moved: make(chan struct{}, 1), defs: map[string]*Trigger{}}
	p.fin.p = p
	p.cond = sync.NewCond(&p.mu)
	return p
}

// Start takes a share of the lanes and starts delivering. The pool runs
// until Stop; ctx only bounds the start.
func (p *WorkerPool) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != 0 {
		return errors.New("delivery: a worker pool starts once; create a new one")
	}
	ps := p.q.rdb.Subscribe(ctx, p.q.key("notify"))
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return fmt.Errorf("delivery: subscribe to queue notifications: %w", err)
	}
	p.pubsub, p.state = ps, 1
	base := context.WithoutCancel(ctx)
	var loopCtx context.Context
	loopCtx, p.cancel = context.WithCancel(base)
	p.jobCtx, p.abort = context.WithCancel(base)
	p.loops.Add(3)
	go p.listen(ps)
	go p.heartbeatLoop(loopCtx)
	go p.readLoop(loopCtx)
	for range p.cfg.Size {
		p.workers.Add(1)
		go p.work()
	}
	return nil
}

// Stop stops reading and waits for in-flight deliveries to finish, then
// gives the lanes back (events not yet attempted wait there for the next
// holder). When ctx ends first, in-flight deliveries are cancelled and left
// unrecorded (not counted as attempts), and Stop returns ctx's error.
func (p *WorkerPool) Stop(ctx context.Context) error {
	err := p.halt(ctx)
	if !p.crashed.Load() {
		rctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
		defer cancel()
		if rerr := scriptRelease.Run(rctx, p.q.rdb, nil, p.q.cfg.Prefix, p.id).Err(); rerr != nil {
			p.cfg.Logger.Error("event trigger queue: leaving the pool set failed", "err", rerr)
		}
		p.releaseLanes(rctx, p.heldLanes())
	}
	return err
}

// Kill stops the pool as a killed process would: in-flight attempts are
// cancelled and recorded nowhere, the lanes stay leased until their leases
// expire (PoolConfig.LeaseTTL), then another pool takes them over. It is
// for fault-injection tests; Stop is the way to stop.
func (p *WorkerPool) Kill() {
	p.crashed.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = p.halt(ctx)
}

// halt stops the loops and workers, without touching Redis.
func (p *WorkerPool) halt(ctx context.Context) error {
	p.mu.Lock()
	if p.state != 1 {
		p.mu.Unlock()
		return nil
	}
	p.state = 2
	for _, e := range p.byID {
		if e.timer != nil {
			e.timer.Stop()
		}
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	p.cancel()
	_ = p.pubsub.Close()
	p.loops.Wait()
	done := make(chan struct{})
	go func() { p.workers.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("delivery: stop: in-flight deliveries cancelled: %w", ctx.Err())
		p.abort()
		<-done
	}
	p.abort()
	p.http.closeIdle()
	return err
}

func (p *WorkerPool) heldLanes() []any {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]any, 0, len(p.lanes))
	for n := range p.lanes {
		out = append(out, n)
	}
	return out
}

func (p *WorkerPool) releaseLanes(ctx context.Context, lanes []any) {
	if len(lanes) == 0 {
		return
	}
	args := append([]any{p.q.cfg.Prefix, p.id}, lanes...)
	if err := scriptRelease.Run(ctx, p.q.rdb, nil, args...).Err(); err != nil {
		p.cfg.Logger.Error("event trigger queue: releasing lanes failed", "err", err)
	}
}

// listen handles redeliveries of pending events held here and deleted
// triggers.
func (p *WorkerPool) listen(ps *redis.PubSub) {
	defer p.loops.Done()
	for m := range ps.Channel() {
		p.notice(m.Payload)
	}
}

// redeliverPending makes a pending event held in memory due now, with its
// tries reset (Queue.Redeliver).
func (p *WorkerPool) redeliverPending(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byID[id]
	if e == nil || p.state != 1 {
		return
	}
	e.ev.Tries, e.ev.NextRetryAt = 0, time.Time{}
	if e.timer != nil && e.timer.Stop() {
		e.timer = nil
		p.push(e)
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// sleepCtx waits d unless ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
