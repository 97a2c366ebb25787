package replication_test

// The integration tests are an external test package on purpose: testenv
// imports the server (proxy), which will import replication once the Stream
// is wired in; an in-package test importing testenv would then be an import
// cycle.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/replication"
	"github.com/jackc/pgx/v5"
)

// waitTimeout bounds every wait: generous for a loaded 2-core machine;
// nothing asserts on durations.
const waitTimeout = 30 * time.Second

// newSlotName returns a cluster-unique slot name and registers its removal.
// Call it right after testenv.NewDatabase: cleanups run last-registered
// first, so streams (registered later) stop first, then the slot is
// dropped, then the database (which cannot be dropped while a slot uses it).
func newSlotName(t testing.TB, dbURL string) string {
	t.Helper()
	b := make([]byte, 5)
	rand.Read(b)
	slot := "graft_test_" + hex.EncodeToString(b)
	t.Cleanup(func() { dropSlot(t, dbURL, slot) })
	return slot
}

// dropSlot drops the slot once no walsender uses it (a stopped stream's
// walsender may take a moment to exit).
func dropSlot(t testing.TB, dbURL, slot string) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Errorf("drop slot %s: %v", slot, err)
		return
	}
	defer conn.Close(ctx)
	eventually(t, "slot "+slot+" dropped", func() (bool, error) {
		conn.Exec(ctx, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
			WHERE slot_name = $1 AND active_pid IS NOT NULL`, slot)
		_, err := conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, slot)
		return err == nil, nil
	})
}

// streamConfig is a Stream configuration with short intervals, so that
// reconnections and takeovers happen quickly.
func streamConfig(t testing.TB, dbURL, slot string, sink replication.Sink) replication.Config {
	return replication.Config{
		ConnString: dbURL, SlotName: slot, Sink: sink, Logger: testLogger(t), ApplicationName: slot,
		StandbyInterval: time.Second, MinBackoff: 20 * time.Millisecond, MaxBackoff: 500 * time.Millisecond,
		LeaderPollInterval: 100 * time.Millisecond, LagLogInterval: 200 * time.Millisecond,
	}
}

// startStream creates and starts a Stream, stopped at cleanup.
func startStream(t testing.TB, cfg replication.Config) *replication.Stream {
	t.Helper()
	st, err := replication.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := st.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := st.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return st
}

// setTables publishes tables through a Stream that is not started.
func setTables(t testing.TB, dbURL string, tables, full []replication.Relation) {
	t.Helper()
	st, err := replication.New(replication.Config{ConnString: dbURL, Sink: &sink{}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := st.SetTables(ctx, tables, full); err != nil {
		t.Fatalf("SetTables: %v", err)
	}
}

// sink records delivered transactions; fail, when set, can refuse one.
type sink struct {
	mu        sync.Mutex
	fail      func(tx *replication.Transaction) error
	delivered chan *replication.Transaction
	attempted chan *replication.Transaction // every call, when set (non-blocking)
}

func newSink() *sink { return &sink{delivered: make(chan *replication.Transaction, 100)} }

func (s *sink) HandleTransaction(ctx context.Context, tx *replication.Transaction) error {
	s.mu.Lock()
	fail, attempted := s.fail, s.attempted
	s.mu.Unlock()
	if attempted != nil {
		select {
		case attempted <- tx:
		default:
		}
	}
	if fail != nil {
		if err := fail(tx); err != nil {
			return err
		}
	}
	if s.delivered != nil {
		s.delivered <- tx
	}
	return nil
}

func (s *sink) setFail(f func(tx *replication.Transaction) error) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

// next waits for the next delivered transaction.
func (s *sink) next(t *testing.T) *replication.Transaction {
	t.Helper()
	select {
	case tx := <-s.delivered:
		return tx
	case <-time.After(waitTimeout):
		t.Fatal("no transaction delivered")
		return nil
	}
}

// none checks that nothing else was delivered so far.
func (s *sink) none(t *testing.T) {
	t.Helper()
	select {
	case tx := <-s.delivered:
		t.Fatalf("unexpected delivery of transaction %d (ids %v)", tx.XID, ids(tx))
	default:
	}
}

// ids lists the "id" of every changed row (New, else Old).
func ids(tx *replication.Transaction) []int {
	var out []int
	for _, c := range tx.Changes {
		row := c.New
		if row == nil {
			row = c.Old
		}
		var r struct{ ID int }
		json.Unmarshal(row, &r)
		out = append(out, r.ID)
	}
	return out
}

func wantIDs(t *testing.T, tx *replication.Transaction, want ...int) {
	t.Helper()
	got := ids(tx)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("transaction ids: got %v, want %v", got, want)
	}
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t testing.TB, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (last error: %v)", what, lastErr)
		}
		<-tick.C
	}
}

// utcConn connects in a UTC session, as the replication connection runs.
func utcConn(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("timezone", "UTC")
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// testLogger logs to the test while it runs and drops records after.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}
