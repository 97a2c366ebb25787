package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
)

// walSlot is the slot part of the "wal" object of /healthz?detail.
type walSlot struct {
	Running  bool   `json:"running"`
	Leader   bool   `json:"leader"`
	Slot     string `json:"slot"`
	SlotKind string `json:"slot_kind"`
	SlotName string `json:"slot_name"`
}

func walSlotStatus(t *testing.T, s *testenv.Server) walSlot {
	t.Helper()
	var h struct {
		WAL walSlot `json:"wal"`
	}
	r := s.Get("/healthz?detail")
	if err := json.Unmarshal(r.Body, &h); err != nil {
		t.Fatalf("/healthz?detail: %v: %s", err, r.Body)
	}
	return h.WAL
}

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s (last error: %v)", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// slotRows counts the slots named exactly name, and the temporary slots
// named after it (name_tmp_...), and tells whether name is temporary.
func slotRows(pool *pgxpool.Pool, name string) (persistent, temporary int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND NOT temporary),
		(SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE $1 || '\_tmp\_%' AND temporary)`,
		name).Scan(&persistent, &temporary)
	return persistent, temporary, err
}

// Without an event trigger the reader reads a temporary slot, which
// PostgreSQL drops when the connection ends: a plain-SQL write still
// reaches a subscriber at commit (the fallback refetch is 60 s, the wait
// at most 10 s), and once the server stops no slot of it is left to
// retain WAL. Without Redis, two processes each read a temporary slot of
// their own, so a subscriber of either is pushed.
func TestWALTemporarySlotWithoutEventTriggers(t *testing.T) {
	t.Parallel()
	for _, withRedis := range []bool{false, true} {
		name := "without Redis"
		if withRedis {
			name = "with Redis"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := testenv.NewDatabase(t)
			pool := testenv.Pool(t, db)
			a := testenv.Start(t, db, testenv.Options{WALMode: "auto", Redis: withRedis})
			a.RunSQL(`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)`)
			a.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "counter"}})
			b := testenv.Start(t, db, testenv.Options{WALMode: "auto", Redis: withRedis, SlotName: a.Slot})

			h := walSlotStatus(t, a)
			if !h.Running || h.SlotKind != "temporary" || !strings.HasPrefix(h.SlotName, a.Slot+"_tmp_") || h.Slot != a.Slot {
				t.Fatalf("/healthz?detail wal: %+v, want a running reader on a temporary slot named %s_tmp_...", h, a.Slot)
			}
			var temporary bool
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := pool.QueryRow(ctx, `SELECT temporary FROM pg_replication_slots WHERE slot_name = $1`, h.SlotName).Scan(&temporary); err != nil || !temporary {
				t.Fatalf("slot %s: temporary %v (%v), want true", h.SlotName, temporary, err)
			}
			// Without Redis each process reads its own; with it, one leads
			// (the other drops the one it made at start to check it could).
			wantTemps := 1
			if !withRedis {
				wantTemps = 2
			}
			waitFor(t, "the temporary slots only", func() (bool, error) {
				persistent, temps, err := slotRows(pool, a.Slot)
				return err == nil && persistent == 0 && temps == wantTemps, err
			})

			sub := func(s *testenv.Server) *wsClient {
				c := dialWS(t, s, "graphql-transport-ws")
				c.send(adminInit)
				c.expect("connection_ack", "", "")
				c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { counter_by_pk(id: 1) { n } }`}})
				c.expect("next", "1", `{"data":{"counter_by_pk":{"n":0}}}`)
				return c
			}
			onA, onB := sub(a), sub(b)
			testenv.Exec(t, db, `UPDATE counter SET n = 42 WHERE id = 1`)
			onA.expect("next", "1", `{"data":{"counter_by_pk":{"n":42}}}`)
			onB.expect("next", "1", `{"data":{"counter_by_pk":{"n":42}}}`)

			// Stopping the servers ends their replication connections, and
			// PostgreSQL drops the temporary slots with them.
			b.App.Stop(ctx)
			a.App.Stop(ctx)
			waitFor(t, "no slot left after the servers stopped", func() (bool, error) {
				persistent, temps, err := slotRows(pool, a.Slot)
				return err == nil && persistent == 0 && temps == 0, err
			})
		})
	}
}

