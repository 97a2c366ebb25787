package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/proxy"
	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5"
)

// walHealth is the "wal" object of /healthz?detail.
type walHealth struct {
	Mode       string `json:"mode"`
	Running    bool   `json:"running"`
	Leader     bool   `json:"leader"`
	Reason     string `json:"reason"`
	FallbackMS *int64 `json:"fallback_refetch_interval_ms"`
}

func walStatus(t *testing.T, s *testenv.Server) walHealth {
	t.Helper()
	var h struct {
		WAL walHealth `json:"wal"`
	}
	r := s.Get("/healthz?detail")
	if err := json.Unmarshal(r.Body, &h); err != nil {
		t.Fatalf("/healthz?detail: %v: %s", err, r.Body)
	}
	return h.WAL
}

// With the default mode and no event trigger, the WAL reader runs all the
// same: a row written with plain SQL on a connection of its own, behind
// Graft's back, reaches a subscriber at commit. The fallback refetch is 60 s
// and the wait at most 10 s (wsClient.next), so only the WAL explains the
// push. With Redis the change goes round the change channel; without, the
// reader invalidates the process's live queries itself.
func TestWALDefaultPushesPlainSQLWrites(t *testing.T) {
	t.Parallel()
	for _, withRedis := range []bool{false, true} {
		name := "without Redis"
		if withRedis {
			name = "with Redis"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := testenv.NewDatabase(t)
			s := testenv.Start(t, db, testenv.Options{WALMode: "auto", LiveFallbackMS: "60000", Redis: withRedis})
			// A tracked view cannot be published: it must not keep the
			// table tracked with it out of the publication.
			s.RunSQL(`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0);
				CREATE VIEW counter_doubled AS SELECT id, n * 2 AS n2 FROM counter`)
			s.Metadata(map[string]any{"type": "bulk", "args": []any{
				map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "counter"}},
				map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "counter_doubled"}},
			}})
			if h := walStatus(t, s); !h.Running || h.Mode != "auto" {
				t.Fatalf("WAL reader not running in auto mode without event triggers: %+v", h)
			}

			c := dialWS(t, s, "graphql-transport-ws")
			c.send(adminInit)
			c.expect("connection_ack", "", "")
			c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { counter_by_pk(id: 1) { n } }`}})
			c.expect("next", "1", `{"data":{"counter_by_pk":{"n":0}}}`)

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			conn, err := pgx.Connect(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, `UPDATE counter SET n = $1 WHERE id = 1`, 42); err != nil {
				t.Fatal(err)
			}
			c.expect("next", "1", `{"data":{"counter_by_pk":{"n":42}}}`)
		})
	}
}

// noReplicationRole creates a LOGIN role without REPLICATION that may run
// Graft on db (create hdb_catalog and tables), and returns db's URL as that
// role. Roles are cluster-wide: the name is unique and the role is dropped
// at cleanup, after the servers using it (registered later) have stopped.
func noReplicationRole(t *testing.T, db string) string {
	t.Helper()
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	role, password := "graft_norepl_"+hex.EncodeToString(b), hex.EncodeToString(b)
	ident := pgx.Identifier{role}.Sanitize()
	dbName := pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()
	testenv.Exec(t, db, `CREATE ROLE `+ident+` LOGIN NOSUPERUSER NOREPLICATION PASSWORD '`+password+`';
		GRANT CREATE ON DATABASE `+dbName+` TO `+ident+`;
		GRANT CREATE ON SCHEMA public TO `+ident)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, db)
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer conn.Close(ctx)
		// DROP OWNED releases what the role owns and was granted in this
		// database, the only one it used; then the role can go.
		if _, err := conn.Exec(ctx, `DROP OWNED BY `+ident); err != nil {
			t.Errorf("drop objects of role %s: %v", role, err)
		}
		if _, err := conn.Exec(ctx, `DROP ROLE `+ident); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	u.User = url.UserPassword(role, password)
	return u.String()
}

// A role without REPLICATION cannot read the WAL. In the default mode Graft
// starts anyway, serves queries and subscriptions, says why once in its
// log (not again at a later metadata change) and in /healthz?detail, with
// the fallback refetch that live queries are left with.
func TestWALDefaultOffWithoutReplicationRole(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	asRole := noReplicationRole(t, db)
	logs := newLogWatch()
	s := testenv.Start(t, asRole, testenv.Options{WALMode: "auto", LiveFallbackMS: "60000", Logs: logs})
	s.RunSQL(`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 7)`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "counter"}})
	wantData(t, s, `{ counter_by_pk(id: 1) { n } }`, nil, `{"counter_by_pk":{"n":7}}`)

	h := walStatus(t, s)
	if h.Running || h.Mode != "auto" || !strings.Contains(h.Reason, "REPLICATION") ||
		h.FallbackMS == nil || *h.FallbackMS != 60000 {
		t.Fatalf("/healthz?detail wal: %+v, want running false, a reason naming REPLICATION and the 60000 ms fallback", h)
	}
	if r := s.Get("/healthz"); string(r.Body) != "OK" {
		t.Fatalf("/healthz: %s", r.Body)
	}
	const logged = "the WAL reader cannot run"
	if n := strings.Count(logs.String(), logged); n != 1 {
		t.Fatalf("%d log lines with %q, want 1:\n%s", n, logged, logs.String())
	}
	if !strings.Contains(logs.String(), "HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL") {
		t.Fatalf("the log does not say what running without the WAL costs:\n%s", logs.String())
	}
	// Nothing was created for a reader that cannot run.
	var pubs, slots int
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := testenv.Pool(t, db).QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_publication WHERE pubname = $1),
		(SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1)`, s.Slot).Scan(&pubs, &slots); err != nil {
		t.Fatal(err)
	}
	if pubs != 0 || slots != 0 {
		t.Fatalf("%d publications and %d slots named %s, want none", pubs, slots, s.Slot)
	}
}

// "always" means what it says: without REPLICATION, start-up fails and
// says why.
func TestWALAlwaysFailsWithoutReplicationRole(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	// Slot names are cluster-wide: a unique one, dropped at cleanup should
	// a broken start-up create it after all.
	b := make([]byte, 6)
	rand.Read(b)
	slot := "graft_test_" + hex.EncodeToString(b)
	t.Cleanup(func() { testenv.DropSlot(db, slot) })
	asRole := noReplicationRole(t, db)
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": asRole, "HASURA_GRAPHQL_SERVER_HOST": "127.0.0.1",
		"HASURA_GRAPHQL_WAL_MODE": "always", "HASURA_GRAPHQL_WAL_SLOT_NAME": slot, "HASURA_GRAPHQL_WAL_PUBLICATION_NAME": slot,
	}
	cfg, err := configs.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port = 0
	app := proxy.NewApp(cfg, configs.NewLogger(io.Discard, slog.LevelInfo, cfg.EnabledLogTypes))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = app.Start(ctx)
	if err == nil {
		app.Stop(ctx)
		t.Fatal("start-up succeeded in always mode with a role that cannot replicate")
	}
	if !strings.Contains(err.Error(), "REPLICATION") {
		t.Fatalf("start-up error does not name REPLICATION: %v", err)
	}
}
