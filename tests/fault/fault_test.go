// Package fault holds Graft's fault tests: Graft runs as a real subprocess
// (built once per run) on its own database, replication slot and private
// Redis, while 10,000 rows are inserted with plain SQL; then one fault is
// injected mid-stream:
//
//   - TestKillGraft: SIGKILL of the Graft process, then a restart;
//   - TestRestartRedis: SIGKILL of Redis (appendonly yes, appendfsync always),
//     then a restart on the same data;
//   - TestRestartPostgres: pg_ctl stop -m fast / start, then a crash
//     (-m immediate) / start, of a private PostgreSQL cluster (initdb'd for
//     the test; skipped when initdb is unavailable) under a running Graft;
//   - TestWebhookDown: the webhook answers 500 until every event has failed
//     at least once and twice as many failures as events were seen.
//
// Each test asserts that every inserted row's INSERT event reached the
// webhook at least once and prints
//
//	fault <name>: 10000 events, 0 lost, N duplicates
//
// Duplicates (successful deliveries beyond the first of a row) are allowed
// by the at-least-once contract; they are counted, never asserted on, and
// no test asserts on timing. The tests are skipped with -short. On failure
// the tail of Graft's log is shown; FAULT_LOGS=1 shows it always.
package fault

import (
	"testing"
)

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: runs a Graft subprocess through 10,000 events (skipped with -short)")
	}
}

// midStream is when faults strike: a fifth of the rows has been delivered,
// so events sit at every stage (delivered, in flight, queued in Redis,
// in the WAL not yet read, not yet written).
func (s *scenario) midStream() bool { return s.rcv.rows() >= s.rows/5 }

// TestKillGraft: SIGKILL of Graft mid-stream, rows written while it is dead,
// then a new process on the same slot and Redis. What was queued is
// delivered (a dead worker's leases expire), what was in the WAL is read
// again from the slot's confirmed position (de-duplicated by event id).
func TestKillGraft(t *testing.T) {
	skipShort(t)
	t.Parallel()
	s := newScenario(t, "kill-graft", "")
	s.run(s.midStream, func() {
		s.faulting.Store(true)
		s.graft.kill()
		at := s.inserted.Load()
		t.Logf("kill-graft: SIGKILL sent; %d rows inserted, %d delivered", at, s.rcv.rows())
		// Writes go on while Graft is dead.
		if err := s.waitUntil("rows written while graft is dead", func() bool {
			return s.inserted.Load() >= min(at+3000, int64(s.rows))
		}); err != nil {
			s.fail(err)
		}
		s.faulting.Store(false)
		s.graft.start()
	})
}

// TestRestartRedis: Redis (appendonly yes, appendfsync always) is killed
// mid-stream and restarted on its data; meanwhile Graft's WAL sink and its
// workers fail and retry. Nothing Redis acknowledged is lost, the slot
// does not move past what Redis did not take, and Graft itself survives.
func TestRestartRedis(t *testing.T) {
	skipShort(t)
	t.Parallel()
	s := newScenario(t, "restart-redis", "")
	s.run(s.midStream, func() {
		s.faulting.Store(true)
		s.redis.kill()
		at := s.inserted.Load()
		t.Logf("restart-redis: redis killed; %d rows inserted, %d delivered", at, s.rcv.rows())
		// Down until Graft felt it on both sides: queuing from the WAL
		// and reading or recording work (go-redis retries hide a short
		// outage).
		if err := s.waitUntil("graft failing on redis while rows are written", func() bool {
			return s.inserted.Load() >= min(at+2000, int64(s.rows)) &&
				s.graft.logged("replication: sink failed") && (s.graft.logged("reading the lanes failed") || s.graft.logged("recording attempts failed"))
		}); err != nil {
			s.fail(err)
		}
		s.redis.start()
		s.faulting.Store(false)
	})
	s.requireAlive()
}

// TestRestartPostgres: a private cluster is stopped mid-stream and started
// again, once shut down cleanly (-m fast) and once crashed (-m immediate,
// which sets the slot back to its last saved position). Graft's WAL reader
// reconnects and resumes from the slot; WAL sent again is de-duplicated by
// event id; the inserter's failed batches are retried.
func TestRestartPostgres(t *testing.T) {
	skipShort(t)
	t.Parallel()
	c := startCluster(t)
	for _, f := range []struct{ name, mode string }{{"restart-postgres", "fast"}, {"crash-postgres", "immediate"}} {
		t.Run(f.mode, func(t *testing.T) {
			s := newScenario(t, f.name, c.BaseURL)
			s.run(s.midStream, func() {
				s.faulting.Store(true)
				t.Logf("%s: stopping (-m %s); %d rows inserted, %d delivered", f.name, f.mode, s.inserted.Load(), s.rcv.rows())
				c.stop(t, f.mode)
				c.start(t)
				s.faulting.Store(false)
			})
			s.requireAlive()
		})
	}
}

// TestWebhookDown: the webhook answers 500 to everything until each event
// has failed at least once and the failures number twice the events; with
// num_retries 100 and interval_sec 1, every event is delivered afterwards
// and none is dead-lettered.
func TestWebhookDown(t *testing.T) {
	skipShort(t)
	t.Parallel()
	s := newScenario(t, "webhook-down", "")
	s.rcv.failing.Store(true)
	s.faulting.Store(true) // nothing is delivered: the inserter must not wait for the webhook
	s.run(nil, func() {
		if err := s.waitUntil("every event failed at least once, 2 failures per event", func() bool {
			n, rows := s.rcv.failed()
			return rows >= s.rows && n >= 2*s.rows
		}); err != nil {
			s.fail(err)
		}
		n, _ := s.rcv.failed()
		t.Logf("webhook-down: %d failures seen; the webhook answers 200 from now on", n)
		s.rcv.failing.Store(false)
		s.faulting.Store(false)
	})
	s.requireAlive()
	if dead := s.rdb.ZCard(t.Context(), "graft:"+s.slot+":events:idx:dead:"+triggerName).Val(); dead != 0 {
		t.Errorf("%d events dead-lettered", dead)
	}
}

// requireAlive fails unless the Graft process started last is still running.
func (s *scenario) requireAlive() {
	s.t.Helper()
	s.graft.mu.Lock()
	exited := s.graft.exited
	s.graft.mu.Unlock()
	select {
	case <-exited:
		s.t.Errorf("graft exited during the fault instead of riding it out")
	default:
	}
}
