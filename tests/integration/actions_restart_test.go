package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// blockingHandler is an action handler that answers {"v":"done"} only
// once released; every call it receives is signalled on arrived.
type blockingHandler struct {
	srv     *httptest.Server
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func newBlockingHandler(t *testing.T) *blockingHandler {
	t.Helper()
	h := &blockingHandler{arrived: make(chan struct{}, 16), release: make(chan struct{})}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case h.arrived <- struct{}{}:
		default:
		}
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"v":"done"}`))
	}))
	t.Cleanup(func() {
		h.open()
		h.srv.Close()
	})
	return h
}

// open lets every call, waiting or to come, answer.
func (h *blockingHandler) open() { h.once.Do(func() { close(h.release) }) }

// waitCall waits for the handler to receive a call.
func (h *blockingHandler) waitCall(t *testing.T, what string) {
	t.Helper()
	select {
	case <-h.arrived:
	case <-time.After(20 * time.Second):
		t.Fatalf("the handler was not called: %s", what)
	}
}

// startBlockingAsync starts Graft on a new database with the async action
// slow_async calling h, and returns the server and the database.
func startBlockingAsync(t *testing.T, h *blockingHandler) (*testenv.Server, string) {
	t.Helper()
	return startWith(t, "",
		op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "Done",
			"fields": []any{arg("v", "String")}}}}),
		asyncAction("slow_async", h.srv.URL+"/slow", "Done", 0))
}

const slowAsyncResult = `query ($id: uuid!) { slow_async(id: $id) { output { v } errors } }`

// A call accepted by a server that stops while its handler runs is run
// again by the next server on the database, and completes there.
func TestActionsAsyncSurvivesRestart(t *testing.T) {
	h := newBlockingHandler(t)
	a, db := startBlockingAsync(t, h)
	id := startAsync(t, a, `mutation { slow_async }`)
	h.waitCall(t, "first server")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a.App.Stop(ctx)

	b := testenv.Start(t, db)
	h.waitCall(t, "the server started after the stop")
	h.open()
	wantJSON(t, pollAsync(t, b, slowAsyncResult, id), `{"data":{"slow_async":{"output":{"v":"done"},"errors":null}}}`)
}

// A call whose claimer died without putting it back (its database
// connection gone, as when the process is killed) is claimed again at
// once by another server, not after the stale-claim timeout; the first
// claimer's late answer is not recorded over it.
func TestActionsAsyncClaimerDies(t *testing.T) {
	h := newBlockingHandler(t)
	a, db := startBlockingAsync(t, h)
	id := startAsync(t, a, `mutation { slow_async }`)
	h.waitCall(t, "first server")

	pool := testenv.Pool(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var pid int32
	var status string
	if err := pool.QueryRow(ctx, `SELECT claimer_pid, status FROM hdb_catalog.hdb_action_log WHERE id = $1`, id).Scan(&pid, &status); err != nil {
		t.Fatalf("read the claim: %v", err)
	}
	if status != "processing" {
		t.Fatalf("status = %q, want processing", status)
	}
	// The claimer's connection ends the way a crash ends it.
	var ok bool
	if err := pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate the claimer's backend %d: %v %v", pid, ok, err)
	}

	b := testenv.Start(t, db)
	h.waitCall(t, "after the claimer died")
	h.open()
	wantJSON(t, pollAsync(t, b, slowAsyncResult, id), `{"data":{"slow_async":{"output":{"v":"done"},"errors":null}}}`)
	var attempts int
	if err := pool.QueryRow(ctx, `SELECT attempts FROM hdb_catalog.hdb_action_log WHERE id = $1`, id).Scan(&attempts); err != nil || attempts != 2 {
		t.Fatalf("attempts = %d (%v), want 2: the call was claimed once more", attempts, err)
	}
}

// forward_client_headers over WebSocket: the handler gets the headers of
// the connection_init payload, as over HTTP it gets the request's.
func TestActionsForwardHeadersOverWebSocket(t *testing.T) {
	s, hook := startActions(t)
	mustMeta(t, s, op("create_action", map[string]any{"name": "mirror_headers", "definition": map[string]any{
		"type": "query", "handler": hook.URL() + "/mirror-headers", "output_type": "OutHeaders", "forward_client_headers": true}}))
	c := dialWS(t, s, "graphql-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{
		"X-Hasura-Admin-Secret": testenv.AdminSecret, "X-Client-Thing": "over-ws"}}})
	c.expect("connection_ack", "", "")
	start(c, "1", `query { mirror_headers { headers { name value } } }`)
	f := c.next()
	if f.Type != "data" || f.ID != "1" {
		t.Fatalf("got frame %s %q %s, want data", f.Type, f.ID, f.Payload)
	}
	var out struct {
		Data struct {
			MirrorHeaders struct {
				Headers []struct{ Name, Value string }
			} `json:"mirror_headers"`
		}
	}
	if err := json.Unmarshal(f.Payload, &out); err != nil {
		t.Fatalf("%s: %v", f.Payload, err)
	}
	got := map[string]string{}
	for _, h := range out.Data.MirrorHeaders.Headers {
		got[h.Name] = h.Value
	}
	if got["X-Client-Thing"] != "over-ws" {
		t.Fatalf("X-Client-Thing = %q, want over-ws (all: %v)", got["X-Client-Thing"], got)
	}
	c.expect("complete", "1", "")
}