// itemName is the name in an insert event of table item.
func itemName(t *testing.T, d delivered) string {
	t.Helper()
	ev, _ := d.Body["event"].(map[string]any)
	data, _ := ev["data"].(map[string]any)
	row, _ := data["new"].(map[string]any)
	name, _ := row["name"].(string)
	if name == "" {
		t.Fatalf("not an insert event of item: %s", d.Raw)
	}
	return name
}

// Creating the first event trigger moves the reader to the persistent
// slot before the metadata call returns: a row inserted right after it
// fires its event, one inserted before does not, and the temporary slot
// is gone.
func TestWALPersistentSlotOnceEventTriggersExist(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	db := testenv.NewDatabase(t)
	pool := testenv.Pool(t, db)
	s := testenv.Start(t, db, testenv.Options{WALMode: "auto", Redis: true})
	s.RunSQL(`CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL)`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "item"}})
	if h := walSlotStatus(t, s); h.SlotKind != "temporary" {
		t.Fatalf("/healthz?detail wal: %+v, want a temporary slot before any event trigger", h)
	}

	testenv.Exec(t, db, `INSERT INTO item (name) VALUES ('A')`)
	mustMeta(t, s, map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
		"name": "item_created", "table": "item", "webhook": rcv.URL, "insert": map[string]any{"columns": "*"}}})
	testenv.Exec(t, db, `INSERT INTO item (name) VALUES ('B')`)
	testenv.Exec(t, db, `INSERT INTO item (name) VALUES ('C')`)
	got := map[string]int{}
	for got["B"] == 0 || got["C"] == 0 {
		got[itemName(t, rcv.next(t))]++
	}
	if got["A"] != 0 {
		t.Fatalf("events %v: row A was inserted before the trigger existed", got)
	}

	h := walSlotStatus(t, s)
	if !h.Running || h.SlotKind != "persistent" || h.SlotName != s.Slot {
		t.Fatalf("/healthz?detail wal: %+v, want the persistent slot %s", h, s.Slot)
	}
	waitFor(t, "the persistent slot alone", func() (bool, error) {
		persistent, temps, err := slotRows(pool, s.Slot)
		return err == nil && persistent == 1 && temps == 0, err
	})
}

// A persistent slot left by a run with event triggers is dropped when
// Graft starts with none (they were deleted): nothing would read it, and
// it would retain WAL for good. While triggers exist it is kept across
// restarts.
func TestWALLeftoverPersistentSlotDropped(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	db := testenv.NewDatabase(t)
	pool := testenv.Pool(t, db)
	a := testenv.Start(t, db, testenv.Options{WALMode: "auto", Redis: true})
	a.RunSQL(`CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL)`)
	a.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "item"}},
		map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
			"name": "item_created", "table": "item", "webhook": rcv.URL, "insert": map[string]any{"columns": "*"}}},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a.App.Stop(ctx)

	// Restarted with the trigger: the slot is kept, and read.
	b := testenv.Start(t, db, testenv.Options{WALMode: "auto", Redis: true, SlotName: a.Slot})
	if h := walSlotStatus(t, b); h.SlotKind != "persistent" {
		t.Fatalf("/healthz?detail wal: %+v, want the persistent slot while a trigger exists", h)
	}
	mustMeta(t, b, map[string]any{"type": "pg_delete_event_trigger", "args": map[string]any{"name": "item_created"}})
	// Kept until the process stops, though no trigger is left.
	if h := walSlotStatus(t, b); h.SlotKind != "persistent" {
		t.Fatalf("/healthz?detail wal: %+v, want the persistent slot until restart", h)
	}
	b.App.Stop(ctx)
	// Once its walsender let go: a slot still in use is never dropped.
	waitFor(t, "the persistent slot kept and released", func() (bool, error) {
		var active bool
		err := pool.QueryRow(ctx, `SELECT active FROM pg_replication_slots WHERE slot_name = $1 AND NOT temporary`, a.Slot).Scan(&active)
		return err == nil && !active, err
	})

	// Started without triggers: the left-over slot goes.
	c := testenv.Start(t, db, testenv.Options{WALMode: "auto", Redis: true, SlotName: a.Slot})
	if h := walSlotStatus(t, c); h.SlotKind != "temporary" {
		t.Fatalf("/healthz?detail wal: %+v, want a temporary slot", h)
	}
	if persistent, _, err := slotRows(pool, a.Slot); err != nil || persistent != 0 {
		t.Fatalf("%d persistent slots (%v) once started without triggers, want 0", persistent, err)
	}
}

