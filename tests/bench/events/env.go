package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/configs/gcfloor"
	"github.com/graftql/graft/proxy"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

const adminSecret = "bench-admin-secret"

// The tables. Every one has the same columns; each configuration and
// section writes its own, so no run sees another's rows, triggers or
// dead tuples.
const (
	tablePlain  = "ins_plain"  // (a) no trigger
	tablePlain2 = "ins_plain2" // (a) again, after (b), while Graft reads the WAL
	tableGraft  = "ins_graft"  // (b) a Graft event trigger
	tableHeld   = "ins_held"   // (b') the same, its webhook holding every request until the inserts end
	tableHasura = "ins_hasura" // (c) a Hasura-style PL/pgSQL trigger into an event log
	tableTput   = "tput"       // section 2
	tableLat    = "lat"        // section 3
)

// graftTables get an event trigger named after the table, whose webhook is
// the receiver's /<table>.
var graftTables = []string{tableGraft, tableHeld, tableTput, tableLat}

func tableSQL(name string) string {
	return fmt.Sprintf(`CREATE TABLE %s (
  id bigserial PRIMARY KEY,
  seq bigint NOT NULL,
  account_id int NOT NULL,
  name text NOT NULL,
  amount numeric(12,2) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);`, name)
}

// hasuraSQL is what Hasura v2 installs for an INSERT event trigger, in a
// schema of its own (Graft's metadata lives in hdb_catalog): the
// hdb_catalog.event_log table with its indexes, insert_event_log (payload
// built with json_build_object from the session settings) and a per-trigger
// PL/pgSQL function running AFTER INSERT FOR EACH ROW that passes
// row_to_json(NEW) to it. Hasura's poller (SELECT ... FOR UPDATE SKIP
// LOCKED every second, then an UPDATE per event) is not simulated: its load
// would only lower (c) further.
const hasuraSQL = `
CREATE SCHEMA hasura_sim;
CREATE TABLE hasura_sim.event_log (
  id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  trigger_name text NOT NULL,
  payload jsonb NOT NULL,
  delivered boolean NOT NULL DEFAULT false,
  error boolean NOT NULL DEFAULT false,
  tries integer NOT NULL DEFAULT 0,
  created_at timestamp DEFAULT now(),
  locked timestamptz,
  next_retry_at timestamp,
  archived boolean NOT NULL DEFAULT false
);
CREATE INDEX ON hasura_sim.event_log (trigger_name);
CREATE INDEX event_log_fetch_events ON hasura_sim.event_log (locked NULLS FIRST, next_retry_at NULLS FIRST, created_at)
  WHERE delivered = 'f' AND error = 'f' AND archived = 'f';

CREATE FUNCTION hasura_sim.insert_event_log(schema_name text, table_name text, trigger_name text, op text, row_data json)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  id text;
  payload json;
BEGIN
  id := gen_random_uuid();
  payload := json_build_object('op', op, 'data', row_data,
    'session_variables', current_setting('hasura.user', 't'),
    'trace_context', current_setting('hasura.tracecontext', 't'));
  INSERT INTO hasura_sim.event_log (id, schema_name, table_name, trigger_name, payload)
  VALUES (id::uuid, schema_name, table_name, trigger_name, payload);
  RETURN id;
END $$;

CREATE FUNCTION hasura_sim.notify_hasura_ins_hasura_events_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  _data json;
BEGIN
  _data := json_build_object('old', NULL, 'new', row_to_json(NEW));
  PERFORM hasura_sim.insert_event_log(CAST(TG_TABLE_SCHEMA AS text), CAST(TG_TABLE_NAME AS text),
    CAST('ins_hasura_events' AS text), TG_OP, _data);
  RETURN NULL;
END $$;

CREATE TRIGGER notify_hasura_ins_hasura_events_insert AFTER INSERT ON ins_hasura
  FOR EACH ROW EXECUTE FUNCTION hasura_sim.notify_hasura_ins_hasura_events_insert();
`

// createSchema creates every table (before Graft starts, so its metadata
// sees them) and returns the server version.
func createSchema(ctx context.Context, dbURL string) (string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var sql bytes.Buffer
	for _, t := range []string{tablePlain, tablePlain2, tableGraft, tableHeld, tableHasura, tableTput, tableLat} {
		sql.WriteString(tableSQL(t))
	}
	sql.WriteString(hasuraSQL)
	if _, err := conn.Exec(ctx, sql.String()); err != nil {
		return "", err
	}
	var version string
	err = conn.QueryRow(ctx, "SELECT 'PostgreSQL ' || current_setting('server_version')").Scan(&version)
	return version, err
}

