package graphql

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graftql/graft/metadata"
)

// Live runs live queries (subscriptions). Subscribers with the same role,
// session, query and variables share one cohort: one statement per refetch,
// one result fanned out. A cohort is refetched only when a table its SQL
// reads was written (Invalidate: from Graft's own mutations and from the
// WAL), or, for what the WAL cannot show (functions, views), on a slow
// fallback tick. A result is pushed only when it differs from the last one.
type Live struct {
	e        *Engine
	Fallback time.Duration // refetch of every cohort; default 5 s
	Debounce time.Duration // bursts of invalidations coalesce; default 5 ms

	// BatchSize caps the cohorts multiplexed into one statement.
	BatchSize int

	statements atomic.Int64 // statements run, for tests and metrics

	mu      sync.Mutex
	cohorts map[liveKey]*cohort
	streams map[*streamSub]bool
	wake    chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
}

type liveKey struct {
	role, query, operation, variables, session string
	backendOnly                                bool
	relay                                      bool // the Relay API's schema
}

type cohort struct {
	key      liveKey
	fields   []plannedField
	tables   map[metadata.QualifiedName]bool
	volatile bool // reads through functions: only the fallback tick sees its changes
	subs     map[*LiveSub]bool
	last     []byte
	dirty    bool
	// mux is the cohort's multiplexing plan (nil: refetched on its own).
	mux        *muxPlan
	muxPlanned bool
}

// LiveSub is one subscriber; Push receives each new result body.
type LiveSub struct {
	Push   func(body []byte)
	c      *cohort
	stream *streamSub
}

// NewLive returns the live-query manager of an engine.
func NewLive(e *Engine) *Live {
	return &Live{e: e, Fallback: 5 * time.Second, Debounce: 5 * time.Millisecond, BatchSize: defaultMuxBatch,
		cohorts: map[liveKey]*cohort{}, streams: map[*streamSub]bool{}, wake: make(chan struct{}, 1)}
}

// Start runs the refetch loop until Stop.
func (l *Live) Start(ctx context.Context) error {
	ctx, l.stop = context.WithCancel(context.WithoutCancel(ctx))
	l.done = make(chan struct{})
	go l.loop(ctx)
	return nil
}

// Stop ends the refetch loop.
func (l *Live) Stop(context.Context) error {
	if l.stop != nil {
		l.stop()
		<-l.done
	}
	return nil
}

// Invalidate marks the cohorts reading any of tables dirty and wakes the loop.
func (l *Live) Invalidate(tables []metadata.QualifiedName) {
	l.mu.Lock()
	any := false
	for _, c := range l.cohorts {
		for _, t := range tables {
			if c.tables[t] {
				c.dirty, any = true, true
				break
			}
		}
	}
	for s := range l.streams {
		for _, t := range tables {
			if s.tables[t] {
				s.dirty, any = true, true
				break
			}
		}
	}
	l.mu.Unlock()
	if any {
		l.poke()
	}
}

// Statements reports how many statements live queries have run.
func (l *Live) Statements() int64 { return l.statements.Load() }

// Cohorts reports how many distinct live queries are running (for tests and metrics).
func (l *Live) Cohorts() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.cohorts)
}

// subscribe adds a subscriber to its cohort, creating and fetching the
// cohort when it is new; the first result is pushed before it returns.
func (l *Live) subscribe(ctx context.Context, key liveKey, fields []plannedField, push func([]byte)) (*LiveSub, error) {
	s := &LiveSub{Push: push}
	l.mu.Lock()
	c := l.cohorts[key]
	if c == nil {
		c = &cohort{key: key, fields: fields, tables: map[metadata.QualifiedName]bool{}, subs: map[*LiveSub]bool{}}
		for _, f := range fields {
			for t := range f.tables {
				c.tables[t] = true
			}
			c.volatile = c.volatile || f.volatile
		}
		l.cohorts[key] = c
	}
	c.subs[s] = true
	s.c = c
	last := c.last
	l.mu.Unlock()
	if last != nil {
		push(last)
		return s, nil
	}
	l.statements.Add(1)
	body := l.e.run(ctx, fields).Body
	l.mu.Lock()
	if c.last == nil {
		c.last = body
	}
	// A write invalidated the cohort while its first fetch ran: the loop
	// left it to this fetch, whose snapshot may predate the write.
	dirty := c.dirty
	l.mu.Unlock()
	push(body)
	if dirty {
		l.poke()
	}
	return s, nil
}

