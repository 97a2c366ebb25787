package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Async actions through the Redis queue (HASURA_GRAPHQL_REDIS_URL set):
// retries, dead letters, final errors, and calls recorded but not queued.

// flakyHandler answers its first `failures` calls with failStatus and a
// body, then {"v":"done"}; it counts the calls.
type flakyHandler struct {
	srv        *httptest.Server
	mu         sync.Mutex
	calls      int
	failures   int
	failStatus int
	failBody   string
}

func newFlakyHandler(t *testing.T, failures, failStatus int, failBody string) *flakyHandler {
	t.Helper()
	h := &flakyHandler{failures: failures, failStatus: failStatus, failBody: failBody}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.calls++
		n := h.calls
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if n <= h.failures {
			w.WriteHeader(h.failStatus)
			_, _ = w.Write([]byte(h.failBody))
			return
		}
		_, _ = w.Write([]byte(`{"v":"done"}`))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *flakyHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls
}

// queueEnv is the retry policy of the queue tests: retries at once.
func queueEnv(retries int) map[string]string {
	return metricsEnv(map[string]string{"GRAFT_ASYNC_ACTION_RETRIES": strconv.Itoa(retries),
		"GRAFT_ASYNC_ACTION_RETRY_INTERVAL_SECONDS": "0"})
}

// startQueued starts Graft with Redis and the retry policy on a new
// database with the async action flaky_async calling url.
func startQueued(t *testing.T, url string, retries int) (*testenv.Server, string) {
	t.Helper()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{Redis: true, Env: queueEnv(retries)})
	mustMeta(t, s, op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "Done",
		"fields": []any{arg("v", "String")}}}}))
	mustMeta(t, s, asyncAction("flaky_async", url, "Done", 2))
	return s, db
}

const flakyResult = `query ($id: uuid!) { flaky_async(id: $id) { output { v } errors } }`

// actionRow is what the action log keeps of a call beyond Hasura's columns.
type actionRow struct {
	Status   string
	Attempts int
	Dead     bool
	Queued   bool
}

func readActionRow(t *testing.T, pool *pgxpool.Pool, id string) actionRow {
	t.Helper()
	var r actionRow
	err := pool.QueryRow(context.Background(), `SELECT status, attempts, dead_lettered_at IS NOT NULL, enqueued_at IS NOT NULL
	  FROM hdb_catalog.hdb_action_log WHERE id = $1`, id).Scan(&r.Status, &r.Attempts, &r.Dead, &r.Queued)
	if err != nil {
		t.Fatalf("read action log row %s: %v", id, err)
	}
	return r
}

// A handler answering 503 twice and then the output: the call is retried
// and completes, after three attempts, not dead-lettered.
func TestActionsAsyncQueueRetryThenSuccess(t *testing.T) {
	t.Parallel()
	h := newFlakyHandler(t, 2, 503, `{"message":"busy"}`)
	s, db := startQueued(t, h.srv.URL, 3)
	id := startAsync(t, s, `mutation { flaky_async }`)
	wantJSON(t, pollAsync(t, s, flakyResult, id), `{"data":{"flaky_async":{"output":{"v":"done"},"errors":null}}}`)
	if r := readActionRow(t, testenv.Pool(t, db), id); r != (actionRow{Status: "completed", Attempts: 3, Queued: true}) {
		t.Fatalf("action log row = %+v, want completed after 3 attempts, queued, not dead", r)
	}
	if n := h.count(); n != 3 {
		t.Fatalf("handler calls = %d, want 3", n)
	}
}

