package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/graftql/graft/actions"
	"github.com/graftql/graft/authz"
	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/dataapi"
	"github.com/graftql/graft/delivery"
	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/proxy/guard"
	"github.com/graftql/graft/remoteschema"
	"github.com/graftql/graft/tracing"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// App is a whole Graft server: the database pool, metadata, engine and HTTP
// front door, started and stopped together. `graft serve` runs one; tests
// run one in-process.
type App struct {
	Config *configs.Config
	Log    *slog.Logger
	Pool   *pgxpool.Pool
	Meta   *metadata.Manager
	Engine *graphql.Engine
	// Actions calls action handlers for the engine's action fields.
	Actions *actions.Source
	Server  *Server
	// Tracing exports OpenTelemetry traces (tracing.go); set its Exporter
	// before Start to receive the spans in an SDK exporter of one's own.
	Tracing tracing.Provider
	wal     *wal
	// walSources are the WAL pipelines of added sources (walsources.go).
	walSources *sourceWALs
	// The async action queue and its pool, with Redis (actions_queue.go).
	actionQueue *delivery.Queue
	actionPool  *delivery.WorkerPool
}

// NewApp prepares an app; nothing connects until Start.
func NewApp(cfg *configs.Config, log *slog.Logger) *App {
	return &App{Config: cfg, Log: log}
}

// Start connects to Postgres, loads metadata and starts listening.
func (a *App) Start(ctx context.Context) error {
	poolCfg, err := pgxpool.ParseConfig(a.Config.DatabaseURL)
	if err != nil {
		return fmt.Errorf("HASURA_GRAPHQL_DATABASE_URL: %w", err)
	}
	poolCfg.MaxConns = int32(a.Config.PGConnections)
	// Hasura runs every query in UTC; so does Graft, whatever the server's default.
	poolCfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	poolCfg.ConnConfig.Tracer = tracing.SQLTracer{}
	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(startCtx, poolCfg)
	if err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	if err := pool.Ping(startCtx); err != nil {
		pool.Close()
		return fmt.Errorf("connect to database: %w", err)
	}
	a.Pool = pool
	a.Meta = metadata.NewManager(pool, a.Log)
	a.Meta.SetRemoteSchemaLoader(remoteschema.NewLoader(nil), a.Config.RemoteSchemaPermissions)
	if err := a.Meta.Start(startCtx); err != nil {
		pool.Close()
		return fmt.Errorf("load metadata: %w", err)
	}
	a.startTracing(startCtx)
	a.Engine = graphql.NewEngine(a.Meta, pool, a.Log)
	a.Engine.LogQueries = a.Config.EnabledLogTypes["query-log"]
	a.Actions = actions.New(a.Log, pool, a.Meta)
	a.Engine.AddRootSource(a.Actions)
	// A stored async result refetches the subscriptions to it at once, in
	// every process: through the Redis change channel when there is one
	// (this process hears it too), else here only. a.wal is set before the
	// workers start (Actions.Start comes after startWAL).
	a.Actions.SetOnRecord(func() {
		names := []metadata.QualifiedName{actions.ActionLog}
		if a.wal != nil && a.wal.changes != nil {
			a.wal.changes.add(names)
			return
		}
		a.Engine.Live.Invalidate(names)
	})
	a.Engine.AddRootSource(remoteschema.NewSource(nil, a.Config.RemoteSchemaPermissions))
	a.Engine.StringifyNumeric = a.Config.StringifyNumeric
	a.Engine.Live.Fallback, a.Engine.Live.BatchSize = a.Config.LiveFallback, a.Config.LiveBatchSize
	a.Engine.Live.Debounce = a.Config.LiveDebounce
	a.Server = &Server{
		Addr:   a.Config.ListenAddr(),
		Engine: a.Engine,
		Meta:   a.Meta,
		Auth: &authz.Resolver{AdminSecrets: a.Config.AdminSecrets, UnauthorizedRole: a.Config.UnauthorizedRole,
			JWT: a.Config.JWT, Webhook: a.Config.AuthHook},
		Log:     a.Log,
		HTTPLog: configs.LineWriter(a.Log, "http-log"),
		CORS:    a.Config.CORS,
		APIs:    a.Config.EnabledAPIs,
		Console: a.Config.EnableConsole,
	}
	a.Server.Data = &dataapi.Handler{Engine: a.Engine, Pool: pool}
	a.Meta.SetDataRunner(dataapi.RunInTx)
	a.Server.Metrics = a.newMetrics()
	a.webhookLogs()
	if err := a.Engine.Live.Start(ctx); err != nil {
		a.Meta.Stop(ctx)
		pool.Close()
		return err
	}
	if err := a.startWAL(ctx); err != nil {
		a.Engine.Live.Stop(ctx)
		a.Meta.Stop(ctx)
		pool.Close()
		return err
	}
	a.startGuard()
	if err := a.queueActions(); err != nil {
		a.Engine.Live.Stop(ctx)
		a.Meta.Stop(ctx)
		pool.Close()
		return err
	}
	if a.Server.Metrics != nil {
		a.addMetricSources(a.Server.Metrics)
	}
	if err := a.Actions.Start(ctx); err != nil {
		a.Engine.Live.Stop(ctx)
		a.Meta.Stop(ctx)
		pool.Close()
		return err
	}
	if err := a.Server.Start(ctx); err != nil {
		a.Actions.Close()
		a.Engine.Live.Stop(ctx)
		a.Meta.Stop(ctx)
		pool.Close()
		return fmt.Errorf("listen on %s: %w", a.Config.ListenAddr(), err)
	}
	a.Log.Info("server started", "type", "startup", "kind", "server", "addr", a.Server.ListenAddr(), "version", Version)
	return nil
}