// poke wakes the refetch loop.
func (l *Live) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Unsubscribe removes a subscriber; the cohort goes with its last one.
func (l *Live) Unsubscribe(s *LiveSub) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.stream != nil {
		s.stream.done.Store(true)
		delete(l.streams, s.stream)
		return
	}
	delete(s.c.subs, s)
	if len(s.c.subs) == 0 && l.cohorts[s.c.key] == s.c {
		delete(l.cohorts, s.c.key)
	}
}

func (l *Live) loop(ctx context.Context) {
	defer close(l.done)
	tick := time.NewTicker(l.Fallback)
	defer tick.Stop()
	for {
		all := false
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
			// Let a burst of writes land before refetching once.
			select {
			case <-ctx.Done():
				return
			case <-time.After(l.Debounce):
			}
		case <-tick.C:
			all = true
		}
		l.refetch(ctx, all)
	}
}

// refetch runs the dirty cohorts (every cohort on a fallback tick) and
// pushes results that changed.
func (l *Live) refetch(ctx context.Context, all bool) {
	l.mu.Lock()
	var due []*cohort
	for _, c := range l.cohorts {
		// A cohort whose first fetch is still running is left to it:
		// refetching it too would push the first result twice.
		if (c.dirty || all) && c.last != nil {
			c.dirty = false
			due = append(due, c)
		}
	}
	var streams []*streamSub
	for s := range l.streams {
		if s.dirty || all {
			s.dirty = false
			streams = append(streams, s)
		}
	}
	l.mu.Unlock()
	for _, s := range streams {
		s.fetch(ctx, false)
	}
	bodies := l.fetch(ctx, due)
	for _, c := range due {
		body := bodies[c]
		l.mu.Lock()
		changed := !bytes.Equal(body, c.last)
		if changed {
			c.last = body
		}
		subs := make([]*LiveSub, 0, len(c.subs))
		for s := range c.subs {
			subs = append(subs, s)
		}
		l.mu.Unlock()
		if changed {
			for _, s := range subs {
				s.Push(body)
			}
		}
	}
}

// liveParallel caps the statements one refetch runs at once: the batches
// of a query shape and the cohorts fetched on their own run side by side,
// so a refetch of many cohorts takes about the longest statement's time on
// a database with the cores for it, not the sum of them all.
const liveParallel = 4

// fetch runs the cohorts' statements: multiplexed where their plans allow,
// one by one otherwise.
func (l *Live) fetch(ctx context.Context, due []*cohort) map[*cohort][]byte {
	out := make(map[*cohort][]byte, len(due))
	var mu sync.Mutex
	one := func(c *cohort) {
		l.statements.Add(1)
		body := l.e.run(ctx, c.fields).Body
		mu.Lock()
		out[c] = body
		mu.Unlock()
	}
	groups := map[string][]*cohort{}
	plans := map[string]*muxPlan{}
	var jobs []func()
	for _, c := range due {
		if !c.muxPlanned {
			c.mux, c.muxPlanned = planMux(c), true
		}
		if c.mux == nil {
			jobs = append(jobs, func() { one(c) })
			continue
		}
		groups[c.mux.key] = append(groups[c.mux.key], c)
		plans[c.mux.key] = c.mux
	}
	for key, group := range groups {
		if len(group) == 1 {
			jobs = append(jobs, func() { one(group[0]) })
			continue
		}
		plan := plans[key]
		for start := 0; start < len(group); start += l.BatchSize {
			batch := group[start:min(start+l.BatchSize, len(group))]
			jobs = append(jobs, func() {
				res, ok := l.runMux(ctx, plan, batch)
				if !ok {
					for _, c := range batch {
						one(c)
					}
					return
				}
				mu.Lock()
				for c, b := range res {
					out[c] = b
				}
				mu.Unlock()
			})
		}
	}
	if len(jobs) == 1 {
		jobs[0]()
		return out
	}
	next := make(chan func())
	var wg sync.WaitGroup
	for range min(liveParallel, len(jobs)) {
		wg.Go(func() {
			for job := range next {
				job()
			}
		})
	}
	for _, job := range jobs {
		next <- job
	}
	close(next)
	wg.Wait()
	return out
}

// subscribeStream starts a streaming subscription: its first batch is
// pushed before it returns.
// It is registered before that first fetch (which holds the stream's
// lock, so the loop's refetches follow it): a write committed during the
// fetch marks it dirty instead of going unnoticed.
func (l *Live) subscribeStream(ctx context.Context, s *streamSub) *LiveSub {
	if _, _, tables, err := s.sql(); err == nil {
		s.tables = tables // before Invalidate can read it
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l.mu.Lock()
	l.streams[s] = true
	l.mu.Unlock()
	s.fetchLocked(ctx, true)
	return &LiveSub{Push: s.push, stream: s}
}
