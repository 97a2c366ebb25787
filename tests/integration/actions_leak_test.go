package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// badHandler is an action handler misbehaving in every way a route can;
// it counts the connections it accepted and has not seen closed.
type badHandler struct {
	srv  *httptest.Server
	open atomic.Int64
	mu   sync.Mutex
	held []net.Conn // hijacked connections, closed at cleanup if still open
	// paths: the last request path of each open connection, for failures.
	paths map[net.Conn]string
	stop  chan struct{}
}

func newBadHandler(t *testing.T) *badHandler {
	t.Helper()
	h := &badHandler{stop: make(chan struct{}), paths: map[net.Conn]string{}}
	mux := http.NewServeMux()
	answer := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			// Connection: close, so that any connection still open
			// afterwards is one the client did not let go of.
			w.Header().Set("Connection", "close")
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		}
	}
	mux.HandleFunc("/ok", answer(`{"v":"ok"}`))
	mux.HandleFunc("/nonjson", answer(`this is not json`))
	mux.HandleFunc("/wrong", answer(`[1,2]`))
	mux.HandleFunc("/big", answer(`{"v":"`+strings.Repeat("x", 64<<10)+`"}`))
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		// Read to the end first: only then does net/http watch the
		// connection and cancel r's context when the client closes it.
		_, _ = io.Copy(io.Discard, r.Body)
		select { // past any timeout: until the client gives up
		case <-r.Context().Done():
		case <-h.stop:
		}
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		// Headers and half a body, then nothing, and the connection is
		// never closed from this side: only the client can end it.
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.held = append(h.held, conn)
		h.mu.Unlock()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"v\":")
		_ = buf.Flush()
		_, _ = io.Copy(io.Discard, conn) // until the client closes it
		conn.Close()
		h.open.Add(-1)
		h.mu.Lock()
		delete(h.paths, conn)
		h.mu.Unlock()
	})
	h.srv = httptest.NewUnstartedServer(mux)
	h.srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, c)
	}
	h.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
			h.mu.Lock()
			h.paths[c] = r.URL.Path
			h.mu.Unlock()
		}
		mux.ServeHTTP(w, r)
	})
	h.srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			h.open.Add(1)
		case http.StateClosed:
			h.open.Add(-1)
			h.mu.Lock()
			delete(h.paths, c)
			h.mu.Unlock()
		}
	}
	h.srv.Start()
	t.Cleanup(func() {
		close(h.stop)
		h.mu.Lock()
		for _, c := range h.held {
			c.Close()
		}
		h.mu.Unlock()
		h.srv.Close()
	})
	return h
}

type connKey struct{}

// openPaths lists the last request path of each connection still open.
func (h *badHandler) openPaths() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, p := range h.paths {
		out = append(out, p)
	}
	return out
}

// leakCase is one misbehaviour and the error it must give.
type leakCase struct {
	name, url string
	message   string // the error's message
	internal  string // part of internal.error.message ("" for none)
	retried   bool   // worth retrying: an async call is dead-lettered after its retries
}

func leakCases(base string) []leakCase {
	return []leakCase{
		{"unreachable", "http://127.0.0.1:1/nowhere", "http exception when calling webhook", "", true},
		{"slow", base + "/slow", "http exception when calling webhook", "Response timeout", true},
		{"nonjson", base + "/nonjson", "not a valid json response from webhook", "", false},
		{"big", base + "/big", "http exception when calling webhook", "too large", false},
		{"wrong", base + "/wrong", "expecting object for action webhook response but got array", "", false},
		{"hang", base + "/hang", "http exception when calling webhook", "Response timeout", true},
	}
}

// checkLeakError checks an error object (a GraphQL error's extensions, or
// a recorded errors value with its message under "error").
func checkLeakError(t *testing.T, c leakCase, message, code string, internal any, raw []byte) {
	t.Helper()
	if message != c.message || code != "unexpected" {
		t.Fatalf("%s: error %s, want message %q, code unexpected", c.name, raw, c.message)
	}
	if c.internal != "" {
		var msg string
		if m, ok := internal.(map[string]any); ok {
			if e, ok := m["error"].(map[string]any); ok {
				msg, _ = e["message"].(string)
			}
		}
		if !strings.Contains(msg, c.internal) {
			t.Fatalf("%s: error %s, want internal.error.message with %q", c.name, raw, c.internal)
		}
	}
}

