package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/graftql/graft/graphql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Asynchronous actions: the mutation logs the call in Hasura's
// hdb_catalog.hdb_action_log and answers its id at once; workers of this
// process (any Graft process sharing the database) claim logged calls with
// SKIP LOCKED, call the handler once and record the output or the error;
// the query <action>(id) reads the record back for the session that made
// it (async_result.go). That is the path without Redis; with it, calls run
// as jobs of the delivery queue (async_queue.go), sharing the log, the
// claims and the recording here.

// actionLogDDL is Hasura's action log, plus what the workers need: the
// request's text, how often a call was claimed, when and by whom; with the
// Redis queue (async_queue.go) also when the call was queued, the last
// error of a call waiting for its retry, and when it was dead-lettered
// (its status is then 'error', as Hasura's statuses go).
const actionLogDDL = `
SELECT pg_advisory_xact_lock(8231757043);
CREATE SCHEMA IF NOT EXISTS hdb_catalog;
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_action_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  action_name text,
  input jsonb NOT NULL,
  request_headers jsonb NOT NULL,
  session_variables jsonb NOT NULL,
  response_payload jsonb,
  errors jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  response_received_at timestamptz,
  status text NOT NULL CHECK (status IN ('created', 'processing', 'completed', 'error'))
);
ALTER TABLE hdb_catalog.hdb_action_log ADD COLUMN IF NOT EXISTS request_query text;
ALTER TABLE hdb_catalog.hdb_action_log ADD COLUMN IF NOT EXISTS attempts int NOT NULL DEFAULT 0;
ALTER TABLE hdb_catalog.hdb_action_log ADD COLUMN IF NOT EXISTS locked_at timestamptz;
ALTER TABLE hdb_catalog.hdb_action_log ADD COLUMN IF NOT EXISTS claimer_pid int;
ALTER TABLE hdb_catalog.hdb_action_log ADD COLUMN IF NOT EXISTS claimer_start timestamptz;
ALTER TABLE hdb_catalog.hdb_action_log ADD COLUMN IF NOT EXISTS enqueued_at timestamptz;
ALTER TABLE hdb_catalog.hdb_action_log ADD COLUMN IF NOT EXISTS last_error jsonb;
ALTER TABLE hdb_catalog.hdb_action_log ADD COLUMN IF NOT EXISTS dead_lettered_at timestamptz;
CREATE INDEX IF NOT EXISTS hdb_action_log_pending ON hdb_catalog.hdb_action_log (created_at) WHERE status IN ('created', 'processing');`

// asyncWorkers is how many async calls one process runs at once.
const asyncWorkers = 4

// maxAttempts bounds how often a call is claimed: a call is claimed again
// only when the process running it stopped before recording a result.
const maxAttempts = 3

// staleAfter is when a claimed call is claimed again even though its
// claimer still looks alive: longer than any handler timeout in practice.
const staleAfter = 10 * time.Minute

// A process claims calls through one connection it holds for its whole
// life (the owner connection), and each claim records that connection's
// backend (pid and start time, which together never name another backend).
// A process that dies, cleanly or not, loses its connections, so Postgres
// itself says whether a claimer is alive: a call whose claimer backend is
// gone from pg_stat_activity is claimed again at once. This needs no
// heartbeat writes and no clock agreement between hosts, and unlike a
// session advisory lock it needs no lock id per call. backend_start is
// hidden for other roles' backends, so a NULL there counts as alive; a
// call claimed before claimers were recorded (claimer_pid NULL) counts as
// abandoned. Behind a transaction-mode pooler the backend outlives the
// process, and staleAfter is what remains. claimable is that condition,
// with staleAfter's seconds in the parameter named.
func claimable(staleParam string) string {
	return `(status = 'created' OR (status = 'processing' AND (locked_at < now() - make_interval(secs => ` + staleParam + `)
  OR claimer_pid IS NULL OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = claimer_pid
    AND (a.backend_start IS NULL OR a.backend_start = claimer_start)))))`
}

