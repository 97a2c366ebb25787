// Package actions serves Hasura actions: each role's action root fields; a
// synchronous call POSTs to the action's handler, checks its output
// against the output type and joins it to tables in one statement; an
// asynchronous call is logged in Postgres and run by a worker: a job of
// the Redis delivery queue, with retries and dead letters
// (async_queue.go, retry.go), or without Redis the Postgres claimer
// (async.go).
package actions

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	"github.com/jackc/pgx/v5/pgxpool"
)

// UserAgent is what handlers see, as Hasura sends hasura-graphql-engine/<version>.
const UserAgent = "hasura-graphql-engine/graft"

// DefaultMaxResponseBytes bounds a handler's response body.
const DefaultMaxResponseBytes = 16 << 20

// SnapshotSource gives the current metadata (the async worker's actions).
type SnapshotSource interface {
	Snapshot() *metadata.Snapshot
}

// Source serves the actions of the current metadata; it implements
// graphql.RootSource.
type Source struct {
	client *http.Client
	log    *slog.Logger
	pool   *pgxpool.Pool
	meta   SnapshotSource
	// maxResponse bounds a handler's response body; 0 means
	// DefaultMaxResponseBytes.
	maxResponse atomic.Int64
	// statements counts the SQL statements relationships ran: one per
	// call at most, which tests check.
	statements atomic.Int64

	wake  chan struct{} // a new async action was logged
	owner *pgxpool.Conn // the work loop's claims run on it (async.go); the reconciler keeps it (async_queue.go)
	// identity is the owner backend's, which queued jobs claim calls in
	// the name of.
	identity atomic.Pointer[ownerIdentity]
	// With the Redis queue (UseQueue): where calls are queued, the pool
	// running them and its retry policy.
	jobs        JobQueue
	jobWorkers  JobWorkers
	jobsStarted bool
	policy      RetryPolicy
	killed      atomic.Bool // Kill: leave running calls claimed
	// recorded is told each time a worker stored a result (SetOnRecord).
	recorded func()
	// webhookLog gets the webhook-log line of every handler call (nil:
	// none); see webhook_log.go.
	webhookLog atomic.Pointer[slog.Logger]
	stop       context.CancelFunc
	workers    sync.WaitGroup
}

// New returns a source calling handlers with its own connection pool,
// logging async actions through pool.
func New(log *slog.Logger, pool *pgxpool.Pool, meta SnapshotSource) *Source {
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Source{client: &http.Client{Transport: transport}, log: log, pool: pool, meta: meta, wake: make(chan struct{}, 1)}
}

// SetMaxResponseBytes bounds a handler's response body (0: the default).
func (s *Source) SetMaxResponseBytes(n int64) { s.maxResponse.Store(n) }

// SetOnRecord makes f run each time a worker stored an async call's
// result; the App invalidates the live queries on the action log with it.
// Call it before Start.
func (s *Source) SetOnRecord(f func()) { s.recorded = f }

// Statements is how many relationship statements calls ran so far.
func (s *Source) Statements() int64 { return s.statements.Load() }

// Close stops the async workers and drops idle handler connections. Calls
// running are cut short and put back, for the next process.
func (s *Source) Close() {
	if s.jobsStarted {
		s.jobsStarted = false
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // no waiting: running calls are put back at once
		_ = s.jobWorkers.Stop(ctx)
	}
	if s.stop != nil {
		s.stop()
		s.workers.Wait()
		s.stop = nil
	}
	s.releaseOwner()
	s.client.CloseIdleConnections()
}

// releaseOwner gives the owner connection back, before the pool closes; a
// call still being put back is guarded by its claim, so another process
// taking it now is fine.
func (s *Source) releaseOwner() {
	if s.owner != nil {
		s.owner.Release()
		s.owner = nil
	}
}

// ExecuteRoot calls the action named by the call's field.
func (s *Source) ExecuteRoot(ctx context.Context, call *graphql.RootCall) (json.RawMessage, error) {
	snap := call.Snapshot()
	a := snap.Action(call.Name)
	if a == nil {
		return nil, &graphql.SourceError{Message: "action " + call.Name + " is not consistent metadata",
			Extensions: json.RawMessage(`{"path":"$","code":"unexpected"}`)}
	}
	session := call.Session.JSON()
	inv := &invocation{action: a, session: session, role: call.Session.Role}
	if x := graphql.HTTPExchangeFrom(ctx); x != nil {
		inv.headers = x.Request
		inv.setCookie = func(c string) { x.AddResponseHeader("Set-Cookie", c) }
	}
	switch {
	case a.Async && call.Mutation:
		return s.enqueue(ctx, inv, call.ArgsJSON(), call.Query)
	case a.Async:
		return s.asyncResult(ctx, a, call)
	}
	query := call.Query
	inv.payload = payload(a.Name, call.ArgsJSON(), session, &query)
	value, f := s.invoke(ctx, inv, snap.CustomTypes)
	if f != nil {
		return nil, sourceError(f, call.Session.Role)
	}
	o := newOutputter(snap.CustomTypes, call, &s.statements)
	return o.finish(ctx, o.shape(value, a.Output, call.Selection()))
}

// sourceError renders a failure as Hasura's GraphQL error: a 4xx body's
// own extensions, else {path, code}, plus internal details for admin.
func sourceError(f *failure, role string) error {
	if f.extensions != nil {
		return &graphql.SourceError{Message: f.message, Extensions: f.extensions}
	}
	ext := map[string]any{"path": "$", "code": f.code}
	if role == "admin" && f.internal != nil {
		ext["internal"] = f.internal
	}
	b, err := json.Marshal(ext)
	if err != nil {
		b = []byte(`{"path":"$","code":"unexpected"}`)
	}
	return &graphql.SourceError{Message: f.message, Extensions: b}
}

var errTooLarge = errors.New("response body too large")
