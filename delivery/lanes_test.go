package delivery

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// poll waits until cond holds (a deadline, not a sleep).
func poll(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %v", what, waitTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *WorkerPool) laneCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lanes)
}

// TestPoolsShareLanes: a second pool gets half of the lanes from the first
// (which gives back the ones over its share) and both deliver.
func TestPoolsShareLanes(t *testing.T) {
	q := testQueue(t)
	rc := newReceiver(t, nil)
	tr := mustTrigger(t, usersTable, `{"name":"fair","definition":{"insert":{"columns":"*"}},"webhook":"`+rc.URL+`"}`)
	tr.PrimaryKey = []string{"id"}
	src := newSource(tr)
	a := startPool(t, q, src, PoolConfig{Size: 4, LeaseTTL: 300 * time.Millisecond})
	poll(t, "the first pool holds every lane", func() bool { return a.laneCount() == q.cfg.Lanes })
	var byA, byB atomic.Int64
	a.onRecord = func(string, string) { byA.Add(1) }
	b := NewWorkerPool(q, src, PoolConfig{Size: 4, LeaseTTL: 300 * time.Millisecond})
	b.onRecord = func(string, string) { byB.Add(1) }
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Stop(context.Background()) })
	half := q.cfg.Lanes / 2
	poll(t, "the lanes split evenly", func() bool { return a.laneCount() == half && b.laneCount() == half })
	d := NewDispatcher(q, src)
	const n = 200
	for i := range n {
		if err := d.HandleTransaction(context.Background(), tx(uint64(100+i), insert(fmt.Sprintf(`{"id":%d}`, i)))); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for range n {
		select {
		case r := <-rc.reqs:
			seen[r.id()] = true
			continue
		case <-time.After(5 * time.Second):
		}
		evs, _ := q.EventLogs(context.Background(), "fair", StatusPending, 1000, 0)
		lanes := map[int]int{}
		for _, e := range evs {
			lanes[e.lane]++
		}
		t.Fatalf("no delivery for 5s after %d of %d: pending events by lane %v; lanes held %d and %d",
			len(seen), n, lanes, a.laneCount(), b.laneCount())
	}
	if len(seen) != n {
		t.Fatalf("%d distinct events delivered, want %d", len(seen), n)
	}
	poll(t, "both pools recorded", func() bool { return byA.Load()+byB.Load() == n })
	if byA.Load() == 0 || byB.Load() == 0 {
		t.Fatalf("deliveries: first pool %d, second %d: want both", byA.Load(), byB.Load())
	}
}

