package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Manager owns the metadata: it loads it at start, applies admin operations
// in one database transaction each, and publishes a new Snapshot after every
// committed change. Readers call Snapshot() and never block.
type Manager struct {
	pool    *pgxpool.Pool
	log     *slog.Logger
	mu      sync.Mutex // one metadata change at a time in this process
	current atomic.Pointer[Snapshot]

	sourcesMu sync.Mutex
	sources   map[string]*pgxpool.Pool // added sources, by name
	events    EventStore
	data      DataRunner
	// eventsServed says why an added source's event triggers get no
	// events (its WAL is not read), nil when they do (notserved_wal.go).
	eventsServed func(source string) error

	stopListen context.CancelFunc
	listening  sync.WaitGroup

	watchers []func(*Snapshot) // called after each new snapshot, in order

	remotes remoteCache // remote schema loads (remote_schemas.go)
}

// OnChange registers fn to run after every new snapshot (a local change or
// one another process made). fn runs while metadata changes are held back:
// keep it short.
func (m *Manager) OnChange(fn func(*Snapshot)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.watchers = append(m.watchers, fn)
}

// NewManager returns a manager for the default source's pool.
func NewManager(pool *pgxpool.Pool, log *slog.Logger) *Manager {
	return &Manager{pool: pool, log: log, sources: map[string]*pgxpool.Pool{}}
}

// Start creates hdb_catalog when missing, loads the metadata and publishes
// the first snapshot.
func (m *Manager) Start(ctx context.Context) error {
	_, err := m.run(ctx, func(w *work) (any, error) { return nil, nil })
	if err != nil {
		return err
	}
	s := m.Snapshot()
	for _, inc := range s.Inconsistent {
		m.log.Warn("inconsistent metadata object", "name", inc.Name, "reason", inc.Reason)
	}
	for _, ns := range s.NotServed {
		m.log.Warn(ns.Message, "type", "startup", "kind", "metadata", "object_type", ns.Type, "name", ns.Name, "code", ns.Code)
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.stopListen = cancel
	m.listening.Add(1)
	go func() {
		defer m.listening.Done()
		m.listen(lctx)
	}()
	return nil
}

// Stop ends the change listener and closes the pools of added sources.
func (m *Manager) Stop(context.Context) error {
	if m.stopListen != nil {
		m.stopListen()
		m.listening.Wait()
	}
	m.sourcesMu.Lock()
	defer m.sourcesMu.Unlock()
	for n, p := range m.sources {
		p.Close()
		delete(m.sources, n)
	}
	return nil
}

// Snapshot returns the current resolved metadata.
func (m *Manager) Snapshot() *Snapshot { return m.current.Load() }

// work is the state of one admin request: its transaction on the default
// source, the metadata being edited and the catalog as the transaction sees it.
type work struct {
	ctx      context.Context
	m        *Manager
	tx       pgx.Tx
	md       *Metadata
	version  int64
	cat      *Catalog               // nil when it must be read again (after DDL)
	added    map[string]AddedSource // added sources read so far (sources_load.go)
	changed  bool
	baseline map[string]bool // inconsistent object names before the request
	// expectVersion is a resource_version the caller says it saw, or -1.
	expectVersion int64
	// keptSteps: the request failed, but the database changes made before
	// the failing step are committed (ops_bulk.go).
	keptSteps bool
}

// run executes fn in a transaction holding the metadata row lock, then stores
// the metadata if fn changed it and publishes the new snapshot.
func (m *Manager) run(ctx context.Context, fn func(*work) (any, error)) (any, error) {
	return m.runExpecting(ctx, -1, fn)
}

func (m *Manager) runExpecting(ctx context.Context, expect int64, fn func(*work) (any, error)) (any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tx, err := m.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin metadata transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := ensureCatalog(ctx, tx); err != nil {
		return nil, err
	}
	md, version, err := loadForUpdate(ctx, tx)
	if err != nil {
		return nil, err
	}
	if expect >= 0 && expect != version {
		return nil, &APIError{Status: 409, Code: "conflict", Path: "$",
			Message: fmt.Sprintf("metadata resource version referenced (%d) did not match current version", expect)}
	}
	w := &work{ctx: ctx, m: m, tx: tx, md: md, version: version, expectVersion: expect}
	base, err := w.resolve()
	if err != nil {
		return nil, err
	}
	w.baseline = map[string]bool{}
	for _, inc := range base.Inconsistent {
		w.baseline[inc.Name] = true
	}
	res, err := fn(w)
	if err != nil {
		if w.keptSteps {
			// The database changes of the steps a /v1/query bulk keeps;
			// the metadata changes are dropped, as in Hasura.
			if cerr := tx.Commit(ctx); cerr != nil {
				return nil, fmt.Errorf("commit the bulk's completed steps: %w", cerr)
			}
		}
		return nil, err
	}
	if w.changed || version == 0 {
		if w.version, err = save(ctx, tx, w.md, version); err != nil {
			return nil, err
		}
		// Delivered at commit: the other Graft processes reload.
		if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", notifyChannel, strconv.FormatInt(w.version, 10)); err != nil {
			return nil, fmt.Errorf("notify metadata change: %w", err)
		}
	}
	snap, err := w.resolve()
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit metadata: %w", err)
	}
	m.current.Store(snap)
	for _, fn := range m.watchers {
		fn(snap)
	}
	return res, nil
}

