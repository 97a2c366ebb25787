package replication_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/replication"
	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5"
)

// itemsDB returns a database with a published table items(id int primary key).
func itemsDB(t *testing.T) (db, slot string) {
	t.Helper()
	db = testenv.NewDatabase(t)
	slot = newSlotName(t, db)
	testenv.Exec(t, db, `CREATE TABLE items (id int PRIMARY KEY, note text)`)
	setTables(t, db, []replication.Relation{{Schema: "public", Name: "items"}}, nil)
	return db, slot
}

func insert(t *testing.T, db string, id int) {
	t.Helper()
	testenv.Exec(t, db, "INSERT INTO items (id) VALUES ("+itoa(id)+")")
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestSessionVariables: Graft's logical message at the start of a
// transaction gives the transaction its session variables and trace
// context; other transactions have none.
func TestSessionVariables(t *testing.T) {
	t.Parallel()
	db, slot := itemsDB(t)
	s := newSink()
	startStream(t, streamConfig(t, db, slot, s))

	testenv.Exec(t, db, `BEGIN;
		SELECT pg_logical_emit_message(true, 'graft', '{"session_variables":{"x-hasura-role":"user"},"trace_context":null}');
		INSERT INTO items (id) VALUES (1);
		COMMIT;`)
	// A message with another prefix, and a non-transactional graft message,
	// attach nothing.
	testenv.Exec(t, db, `SELECT pg_logical_emit_message(false, 'graft', '{"session_variables":{"x-hasura-role":"admin"}}')`)
	testenv.Exec(t, db, `SELECT pg_logical_emit_message(true, 'other', '{"session_variables":{"x-hasura-role":"admin"}}');
		INSERT INTO items (id) VALUES (2);`)
	testenv.Exec(t, db, `SELECT pg_logical_emit_message(true, 'graft',
		'{"session_variables": {"x-hasura-role": "editor", "x-hasura-user-id": "7"}, "trace_context": {"traceparent": "00-abc-def-01"}}');
		INSERT INTO items (id) VALUES (3); UPDATE items SET note = 'x' WHERE id = 3;`)

	tx1, tx2, tx3 := s.next(t), s.next(t), s.next(t)
	wantIDs(t, tx1, 1)
	if !jsonEqual(tx1.SessionVariables, []byte(`{"x-hasura-role":"user"}`)) || tx1.TraceContext != nil {
		t.Errorf("tx1: session %s trace %s", tx1.SessionVariables, tx1.TraceContext)
	}
	wantIDs(t, tx2, 2)
	if tx2.SessionVariables != nil || tx2.TraceContext != nil {
		t.Errorf("tx2: session %s trace %s, want none", tx2.SessionVariables, tx2.TraceContext)
	}
	wantIDs(t, tx3, 3, 3)
	if !jsonEqual(tx3.SessionVariables, []byte(`{"x-hasura-role":"editor","x-hasura-user-id":"7"}`)) ||
		!jsonEqual(tx3.TraceContext, []byte(`{"traceparent":"00-abc-def-01"}`)) {
		t.Errorf("tx3: session %s trace %s", tx3.SessionVariables, tx3.TraceContext)
	}
	for i, tx := range []*replication.Transaction{tx1, tx2, tx3} {
		if tx.XID == 0 || tx.CommitTime.IsZero() || (i > 0 && tx.CommitLSN <= tx1.CommitLSN) {
			t.Errorf("tx%d: xid %d commit lsn %d time %v", i+1, tx.XID, tx.CommitLSN, tx.CommitTime)
		}
	}
}

// TestAcknowledgement: a failing Sink gets the same transaction again (never
// a later one); the slot advances only past acknowledged transactions, and a
// restarted stream resumes with the first unacknowledged one.
func TestAcknowledgement(t *testing.T) {
	t.Parallel()
	db, slot := itemsDB(t)
	s := newSink()
	var mu sync.Mutex
	var seq []int // ids in the order the Sink saw them
	attempts := map[int]int{}
	s.setFail(func(tx *replication.Transaction) error {
		mu.Lock()
		defer mu.Unlock()
		id := ids(tx)[0]
		seq = append(seq, id)
		attempts[id]++
		if (id == 1 && attempts[id] <= 3) || id == 3 {
			return errors.New("sink unavailable")
		}
		return nil
	})
	attempted := make(chan *replication.Transaction, 100)
	s.attempted = attempted
	st := startStream(t, streamConfig(t, db, slot, s))

	insert(t, db, 1)
	insert(t, db, 2)
	tx1 := s.next(t)
	wantIDs(t, tx1, 1)
	tx2 := s.next(t)
	wantIDs(t, tx2, 2)
	mu.Lock()
	if fmt.Sprint(seq) != "[1 1 1 1 2]" {
		t.Errorf("the Sink saw %v, want transaction 1 four times, then 2", seq)
	}
	mu.Unlock()

	ctx := context.Background()
	eventually(t, "confirmed_flush_lsn past transaction 2", func() (bool, error) {
		lag, err := st.Lag(ctx)
		return err == nil && lag.ConfirmedFlushLSN > tx2.CommitLSN, err
	})

	// Transaction 3 always fails: it must be retried, and the slot must not
	// move past it.
	insert(t, db, 3)
	var tx3 *replication.Transaction
	for n := 0; n < 2; {
		select {
		case tx := <-attempted:
			if ids(tx)[0] == 3 {
				tx3, n = tx, n+1
			}
		case <-time.After(waitTimeout):
			t.Fatal("transaction 3 was not attempted twice")
		}
	}
	stopCtx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if err := st.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	lag, err := st.Lag(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lag.ConfirmedFlushLSN > tx3.CommitLSN || lag.ConfirmedFlushLSN <= tx2.CommitLSN {
		t.Errorf("confirmed_flush_lsn %d: want past transaction 2 (%d) and not past transaction 3 (%d)",
			lag.ConfirmedFlushLSN, tx2.CommitLSN, tx3.CommitLSN)
	}
	if lag.CurrentLSN < lag.ConfirmedFlushLSN || lag.LagBytes < 0 || lag.WALStatus == "" {
		t.Errorf("lag: %+v", lag)
	}
	s.none(t)

	// Started again, the stream resumes with transaction 3: 1 and 2 were
	// acknowledged and are not delivered again.
	s.setFail(nil)
	startCtx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if err := st.Start(startCtx); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, s.next(t), 3)
	insert(t, db, 4)
	wantIDs(t, s.next(t), 4)
	if err := st.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	s.none(t)

	// A new Stream (as after a process restart) relies on the slot alone:
	// it starts after transaction 4.
	s2 := newSink()
	startStream(t, streamConfig(t, db, slot, s2))
	insert(t, db, 5)
	wantIDs(t, s2.next(t), 5)
	s2.none(t)
}

// TestSetTables: the publication gets exactly the given tables (quoted
// names included), fullIdentity tables and published tables without a
// primary key get REPLICA IDENTITY FULL, and an empty list empties the
// publication.
func TestSetTables(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, `
		CREATE SCHEMA "My Schema";
		CREATE TABLE "My Schema"."Weird ""Name""" (id int PRIMARY KEY);
		CREATE TABLE nopk (v int);
		CREATE TABLE full_me (id int PRIMARY KEY);
		CREATE TABLE other (id int PRIMARY KEY);`)
	weird := replication.Relation{Schema: "My Schema", Name: `Weird "Name"`}
	nopk := replication.Relation{Schema: "public", Name: "nopk"}
	fullMe := replication.Relation{Schema: "public", Name: "full_me"}
	other := replication.Relation{Schema: "public", Name: "other"}
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	state := func() string {
		t.Helper()
		var published, identities string
		err := conn.QueryRow(context.Background(), `
			SELECT coalesce((SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY schemaname, tablename)
			                 FROM pg_publication_tables WHERE pubname = 'graft_pub'), ''),
			       (SELECT string_agg(relname || '=' || relreplident::text, ',' ORDER BY relname) FROM pg_class
			        WHERE relname IN ('Weird "Name"', 'nopk', 'full_me', 'other'))`).Scan(&published, &identities)
		if err != nil {
			t.Fatal(err)
		}
		return published + " | " + identities
	}

	setTables(t, db, []replication.Relation{weird, nopk, weird}, []replication.Relation{fullMe})
	if got, want := state(), `My Schema.Weird "Name",public.nopk | Weird "Name"=d,full_me=f,nopk=f,other=d`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	setTables(t, db, []replication.Relation{other}, nil)
	if got, want := state(), `public.other | Weird "Name"=d,full_me=f,nopk=f,other=d`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	setTables(t, db, nil, nil)
	if got, want := state(), ` | Weird "Name"=d,full_me=f,nopk=f,other=d`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	st, err := replication.New(replication.Config{ConnString: db, Sink: newSink(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	err = st.SetTables(context.Background(), []replication.Relation{{Schema: "public", Name: "missing"}}, nil)
	if err == nil {
		t.Error("SetTables with a missing table: no error")
	}
}

// TestLeaderElection: of two streams on one slot only one streams; when it
// stops, the other takes over and continues after the acknowledged
// transactions.
func TestLeaderElection(t *testing.T) {
	t.Parallel()
	db, slot := itemsDB(t)
	sa, sb := newSink(), newSink()
	a := startStream(t, streamConfig(t, db, slot, sa))
	b := startStream(t, streamConfig(t, db, slot, sb))
	eventually(t, "a leader", func() (bool, error) { return a.IsLeader() || b.IsLeader(), nil })
	if a.IsLeader() == b.IsLeader() {
		t.Fatalf("leaders: a %v, b %v", a.IsLeader(), b.IsLeader())
	}
	leader, follower, ls, fs := a, b, sa, sb
	if b.IsLeader() {
		leader, follower, ls, fs = b, a, sb, sa
	}

	insert(t, db, 1)
	wantIDs(t, ls.next(t), 1)
	fs.none(t)
	if !leader.IsLeader() || follower.IsLeader() {
		t.Fatalf("leadership changed: leader %v, follower %v", leader.IsLeader(), follower.IsLeader())
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := leader.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the follower to take over", func() (bool, error) { return follower.IsLeader(), nil })
	insert(t, db, 2)
	wantIDs(t, fs.next(t), 2)
	fs.none(t)
	ls.none(t)
}

// TestReconnect: when the walsender is terminated the stream reconnects,
// resumes from the slot, and does not deliver acknowledged transactions
// again.
func TestReconnect(t *testing.T) {
	t.Parallel()
	db, slot := itemsDB(t)
	s := newSink()
	startStream(t, streamConfig(t, db, slot, s))
	insert(t, db, 1)
	wantIDs(t, s.next(t), 1)

	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	walsender := func() (int, error) {
		var pid int
		err := conn.QueryRow(context.Background(), "SELECT pid FROM pg_stat_replication WHERE application_name = $1", slot).Scan(&pid)
		return pid, err
	}
	var old int
	eventually(t, "the walsender", func() (bool, error) {
		var err error
		old, err = walsender()
		return err == nil, err
	})
	var terminated bool
	if err := conn.QueryRow(context.Background(), "SELECT pg_terminate_backend($1)", old).Scan(&terminated); err != nil || !terminated {
		t.Fatalf("terminate walsender %d: %v %v", old, terminated, err)
	}
	insert(t, db, 2)
	wantIDs(t, s.next(t), 2)
	eventually(t, "a new walsender", func() (bool, error) {
		pid, err := walsender()
		return err == nil && pid != old, err
	})
	insert(t, db, 3)
	wantIDs(t, s.next(t), 3)
	s.none(t)
}

// TestReconnectRetakesTheLock: when the server drops every connection (a
// restart), the stream streams again only once it holds the slot's lock on
// a live connection, not on the word of the dead one (the watchdog, which
// would notice eventually, is made too slow to help here).
func TestReconnectRetakesTheLock(t *testing.T) {
	t.Parallel()
	db, slot := itemsDB(t)
	s := newSink()
	cfg := streamConfig(t, db, slot, s)
	cfg.LeaderPollInterval = time.Hour
	st := startStream(t, cfg)
	insert(t, db, 1)
	wantIDs(t, s.next(t), 1)

	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	lockHeld := func() bool {
		var n int
		conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1`, slot).Scan(&n)
		return n == 1
	}
	if !lockHeld() {
		t.Fatal("the leader holds no advisory lock")
	}
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1`, slot).Scan(&n); err != nil || n < 2 {
		t.Fatalf("terminate the stream's connections: %d, %v", n, err)
	}
	insert(t, db, 2)
	wantIDs(t, s.next(t), 2)
	if !lockHeld() || !st.IsLeader() {
		t.Fatalf("streaming again without the slot's lock (lock held %v, leader %v)", lockHeld(), st.IsLeader())
	}
	insert(t, db, 3)
	wantIDs(t, s.next(t), 3)
	s.none(t)
}
