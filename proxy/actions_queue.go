package proxy

import (
	"context"
	"fmt"
	"time"

	"github.com/graftql/graft/actions"
	"github.com/graftql/graft/delivery"
	"github.com/graftql/graft/proxy/metrics"
)

// Async action calls go through a job queue of their own in the Redis of
// event triggers (HASURA_GRAPHQL_REDIS_URL), named after the replication
// slot as the event queue is; without Redis, package actions runs them
// from Postgres alone.

// actionsQueuePrefix is the prefix of the async action queue's keys.
func (w *wal) actionsQueuePrefix() string { return "graft:" + w.cfg.Slot + ":actions:" }

// Sizes of the async action pool: calls run at once per process, and the
// lease of its lanes (a crashed process's calls are taken over after it;
// heartbeats every third of it).
const (
	asyncActionWorkers = 16
	asyncActionLease   = 9 * time.Second
)

// queueActions makes a.Actions run async calls through the Redis queue,
// when there is a Redis; call it before Actions.Start, which starts the
// pool.
func (a *App) queueActions() error {
	if a.wal == nil || a.wal.redis == nil {
		return nil
	}
	q, err := delivery.NewQueue(delivery.Config{Redis: a.wal.redis, Prefix: a.wal.actionsQueuePrefix(), Scope: a.wal.cfg.SystemID})
	if err != nil {
		return fmt.Errorf("async action queue: %w", err)
	}
	cfg := delivery.PoolConfig{Size: asyncActionWorkers, LeaseTTL: asyncActionLease,
		Logger: a.Log.With("type", "action-log"), Jobs: a.Actions}
	if m := a.Server.Metrics; m != nil {
		cfg.Observer = m.NewActionAttempts()
	}
	pool := delivery.NewWorkerPool(q, nil, cfg)
	a.Actions.UseQueue(q, pool, actions.RetryPolicy{Retries: a.Config.AsyncActionRetries, Interval: a.Config.AsyncActionRetryInterval})
	a.actionQueue, a.actionPool = q, pool
	return nil
}

// actionStats reports the async action queue to the metrics.
type actionStats struct{ a *App }

func (s actionStats) QueueStats(ctx context.Context) (metrics.QueueStats, error) {
	pending, dead, err := s.a.actionQueue.Depth(ctx)
	return metrics.QueueStats{Pending: pending, Dead: dead}, err
}

func (s actionStats) BusyWorkers() int { return s.a.actionPool.BusyWorkers() }
