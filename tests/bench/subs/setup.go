package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/graftql/graft/tests/bench/benchkit"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/proxy"
	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

const adminSecret = "bench-admin-secret"

// benchEnv is the private database, the Graft under test and a pool for
// the writer and the statistics queries.
type benchEnv struct {
	app     *proxy.App
	dbURL   string
	dbName  string
	slot    string
	wsURL   string
	pool    *pgxpool.Pool
	closers []func()
}

func (e *benchEnv) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// setup creates a database with rows item(1..rows), starts Graft on it
// (WAL always, a unique slot, Redis, a fallback refetch far beyond the
// run) and tracks the table. close stops Graft, drops the slot, the
// Redis keys named after it, then the database.
func setup(ctx context.Context, rows int) (env *benchEnv, err error) {
	base, redisURL := os.Getenv("DATABASE_URL"), os.Getenv("REDIS_URL")
	if base == "" || redisURL == "" {
		return nil, fmt.Errorf("DATABASE_URL and REDIS_URL must be set: run `make bench-subs` (scripts/with-env.sh starts the dev stack)")
	}
	env = &benchEnv{slot: "graft_bench_" + benchkit.RandomHex(6)}
	defer func() {
		if err != nil {
			env.close()
		}
	}()
	dbURL, drop, err := testenv.CreateDatabase(ctx, base)
	if err != nil {
		return nil, err
	}
	env.dbURL = dbURL
	env.closers = append(env.closers, drop)
	if env.pool, err = pgxpool.New(ctx, dbURL); err != nil {
		return nil, err
	}
	env.closers = append(env.closers, env.pool.Close)
	if err := env.pool.QueryRow(ctx, "SELECT current_database()").Scan(&env.dbName); err != nil {
		return nil, err
	}
	if _, err := env.pool.Exec(ctx, `CREATE TABLE item (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);
		INSERT INTO item (id) SELECT generate_series(1, `+fmt.Sprint(rows)+`); ANALYZE item`); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	// Registered before Graft's stop, so it runs after it: the slot must
	// go before the database, and the Redis keys with it.
	env.closers = append(env.closers, func() {
		if err := testenv.DropSlot(dbURL, env.slot); err != nil {
			fmt.Fprintln(os.Stderr, "bench-subs: drop slot:", err)
		}
		cleanRedis(redisURL, env.slot)
	})

	vars := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":                           dbURL,
		"HASURA_GRAPHQL_SERVER_HOST":                            "127.0.0.1",
		"HASURA_GRAPHQL_ADMIN_SECRET":                           adminSecret,
		"HASURA_GRAPHQL_REDIS_URL":                              redisURL,
		"HASURA_GRAPHQL_WAL_MODE":                               "always",
		"HASURA_GRAPHQL_WAL_SLOT_NAME":                          env.slot,
		"HASURA_GRAPHQL_WAL_PUBLICATION_NAME":                   env.slot,
		"HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL": "3600000", // an hour: only the WAL refetches
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES":                      "startup",
	}
	cfg, err := configs.Load(func(k string) string { return vars[k] }, nil)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg.Port = 0 // a free port
	// Warnings (a slow consumer cut off, a replication error) go to stderr.
	env.app = proxy.NewApp(cfg, configs.NewLogger(os.Stderr, slog.LevelWarn, cfg.EnabledLogTypes))
	if err := env.app.Start(ctx); err != nil {
		return nil, fmt.Errorf("start graft: %w", err)
	}
	env.closers = append(env.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		env.app.Stop(ctx)
	})
	addr := env.app.Server.ListenAddr()
	env.wsURL = "ws://" + addr + "/v1/graphql"
	if err := postMetadata(ctx, "http://"+addr+"/v1/metadata", `{"type":"pg_track_table","args":{"table":"item"}}`); err != nil {
		return nil, fmt.Errorf("track item: %w", err)
	}
	return env, nil
}

func postMetadata(ctx context.Context, url, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}

// cleanRedis removes the event queue keys Graft made under the slot's name.
func cleanRedis(redisURL, slot string) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rc.Scan(ctx, 0, "graft:"+slot+":*", 1000).Iterator()
	for iter.Next(ctx) {
		rc.Del(ctx, iter.Val())
	}
}

// raiseFileLimit makes room for n open files, raising the hard limit too
// when allowed (root); an error says how many are possible.
func raiseFileLimit(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= n {
		return nil
	}
	want := syscall.Rlimit{Cur: n, Max: max(lim.Max, n)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return nil
	}
	if lim.Max >= n {
		return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: lim.Max})
	}
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim.Max, Max: lim.Max})
	return fmt.Errorf("open-file limit is %d (hard), %d needed", lim.Max, n)
}

// rssMB reads VmRSS of a process ("self" or a pid) in MiB.
func rssMB(pid string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &kb)
			return kb / 1024
		}
	}
	return -1
}
