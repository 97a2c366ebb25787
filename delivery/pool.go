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
	DefaultPoolSize     = 100 // HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE
	DefaultLeaseTTL     = 30 * time.Second
	DefaultPollInterval = time.Second
)

// minWait keeps the claim loop from spinning on a queue that is due but
// still leased (clock edge cases).
const minWait = 10 * time.Millisecond

// redisTimeout bounds the bookkeeping calls that must not be cut short by a
// stopping pool.
const redisTimeout = 10 * time.Second

// PoolConfig configures a WorkerPool.
type PoolConfig struct {
	// Size is the number of concurrent deliveries of this process
	// (HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE, default 100).
	Size int
	// LeaseTTL is how long a queue stays claimed without renewal: the
	// delay before a crashed process's in-flight events are retried
	// elsewhere (default 30s; renewed every LeaseTTL/3).
	LeaseTTL time.Duration
	// PollInterval bounds how long an idle pool waits without a
	// notification before looking for work again (default 1s).
	PollInterval time.Duration
	// HTTPClient sends the webhooks (default: a client sized to Size).
	HTTPClient *http.Client
	// LookupEnv resolves webhook_from_env, value_from_env and {{VAR}}
	// templates in webhook URLs at delivery time (default os.LookupEnv). An
	// unset variable fails the attempt.
	LookupEnv func(string) (string, bool)
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// WorkerPool delivers queued events to their webhooks. Any number of pools,
// in any number of processes, may share one Queue: each (trigger, row)
// queue is delivered by one worker at a time, in order.
type WorkerPool struct {
	q    *Queue
	src  TriggerSource
	cfg  PoolConfig
	http *http.Client
	id   string

	mu       sync.Mutex
	state    int // 0 new, 1 running, 2 stopped
	active   map[string]*job
	pubsub   *redis.PubSub
	cancel   context.CancelFunc // stops claiming and listening
	renewal  context.CancelFunc // stops renewing leases (once no job is left)
	abort    context.CancelFunc // cancels in-flight deliveries
	jobCtx   context.Context
	crashed  atomic.Bool             // tests: leave leases behind as a killed process would
	onRecord func(id, result string) // tests: called after each recorded attempt

	// Attempts waiting to be recorded together (see finish).
	fmu      sync.Mutex
	fpending []*finishReq
	flushing bool

	slots   chan struct{}
	wake    chan struct{}
	loops   sync.WaitGroup
	renewer sync.WaitGroup
	jobs    sync.WaitGroup
}

// job is one claimed queue head in flight.
type job struct {
	queue, token string
	fields       map[string]string
	cancel       context.CancelFunc
	lost         atomic.Bool
}

// NewWorkerPool returns a pool delivering q's events; src gives the current
// trigger definitions (an event whose trigger src no longer has is delivered
// with the definition it was queued with).
func NewWorkerPool(q *Queue, src TriggerSource, cfg PoolConfig) *WorkerPool {
	if cfg.Size <= 0 {
		cfg.Size = DefaultPoolSize
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LookupEnv == nil {
		cfg.LookupEnv = os.LookupEnv
	}
	c := cfg.HTTPClient
	if c == nil {
		c = &http.Client{Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, MaxIdleConns: cfg.Size, MaxIdleConnsPerHost: cfg.Size,
			IdleConnTimeout: 90 * time.Second,
		}}
	}
	return &WorkerPool{q: q, src: src, cfg: cfg, http: c, id: randomID(), active: map[string]*job{}}
}

// Start subscribes to queue notifications and starts delivering. The pool
// runs until Stop; ctx only bounds the start.
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
	p.slots = make(chan struct{}, p.cfg.Size)
	for range p.cfg.Size {
		p.slots <- struct{}{}
	}
	p.wake = make(chan struct{}, 1)
	base := context.WithoutCancel(ctx)
	var loopCtx, renewCtx context.Context
	loopCtx, p.cancel = context.WithCancel(base)
	renewCtx, p.renewal = context.WithCancel(base)
	p.jobCtx, p.abort = context.WithCancel(base)
	p.loops.Add(2)
	go p.listen(ps)
	go p.claimLoop(loopCtx)
	p.renewer.Add(1)
	go p.renewLoop(renewCtx)
	return nil
}

