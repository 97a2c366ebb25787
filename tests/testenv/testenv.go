// Package testenv gives tests a private database and an in-process Graft:
// each test gets its own database (created from DATABASE_URL, dropped at
// cleanup) and a server on a free port, so tests can run in parallel.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/proxy"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// AdminSecret is the admin secret of servers started by Start.
const AdminSecret = "test-admin-secret"

// RequireDatabase returns DATABASE_URL or skips the test.
func RequireDatabase(t testing.TB) string {
	t.Helper()
	u := os.Getenv("DATABASE_URL")
	if u == "" {
		t.Skip("DATABASE_URL not set: run through `make test`, which starts a private PostgreSQL")
	}
	return u
}

// NewDatabase creates an empty database for the test and returns its URL.
// PostGIS and citext are installed when available.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := RequireDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dbURL, drop, err := CreateDatabase(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return dbURL
}

// CreateDatabase is NewDatabase for programs without a testing.TB (the
// benchmark program): it creates an empty database on the server of
// baseURL, with PostGIS, citext and pgcrypto when available, and returns its
// URL and a function that drops it.
func CreateDatabase(ctx context.Context, baseURL string) (dbURL string, drop func(), err error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	admin, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to DATABASE_URL: %w", err)
	}
	defer admin.Close(ctx)
	name := "graft_test_" + randomHex(6)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, baseURL)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	u.Path = "/" + name
	u.RawPath = ""
	dbURL = u.String()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("connect to the new database: %w", err)
	}
	defer conn.Close(ctx)
	for _, ext := range []string{"postgis", "citext", "pgcrypto"} {
		conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+ext)
	}
	return dbURL, drop, nil
}

// Exec runs SQL (several statements allowed) on a database URL.
func Exec(t testing.TB, dbURL, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("exec %q: %v", firstLine(sql), err)
	}
}

// Pool opens a pool on dbURL, closed at cleanup.
func Pool(t testing.TB, dbURL string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// Options tweak the server Start runs.
type Options struct {
	AdminSecrets     []string // default: AdminSecret; set to []string{} for none
	UnauthorizedRole string
	JWTSecret        string // HASURA_GRAPHQL_JWT_SECRET
	AuthHook         string // HASURA_GRAPHQL_AUTH_HOOK
	AuthHookMode     string // HASURA_GRAPHQL_AUTH_HOOK_MODE
	LiveFallbackMS   string // live-query fallback refetch; default 60000 so tests see only invalidations
	LiveBatchSize    string // HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE; default 100
	Redis            bool   // pass REDIS_URL (event delivery, change fan-out)
	WALMode          string // HASURA_GRAPHQL_WAL_MODE; the slot gets a unique name, dropped at cleanup
	// SlotName reuses the replication slot (and publication) of a server
	// started before on the same database (its Server.Slot), so that the
	// two share one WAL reader as replicas of one deployment do: only one
	// leads the slot, and both share the Redis change channel named after
	// it. The slot is dropped by the cleanup of the Start that named it,
	// which runs after this server stopped (cleanups run last-in first-out).
	SlotName string
	LogTypes string // more HASURA_GRAPHQL_ENABLED_LOG_TYPES (comma-separated), e.g. "replication-log"
	// Env sets more HASURA_GRAPHQL_* settings (over those above), e.g.
	// HASURA_GRAPHQL_CORS_DOMAIN.
	Env  map[string]string
	Logs io.Writer // default: discarded
	// Spans receives the server's spans (the SDK's in-memory exporter,
	// say) instead of any OpenTelemetry configuration. Tracing is
	// process-wide: tests that set it must not run in parallel.
	Spans sdktrace.SpanExporter
}

// Start runs Graft in-process on dbURL and a free port until the test ends.
func Start(t testing.TB, dbURL string, opts ...Options) *Server {
	t.Helper()
	o := Options{AdminSecrets: []string{AdminSecret}}
	if len(opts) > 0 {
		o = opts[0]
		if o.AdminSecrets == nil {
			o.AdminSecrets = []string{AdminSecret}
		}
	}
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":                           dbURL,
		"HASURA_GRAPHQL_SERVER_HOST":                            "127.0.0.1",
		"HASURA_GRAPHQL_SERVER_PORT":                            "1",
		"HASURA_GRAPHQL_UNAUTHORIZED_ROLE":                      o.UnauthorizedRole,
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES":                      "startup,http-log,query-log," + o.LogTypes,
		"HASURA_GRAPHQL_PG_CONNECTIONS":                         "20",
		"HASURA_GRAPHQL_JWT_SECRET":                             o.JWTSecret,
		"HASURA_GRAPHQL_AUTH_HOOK":                              o.AuthHook,
		"HASURA_GRAPHQL_AUTH_HOOK_MODE":                         o.AuthHookMode,
		"HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL": o.LiveFallbackMS,
		"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE":    o.LiveBatchSize,
	}
	slot := o.SlotName
	if slot == "" {
		slot = "graft_test_" + randomHex(6)
		// Registered before the server's own cleanup, so it runs after the
		// server stopped: a slot must go before its database can be dropped.
		t.Cleanup(func() { DropSlot(dbURL, slot) })
	}
	env["HASURA_GRAPHQL_WAL_MODE"] = o.WALMode
	env["HASURA_GRAPHQL_WAL_SLOT_NAME"] = slot
	env["HASURA_GRAPHQL_WAL_PUBLICATION_NAME"] = slot
	if o.Redis {
		env["HASURA_GRAPHQL_REDIS_URL"] = os.Getenv("REDIS_URL")
		if env["HASURA_GRAPHQL_REDIS_URL"] == "" {
			t.Skip("REDIS_URL not set: run through `make test`, which starts a private Redis")
		}
	}
	if o.WALMode == "" {
		env["HASURA_GRAPHQL_WAL_MODE"] = "off"
		if o.Redis {
			env["HASURA_GRAPHQL_WAL_MODE"] = "auto"
		}
	}
	for k, v := range o.Env {
		env[k] = v
	}
	if env["HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL"] == "" {
		env["HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL"] = "60000"
	}
	cfg, err := configs.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.Port = 0 // a free port, chosen by the kernel
	cfg.AdminSecrets = o.AdminSecrets
	logs := o.Logs
	if logs == nil {
		logs = io.Discard
	}
	app := proxy.NewApp(cfg, configs.NewLogger(logs, slog.LevelInfo, cfg.EnabledLogTypes))
	app.Tracing.Exporter = o.Spans
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatalf("start graft: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		app.Stop(ctx)
	})
	return &Server{App: app, URL: "http://" + app.Server.ListenAddr(), Slot: slot, t: t}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// DropSlot drops a replication slot once the walsender using it has let go
// (a stopped Graft's walsender takes a moment to exit). A slot must be gone
// before its database can be dropped. Missing slots are fine.
func DropSlot(dbURL, slot string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for {
		var exists bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`, slot).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return nil
		}
		_, err := conn.Exec(ctx, `SELECT pg_drop_replication_slot($1)`, slot)
		if err == nil {
			return nil
		}
		select { // the walsender is still exiting
		case <-ctx.Done():
			return fmt.Errorf("drop replication slot %s: %w", slot, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