// Start creates the action log and starts the async workers; they stop
// with Close.
func (s *Source) Start(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("create action log: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, actionLogDDL); err != nil {
		return fmt.Errorf("create action log: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("create action log: %w", err)
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	if s.jobs != nil {
		// The owner identity first: the jobs' claims are made in its name.
		if err := s.ensureOwner(ctx); err != nil {
			cancel()
			return err
		}
		s.workers.Add(1)
		go func() {
			defer s.workers.Done()
			s.reconcileLoop(wctx)
		}()
		if err := s.jobWorkers.Start(ctx); err != nil {
			s.Close()
			return fmt.Errorf("start async action workers: %w", err)
		}
		s.jobsStarted = true
		return nil
	}
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		s.work(wctx)
	}()
	return nil
}

// enqueue logs an async call and returns its id as the field's value.
func (s *Source) enqueue(ctx context.Context, inv *invocation, input json.RawMessage, query string) (json.RawMessage, error) {
	headers := inv.headers
	if headers == nil {
		headers = http.Header{}
	}
	hb, err := json.Marshal(headers)
	if err != nil {
		return nil, fmt.Errorf("encode request headers: %w", err)
	}
	var id string
	err = s.pool.QueryRow(ctx, `INSERT INTO hdb_catalog.hdb_action_log
	  (action_name, input, request_headers, session_variables, request_query, status)
	  VALUES ($1, $2::jsonb, $3::jsonb, $4::jsonb, $5, 'created') RETURNING id::text`,
		inv.action.Name, string(input), string(hb), inv.session, query).Scan(&id)
	if err != nil {
		return nil, &graphql.SourceError{Message: "could not log the async action: " + err.Error(),
			Extensions: json.RawMessage(`{"path":"$","code":"unexpected"}`)}
	}
	if s.jobs != nil {
		s.queueCall(ctx, id, inv.action.Name)
		return json.Marshal(id)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return json.Marshal(id)
}

// work claims logged calls until ctx ends and runs up to asyncWorkers of
// them at once; idle, it looks for new ones every second or when woken.
func (s *Source) work(ctx context.Context) {
	slots := make(chan struct{}, asyncWorkers)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	defer s.releaseOwner()
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		c, err := s.claim(ctx)
		if c != nil {
			s.workers.Add(1)
			go func() {
				defer s.workers.Done()
				defer func() { <-slots }()
				if err := s.run(ctx, c); err != nil && ctx.Err() == nil {
					s.log.Error("async action worker", "type", "action-log", "error", err)
				}
			}()
			continue
		}
		<-slots
		if err != nil && ctx.Err() == nil {
			s.log.Error("async action worker", "type", "action-log", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// claimed is a logged call a worker took, and the owner backend that
// claimed it: results are recorded only while the claim is still ours.
type claimed struct {
	id, name, session string
	input, headers    []byte
	query             *string
	pid               int32
	started           time.Time
	attempts          int    // claims so far, this one included
	handler           string // the action's handler as defined, for logs
}

// claim takes the oldest call waiting (or abandoned by a process that
// stopped or died), or returns nil when there is none. It runs on the
// owner connection, whose backend the claim names; only the work loop
// calls it, so the connection is never shared.
func (s *Source) claim(ctx context.Context) (*claimed, error) {
	if s.owner == nil {
		conn, err := s.pool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("claim async action: owner connection: %w", err)
		}
		s.owner = conn
	}
	c := &claimed{}
	err := s.owner.QueryRow(ctx, `UPDATE hdb_catalog.hdb_action_log
	  SET status = 'processing', attempts = attempts + 1, locked_at = now(), claimer_pid = pg_backend_pid(),
	    claimer_start = (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())
	  WHERE id = (SELECT id FROM hdb_catalog.hdb_action_log
	    WHERE `+claimable("$1")+` AND attempts < $2
	    ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)
	  RETURNING id::text, action_name, input::text, session_variables::text, request_headers::text, request_query,
	    claimer_pid, claimer_start`,
		staleAfter.Seconds(), maxAttempts).Scan(&c.id, &c.name, &c.input, &c.session, &c.headers, &c.query, &c.pid, &c.started)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		// A broken owner connection goes back to the pool, which drops
		// it; the next claim takes a new one (and a new identity: calls
		// claimed through the old one are up for grabs, ours included).
		s.releaseOwner()
		return nil, fmt.Errorf("claim async action: %w", err)
	}
	return c, nil
}

// run calls a claimed call's handler and records the output or the error
// (the Postgres claimer: one attempt).
func (s *Source) run(ctx context.Context, c *claimed) error {
	value, f := s.runClaimed(ctx, c)
	if ctx.Err() != nil {
		s.putBack(ctx, c, false)
		return ctx.Err()
	}
	if err := s.record(ctx, c, value, f, false); err != nil && !errors.Is(err, errClaimLost) {
		return err
	}
	return nil
}

// runClaimed calls a claimed call's handler: its output, or the failure.
func (s *Source) runClaimed(ctx context.Context, c *claimed) (any, *failure) {
	snap := s.meta.Snapshot()
	a := snap.Action(c.name)
	if a == nil {
		return nil, unexpected("action "+c.name+" does not exist or is not consistent", nil)
	}
	c.handler = a.Handler
	var role struct {
		Role string `json:"x-hasura-role"`
	}
	_ = json.Unmarshal([]byte(c.session), &role)
	inv := &invocation{action: a, session: c.session, role: role.Role, payload: payload(c.name, c.input, c.session, c.query),
		asyncID: c.id, retry: c.attempts - 1}
	_ = json.Unmarshal(c.headers, &inv.headers)
	return s.invoke(ctx, inv, snap.CustomTypes)
}

// putBack returns a call to waiting when its worker stops before it has a
// result, for the next process; uncount takes the claim off its attempts
// (the queue does not count an attempt cut short by a stop either).
func (s *Source) putBack(ctx context.Context, c *claimed, uncount bool) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	dec := 0
	if uncount {
		dec = 1
	}
	_, _ = s.pool.Exec(rctx, `UPDATE hdb_catalog.hdb_action_log SET status = 'created', attempts = attempts - $2::int`+mineSQL,
		c.id, dec, c.pid, c.started)
}

// mineSQL keeps a write to the call ($1) claimed by us ($3, $4; $2 is the
// statement's own): when our
// owner connection was lost, another process may have claimed the call and
// recorded its result.
const mineSQL = ` WHERE id = $1 AND status = 'processing' AND claimer_pid = $3 AND claimer_start = $4`

// errClaimLost: the call is no longer claimed by us.
var errClaimLost = errors.New("the async action's claim was lost")

// storedFailure is a failure as the errors column keeps it.
func storedFailure(f *failure) map[string]any {
	stored := map[string]any{"path": "$", "error": f.message, "code": f.code}
	if f.internal != nil {
		stored["internal"] = f.internal
	}
	return stored
}

// record stores a claimed call's output or error (dead: its retries are
// exhausted) and tells SetOnRecord's hook.
func (s *Source) record(ctx context.Context, c *claimed, value any, f *failure, dead bool) error {
	ctx = context.WithoutCancel(ctx) // a result in hand is kept, even when stopping
	var err error
	var n int64
	if f != nil {
		b, _ := json.Marshal(storedFailure(f))
		var tag pgconn.CommandTag
		tag, err = s.pool.Exec(ctx, `UPDATE hdb_catalog.hdb_action_log SET status = 'error', errors = $2::jsonb,
		  response_received_at = now(), dead_lettered_at = CASE WHEN $5 THEN now() END`+mineSQL, c.id, string(b), c.pid, c.started, dead)
		n = tag.RowsAffected()
	} else {
		var out []byte
		out, err = json.Marshal(jsonValue{value})
		if err == nil {
			var tag pgconn.CommandTag
			tag, err = s.pool.Exec(ctx, `UPDATE hdb_catalog.hdb_action_log SET status = 'completed', response_payload = $2::jsonb,
			  response_received_at = now()`+mineSQL, c.id, string(out), c.pid, c.started)
			n = tag.RowsAffected()
		}
	}
	if err != nil {
		return fmt.Errorf("record async action %s: %w", c.id, err)
	}
	if n == 0 {
		return errClaimLost
	}
	if s.recorded != nil {
		s.recorded()
	}
	return nil
}
