package fault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

const (
	totalRows   = 10000
	batchRows   = 100  // rows per INSERT transaction
	window      = 2000 // rows the inserter may run ahead of the webhook, outside faults
	triggerName = "item_inserted"
	// stallAfter fails a wait that sees no progress at all for this long:
	// it must exceed the lease TTL of a dead worker's events (30s) plus
	// the WAL reader's longest backoff (30s).
	stallAfter = 100 * time.Second
)

// scenario is one fault test's world: a private Redis, a database with an
// item table whose INSERT event trigger posts to a receiver, a Graft
// subprocess streaming it, and an inserter writing rows 1..rows with plain
// SQL in transactions of batchRows.
type scenario struct {
	t     *testing.T
	name  string
	rows  int
	dbURL string
	slot  string
	redis *redisServer
	graft *graft
	rcv   *receiver
	rdb   *redis.Client // on the private Redis, to see the queue drain
	began time.Time

	// faulting lifts the inserter's window (rows go on being written
	// while nothing is delivered).
	faulting atomic.Bool
	inserted atomic.Int64 // rows 1..inserted are committed
	retries  atomic.Int64 // INSERT batches retried after an error
}

// newScenario sets everything up and returns once Graft streams the slot.
// baseURL is the server to create the database on ("" for DATABASE_URL).
func newScenario(t *testing.T, name, baseURL string) *scenario {
	t.Helper()
	s := &scenario{t: t, name: name, rows: totalRows, began: time.Now()}
	s.rcv = newReceiver(t, triggerName)
	s.redis = startRedis(t)
	s.rdb = s.redis.client()
	if baseURL == "" {
		s.dbURL = testenv.NewDatabase(t)
	} else {
		ctx, cancel := withDeadline(60 * time.Second)
		db, drop, err := testenv.CreateDatabase(ctx, baseURL)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(drop)
		s.dbURL = db
	}
	s.exec(`CREATE TABLE item (id bigint PRIMARY KEY, batch int NOT NULL, at timestamptz NOT NULL DEFAULT now())`)
	s.slot = "graft_fault_" + randomHex(6)
	// Cleanups run in reverse: Graft is dead before its slot is dropped,
	// and the slot is gone before the database is.
	t.Cleanup(func() {
		if err := testenv.DropSlot(s.dbURL, s.slot); err != nil {
			t.Logf("drop slot %s: %v", s.slot, err)
		}
	})
	s.graft = newGraft(t, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":          s.dbURL,
		"HASURA_GRAPHQL_REDIS_URL":             s.redis.URL,
		"HASURA_GRAPHQL_WAL_MODE":              "auto",
		"HASURA_GRAPHQL_WAL_SLOT_NAME":         s.slot,
		"HASURA_GRAPHQL_WAL_PUBLICATION_NAME":  s.slot,
		"HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE": "32",
		"HASURA_GRAPHQL_PG_CONNECTIONS":        "10",
		"HASURA_GRAPHQL_ENABLED_LOG_TYPES":     "startup,replication-log",
	})
	s.graft.start()
	s.graft.metadata(fmt.Sprintf(`{"type": "bulk", "args": [
		{"type": "pg_track_table", "args": {"table": "item"}},
		{"type": "pg_create_event_trigger", "args": {"name": %q, "table": "item", "webhook": %q,
			"insert": {"columns": "*"}, "retry_conf": {"num_retries": 100, "interval_sec": 1, "timeout_sec": 30}}}]}`,
		triggerName, s.rcv.URL+"/hook"))
	// The trigger starts the WAL reader (auto mode); rows count from then.
	if err := s.waitUntil("graft streams the slot", s.slotActive); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: set up in %s", name, time.Since(s.began).Round(time.Millisecond))
	return s
}