// Stop drains HTTP requests, then closes metadata sources and the pool.
func (a *App) Stop(ctx context.Context) error {
	var err error
	if a.Server != nil {
		err = a.Server.Stop(ctx)
	}
	// Async action workers stop before Redis closes: their queue is there.
	if a.Actions != nil {
		a.Actions.Close()
	}
	if a.walSources != nil {
		a.walSources.stop(ctx)
	}
	if a.wal != nil {
		a.wal.stop(ctx)
		if a.wal.redis != nil {
			a.wal.redis.Close()
		}
	}
	if a.Engine != nil {
		a.Engine.Live.Stop(ctx)
	}
	if a.Meta != nil {
		a.Meta.Stop(ctx)
	}
	if a.Pool != nil {
		a.Pool.Close()
	}
	if terr := a.Tracing.Stop(ctx); err == nil {
		err = terr
	}
	return err
}

// startGuard applies the allow list and API limits to every operation,
// counting rate limits in the Redis the WAL reader connected to, if any.
func (a *App) startGuard() {
	var client *redis.Client
	if a.wal != nil {
		client = a.wal.redis
	}
	g := guard.New(a.Meta, a.Config.EnableAllowlist, client, a.Log)
	a.Engine.Guard, a.Server.Guard = g, g
}

// startWAL starts event delivery (when Redis is configured) and the WAL
// reader (unless HASURA_GRAPHQL_WAL_MODE is off; in auto mode only when
// the database allows it), and keeps both in step with metadata.
func (a *App) startWAL(ctx context.Context) error {
	w := &wal{log: a.Log, live: a.Engine.Live, cfg: walConfig{Mode: a.Config.WALMode, Slot: a.Config.WALSlot,
		Publication: a.Config.WALPublication, DatabaseURL: a.Config.DatabaseURL, PoolSize: a.Config.EventsPoolSize,
		Fallback: a.Config.LiveFallback}}
	a.observeEvents(&w.cfg)
	if err := a.Pool.QueryRow(ctx, "SELECT system_identifier::text FROM pg_control_system()").Scan(&w.cfg.SystemID); err != nil {
		return fmt.Errorf("read the database's system identifier: %w", err)
	}
	if a.Config.RedisURL != "" {
		opt, err := redis.ParseURL(a.Config.RedisURL)
		if err != nil {
			return fmt.Errorf("HASURA_GRAPHQL_REDIS_URL: %w", err)
		}
		redis.SetLogger(redisLog{a.Log})
		w.redis = redis.NewClient(opt)
		if err := w.redis.Ping(ctx).Err(); err != nil {
			w.redis.Close()
			return fmt.Errorf("connect to Redis: %w", err)
		}
	}
	if err := w.start(ctx, a.Meta.Snapshot()); err != nil {
		w.stop(ctx)
		if w.redis != nil {
			w.redis.Close()
		}
		return err
	}
	a.wal = w
	a.walSources = newSourceWALs(a, w.cfg)
	a.Engine.LiveSources = a.walSources.served
	a.Meta.SetEventsServed(a.walSources.served)
	a.Server.Health = a.walHealth
	if w.queue != nil {
		a.Meta.SetEventStore(eventStore{w: w, sources: a.walSources})
	}
	a.walSources.update(ctx, a.Meta.Snapshot())
	a.Meta.OnChange(func(s *metadata.Snapshot) {
		if err := w.update(context.WithoutCancel(ctx), s); err != nil {
			a.Log.Error("applying metadata to the WAL reader failed", "error", err)
		}
		a.walSources.update(context.WithoutCancel(ctx), s)
	})
	return nil
}
