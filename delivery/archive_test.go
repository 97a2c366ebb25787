package delivery

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestArchiveDeletedTrigger: a deleted trigger's pending events leave the
// lanes and the pool's memory and are not attempted again, those waiting
// for their first attempt included; another trigger's events are
// delivered as usual; archiving again finds nothing.
func TestArchiveDeletedTrigger(t *testing.T) {
	q := testQueue(t)
	var goneCalls atomic.Int64
	rc := newReceiver(t, func(r *request) response {
		if r.Payload["trigger"].(map[string]any)["name"] == "gone" {
			goneCalls.Add(1)
			return response{status: http.StatusServiceUnavailable}
		}
		return response{status: http.StatusOK}
	})
	gone := mustTrigger(t, usersTable, `{"name":"gone","definition":{"insert":{"columns":"*"}},
		"retry_conf":{"num_retries":5,"interval_sec":3600},"webhook":"`+rc.URL+`"}`)
	gone.PrimaryKey = []string{"id"}
	kept := mustTrigger(t, usersTable, `{"name":"kept","definition":{"insert":{"columns":"*"}},"webhook":"`+rc.URL+`"}`)
	kept.PrimaryKey = []string{"id"}
	src := newSource(gone, kept)
	ctx := context.Background()
	d := NewDispatcher(q, src)
	// Row 1 twice: its second "gone" event waits behind the first, which
	// waits an hour for its retry.
	if err := d.HandleTransaction(ctx, tx(300, insert(`{"id":1}`), insert(`{"id":2}`))); err != nil {
		t.Fatal(err)
	}
	if err := d.HandleTransaction(ctx, tx(301, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	p, rec := startRecorded(t, q, src, PoolConfig{Size: 4})
	results := map[string]string{}
	for len(results) < 5 { // gone: rows 1 and 2 fail once; kept: three deliveries
		s := waitString(t, rec)
		results[s[:36]] = s[37:]
	}
	for _, id := range []string{EventID(300, 0, "gone"), EventID(300, 1, "gone")} {
		if results[id] != "retry" {
			t.Fatalf("%s: %q, want retry", id, results[id])
		}
	}
	pending, err := q.EventLogs(ctx, "gone", StatusPending, 100, 0)
	if err != nil || len(pending) != 3 {
		t.Fatalf("pending before: %d %v", len(pending), err)
	}
	// The trigger leaves the metadata, then its events are archived.
	src.mu.Lock()
	src.byTb[usersTable] = []Trigger{kept}
	src.mu.Unlock()
	n, err := q.Archive(ctx, "gone")
	if err != nil || n != 3 {
		t.Fatalf("archived %d %v, want 3", n, err)
	}
	poll(t, "the pool to forget the archived events", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.inMem == 0 && len(p.byID) == 0 && len(p.rows) == 0
	})
	if pending, err := q.EventLogs(ctx, "gone", StatusPending, 100, 0); err != nil || len(pending) != 0 {
		t.Fatalf("pending after: %d %v", len(pending), err)
	}
	if n, err := q.Archive(ctx, "gone"); err != nil || n != 0 {
		t.Fatalf("archived again %d %v", n, err)
	}
	// Redelivering an archived event finds nothing to redeliver.
	if err := q.Redeliver(ctx, EventID(301, 0, "gone")); err == nil {
		t.Fatal("redelivered an archived event")
	}
	// The other trigger goes on; the deleted one is not attempted again.
	if err := d.HandleTransaction(ctx, tx(302, insert(`{"id":3}`))); err != nil {
		t.Fatal(err)
	}
	if got := waitString(t, rec); got != EventID(302, 0, "kept")+" ok" {
		t.Fatalf("recorded %q", got)
	}
	if c := goneCalls.Load(); c != 2 {
		t.Fatalf("deleted trigger's webhook called %d times, want 2", c)
	}
}