// A left-over persistent slot is kept when the stored event triggers
// cannot be read: unreadable is not "no trigger", and dropping the slot
// would lose the events it holds.
func TestWALLeftoverSlotKeptWhenTriggersUnreadable(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	db := testenv.NewDatabase(t)
	pool := testenv.Pool(t, db)
	a := testenv.Start(t, db, testenv.Options{WALMode: "auto", Redis: true})
	a.RunSQL(`CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL)`)
	a.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "item"}},
		map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
			"name": "item_created", "table": "item", "webhook": rcv.URL, "insert": map[string]any{"columns": "*"}}},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a.App.Stop(ctx)
	waitFor(t, "the persistent slot kept and released", func() (bool, error) {
		var active bool
		err := pool.QueryRow(ctx, `SELECT active FROM pg_replication_slots WHERE slot_name = $1 AND NOT temporary`, a.Slot).Scan(&active)
		return err == nil && !active, err
	})
	// The table's event_triggers become an object, not the list expected.
	testenv.Exec(t, db, `UPDATE hdb_catalog.hdb_metadata SET metadata = jsonb_set(metadata::jsonb,
		'{sources,0,tables,0,event_triggers}', metadata::jsonb #> '{sources,0,tables,0,event_triggers,0}')::json`)

	c := testenv.Start(t, db, testenv.Options{WALMode: "auto", Redis: true, SlotName: a.Slot})
	if h := walSlotStatus(t, c); !h.Running {
		t.Fatalf("/healthz?detail wal: %+v, want a running reader", h)
	}
	if persistent, _, err := slotRows(pool, a.Slot); err != nil || persistent != 1 {
		t.Fatalf("%d persistent slots (%v) once started with unreadable triggers, want 1", persistent, err)
	}
}

// The switch to the persistent slot waits for the transactions running in
// the cluster (creating a slot does), possibly for long: /healthz?detail
// and /v1/metrics answer meanwhile.
func TestWALSwitchWaitingDoesNotHoldUpHealth(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	db := testenv.NewDatabase(t)
	pool := testenv.Pool(t, db)
	s := testenv.Start(t, db, testenv.Options{WALMode: "auto", Redis: true,
		Env: map[string]string{"HASURA_GRAPHQL_ENABLED_APIS": "metadata,graphql,metrics", "HASURA_GRAPHQL_METRICS_SECRET": metricsSecret}})
	s.RunSQL(`CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL)`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "item"}})
	if h := walSlotStatus(t, s); h.SlotKind != "temporary" {
		t.Fatalf("/healthz?detail wal: %+v, want a temporary slot before any event trigger", h)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	var xid string
	if err := tx.QueryRow(ctx, `SELECT txid_current()::text`).Scan(&xid); err != nil {
		t.Fatal(err)
	}

	type result struct {
		status int
		body   []byte
		err    error
	}
	created := make(chan result, 1)
	go func() {
		body, _ := json.Marshal(map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
			"name": "item_created", "table": "item", "webhook": rcv.URL, "insert": map[string]any{"columns": "*"}}})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/v1/metadata", bytes.NewReader(body))
		for k, v := range admin() {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			created <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		created <- result{status: resp.StatusCode, body: b, err: err}
	}()
	waitFor(t, "the slot creation waiting for the open transaction", func() (bool, error) {
		var waiting bool
		err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'transactionid' AND transactionid::text = $1 AND NOT granted)`, xid).Scan(&waiting)
		return err == nil && waiting, err
	})

	for path, auth := range map[string]string{"/healthz?detail": "", "/v1/metrics": "Bearer " + metricsSecret} {
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		req, _ := http.NewRequestWithContext(rctx, http.MethodGet, s.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			rcancel()
			t.Fatalf("%s while the switch waits: %v", path, err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		rcancel()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s while the switch waits: status %d, %v", path, resp.StatusCode, err)
		}
	}
	select {
	case r := <-created:
		t.Fatalf("the trigger was created while the transaction was open (status %d, %v): %s", r.status, r.err, r.body)
	default:
	}

	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-created
	if r.err != nil || r.status != 200 {
		t.Fatalf("create_event_trigger: status %d, %v: %s", r.status, r.err, r.body)
	}
	if h := walSlotStatus(t, s); h.SlotKind != "persistent" {
		t.Fatalf("/healthz?detail wal: %+v, want the persistent slot", h)
	}
}
