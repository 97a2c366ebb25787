package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/graftql/graft/delivery"
	"github.com/jackc/pgx/v5"
)

// Async calls through the Redis delivery queue (with HASURA_GRAPHQL_REDIS_URL;
// without it async.go's Postgres claimer runs them, once each, as Hasura).
//
// The mutation inserts the call into hdb_catalog.hdb_action_log (committed
// before the id is answered: the call is durable), then queues a job keyed
// by the call's id and marks the row enqueued_at. The delivery pool runs
// the job (RunJob): it claims the row by id, calls the handler and records
// the output or the error, or schedules a retry or dead-letters the job by
// the RetryPolicy (retry.go). A crash between the commit and the queueing
// leaves a row that is recorded but not queued: the reconciler of every
// process queues such rows again (one process per row: FOR UPDATE SKIP
// LOCKED). A job queued twice is harmless: jobs of one key run one after
// the other, and the claim by id finds nothing left to do for the second.
// A process stopping puts its running calls back and leaves their jobs in
// the queue; a crashed process's jobs are taken over with its lanes, and
// its claims are free again because its owner backend is gone.

// JobQueue is what async calls need of the Redis queue: to queue a job
// (delivery.Queue).
type JobQueue interface {
	EnqueueJob(ctx context.Context, name, key string, body json.RawMessage) (string, error)
}

// JobWorkers runs the queue's jobs through the Source (a
// delivery.WorkerPool whose PoolConfig.Jobs is the Source).
type JobWorkers interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

var _ delivery.JobRunner = (*Source)(nil)

// UseQueue makes async calls go through q, run by w with the retry policy;
// call it before Start. Start starts w and Close stops it.
func (s *Source) UseQueue(q JobQueue, w JobWorkers, policy RetryPolicy) {
	s.jobs, s.jobWorkers, s.policy = q, w, policy
}

// Kill stops the async workers as a killed process would: running calls
// stay claimed (in the name of the owner backend, which the caller may end
// as a crash would) and their jobs stay in lanes still leased, for another
// process to take over once the leases expire. For fault-injection tests;
// Close is the way to stop.
func (s *Source) Kill() {
	k, ok := s.jobWorkers.(interface{ Kill() })
	if !s.jobsStarted || !ok {
		s.Close()
		return
	}
	s.killed.Store(true)
	s.jobsStarted = false
	k.Kill()
	s.Close()
}

// reconcileEvery is how often rows recorded but not queued are looked for;
// reconcileGrace is how old such a row must be (the mutation queues its
// row right after its commit; a younger row is probably being queued).
// requeueAfter is when a waiting call whose job gave no sign of life (its
// queueing or its last retry) counts as lost from the queue (a Redis that
// lost its data) and is queued again: longer than any retry delay, and a
// duplicate job is harmless.
var (
	reconcileEvery = 5 * time.Second
	reconcileGrace = 5 * time.Second
	requeueAfter   = time.Hour
)

// jobBody is a job's body: the call's id (everything else is in the row).
type jobBody struct {
	ID string `json:"id"`
}

// queueCall queues a logged call's job and marks its row queued. A failure
// is logged, not returned: the row is committed, and the reconciler
// queues it later.
func (s *Source) queueCall(ctx context.Context, id, name string) {
	// The call is committed: a client going away now must not delay it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	body, _ := json.Marshal(jobBody{ID: id})
	if _, err := s.jobs.EnqueueJob(ctx, name, id, body); err != nil {
		s.log.Warn("async action: queueing the call failed; the reconciler queues it later", "type", "action-log",
			"id", id, "action", name, "error", err)
		return
	}
	if _, err := s.pool.Exec(ctx, `UPDATE hdb_catalog.hdb_action_log SET enqueued_at = now() WHERE id = $1`, id); err != nil {
		s.log.Warn("async action: marking the call queued failed; it may be queued twice (harmless)", "type", "action-log",
			"id", id, "error", err)
	}
}