// Every way a handler can fail gives a clear error, synchronously and
// asynchronously (recorded; the retried ones dead-lettered after their
// retries), and afterwards no goroutine is left over and the handler has
// no connection still open. Not parallel: it counts the process's
// goroutines.
func TestActionsHandlerFailuresLeakNothing(t *testing.T) {
	h := newBadHandler(t)
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{Redis: true, Env: queueEnv(1)})
	mustMeta(t, s, op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "Done",
		"fields": []any{arg("v", "String")}}}}))
	cases := append(leakCases(h.srv.URL), leakCase{name: "ok", url: h.srv.URL + "/ok"})
	for _, c := range cases {
		mustMeta(t, s, op("create_action", map[string]any{"name": "sync_" + c.name, "definition": map[string]any{
			"kind": "synchronous", "handler": c.url, "output_type": "Done", "timeout": 1}}))
		mustMeta(t, s, asyncAction("async_"+c.name, c.url, "Done", 1))
	}
	s.App.Actions.SetMaxResponseBytes(1 << 10)
	pool := testenv.Pool(t, db)

	// Warm up both paths, then take the baseline once the handler has no
	// connection open.
	wantJSON(t, gql(t, s, `mutation { sync_ok { v } }`, nil).Body, `{"data":{"sync_ok":{"v":"ok"}}}`)
	id := startAsync(t, s, `mutation { async_ok }`)
	wantJSON(t, pollAsync(t, s, `query ($id: uuid!) { async_ok(id: $id) { output { v } } }`, id),
		`{"data":{"async_ok":{"output":{"v":"ok"}}}}`)
	waitUntil(t, "the handler's connections closed after the warm-up", func() bool { return h.open.Load() == 0 })
	baseline := runtime.NumGoroutine()

	for _, c := range leakCases(h.srv.URL) {
		r := gql(t, s, `mutation { sync_`+c.name+` { v } }`, nil)
		e := errorOf(t, r.Body)
		ext, _ := e["extensions"].(map[string]any)
		msg, _ := e["message"].(string)
		code, _ := ext["code"].(string)
		checkLeakError(t, c, msg, code, ext["internal"], r.Body)
	}
	ids := map[string]string{}
	for _, c := range leakCases(h.srv.URL) {
		ids[c.name] = startAsync(t, s, `mutation { async_`+c.name+` }`)
	}
	for _, c := range leakCases(h.srv.URL) {
		body := pollAsync(t, s, `query ($id: uuid!) { async_`+c.name+`(id: $id) { errors } }`, ids[c.name])
		var out struct {
			Data map[string]struct{ Errors map[string]any }
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %s: %v", c.name, body, err)
		}
		errs := out.Data["async_"+c.name].Errors
		msg, _ := errs["error"].(string)
		code, _ := errs["code"].(string)
		checkLeakError(t, c, msg, code, errs["internal"], body)
		want := actionRow{Status: "error", Attempts: 1, Queued: true}
		if c.retried {
			want.Attempts, want.Dead = 2, true
		}
		if r := readActionRow(t, pool, ids[c.name]); r != want {
			t.Fatalf("%s: action log row = %+v, want %+v", c.name, r, want)
		}
	}

	deadline := time.Now().Add(15 * time.Second)
	for h.open.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open on the handler's side, last requests: %v", h.open.Load(), h.openPaths())
		}
		time.Sleep(20 * time.Millisecond)
	}
	deadline = time.Now().Add(15 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			var buf bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
			t.Fatalf("%d goroutines, %d before the failing calls:\n%s", runtime.NumGoroutine(), baseline, buf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitUntil polls cond until it holds, for at most 15 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