// TestRedeliverPendingWaitingForRetry: an event waiting an hour for its
// retry is attempted at once, current_retry back at 0.
func TestRedeliverPendingWaitingForRetry(t *testing.T) {
	q := testQueue(t)
	var calls atomic.Int64
	rc := newReceiver(t, func(*request) response {
		if calls.Add(1) == 1 {
			return response{status: http.StatusServiceUnavailable}
		}
		return response{status: http.StatusOK}
	})
	tr := mustTrigger(t, usersTable, `{"name":"later","definition":{"insert":{"columns":"*"}},
		"retry_conf":{"num_retries":3,"interval_sec":3600},"webhook":"`+rc.URL+`"}`)
	src := newSource(tr)
	_, rec := startRecorded(t, q, src, PoolConfig{Size: 2})
	ctx := context.Background()
	if err := NewDispatcher(q, src).HandleTransaction(ctx, tx(200, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	id := EventID(200, 0, "later")
	rc.next(t)
	if got := waitString(t, rec); got != id+" retry" {
		t.Fatalf("recorded %q", got)
	}
	e, err := q.EventByID(ctx, id)
	if err != nil || e.Status != StatusPending || e.Tries != 1 || e.NextRetryAt.Sub(e.LastAttemptAt) != time.Hour {
		t.Fatalf("waiting event: %+v %v", e, err)
	}
	if err := q.Redeliver(ctx, id); err != nil {
		t.Fatal(err)
	}
	if r := rc.next(t); r.id() != id || r.currentRetry() != 0 {
		t.Fatalf("redelivered %s with current_retry %d", r.id(), r.currentRetry())
	}
	if got := waitString(t, rec); got != id+" ok" {
		t.Fatalf("recorded %q", got)
	}
}

// TestTakeoverKeepsRetryState: the pool taking over a crashed pool's lane
// goes on with the event's tries and invocation logs.
func TestTakeoverKeepsRetryState(t *testing.T) {
	q := testQueue(t)
	var calls atomic.Int64
	rc := newReceiver(t, func(*request) response {
		if calls.Add(1) == 1 {
			return response{status: http.StatusInternalServerError}
		}
		return response{status: http.StatusOK}
	})
	tr := mustTrigger(t, usersTable, `{"name":"handover","definition":{"insert":{"columns":"*"}},
		"retry_conf":{"num_retries":3,"interval_sec":1},"webhook":"`+rc.URL+`"}`)
	src := newSource(tr)
	a := NewWorkerPool(q, src, PoolConfig{Size: 2, LeaseTTL: 300 * time.Millisecond})
	recA := recorded(a)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := NewDispatcher(q, src).HandleTransaction(ctx, tx(300, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	id := EventID(300, 0, "handover")
	rc.next(t)
	if got := waitString(t, recA); got != id+" retry" {
		t.Fatalf("recorded %q", got)
	}
	a.crash()
	_, recB := startRecorded(t, q, src, PoolConfig{Size: 2, LeaseTTL: 300 * time.Millisecond})
	if r := rc.next(t); r.id() != id || r.currentRetry() != 1 {
		t.Fatalf("after takeover: %s current_retry %d, want 1", r.id(), r.currentRetry())
	}
	if got := waitString(t, recB); got != id+" ok" {
		t.Fatalf("recorded %q", got)
	}
	logs, err := q.InvocationLogs(ctx, LogFilter{EventID: id}, 10, 0)
	if err != nil || len(logs) != 2 || logs[0].Status != 200 || logs[1].Status != 500 {
		t.Fatalf("invocation logs across the takeover: %+v %v", logs, err)
	}
}

// TestWatermarkPerScope: a transaction at or below the last WAL position
// queued is skipped, but only within one scope (database cluster): a new
// cluster whose positions start over is not mistaken for a replay.
func TestWatermarkPerScope(t *testing.T) {
	q := testQueue(t)
	tr := mustTrigger(t, usersTable, `{"name":"wm","definition":{"insert":{"columns":"*"}},"webhook":"http://127.0.0.1:1"}`)
	src := newSource(tr)
	ctx := context.Background()
	pending := func() int {
		evs, err := q.EventLogs(ctx, "wm", StatusPending, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	q.cfg.Scope = "cluster-a"
	d := NewDispatcher(q, src)
	if err := d.HandleTransaction(ctx, tx(500, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	if err := d.HandleTransaction(ctx, tx(400, insert(`{"id":2}`))); err != nil {
		t.Fatal(err)
	}
	if n := pending(); n != 1 {
		t.Fatalf("%d events queued, want 1 (a position below the watermark is a replay)", n)
	}
	q.cfg.Scope = "cluster-b"
	if err := d.HandleTransaction(ctx, tx(400, insert(`{"id":2}`))); err != nil {
		t.Fatal(err)
	}
	if n := pending(); n != 2 {
		t.Fatalf("%d events queued, want 2 (another cluster's positions)", n)
	}
}

// TestFirstAttemptsBeforeRetries: a webhook failing every attempt, with
// no delay between retries, does not hold up the first attempts of other
// events.
func TestFirstAttemptsBeforeRetries(t *testing.T) {
	q := testQueue(t)
	var mu sync.Mutex
	good := 0
	rc := newReceiver(t, func(r *request) response {
		if r.Payload["trigger"].(map[string]any)["name"] == "broken" {
			return response{status: http.StatusInternalServerError}
		}
		mu.Lock()
		good++
		mu.Unlock()
		return response{status: http.StatusOK}
	})
	broken := mustTrigger(t, usersTable, `{"name":"broken","definition":{"insert":{"columns":"*"}},
		"retry_conf":{"num_retries":1000000,"interval_sec":0},"webhook":"`+rc.URL+`"}`)
	fine := mustTrigger(t, usersTable, `{"name":"fine","definition":{"insert":{"columns":"*"}},"webhook":"`+rc.URL+`"}`)
	p := startPool(t, q, newSource(broken, fine), PoolConfig{Size: 2})
	p.memCap = 4 // a small budget: the broken events' retries could fill it
	ctx := context.Background()
	d := NewDispatcher(q, newSource(broken))
	for i := range 20 {
		if err := d.HandleTransaction(ctx, tx(uint64(600+i), insert(fmt.Sprintf(`{"id":%d}`, i)))); err != nil {
			t.Fatal(err)
		}
	}
	d = NewDispatcher(q, newSource(fine))
	for i := range 20 {
		if err := d.HandleTransaction(ctx, tx(uint64(700+i), insert(fmt.Sprintf(`{"id":%d}`, i)))); err != nil {
			t.Fatal(err)
		}
	}
	poll(t, "the healthy trigger's 20 events delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return good == 20
	})
}