// catalog returns the catalog as seen inside the request's transaction.
func (w *work) catalog() (*Catalog, error) {
	if w.cat == nil {
		cat, err := Introspect(w.ctx, w.tx)
		if err != nil {
			return nil, err
		}
		w.cat = cat
	}
	return w.cat, nil
}

// resolve resolves the work's metadata against the transaction's catalog.
func (w *work) resolve() (*Snapshot, error) {
	cat, err := w.catalog()
	if err != nil {
		return nil, err
	}
	s := ResolveSources(w.md, cat, w.version, w.loadEnum, w.addedSources())
	w.m.resolveRemoteSchemas(w.ctx, w.md, s)
	s.resolveRemoteRelationships()
	return s, nil
}

func (w *work) loadEnum(t *CatalogTable) ([]EnumValue, error) { return loadEnumValues(w.ctx, w.tx, t) }

// sourcePool returns the pool of a named source, opening it on first use.
func (m *Manager) sourcePool(ctx context.Context, md *Metadata, name string) (*pgxpool.Pool, error) {
	if name == "" || name == "default" {
		return m.pool, nil
	}
	m.sourcesMu.Lock()
	defer m.sourcesMu.Unlock()
	if p := m.sources[name]; p != nil {
		return p, nil
	}
	src := md.Source(name)
	if src == nil {
		return nil, &APIError{Status: 400, Code: "not-exists", Path: "$.args", Message: fmt.Sprintf("source with name %q does not exist", name)}
	}
	url, err := sourceURL(src.Configuration)
	if err != nil {
		return nil, err
	}
	p, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, &APIError{Status: 400, Code: "invalid-configuration", Path: "$.args", Message: "cannot connect to source " + name + ": " + err.Error()}
	}
	m.sources[name] = p
	return p, nil
}

// sourceURL reads connection_info.database_url: a string, {from_env} or
// {connection_parameters}.
func sourceURL(cfg json.RawMessage) (string, error) {
	var c struct {
		ConnectionInfo struct {
			DatabaseURL json.RawMessage `json:"database_url"`
		} `json:"connection_info"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		return "", &APIError{Status: 400, Code: "parse-failed", Path: "$.args.configuration", Message: err.Error()}
	}
	var s string
	if err := json.Unmarshal(c.ConnectionInfo.DatabaseURL, &s); err == nil {
		return s, nil
	}
	var env struct {
		FromEnv string `json:"from_env"`
	}
	if err := json.Unmarshal(c.ConnectionInfo.DatabaseURL, &env); err != nil || env.FromEnv == "" {
		return "", &APIError{Status: 400, Code: "parse-failed", Path: "$.args.configuration.connection_info.database_url",
			Message: "expected a string or {from_env}"}
	}
	v := os.Getenv(env.FromEnv)
	if v == "" {
		return "", &APIError{Status: 400, Code: "invalid-configuration", Path: "$.args",
			Message: fmt.Sprintf("environment variable %q not set", env.FromEnv)}
	}
	return v, nil
}

// APIError is an admin API error in Hasura's shape: {path, error, code}.
type APIError struct {
	Status   int
	Code     string
	Path     string
	Message  string
	Internal any
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// AsAPIError converts any error into an APIError; unknown errors are 500 unexpected.
func AsAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return &APIError{Status: 500, Code: "unexpected", Path: "$", Message: err.Error()}
}

// closeSource closes an added source's pool after it is dropped.
func (m *Manager) closeSource(name string) {
	m.sourcesMu.Lock()
	defer m.sourcesMu.Unlock()
	if p := m.sources[name]; p != nil {
		p.Close()
		delete(m.sources, name)
	}
}