// Stop stops claiming work and waits for in-flight deliveries to finish.
// When ctx ends first they are cancelled and their events released
// (not counted as attempts) for another worker, and Stop returns ctx's error.
func (p *WorkerPool) Stop(ctx context.Context) error {
	p.mu.Lock()
	if p.state != 1 {
		p.mu.Unlock()
		return nil
	}
	p.state = 2
	p.mu.Unlock()
	p.cancel()
	_ = p.pubsub.Close()
	p.loops.Wait()
	done := make(chan struct{})
	go func() { p.jobs.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("delivery: stop: in-flight deliveries cancelled: %w", ctx.Err())
		p.abort()
		<-done
	}
	p.abort()
	p.renewal()
	p.renewer.Wait()
	return err
}

func (p *WorkerPool) listen(ps *redis.PubSub) {
	defer p.loops.Done()
	for range ps.Channel() {
		p.poke()
	}
}

func (p *WorkerPool) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// claimLoop leases ready queues for free workers and sleeps (until a
// notification, the next retry time or PollInterval) when there are none.
func (p *WorkerPool) claimLoop(ctx context.Context) {
	defer p.loops.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.slots:
		}
		n := 1
	more:
		for n < p.cfg.Size {
			select {
			case <-p.slots:
				n++
			default:
				break more
			}
		}
		claims, wait, err := p.claim(n)
		for range n - len(claims) {
			p.slots <- struct{}{}
		}
		for _, j := range claims {
			p.run(j)
		}
		if err != nil {
			p.cfg.Logger.Error("event trigger queue: claim failed", "err", err)
		}
		if err == nil && len(claims) == n {
			continue
		}
		d := p.cfg.PollInterval
		if err == nil && wait >= 0 && wait < d {
			d = max(wait, minWait)
		}
		timer.Reset(d)
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// claim leases up to n ready queues. wait is the time until the next queue
// is due (-1: none queued).
func (p *WorkerPool) claim(n int) ([]*job, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	v, err := scriptClaim.Run(ctx, p.q.rdb, nil, p.q.cfg.Prefix, n, p.cfg.LeaseTTL.Milliseconds(), p.id).Slice()
	if err != nil || len(v) != 2 {
		return nil, 0, fmt.Errorf("delivery: claim: %w", err)
	}
	list, _ := v[0].([]any)
	wait, _ := v[1].(int64)
	jobs := make([]*job, 0, len(list))
	for _, c := range list {
		c, _ := c.([]any)
		if len(c) != 3 {
			continue
		}
		q, _ := c[0].(string)
		tok, _ := c[1].(string)
		jobs = append(jobs, &job{queue: q, token: tok, fields: pairsToMap(c[2])})
	}
	if wait < 0 {
		return jobs, -1, nil
	}
	return jobs, time.Duration(wait) * time.Millisecond, nil
}

// run delivers one claimed event on its own goroutine.
func (p *WorkerPool) run(j *job) {
	ctx, cancel := context.WithCancel(p.jobCtx)
	j.cancel = cancel
	p.mu.Lock()
	p.active[j.token] = j
	p.mu.Unlock()
	p.jobs.Add(1)
	go func() {
		defer p.jobs.Done()
		defer func() { p.slots <- struct{}{} }()
		defer cancel()
		defer func() {
			p.mu.Lock()
			delete(p.active, j.token)
			p.mu.Unlock()
		}()
		p.deliver(ctx, j)
	}()
}

// renewLoop extends the leases of in-flight queues; a lease found lost
// (expired and taken by another worker) cancels its delivery.
func (p *WorkerPool) renewLoop(ctx context.Context) {
	defer p.renewer.Done()
	t := time.NewTicker(p.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.mu.Lock()
		jobs := make([]*job, 0, len(p.active))
		args := []any{p.q.cfg.Prefix, p.cfg.LeaseTTL.Milliseconds()}
		for _, j := range p.active {
			jobs = append(jobs, j)
			args = append(args, j.queue, j.token)
		}
		p.mu.Unlock()
		if len(jobs) == 0 {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, p.cfg.LeaseTTL/3)
		held, err := scriptRenew.Run(rctx, p.q.rdb, nil, args...).Int64Slice()
		cancel()
		if err != nil {
			p.cfg.Logger.Error("event trigger queue: lease renewal failed", "err", err)
			continue
		}
		for i, h := range held {
			if h == 0 && i < len(jobs) {
				jobs[i].lost.Store(true)
				jobs[i].cancel()
			}
		}
	}
}

// release gives a queue back without counting the attempt.
func (p *WorkerPool) release(j *job) {
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	if err := scriptRelease.Run(ctx, p.q.rdb, nil, p.q.cfg.Prefix, j.queue, j.token).Err(); err != nil {
		p.cfg.Logger.Error("event trigger queue: release failed", "err", err)
	}
}
