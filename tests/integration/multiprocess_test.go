package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// Two Grafts on one database and one Redis, as two replicas of a
// deployment: they share the replication slot, so only one of them reads
// the WAL, and it fans each committed change out through Redis. A
// subscriber of the other one is pushed a row written with plain SQL all
// the same, with the fallback refetch (60 s here) far out of the picture.
func TestLiveQueriesAcrossProcesses(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	logsA, logsB := newLogWatch(), newLogWatch()
	a := testenv.Start(t, db, testenv.Options{Redis: true, WALMode: "always", LogTypes: "replication-log", Logs: logsA})
	a.RunSQL(`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)`)
	a.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "counter"}})
	// A leads before B starts, so which one reads the WAL is known.
	logsA.wait(t, "replication: leading the slot")
	b := testenv.Start(t, db, testenv.Options{Redis: true, WALMode: "always", SlotName: a.Slot, LogTypes: "replication-log", Logs: logsB})
	logsB.wait(t, "replication: another process consumes the slot; standing by")

	sub := func(s *testenv.Server) *wsClient {
		c := dialWS(t, s, "graphql-transport-ws")
		c.send(adminInit)
		c.expect("connection_ack", "", "")
		c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { counter_by_pk(id: 1) { n } }`}})
		c.expect("next", "1", `{"data":{"counter_by_pk":{"n":0}}}`)
		return c
	}
	onA, onB := sub(a), sub(b)
	// Written behind both servers' backs: only A's WAL reader sees it.
	testenv.Exec(t, db, `UPDATE counter SET n = 1 WHERE id = 1`)
	onB.expect("next", "1", `{"data":{"counter_by_pk":{"n":1}}}`)
	onA.expect("next", "1", `{"data":{"counter_by_pk":{"n":1}}}`)

	if strings.Contains(logsB.String(), "replication: leading the slot") {
		t.Fatalf("B took the slot too:\n%s", logsB.String())
	}
	// Both run a WAL reader of the one deployment (slot name); A's leads,
	// B's stands by. Without event triggers the leader reads a temporary
	// slot of its own, named after the deployment's.
	var leaderSlot string
	for _, c := range []struct {
		s      *testenv.Server
		leader bool
	}{{a, true}, {b, false}} {
		var h struct {
			WAL struct {
				Running  bool   `json:"running"`
				Leader   bool   `json:"leader"`
				Slot     string `json:"slot"`
				SlotKind string `json:"slot_kind"`
				SlotName string `json:"slot_name"`
			} `json:"wal"`
		}
		if err := json.Unmarshal(c.s.Get("/healthz?detail").Body, &h); err != nil || !h.WAL.Running ||
			h.WAL.Leader != c.leader || h.WAL.Slot != a.Slot || h.WAL.SlotKind != "temporary" ||
			(c.leader && !strings.HasPrefix(h.WAL.SlotName, a.Slot+"_tmp_")) || (!c.leader && h.WAL.SlotName != "") {
			t.Fatalf("%s /healthz?detail: %+v (%v), want leader %v of slot %s", c.s.URL, h, err, c.leader, a.Slot)
		}
		if c.leader {
			leaderSlot = h.WAL.SlotName
		}
	}
	// One walsender for this database (the tests' databases are private),
	// and it is the one holding the leader's slot.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool := testenv.Pool(t, db)
	// B checked at start that it could create a slot: polled, as its
	// walsender takes a moment to exit once B let go of it.
	waitFor(t, "one replication connection, streaming the leader's slot", func() (bool, error) {
		var senders, active int
		err := pool.QueryRow(ctx, `SELECT
		    (SELECT count(*) FROM pg_stat_replication r JOIN pg_stat_activity a USING (pid) WHERE a.datname = current_database()),
		    (SELECT count(*) FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = $1)`,
			leaderSlot).Scan(&senders, &active)
		return err == nil && senders == 1 && active == 1, err
	})
}

// logWatch collects a server's log lines and lets a test wait for one.
type logWatch struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newLogWatch() *logWatch { return &logWatch{changed: make(chan struct{})} }

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.changed)
	w.changed = make(chan struct{})
	return w.buf.Write(p)
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// wait returns once a line containing s was logged, failing the test when
// none is within 20 s.
func (w *logWatch) wait(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		w.mu.Lock()
		found, changed := strings.Contains(w.buf.String(), s), w.changed
		w.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no log line with %q in:\n%s", s, w.String())
		}
	}
}