// reconcileLoop queues the rows recorded but not queued, at start and
// every reconcileEvery, and keeps the claims' owner backend alive.
func (s *Source) reconcileLoop(ctx context.Context) {
	tick := time.NewTicker(reconcileEvery)
	defer tick.Stop()
	for {
		if err := s.ensureOwner(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("async action owner connection", "type", "action-log", "error", err)
		}
		if n, err := s.reconcile(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("async action reconciler", "type", "action-log", "error", err)
		} else if n > 0 {
			s.log.Info("async action calls recorded but not queued were queued", "type", "action-log", "calls", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// reconcile queues up to 500 calls waiting (or abandoned by a dead
// claimer) that were never marked queued, or whose job is lost, and
// returns how many.
func (s *Source) reconcile(ctx context.Context) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	rows, err := tx.Query(ctx, `SELECT id::text, action_name FROM hdb_catalog.hdb_action_log
	  WHERE (enqueued_at IS NULL AND created_at < now() - make_interval(secs => $2)
	    OR enqueued_at < now() - make_interval(secs => $3)) AND `+claimable("$1")+`
	  ORDER BY created_at LIMIT 500 FOR UPDATE SKIP LOCKED`, staleAfter.Seconds(), reconcileGrace.Seconds(), requeueAfter.Seconds())
	if err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	type call struct{ id, name string }
	var calls []call
	for rows.Next() {
		var c call
		if err := rows.Scan(&c.id, &c.name); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reconcile: %w", err)
		}
		calls = append(calls, c)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	queued := make([]string, 0, len(calls))
	for _, c := range calls {
		body, _ := json.Marshal(jobBody{ID: c.id})
		if _, err := s.jobs.EnqueueJob(ctx, c.name, c.id, body); err != nil {
			break // Redis is down: the rest waits for the next round
		}
		queued = append(queued, c.id)
	}
	if len(queued) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE hdb_catalog.hdb_action_log SET enqueued_at = now() WHERE id = ANY($1::uuid[])`, queued); err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	return len(queued), nil
}

// RunJob runs one attempt of a queued async call (delivery.JobRunner).
func (s *Source) RunJob(ctx context.Context, job delivery.Job) delivery.JobResult {
	var body jobBody
	if err := json.Unmarshal(job.Body, &body); err != nil || body.ID == "" {
		return delivery.JobResult{Outcome: delivery.JobDead, Err: fmt.Errorf("not an async action job: %s", job.Body)}
	}
	c, err := s.claimByID(ctx, body.ID)
	switch {
	case err != nil && ctx.Err() != nil:
		return delivery.JobResult{}
	case err != nil:
		return delivery.JobResult{Outcome: delivery.JobRetry, Delay: time.Second, Err: err}
	case c == nil:
		// Done already, deleted, or run by a live claimer (a duplicate job).
		return delivery.JobResult{Outcome: delivery.JobDone, Response: "nothing to do: the call is not waiting"}
	}
	if s.policy.exhausted(c.attempts - 1) {
		// Claimed more often than the policy allows attempts: its earlier
		// claimers died while running it (a call that crashes Graft?).
		f := unexpected(fmt.Sprintf("the call was claimed %d times without a result", c.attempts-1), nil)
		return s.finishJob(ctx, c, nil, f, true)
	}
	value, f := s.runClaimed(ctx, c)
	if ctx.Err() != nil {
		if !s.killed.Load() {
			s.putBack(ctx, c, true)
		}
		return delivery.JobResult{}
	}
	if f == nil || !f.retryable {
		return s.finishJob(ctx, c, value, f, false)
	}
	if s.policy.exhausted(c.attempts) {
		return s.finishJob(ctx, c, nil, f, true)
	}
	stored, _ := json.Marshal(storedFailure(f))
	tag, err := s.pool.Exec(ctx, `UPDATE hdb_catalog.hdb_action_log SET status = 'created', last_error = $2::jsonb,
	  locked_at = NULL, enqueued_at = now()`+mineSQL, c.id, string(stored), c.pid, c.started)
	if err != nil || tag.RowsAffected() == 0 {
		return s.lostClaim(c, err)
	}
	return delivery.JobResult{Outcome: delivery.JobRetry, Delay: s.policy.delay(c.attempts), URL: c.handler,
		Status: f.status, Err: errors.New(f.message)}
}

// finishJob records a call's output or final error (dead: its retries
// are exhausted) and tells the queue.
func (s *Source) finishJob(ctx context.Context, c *claimed, value any, f *failure, dead bool) delivery.JobResult {
	if err := s.record(ctx, c, value, f, dead); err != nil {
		if errors.Is(err, errClaimLost) {
			return s.lostClaim(c, nil)
		}
		return delivery.JobResult{Outcome: delivery.JobRetry, Delay: time.Second, Err: err}
	}
	r := delivery.JobResult{Outcome: delivery.JobDone, URL: c.handler, Status: 200}
	if f != nil {
		r.Status, r.Err = f.status, errors.New(f.message)
	}
	if dead {
		r.Outcome = delivery.JobDead
		s.log.Warn("async action call dead-lettered", "type", "action-log", "id", c.id, "action", c.name,
			"attempts", c.attempts, "error", f.message)
	}
	return r
}

// lostClaim: another process claimed the call meanwhile (ours was taken
// for dead); its job, not this one, finishes it.
func (s *Source) lostClaim(c *claimed, err error) delivery.JobResult {
	if err != nil {
		return delivery.JobResult{Outcome: delivery.JobRetry, Delay: time.Second, Err: err}
	}
	s.log.Warn("async action: the claim was lost; the result is left to the new claimer", "type", "action-log", "id", c.id)
	return delivery.JobResult{Outcome: delivery.JobDone, Response: "claim lost"}
}

// claimByID claims the call id when it is waiting or abandoned, in the
// name of the owner backend; nil when it is not. A call claimed by our own
// owner backend is claimed again: the pool runs one job of a key at a time,
// so that claim is left by an attempt that could not record its result
// (Postgres failing), whose retry this is.
func (s *Source) claimByID(ctx context.Context, id string) (*claimed, error) {
	o := s.identity.Load()
	if o == nil {
		return nil, errors.New("claim async action: no owner connection yet")
	}
	c := &claimed{}
	err := s.pool.QueryRow(ctx, `UPDATE hdb_catalog.hdb_action_log
	  SET status = 'processing', attempts = attempts + 1, locked_at = now(), claimer_pid = $3, claimer_start = $4
	  WHERE id = $2::uuid AND (`+claimable("$1")+`
	    OR status = 'processing' AND claimer_pid = $3 AND claimer_start = $4)
	  RETURNING id::text, action_name, input::text, session_variables::text, request_headers::text, request_query,
	    claimer_pid, claimer_start, attempts`,
		staleAfter.Seconds(), id, o.pid, o.started).Scan(&c.id, &c.name, &c.input, &c.session, &c.headers, &c.query,
		&c.pid, &c.started, &c.attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim async action %s: %w", id, err)
	}
	return c, nil
}

// ownerIdentity is the owner backend claims are made in the name of.
type ownerIdentity struct {
	pid     int32
	started time.Time
}

// ensureOwner holds the owner connection, checking it is alive, and
// publishes its identity; a lost one is replaced (a new identity: calls
// claimed through the old one are up for grabs, ours included).
func (s *Source) ensureOwner(ctx context.Context) error {
	if s.owner != nil {
		if err := s.owner.Ping(ctx); err == nil {
			return nil
		}
		s.releaseOwner()
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("async action owner connection: %w", err)
	}
	var o ownerIdentity
	if err := conn.QueryRow(ctx, `SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()`).Scan(&o.pid, &o.started); err != nil {
		conn.Release()
		return fmt.Errorf("async action owner connection: %w", err)
	}
	s.owner = conn
	s.identity.Store(&o)
	return nil
}