// A handler that keeps answering 503: after the retries the call is
// dead-lettered, its errors show the last error, and the metrics count it.
func TestActionsAsyncQueueRetriesExhausted(t *testing.T) {
	t.Parallel()
	h := newFlakyHandler(t, 1000, 503, `{"message":"down"}`)
	s, db := startQueued(t, h.srv.URL, 2)
	id := startAsync(t, s, `mutation { flaky_async }`)
	body := pollAsync(t, s, `query ($id: uuid!) { flaky_async(id: $id) { errors } }`, id)
	var out struct {
		Data struct {
			Flaky struct {
				Errors struct {
					Error, Code string
					Internal    struct {
						Error    string
						Response struct{ Status int }
					}
				}
			} `json:"flaky_async"`
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	e := out.Data.Flaky.Errors
	if e.Error != "internal error" || e.Code != "unexpected" || e.Internal.Response.Status != 503 || e.Internal.Error != "webhook returned status 503" {
		t.Fatalf("errors = %s, want Hasura's error for a 503", body)
	}
	if r := readActionRow(t, testenv.Pool(t, db), id); r != (actionRow{Status: "error", Attempts: 3, Dead: true, Queued: true}) {
		t.Fatalf("action log row = %+v, want error after 3 attempts, dead-lettered", r)
	}
	if n := h.count(); n != 3 {
		t.Fatalf("handler calls = %d, want 3", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		body := scrape(t, s)
		if v, ok := metric(body, "graft_async_action_dead_letters", `action_name="flaky_async"`); ok && v == 1 {
			if v, ok := metric(body, "graft_async_action_queue_pending"); !ok || v != 0 {
				t.Fatalf("graft_async_action_queue_pending = %v (%v), want 0", v, ok)
			}
			for outcome, want := range map[string]float64{"retry": 2, "dead": 1} {
				if v, ok := metric(body, "graft_async_action_attempts_total", `action_name="flaky_async"`, `outcome="`+outcome+`"`); !ok || v != want {
					t.Fatalf("graft_async_action_attempts_total{outcome=%q} = %v (%v), want %v", outcome, v, ok, want)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no graft_async_action_dead_letters{action_name=\"flaky_async\"} 1 in the metrics")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A 4xx is the handler's final word: recorded at once as Hasura records
// it, not retried.
func TestActionsAsyncQueue4xxNotRetried(t *testing.T) {
	t.Parallel()
	h := newFlakyHandler(t, 1000, 400, `{"message":"bad input","code":"bad-input"}`)
	s, db := startQueued(t, h.srv.URL, 3)
	id := startAsync(t, s, `mutation { flaky_async }`)
	wantJSON(t, pollAsync(t, s, flakyResult, id),
		`{"data":{"flaky_async":{"output":null,"errors":{"path":"$","error":"bad input","code":"bad-input"}}}}`)
	if r := readActionRow(t, testenv.Pool(t, db), id); r != (actionRow{Status: "error", Attempts: 1, Queued: true}) {
		t.Fatalf("action log row = %+v, want error after 1 attempt, not dead", r)
	}
	if n := h.count(); n != 1 {
		t.Fatalf("handler calls = %d, want 1", n)
	}
}

// A call committed but never queued (the process died between the two)
// is queued by the reconciler and runs; nothing is lost.
func TestActionsAsyncQueueReconcilesUnqueued(t *testing.T) {
	t.Parallel()
	h := newFlakyHandler(t, 0, 0, "")
	s, db := startQueued(t, h.srv.URL, 0)
	pool := testenv.Pool(t, db)
	var id string
	err := pool.QueryRow(context.Background(), `INSERT INTO hdb_catalog.hdb_action_log
	  (action_name, input, request_headers, session_variables, status, created_at)
	  VALUES ('flaky_async', '{}', '{}', '{"x-hasura-role":"admin"}', 'created', now() - interval '1 minute')
	  RETURNING id::text`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, pollAsync(t, s, flakyResult, id), `{"data":{"flaky_async":{"output":{"v":"done"},"errors":null}}}`)
	if r := readActionRow(t, pool, id); r != (actionRow{Status: "completed", Attempts: 1, Queued: true}) {
		t.Fatalf("action log row = %+v, want completed after 1 attempt, queued by the reconciler", r)
	}
}
