package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Stream consumes the slot and hands committed transactions to the Sink.
// After Start it keeps running (standing by, streaming, reconnecting) until
// Stop; it may be started again after Stop.
type Stream struct {
	cfg       Config
	log       *slog.Logger
	replCfg   *pgconn.Config
	normalCfg *pgx.ConnConfig

	mu     sync.Mutex
	pool   *pgxpool.Pool // catalog queries, server-side rendering, Lag
	cancel context.CancelFunc
	done   chan struct{}
	first  *tempSlot // created by Start, for the first session

	persistent atomic.Bool            // sessions read SlotName, not temporary slots
	tempName   atomic.Pointer[string] // the temporary slot being streamed
	// onPersistent is set once a session read the persistent slot (the
	// run goroutine's own state).
	onPersistent bool
	sessMu       sync.Mutex
	endSession   context.CancelFunc // ends the current session (UsePersistent)

	leader atomic.Bool
	// confirmed is the end LSN up to which every transaction has been
	// acknowledged by the Sink (or the server reported nothing to send);
	// the slot may advance to it and transactions committed before it are
	// never handed to the Sink again.
	confirmed atomic.Uint64
}

// New checks the configuration; nothing connects until Start.
func New(cfg Config) (*Stream, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	repl, normal, err := connConfigs(&cfg)
	if err != nil {
		return nil, err
	}
	s := &Stream{cfg: cfg, log: cfg.Logger.With("slot", cfg.SlotName), replCfg: repl, normalCfg: normal}
	s.persistent.Store(!cfg.Temporary)
	return s, nil
}

// Start connects, creates the publication and the slot when missing (a
// temporary slot in Temporary mode), and starts consuming in the
// background: as the leader when this process takes the slot's advisory
// lock (or in Independent mode), otherwise standing by until it can. It
// returns an error only when the database cannot be prepared: unreachable,
// unable to replicate (ErrUnavailable, see Preflight), or the slot or
// publication cannot be created (no free slot or WAL sender, no CREATE
// privilege...).
func (s *Stream) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done != nil {
		return errors.New("replication: stream already started")
	}
	poolCfg, err := pgxpool.ParseConfig(s.cfg.ConnString)
	if err != nil {
		return fmt.Errorf("replication: parse ConnString: %w", err)
	}
	poolCfg.ConnConfig = s.normalCfg.Copy()
	poolCfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return fmt.Errorf("replication: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("replication: connect: %w", err)
	}
	err = pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error { return preflight(ctx, c.Conn()) })
	persistent := s.persistent.Load()
	if err == nil {
		err = s.ensureCatalog(ctx, pool, persistent)
	}
	var first *tempSlot
	if err == nil && !persistent {
		// Created here, so that a database without a free slot or WAL
		// sender fails Start, as creating the persistent slot would.
		first, err = s.openTemporary(ctx)
	}
	if err != nil {
		pool.Close()
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.pool, s.cancel, s.done, s.first = pool, cancel, make(chan struct{}), first
	go s.run(runCtx, pool, s.done)
	return nil
}

// Stop ends streaming: the Sink's current call sees its context canceled,
// the last acknowledged position is reported to the server, and the slot and
// its lock are released for another process. It waits for that until ctx ends.
func (s *Stream) Stop(ctx context.Context) error {
	s.mu.Lock()
	cancel, done, pool := s.cancel, s.done, s.pool
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("replication: stop: %w", ctx.Err())
	}
	s.mu.Lock()
	if s.done == done {
		s.pool, s.cancel, s.done = nil, nil, nil
	}
	s.mu.Unlock()
	s.discardFirst() // when stopped before a session took it
	pool.Close()
	return nil
}

// IsLeader reports whether this process currently holds the slot's lock and
// streams from it (in Independent mode: whether it streams).
func (s *Stream) IsLeader() bool { return s.leader.Load() }

// advance moves the confirmed position forward (never back).
func (s *Stream) advance(lsn uint64) {
	for {
		cur := s.confirmed.Load()
		if lsn <= cur || s.confirmed.CompareAndSwap(cur, lsn) {
			return
		}
	}
}

// run alternates between standing by and leading until ctx ends.
func (s *Stream) run(ctx context.Context, pool *pgxpool.Pool, done chan struct{}) {
	defer close(done)
	var wg sync.WaitGroup
	if s.cfg.LagLogInterval > 0 {
		wg.Go(func() { s.logLag(ctx, pool) })
	}
	defer wg.Wait()
	bo := newBackoff(s.cfg.MinBackoff, s.cfg.MaxBackoff)
	for ctx.Err() == nil {
		err := s.lead(ctx, pool, bo)
		if ctx.Err() != nil {
			return
		}
		delay := bo.next()
		s.log.Warn("replication: not streaming; retrying", "error", err, "retry_in", delay.String())
		sleep(ctx, delay)
	}
}

