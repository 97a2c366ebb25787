package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/replication"
)

func TestRetriesDeadLetterLogsAndRedeliver(t *testing.T) {
	q := testQueue(t)
	var mu sync.Mutex
	failing := true
	rc := newReceiver(t, func(*request) response {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return response{status: http.StatusInternalServerError}
		}
		return response{status: http.StatusNoContent}
	})
	tr := mustTrigger(t, usersTable, `{"name":"flaky","definition":{"insert":{"columns":"*"}},
		"retry_conf":{"num_retries":2,"interval_sec":0},"webhook":"`+rc.URL+`"}`)
	src := newSource(tr)
	_, rec := startRecorded(t, q, src, PoolConfig{Size: 4})
	ctx := context.Background()
	if err := NewDispatcher(q, src).HandleTransaction(ctx, tx(40, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	id := EventID(40, 0, "flaky")
	// Attempts are strictly sequential; the hook's reports of them need not
	// be (a report may lag behind the next attempt), so collect them all.
	for k := range 3 {
		r := rc.next(t)
		if r.id() != id || r.currentRetry() != k || r.Payload["delivery_info"].(map[string]any)["max_retries"] != 2.0 {
			t.Fatalf("attempt %d: id %s current_retry %d, body %s", k, r.id(), r.currentRetry(), r.Body)
		}
	}
	var results []string
	for range 3 {
		results = append(results, waitString(t, rec))
	}
	slices.Sort(results)
	if want := []string{id + " dead", id + " retry", id + " retry"}; !slices.Equal(results, want) {
		t.Fatalf("recorded %v, want %v", results, want)
	}
	e, err := q.EventByID(ctx, id)
	if err != nil || e.Status != StatusDead || e.Tries != 3 || e.Op != "INSERT" || e.Trigger != "flaky" || e.DoneAt.IsZero() {
		t.Fatalf("dead event: %+v %v", e, err)
	}
	if string(e.Data()) != `{"old":null,"new":{"id":1}}` {
		t.Fatalf("event data %s", e.Data())
	}
	dead, err := q.EventLogs(ctx, "flaky", StatusDead, 10, 0)
	if err != nil || len(dead) != 1 || dead[0].ID != id {
		t.Fatalf("dead-letter index: %v %v", dead, err)
	}
	if pend, _ := q.EventLogs(ctx, "flaky", StatusPending, 10, 0); len(pend) != 0 {
		t.Fatalf("still pending: %v", pend)
	}
	logs, err := q.InvocationLogs(ctx, LogFilter{EventID: id}, 10, 0)
	if err != nil || len(logs) != 3 {
		t.Fatalf("invocation logs: %v %v", logs, err)
	}
	for i, l := range logs { // newest first
		if l.EventID != id || l.Trigger != "flaky" || l.Attempt != 2-i || l.Status != 500 || l.Response != `{"ok":true}` ||
			l.CreatedAt.IsZero() || !strings.Contains(string(l.Request), id) {
			t.Fatalf("log %d: %+v", i, l)
		}
	}
	if page, _ := q.InvocationLogs(ctx, LogFilter{EventID: id}, 1, 1); len(page) != 1 || page[0].Attempt != 1 {
		t.Fatalf("paged event logs: %+v", page)
	}
	if byTrig, _ := q.InvocationLogs(ctx, LogFilter{Trigger: "flaky"}, 2, 1); len(byTrig) != 2 || byTrig[0].Attempt != 1 || byTrig[1].Attempt != 0 {
		t.Fatalf("trigger logs: %+v", byTrig)
	}

	// Redeliver the dead event: same id, current_retry from 0.
	mu.Lock()
	failing = false
	mu.Unlock()
	if err := q.Redeliver(ctx, id); err != nil {
		t.Fatal(err)
	}
	if r := rc.next(t); r.id() != id || r.currentRetry() != 0 {
		t.Fatalf("redelivered %s current_retry %d", r.id(), r.currentRetry())
	}
	if got := waitString(t, rec); got != id+" ok" {
		t.Fatalf("redelivery recorded %q", got)
	}
	// And a delivered one too.
	if err := q.Redeliver(ctx, id); err != nil {
		t.Fatal(err)
	}
	if r := rc.next(t); r.id() != id || r.currentRetry() != 0 {
		t.Fatalf("redelivered again %s current_retry %d", r.id(), r.currentRetry())
	}
	waitString(t, rec)
	done, err := q.EventLogs(ctx, "flaky", StatusProcessed, 10, 0)
	if err != nil || len(done) != 1 || done[0].Tries != 1 {
		t.Fatalf("processed: %+v %v", done, err)
	}
	if dead, _ := q.EventLogs(ctx, "flaky", StatusDead, 10, 0); len(dead) != 0 {
		t.Fatalf("still dead: %v", dead)
	}
	if err := q.Redeliver(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, ErrEventNotFound) {
		t.Fatalf("redeliver unknown: %v", err)
	}
	if _, err := q.EventByID(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, ErrEventNotFound) {
		t.Fatalf("unknown event: %v", err)
	}
	if _, err := q.EventLogs(ctx, "flaky", "failed", 10, 0); err == nil {
		t.Fatal("unknown status accepted")
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	q := testQueue(t)
	var mu sync.Mutex
	n := 0
	rc := newReceiver(t, func(*request) response {
		mu.Lock()
		defer mu.Unlock()
		if n++; n == 1 {
			return response{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "1"}}
		}
		return response{status: http.StatusOK}
	})
	tr := mustTrigger(t, usersTable, `{"name":"ra","definition":{"insert":{"columns":"*"}},
		"retry_conf":{"num_retries":1,"interval_sec":3600},"webhook":"`+rc.URL+`"}`)
	src := newSource(tr)
	_, rec := startRecorded(t, q, src, PoolConfig{Size: 2})
	ctx := context.Background()
	if err := NewDispatcher(q, src).HandleTransaction(ctx, tx(50, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	id := EventID(50, 0, "ra")
	rc.next(t)
	if got := waitString(t, rec); got != id+" retry" {
		t.Fatalf("recorded %q", got)
	}
	e, err := q.EventByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// Scheduled per Retry-After (1 s), not interval_sec (1 h); the queue
	// waits until then.
	if d := e.NextRetryAt.Sub(e.LastAttemptAt); d != time.Second {
		t.Fatalf("retry scheduled %v after the attempt, want 1s (Retry-After)", d)
	}
	if e.Status != StatusPending || e.Tries != 1 {
		t.Fatalf("waiting for its retry: status %s, tries %d", e.Status, e.Tries)
	}
	if r := rc.next(t); r.id() != id || r.currentRetry() != 1 {
		t.Fatalf("retry: %s %d", r.id(), r.currentRetry())
	}
	if got := waitString(t, rec); got != id+" ok" {
		t.Fatalf("recorded %q", got)
	}
}

// TestPerRowOrdering: updates of one row arrive in commit order, each only
// after the previous one succeeded, even when some attempts fail; rows
// interleave.
func TestPerRowOrdering(t *testing.T) {
	q := testQueue(t)
	const rows, versions = 5, 30
	var mu sync.Mutex
	seen := map[string]int{}
	rc := newReceiver(t, func(r *request) response {
		mu.Lock()
		defer mu.Unlock()
		row := fmt.Sprint(r.newRow()["id"])
		v := int(r.newRow()["v"].(float64))
		seen[row+"/"+fmt.Sprint(v)]++
		if v%7 == 3 && seen[row+"/"+fmt.Sprint(v)] == 1 { // fail some first attempts
			return response{status: http.StatusBadGateway}
		}
		return response{status: http.StatusOK}
	})
	tr := mustTrigger(t, usersTable, `{"name":"ordered","definition":{"insert":{"columns":"*"},"update":{"columns":"*"}},
		"retry_conf":{"num_retries":3,"interval_sec":0},"webhook":"`+rc.URL+`"}`)
	tr.PrimaryKey = []string{"id"}
	src := newSource(tr)
	startPool(t, q, src, PoolConfig{Size: 16})
	startPool(t, q, src, PoolConfig{Size: 16})
	d := NewDispatcher(q, src)
	ctx := context.Background()
	lsn := uint64(1000)
	for v := range versions {
		var changes []replication.Change
		for r := range rows {
			row := fmt.Sprintf(`{"id":%d,"v":%d}`, r, v)
			if v == 0 {
				changes = append(changes, insert(row))
			} else {
				changes = append(changes, update(fmt.Sprintf(`{"id":%d,"v":%d}`, r, v-1), row, "v"))
			}
		}
		lsn++
		if err := d.HandleTransaction(ctx, tx(lsn, changes...)); err != nil {
			t.Fatal(err)
		}
	}
	failures := 0
	for v := range versions {
		if v%7 == 3 {
			failures++
		}
	}
	delivered := map[int]int{} // row -> highest version answered 2xx
	for r := range rows {
		delivered[r] = -1
	}
	for range rows * (versions + failures) {
		r := rc.next(t)
		row, v := int(r.newRow()["id"].(float64)), int(r.newRow()["v"].(float64))
		if v != delivered[row]+1 {
			t.Fatalf("row %d: attempt at version %d while version %d was the last delivered", row, v, delivered[row])
		}
		if r.Status/100 == 2 {
			delivered[row] = v
		}
	}
	for r := range rows {
		if delivered[r] != versions-1 {
			t.Fatalf("row %d: last delivered version %d, want %d", r, delivered[r], versions-1)
		}
	}
}

// TestCrashedWorkerRedelivered: a process dies mid-delivery; its lease
// expires and another pool delivers the event (same id, not counted as an
// attempt).
func TestCrashedWorkerRedelivered(t *testing.T) {
	q := testQueue(t)
	gate := make(chan struct{})
	defer close(gate)
	var mu sync.Mutex
	first := true
	rc := newReceiver(t, func(*request) response {
		mu.Lock()
		defer mu.Unlock()
		if first {
			first = false
			return response{status: http.StatusOK, block: gate}
		}
		return response{status: http.StatusOK}
	})
	tr := mustTrigger(t, usersTable, `{"name":"crash","definition":{"insert":{"columns":"*"}},"webhook":"`+rc.URL+`"}`)
	src := newSource(tr)
	a := NewWorkerPool(q, src, PoolConfig{Size: 2, LeaseTTL: time.Second})
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := NewDispatcher(q, src).HandleTransaction(context.Background(), tx(60, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	id := EventID(60, 0, "crash")
	if r := rc.next(t); r.id() != id {
		t.Fatalf("first delivery %s", r.id())
	}
	a.crash() // no release, no bookkeeping: the lease is left behind
	_, rec := startRecorded(t, q, src, PoolConfig{Size: 2, LeaseTTL: time.Second})
	if r := rc.next(t); r.id() != id || r.currentRetry() != 0 {
		t.Fatalf("redelivery: %s current_retry %d", r.id(), r.currentRetry())
	}
	if got := waitString(t, rec); got != id+" ok" {
		t.Fatalf("recorded %q", got)
	}
}

// TestLeaseLeftByCrashedConsumer: a consumer claimed a queue and vanished
// before this process started.
func TestLeaseLeftByCrashedConsumer(t *testing.T) {
	q := testQueue(t)
	rc := newReceiver(t, nil)
	tr := mustTrigger(t, usersTable, `{"name":"ghost","definition":{"insert":{"columns":"*"}},"webhook":"`+rc.URL+`"}`)
	src := newSource(tr)
	ctx := context.Background()
	if err := NewDispatcher(q, src).HandleTransaction(ctx, tx(61, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	// The ghost holds every lane (and may have read the event: reading
	// leaves no trace) when it vanishes.
	v, err := scriptLanes.Run(ctx, q.rdb, nil, q.cfg.Prefix, "ghost", 400, q.cfg.Lanes, 0).Int64Slice()
	if err != nil || len(v) != q.cfg.Lanes+1 {
		t.Fatalf("ghost claim: %v %v", v, err)
	}
	startPool(t, q, src, PoolConfig{LeaseTTL: 600 * time.Millisecond})
	if r := rc.next(t); r.id() != EventID(61, 0, "ghost") {
		t.Fatalf("delivered %s", r.id())
	}
}

// TestStopReleasesInFlight: a pool stopped with a short deadline cancels its
// in-flight delivery and hands the event back at once, uncounted.
func TestStopReleasesInFlight(t *testing.T) {
	q := testQueue(t)
	gate := make(chan struct{})
	defer close(gate)
	var mu sync.Mutex
	first := true
	rc := newReceiver(t, func(*request) response {
		mu.Lock()
		defer mu.Unlock()
		if first {
			first = false
			return response{status: http.StatusOK, block: gate}
		}
		return response{status: http.StatusOK}
	})
	tr := mustTrigger(t, usersTable, `{"name":"stop","definition":{"insert":{"columns":"*"}},"webhook":"`+rc.URL+`"}`)
	src := newSource(tr)
	a := NewWorkerPool(q, src, PoolConfig{Size: 2, LeaseTTL: time.Hour})
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := NewDispatcher(q, src).HandleTransaction(context.Background(), tx(62, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	rc.next(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop: %v", err)
	}
	startPool(t, q, src, PoolConfig{LeaseTTL: time.Hour}) // no lease expiry needed
	if r := rc.next(t); r.id() != EventID(62, 0, "stop") || r.currentRetry() != 0 {
		t.Fatalf("after stop: %s current_retry %d", r.id(), r.currentRetry())
	}
}

// TestTwoPoolsShareQueue: two "processes" deliver every event exactly once.
func TestTwoPoolsShareQueue(t *testing.T) {
	q := testQueue(t)
	rc := newReceiver(t, nil)
	tr := mustTrigger(t, usersTable, `{"name":"shared","definition":{"insert":{"columns":"*"}},"webhook":"`+rc.URL+`"}`)
	tr.PrimaryKey = []string{"id"}
	src := newSource(tr)
	a := NewWorkerPool(q, src, PoolConfig{Size: 8})
	b := NewWorkerPool(q, src, PoolConfig{Size: 8})
	for _, p := range []*WorkerPool{a, b} {
		if err := p.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	d := NewDispatcher(q, src)
	const n = 300
	for i := range n {
		if err := d.HandleTransaction(context.Background(), tx(uint64(5000+i), insert(fmt.Sprintf(`{"id":%d}`, i%50)))); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	for range n {
		r := rc.next(t)
		if got[r.id()] {
			t.Fatalf("event %s delivered twice", r.id())
		}
		got[r.id()] = true
	}
	// Stop waits for in-flight work: any further delivery would be seen now.
	for _, p := range []*WorkerPool{a, b} {
		if err := p.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if extra := len(rc.reqs); extra != 0 {
		t.Fatalf("%d extra deliveries", extra)
	}
	done, err := q.EventLogs(context.Background(), "shared", StatusProcessed, 1000, 0)
	if err != nil || len(done) != n {
		t.Fatalf("processed %d of %d (%v)", len(done), n, err)
	}
	for _, e := range done {
		if e.Tries != 1 {
			t.Fatalf("event %s: %d tries", e.ID, e.Tries)
		}
	}
}

func TestCheckPersistence(t *testing.T) {
	q := testQueue(t)
	ctx := context.Background()
	warn, err := q.CheckPersistence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := q.rdb.ConfigGet(ctx, "append*").Result()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case cfg["appendonly"] != "yes":
		if !strings.Contains(warn, "appendonly no") {
			t.Fatalf("warning %q", warn)
		}
	case cfg["appendfsync"] == "always":
		if warn != "" {
			t.Fatalf("warning %q with appendfsync always", warn)
		}
	case cfg["appendfsync"] == "everysec":
		if !strings.Contains(warn, "everysec") || !strings.Contains(warn, "WAITAOF") {
			t.Fatalf("warning %q", warn)
		}
	}
	t.Logf("dev Redis: %s", warn)
}

func TestRetentionCapsDoneEvents(t *testing.T) {
	q := testQueue(t)
	q.cfg.MaxEntries = 3
	rc := newReceiver(t, nil)
	tr := mustTrigger(t, usersTable, `{"name":"capped","definition":{"insert":{"columns":"*"}},"webhook":"`+rc.URL+`"}`)
	src := newSource(tr)
	_, rec := startRecorded(t, q, src, PoolConfig{Size: 1})
	ctx := context.Background()
	var changes []replication.Change
	for i := range 6 {
		changes = append(changes, insert(fmt.Sprintf(`{"id":%d}`, i)))
	}
	if err := NewDispatcher(q, src).HandleTransaction(ctx, tx(70, changes...)); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		waitString(t, rec)
	}
	done, _ := q.EventLogs(ctx, "capped", StatusProcessed, 100, 0)
	if len(done) != 3 {
		t.Fatalf("%d processed events kept, want 3", len(done))
	}
	n := 0
	for i := range 6 {
		if _, err := q.EventByID(ctx, EventID(70, i, "capped")); err == nil {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d event bodies kept, want 3", n)
	}
	// Trimming by age keeps what is younger than the retention.
	if err := q.trim(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := q.EventLogs(ctx, "capped", StatusProcessed, 100, 0); len(again) != 3 {
		t.Fatalf("%d processed events after trimming by age, want 3", len(again))
	}
	q.cfg.Retention = time.Millisecond
	time.Sleep(5 * time.Millisecond) // entries must be older than the retention: a clock condition, not a wait for work
	if err := q.trim(ctx); err != nil {
		t.Fatal(err)
	}
	if gone, _ := q.EventLogs(ctx, "capped", StatusProcessed, 100, 0); len(gone) != 0 {
		t.Fatalf("%d processed events left after they expired", len(gone))
	}
}