// openPool opens the inserting clients' pool.
func openPool(ctx context.Context, dbURL string, size int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns, cfg.MinConns = int32(size), int32(size)
	return pgxpool.NewWithConfig(ctx, cfg)
}

// graft is Graft running in-process with event delivery.
type graft struct {
	app  *proxy.App
	base string // http://host:port
	slot string // also the publication's name and the Redis key prefix's middle
}

// graftRunner runs Graft in-process on the run's slot, stopped and started
// again as section 1 needs; the first start creates the event triggers.
type graftRunner struct {
	dbURL, redisURL, receiverURL, slot string
	g                                  *graft
	created                            bool
}

func (r *graftRunner) start(ctx context.Context) error {
	if r.g != nil {
		return nil
	}
	g, err := startGraft(ctx, r.dbURL, r.redisURL, r.slot)
	if err != nil {
		return err
	}
	r.g = g
	if !r.created {
		if err := g.createTriggers(ctx, r.receiverURL); err != nil {
			return fmt.Errorf("create event triggers: %w", err)
		}
		r.created = true
	}
	return nil
}

func (r *graftRunner) stop() {
	if r.g != nil {
		r.g.stop()
		r.g = nil
	}
}

// graftLog is where Graft's warnings go: stderr, each distinct one once
// (Graft starts several times in a run, warning each time about Redis's
// appendfsync, for one).
var graftLog = &onceWriter{seen: map[string]bool{}}

type onceWriter struct {
	mu   sync.Mutex
	seen map[string]bool
}

// Write takes one log line: {"detail", "level", "timestamp", "type"}.
func (w *onceWriter) Write(line []byte) (int, error) {
	var l struct {
		Detail json.RawMessage `json:"detail"`
		Level  string          `json:"level"`
	}
	key := string(line)
	if json.Unmarshal(line, &l) == nil {
		key = l.Level + string(l.Detail)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[key] {
		return len(line), nil
	}
	w.seen[key] = true
	return os.Stderr.Write(line)
}

// startGraft runs Graft as `graft serve` would, with Redis and the slot and
// publication named slot. Warnings and errors go to stderr.
func startGraft(ctx context.Context, dbURL, redisURL, slot string) (*graft, error) {
	vars := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":         dbURL,
		"HASURA_GRAPHQL_SERVER_HOST":          "127.0.0.1",
		"HASURA_GRAPHQL_ADMIN_SECRET":         adminSecret,
		"HASURA_GRAPHQL_REDIS_URL":            redisURL,
		"HASURA_GRAPHQL_WAL_MODE":             "auto",
		"HASURA_GRAPHQL_WAL_SLOT_NAME":        slot,
		"HASURA_GRAPHQL_WAL_PUBLICATION_NAME": slot,
	}
	cfg, err := configs.Load(func(k string) string { return vars[k] }, nil)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg.Port = 0 // a free port, chosen by the kernel
	app := proxy.NewApp(cfg, configs.NewLogger(graftLog, slog.LevelWarn, cfg.EnabledLogTypes))
	if err := app.Start(ctx); err != nil {
		return nil, fmt.Errorf("start graft: %w", err)
	}
	gcfloor.Start(uint64(cfg.GCMinHeapMB) << 20) // as `graft serve` does, for the life of the program (a no-op once running)
	return &graft{app: app, base: "http://" + app.Server.ListenAddr(), slot: slot}, nil
}

func (g *graft) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	g.app.Stop(ctx)
}

// createTriggers tracks the tables and creates their INSERT event triggers
// through the metadata API, as a user would.
func (g *graft) createTriggers(ctx context.Context, receiverURL string) error {
	var args []any
	for _, t := range graftTables {
		args = append(args, map[string]any{"type": "pg_track_table", "args": map[string]any{"table": t}})
	}
	for _, t := range graftTables {
		args = append(args, map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
			"name": t + "_events", "table": t, "webhook": receiverURL + "/" + t,
			"insert":     map[string]any{"columns": "*"},
			"retry_conf": map[string]any{"num_retries": 3, "interval_sec": 1, "timeout_sec": 10},
		}})
	}
	body, err := json.Marshal(map[string]any{"type": "bulk", "args": args})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.base+"/v1/metadata", bytes.NewReader(body))
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
		return fmt.Errorf("/v1/metadata: status %d: %s", resp.StatusCode, b)
	}
	return nil
}

// dropRedisKeys deletes the run's queue (events, dedup markers, logs): the
// keys Graft names after its slot.
func dropRedisKeys(redisURL, slot string) error {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, "graft:"+slot+":*", 5000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 1000 {
			if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return rdb.Unlink(ctx, batch...).Err()
	}
	return nil
}