// lead takes the slot's advisory lock on a dedicated connection (standing
// by while another process holds it), then streams sessions until ctx ends
// or the lock connection is lost. A second process thus takes over when the
// first one dies: its session, and with it the lock, ends with it.
func (s *Stream) lead(ctx context.Context, pool *pgxpool.Pool, bo *backoff) error {
	if s.cfg.Independent {
		return s.leadAlone(ctx, pool, bo)
	}
	conn, err := pgx.ConnectConfig(ctx, s.normalCfg.Copy())
	if err != nil {
		return fmt.Errorf("connect for the leader lock: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	key := lockKey(s.cfg.SlotName)
	for announced := false; ; announced = true {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
			return fmt.Errorf("take the leader lock: %w", err)
		}
		if ok {
			break
		}
		if !announced {
			s.discardFirst() // a standby must not hold a slot
			s.log.Info("replication: another process consumes the slot; standing by")
		}
		if !sleep(ctx, s.cfg.LeaderPollInterval) {
			return ctx.Err()
		}
	}
	s.leader.Store(true)
	defer s.leader.Store(false)
	s.log.Info("replication: leading the slot")

	// The watchdog pings the lock connection: if it is gone, so is the
	// lock, and another process may take over, so the session must end.
	// It is the connection's only user; check asks it for a ping now.
	leadCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan error, 1)
	check := make(chan chan error)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		t := time.NewTicker(s.cfg.LeaderPollInterval)
		defer t.Stop()
		for {
			var reply chan error
			select {
			case <-leadCtx.Done():
				return
			case <-t.C:
			case reply = <-check:
			}
			pctx, pcancel := context.WithTimeout(leadCtx, s.cfg.LeaderPollInterval)
			err := conn.Ping(pctx)
			pcancel()
			if reply != nil {
				reply <- err
			}
			if err != nil && leadCtx.Err() == nil {
				lost <- err
				cancel()
				return
			}
		}
	})
	defer cancel() // stop the watchdog before wg.Wait and the lock connection's Close

	for {
		progressed, switched, err := s.runSession(leadCtx, pool)
		select {
		case lerr := <-lost:
			return fmt.Errorf("leader lock connection lost: %w", lerr)
		default:
		}
		if ctx.Err() != nil {
			return nil
		}
		if switched {
			bo.reset()
			continue
		}
		if progressed {
			bo.reset()
		}
		delay := bo.next()
		s.log.Warn("replication: stream interrupted; reconnecting", "error", err, "retry_in", delay.String())
		if !sleep(leadCtx, delay) {
			select {
			case lerr := <-lost:
				return fmt.Errorf("leader lock connection lost: %w", lerr)
			default:
				return nil
			}
		}
		// What ended the session (a server restart, a network cut) may
		// have ended the lock's connection too: stream again only while
		// the lock is still held, not until the next watchdog tick.
		reply := make(chan error, 1)
		select {
		case check <- reply:
			if err := <-reply; err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("leader lock connection lost: %w", err)
			}
		case <-leadCtx.Done():
			select {
			case lerr := <-lost:
				return fmt.Errorf("leader lock connection lost: %w", lerr)
			default:
				return nil
			}
		}
	}
}

// leadAlone streams without the leader lock (Independent mode) until ctx
// ends: every process reads a temporary slot of its own.
func (s *Stream) leadAlone(ctx context.Context, pool *pgxpool.Pool, bo *backoff) error {
	s.leader.Store(true)
	defer s.leader.Store(false)
	for {
		progressed, _, err := s.runSession(ctx, pool)
		if ctx.Err() != nil {
			return nil
		}
		if progressed {
			bo.reset()
		}
		delay := bo.next()
		s.log.Warn("replication: stream interrupted; reconnecting", "error", err, "retry_in", delay.String())
		if !sleep(ctx, delay) {
			return nil
		}
	}
}

// runSession runs one session under a context UsePersistent can end, so
// that a switch to the persistent slot takes effect at once; switched
// reports that it did.
func (s *Stream) runSession(ctx context.Context, pool *pgxpool.Pool) (progressed, switched bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Registered before session reads which slot to use: UsePersistent
	// sets the kind first, then ends the session registered, so a session
	// is either started on the persistent slot or ended.
	s.sessMu.Lock()
	s.endSession = cancel
	s.sessMu.Unlock()
	defer func() {
		s.sessMu.Lock()
		s.endSession = nil
		s.sessMu.Unlock()
	}()
	progressed, err = s.session(sctx, pool)
	return progressed, sctx.Err() != nil && ctx.Err() == nil, err
}

// sleep waits d or until ctx ends; it reports whether the full delay passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// logLag logs the slot's lag at debug level while this process leads.
func (s *Stream) logLag(ctx context.Context, pool *pgxpool.Pool) {
	t := time.NewTicker(s.cfg.LagLogInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !s.leader.Load() || !s.log.Enabled(ctx, slog.LevelDebug) {
			continue
		}
		lag, err := s.lag(ctx, pool)
		if err != nil {
			s.log.Debug("replication: lag unavailable", "error", err)
			continue
		}
		s.log.Debug("replication: lag", "confirmed_flush_lsn", lsnString(lag.ConfirmedFlushLSN),
			"current_wal_lsn", lsnString(lag.CurrentLSN), "lag_bytes", lag.LagBytes,
			"retained_bytes", lag.RetainedBytes, "wal_status", lag.WALStatus)
	}
}
