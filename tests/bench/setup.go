package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/configs/gcfloor"
	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/proxy"
	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const adminSecret = "bench-admin-secret"

// benchEnv is the seeded database, the running Graft and the floor's pool.
type benchEnv struct {
	app         *proxy.App
	client      *graftClient
	metadataURL string // POST /v1/metadata
	floor       *pgxpool.Pool
	httpFloor   *httpFloor
	pgVersion   string
	closers     []func()
}

func (e *benchEnv) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// setup creates and seeds a database, starts Graft on it, applies the
// metadata and opens the floor's pool.
func setup(ctx context.Context, baseURL string, poolSize int) (env *benchEnv, err error) {
	env = &benchEnv{}
	defer func() {
		if err != nil {
			env.close()
		}
	}()
	dbURL, drop, err := testenv.CreateDatabase(ctx, baseURL)
	if err != nil {
		return nil, err
	}
	env.closers = append(env.closers, drop)
	if env.pgVersion, err = seed(ctx, dbURL); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}

	if env.app, err = startGraft(ctx, dbURL, poolSize); err != nil {
		return nil, err
	}
	env.closers = append(env.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		env.app.Stop(ctx)
	})
	base := "http://" + env.app.Server.ListenAddr()
	if env.client, err = newGraftClient(base+"/v1/graphql", poolSize); err != nil {
		return nil, err
	}
	env.metadataURL = base + "/v1/metadata"
	if err := env.client.admin(ctx, env.metadataURL, metadataBody()); err != nil {
		return nil, fmt.Errorf("replace_metadata: %w", err)
	}

	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(poolSize)
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC" // as Graft's pool
	if env.floor, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("floor pool: %w", err)
	}
	env.closers = append(env.closers, env.floor.Close)
	if env.httpFloor, err = startHTTPFloor(env.floor); err != nil {
		return nil, fmt.Errorf("http floor: %w", err)
	}
	env.closers = append(env.closers, env.httpFloor.close)
	return env, nil
}

// httpFloor is the least an HTTP server in front of Postgres can do: read
// the body, run workload w's request i's compiled statement with QueryRow, write
// {"data":{"x": json}}. It tells how much of Graft's latency any HTTP
// server would add on this machine, GraphQL or not.
type httpFloor struct {
	srv   *http.Server
	url   string // POST url + "/<w>/<i>"
	stmts atomic.Pointer[[][]graphql.Statement]
}

func startHTTPFloor(pool *pgxpool.Pool) (*httpFloor, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &httpFloor{url: "http://" + ln.Addr().String() + "/sql"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sql/{w}/{i}", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		wi, err1 := strconv.Atoi(r.PathValue("w"))
		i, err2 := strconv.Atoi(r.PathValue("i"))
		all := h.stmts.Load()
		if err1 != nil || err2 != nil || all == nil || wi < 0 || wi >= len(*all) || i < 0 || i >= len((*all)[wi]) {
			http.Error(w, "no such statement", http.StatusNotFound)
			return
		}
		st := (*all)[wi][i]
		var b []byte
		if err := pool.QueryRow(r.Context(), st.SQL, st.Args...).Scan(&b); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		// One write with its length, as Graft answers.
		body := append(append([]byte(`{"data":{"x":`), b...), "}}"...)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	h.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go h.srv.Serve(ln)
	return h, nil
}

// urls are the URLs of workload w's requests 0..n-1, parsed once.
func (h *httpFloor) urls(w, n int) ([]*url.URL, error) {
	out := make([]*url.URL, n)
	for i := range out {
		u, err := url.Parse(h.url + "/" + strconv.Itoa(w) + "/" + strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		out[i] = u
	}
	return out, nil
}

func (h *httpFloor) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.srv.Shutdown(ctx)
}

// startGraft runs Graft in-process as `graft serve` would, on 127.0.0.1 and
// a free port, with the default log types (written nowhere).
func startGraft(ctx context.Context, dbURL string, poolSize int) (*proxy.App, error) {
	vars := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":   dbURL,
		"HASURA_GRAPHQL_SERVER_HOST":    "127.0.0.1",
		"HASURA_GRAPHQL_PG_CONNECTIONS": fmt.Sprint(poolSize),
		"HASURA_GRAPHQL_ADMIN_SECRET":   adminSecret,
	}
	cfg, err := configs.Load(func(k string) string { return vars[k] }, nil)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg.Port = 0 // a free port, chosen by the kernel
	app := proxy.NewApp(cfg, configs.NewLogger(io.Discard, slog.LevelInfo, cfg.EnabledLogTypes))
	if err := app.Start(ctx); err != nil {
		return nil, fmt.Errorf("start graft: %w", err)
	}
	gcfloor.Start(uint64(cfg.GCMinHeapMB) << 20) // as `graft serve` does, for the life of the program (the load generator and the floor too)
	return app, nil
}

// adminSession is the session Graft resolves for the admin secret.
var adminSession = graphql.Session{Role: "admin", Vars: map[string]string{}}

// sessionHeaders are the headers that, with the admin secret, make Graft
// resolve sess: X-Hasura-Role and one header per session variable. nil for
// the admin session, which the admin secret alone gives.
func sessionHeaders(sess graphql.Session) http.Header {
	if sess.Role == adminSession.Role && len(sess.Vars) == 0 {
		return nil
	}
	h := http.Header{}
	h.Set("X-Hasura-Role", sess.Role)
	for k, v := range sess.Vars {
		h.Set(k, v)
	}
	return h
}

// floorQuery runs one compiled statement the cheapest way pgx allows.
func (e *benchEnv) floorQuery(ctx context.Context, st graphql.Statement) error {
	var b []byte
	if err := e.floor.QueryRow(ctx, st.SQL, st.Args...).Scan(&b); err != nil {
		return err
	}
	if len(b) == 0 {
		return fmt.Errorf("empty result")
	}
	return nil
}

// floorJSON returns a statement's JSON, for checking it against Graft's response.
func (e *benchEnv) floorJSON(ctx context.Context, st graphql.Statement) ([]byte, error) {
	var b []byte
	err := e.floor.QueryRow(ctx, st.SQL, st.Args...).Scan(&b)
	return b, err
}

// seed creates the schema and rows, analyzes them and returns the server version.
func seed(ctx context.Context, dbURL string) (string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, schemaSQL()); err != nil {
		return "", err
	}
	var version string
	err = conn.QueryRow(ctx, "SELECT 'PostgreSQL ' || current_setting('server_version')").Scan(&version)
	return version, err
}