func (s *scenario) exec(sql string, args ...any) {
	s.t.Helper()
	ctx, cancel := withDeadline(60 * time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.dbURL)
	if err != nil {
		s.t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
}

func (s *scenario) slotActive() bool {
	ctx, cancel := withDeadline(5 * time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.dbURL)
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var active bool
	conn.QueryRow(ctx, `SELECT active FROM pg_replication_slots WHERE slot_name = $1`, s.slot).Scan(&active)
	return active
}

// run inserts every row while injecting fault once faultAt holds (at once
// when nil), waits until every row was delivered and the queue drained,
// and reports lost and duplicate events.
func (s *scenario) run(faultAt func() bool, fault func()) {
	t := s.t
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	var wg sync.WaitGroup
	var insErr error
	insDone := make(chan struct{})
	wg.Go(func() { insErr = s.insertAll(ctx); close(insDone) })
	defer func() { cancel(); wg.Wait() }()
	start := time.Now()
	if faultAt != nil {
		if err := s.waitUntil("the stream is under way", faultAt); err != nil {
			s.fail(err)
		}
	}
	t.Logf("%s: fault at %d rows inserted, %d delivered (%s in)", s.name, s.inserted.Load(), s.rcv.rows(),
		time.Since(start).Round(time.Millisecond))
	fault()
	t.Logf("%s: recovered at %d rows inserted, %d delivered (%s in)", s.name, s.inserted.Load(), s.rcv.rows(),
		time.Since(start).Round(time.Millisecond))
	if err := s.waitUntil("every row inserted", func() bool {
		select {
		case <-insDone:
			return true
		default:
			return false
		}
	}); err != nil {
		s.fail(err)
	}
	if insErr != nil {
		s.fail(fmt.Errorf("inserting rows: %w", insErr))
	}
	if err := s.waitUntil("every row delivered and the queue drained", func() bool {
		return s.rcv.rows() >= s.rows && s.drained()
	}); err != nil {
		s.fail(err)
	}
	t.Logf("%s: all delivered %s after the first insert (%d INSERT batches retried)", s.name,
		time.Since(start).Round(time.Millisecond), s.retries.Load())
	s.report()
}

// insertAll commits rows 1..rows in batches, each retried (with a new
// connection) until it commits: ON CONFLICT makes a retry of a batch whose
// commit went through harmless.
func (s *scenario) insertAll(ctx context.Context) error {
	var conn *pgx.Conn
	closeConn := func() {
		cctx, cancel := withDeadline(5 * time.Second)
		conn.Close(cctx)
		cancel()
	}
	defer func() {
		if conn != nil {
			closeConn()
		}
	}()
	for from := 1; from <= s.rows; from += batchRows {
		to := min(from+batchRows-1, s.rows)
		for !s.faulting.Load() && s.inserted.Load()-int64(s.rcv.rows()) >= window {
			if !sleepCtx(ctx, 5*time.Millisecond) { // pacing on the webhook, bounded by ctx
				return ctx.Err()
			}
		}
		for {
			var err error
			if conn == nil {
				conn, err = pgx.Connect(ctx, s.dbURL)
			}
			if err == nil {
				_, err = conn.Exec(ctx, `INSERT INTO item (id, batch) SELECT g, $3 FROM generate_series($1::bigint, $2::bigint) g
					ON CONFLICT (id) DO NOTHING`, from, to, from/batchRows)
				if err != nil {
					closeConn()
				}
			}
			if err == nil {
				break
			}
			conn = nil
			s.retries.Add(1)
			if !sleepCtx(ctx, 100*time.Millisecond) { // Postgres is restarting; bounded by ctx
				return fmt.Errorf("rows %d-%d: %w", from, to, err)
			}
		}
		s.inserted.Store(int64(to))
	}
	return nil
}

// drained reports whether Graft's queue in Redis has nothing pending (no
// queue due or leased, no pending event): no further delivery will come.
func (s *scenario) drained() bool {
	ctx, cancel := withDeadline(5 * time.Second)
	defer cancel()
	rdb := s.rdb
	p := "graft:" + s.slot + ":events:"
	ready, err1 := rdb.ZCard(ctx, p+"ready").Result()
	pending, err2 := rdb.ZCard(ctx, p+"idx:pending:"+triggerName).Result()
	return err1 == nil && err2 == nil && ready == 0 && pending == 0
}

// waitUntil polls cond until it holds. It gives up when nothing moves (no
// row inserted, no webhook request answered) for stallAfter: a deadline
// on progress, never an assertion on how fast things go.
func (s *scenario) waitUntil(what string, cond func() bool) error {
	last, lastMove := s.movement(), time.Now()
	for !cond() {
		if m := s.movement(); m != last {
			last, lastMove = m, time.Now()
		} else if time.Since(lastMove) > stallAfter {
			return fmt.Errorf("waiting for %s: nothing moved for %s (%d rows inserted, %d delivered)",
				what, stallAfter, s.inserted.Load(), s.rcv.rows())
		}
		time.Sleep(20 * time.Millisecond) // polling, bounded by the stall deadline
	}
	return nil
}

func (s *scenario) movement() int64 { return s.inserted.Load()<<32 | int64(s.rcv.progress()) }

// report prints the lost/duplicate line and fails on lost or malformed events.
func (s *scenario) report() {
	t := s.t
	tl := s.rcv.tally(s.rows)
	line := fmt.Sprintf("fault %s: %d events, %d lost, %d duplicates", s.name, tl.events, tl.lost, tl.duplicates)
	fails, _ := s.rcv.failed()
	t.Logf("%s (%d redelivered under the same event id, %d under another id; %d webhook 500s)",
		line, tl.sameID, tl.newID, fails)
	fmt.Println(line)
	if tl.lost > 0 {
		t.Errorf("%d of %d INSERT events never delivered; first missing rows: %v", tl.lost, tl.events, tl.missing)
	}
	if tl.unexpected > 0 || len(tl.bad) > 0 {
		t.Errorf("unexpected deliveries: %d rows outside 1..%d; malformed payloads: %q", tl.unexpected, tl.events, tl.bad)
	}
}

// fail reports what was delivered so far, then ends the test.
func (s *scenario) fail(err error) {
	s.t.Helper()
	s.report()
	s.t.Fatal(err)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
