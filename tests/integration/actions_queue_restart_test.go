package integration

import (
	"context"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// The restart and crash tests of actions_restart_test.go, on the Redis
// queue: a server sharing the database, the Redis and the slot name (one
// deployment) takes over the calls of one that stopped or died.

// startBlockingQueued starts Graft with Redis on a new database with the
// async action slow_async calling h.
func startBlockingQueued(t *testing.T, h *blockingHandler) (*testenv.Server, string) {
	t.Helper()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{Redis: true, Env: queueEnv(3)})
	mustMeta(t, s, op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "Done",
		"fields": []any{arg("v", "String")}}}}))
	mustMeta(t, s, asyncAction("slow_async", h.srv.URL+"/slow", "Done", 0))
	return s, db
}

// A call running on a server that stops is put back, its job left in the
// queue; the next server of the deployment runs it, and the stop does not
// count as an attempt.
func TestActionsAsyncQueueSurvivesRestart(t *testing.T) {
	h := newBlockingHandler(t)
	a, db := startBlockingQueued(t, h)
	id := startAsync(t, a, `mutation { slow_async }`)
	h.waitCall(t, "first server")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a.App.Stop(ctx)

	b := testenv.Start(t, db, testenv.Options{Redis: true, Env: queueEnv(3), SlotName: a.Slot})
	h.waitCall(t, "the server started after the stop")
	h.open()
	wantJSON(t, pollAsync(t, b, slowAsyncResult, id), `{"data":{"slow_async":{"output":{"v":"done"},"errors":null}}}`)
	if r := readActionRow(t, testenv.Pool(t, db), id); r != (actionRow{Status: "completed", Attempts: 1, Queued: true}) {
		t.Fatalf("action log row = %+v, want completed after 1 counted attempt", r)
	}
}

// A server killed while a call runs (its workers gone without a word, its
// claimer backend ended as a crash ends it): another server takes its
// lanes over once their leases expire, claims the call again (its claimer
// is gone) and completes it.
func TestActionsAsyncQueueClaimerDies(t *testing.T) {
	h := newBlockingHandler(t)
	a, db := startBlockingQueued(t, h)
	b := testenv.Start(t, db, testenv.Options{Redis: true, Env: queueEnv(3), SlotName: a.Slot})
	b.App.Actions.Close() // b runs nothing until c, below
	id := startAsync(t, a, `mutation { slow_async }`)
	h.waitCall(t, "first server")

	pool := testenv.Pool(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var pid int32
	if err := pool.QueryRow(ctx, `SELECT claimer_pid FROM hdb_catalog.hdb_action_log WHERE id = $1 AND status = 'processing'`, id).Scan(&pid); err != nil {
		t.Fatalf("read the claim: %v", err)
	}
	a.App.Actions.Kill()
	var ok bool
	if err := pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate the claimer's backend %d: %v %v", pid, ok, err)
	}
	if r := readActionRow(t, pool, id); r.Status != "processing" {
		t.Fatalf("after the kill the call is %+v, want still processing (nothing put back)", r)
	}

	c := testenv.Start(t, db, testenv.Options{Redis: true, Env: queueEnv(3), SlotName: a.Slot})
	h.waitCall(t, "after the claimer died")
	h.open()
	wantJSON(t, pollAsync(t, c, slowAsyncResult, id), `{"data":{"slow_async":{"output":{"v":"done"},"errors":null}}}`)
	if r := readActionRow(t, pool, id); r != (actionRow{Status: "completed", Attempts: 2, Queued: true}) {
		t.Fatalf("action log row = %+v, want completed, claimed twice", r)
	}
}
