package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/graftql/graft/metadata"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SnapshotSource gives the current metadata snapshot.
type SnapshotSource interface {
	Snapshot() *metadata.Snapshot
}

// Engine executes GraphQL requests against Postgres.
type Engine struct {
	meta SnapshotSource
	pool *pgxpool.Pool
	log  *slog.Logger
	// LogQueries writes a query-log line (operation and generated SQL) per
	// request, as Hasura does when query-log is an enabled log type.
	LogQueries bool
	// StringifyNumeric: numeric and float8 values are JSON strings
	// (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES).
	StringifyNumeric bool
	// Live runs subscriptions; Graft's own mutations invalidate it.
	Live *Live
	// Guard vets operations first (allow list, API limits); nil: none.
	Guard Guard
	// LiveSources says whether an added source's WAL is read (nil), else
	// why not (live_sources.go); nil: no added source's WAL is read.
	LiveSources func(source string) error
	// relay: this engine serves the Relay API; relayEngine is the main
	// engine's Relay sibling, made on first use (relay.go).
	relay       bool
	relayOnce   sync.Once
	relayEngine *Engine
	// sources serve root fields outside SQL (rootsource.go).
	sources []RootSource

	mu      sync.Mutex
	version int64 // snapshot version the caches below belong to
	snap    *metadata.Snapshot
	schemas map[string]*roleSchema
	plans   map[planKey]*preparedOp
}

type planKey struct {
	role, query, operation string
	backendOnly            bool
}

// maxPlans bounds the plan cache; past it the cache starts over.
const maxPlans = 4096

// NewEngine returns an engine reading metadata from meta and data through pool.
func NewEngine(meta SnapshotSource, pool *pgxpool.Pool, log *slog.Logger) *Engine {
	e := &Engine{meta: meta, pool: pool, log: log, version: -1}
	e.Live = NewLive(e)
	return e
}

// Request is one GraphQL request body.
type Request struct {
	Query         string          `json:"query"`
	Variables     json.RawMessage `json:"variables,omitempty"`
	OperationName string          `json:"operationName,omitempty"`
}

// Result is a response body and whether it is a request error (which
// /v1alpha1/graphql reports with HTTP 400).
type Result struct {
	Body         []byte
	RequestError bool
}

// ExecuteBody runs a POSTed body: one request object or a batch (a JSON array).
func (e *Engine) ExecuteBody(ctx context.Context, sess Session, body []byte) Result {
	if req, vars, ok := decodeRequest(body); ok {
		return e.execute(ctx, sess, &req, vars, true)
	}
	return e.executeBody(ctx, sess, body)
}

// ExecuteJSONBody is ExecuteBody for a body not yet known to be JSON; isJSON
// is false, and nothing ran, when it is not JSON at all (which Hasura
// answers with invalid-json). The usual body is validated and decoded in
// one pass.
func (e *Engine) ExecuteJSONBody(ctx context.Context, sess Session, body []byte) (res Result, isJSON bool) {
	if req, vars, ok := decodeRequest(body); ok {
		return e.execute(ctx, sess, &req, vars, true), true
	}
	if !json.Valid(body) {
		return Result{}, false
	}
	return e.executeBody(ctx, sess, body), true
}

// executeBody is ExecuteBody through encoding/json: batches, and bodies
// decodeRequest leaves to it.
func (e *Engine) executeBody(ctx context.Context, sess Session, body []byte) Result {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var reqs []Request
		if err := json.Unmarshal(body, &reqs); err != nil {
			return Result{Body: errorBody(&queryError{Code: "parse-failed", Path: "$", Message: "invalid batch request: " + err.Error()}), RequestError: true}
		}
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i := range reqs {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(e.Execute(ctx, sess, &reqs[i]).Body)
		}
		buf.WriteByte(']')
		return Result{Body: buf.Bytes()}
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		return Result{Body: errorBody(&queryError{Code: "parse-failed", Path: "$", Message: "invalid request body: " + err.Error()}), RequestError: true}
	}
	return e.Execute(ctx, sess, &req)
}

// caches returns the role schema for the current snapshot, resetting the
// caches when metadata changed.
func (e *Engine) roleSchema(sess Session) (*roleSchema, error) {
	role := sess.Role
	key := role
	if sess.BackendOnly {
		key += "\x00backend-only"
	}
	snap := e.meta.Snapshot()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.snap != snap {
		e.snap, e.version = snap, snap.Version
		e.schemas = map[string]*roleSchema{}
		e.plans = map[planKey]*preparedOp{}
	}
	if rs := e.schemas[key]; rs != nil {
		return rs, nil
	}
	build := func(snap *metadata.Snapshot, role string, backendOnly bool) (*roleSchema, error) {
		return e.buildWithSources(snap, role, backendOnly)
	}
	if e.relay {
		build = buildRelaySchema
	}
	rs, err := build(snap, role, sess.BackendOnly)
	if err != nil && len(snap.Sources) > 0 {
		rs, err = e.buildDefaultSourceOnly(snap, role, sess.BackendOnly, build, err)
	}
	if err != nil {
		return nil, err
	}
	if rs.sourcesDropped != nil {
		e.log.Error("root fields of actions and remote schemas left out of the schema", "role", role, "error", rs.sourcesDropped)
	}
	rs.stringifyNumeric = e.StringifyNumeric
	e.schemas[key] = rs
	return rs, nil
}

func (e *Engine) cachedPlan(rs *roleSchema, k planKey) *preparedOp {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.snap != rs.Snapshot {
		return nil
	}
	return e.plans[k]
}

func (e *Engine) storePlan(rs *roleSchema, k planKey, p *preparedOp) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.snap != rs.Snapshot {
		return
	}
	if len(e.plans) >= maxPlans {
		e.plans = map[planKey]*preparedOp{}
	}
	e.plans[k] = p
}
