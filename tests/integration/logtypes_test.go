package integration

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

type logLine struct {
	Level  string         `json:"level"`
	Type   string         `json:"type"`
	Detail map[string]any `json:"detail"`
}

// lines are the lines of type typ written so far.
func (b *logBuffer) lines(t *testing.T, typ string) []logLine {
	t.Helper()
	b.mu.Lock()
	raw := append([]byte(nil), b.buf.Bytes()...)
	b.mu.Unlock()
	var out []logLine
	for _, l := range bytes.Split(raw, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var line logLine
		if err := json.Unmarshal(l, &line); err != nil {
			t.Fatalf("log line is not JSON (%v): %s", err, l)
		}
		if line.Type == typ {
			out = append(out, line)
		}
	}
	return out
}

// startLogged starts a server with an event trigger on item (delivered to
// rcv) and metrics (to know when a socket is gone), its logs in logs.
func startLogged(t *testing.T, logTypes string, rcv *receiver, logs *logBuffer) *testenv.Server {
	t.Helper()
	s := testenv.Start(t, testenv.NewDatabase(t), testenv.Options{Redis: true, Logs: logs,
		Env: metricsEnv(map[string]string{"HASURA_GRAPHQL_ENABLED_LOG_TYPES": logTypes})})
	s.RunSQL(`CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL)`)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "item"}},
		map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
			"name": "item_logged", "table": "item", "webhook": rcv.URL + "/hook?token=secret", "insert": map[string]any{"columns": "*"}}},
	}})
	return s
}

// traffic makes one event webhook call and opens and closes one socket,
// and returns once both are over (their lines written, when enabled).
func traffic(t *testing.T, s *testenv.Server, rcv *receiver) {
	t.Helper()
	wantStatus(t, gql(t, s, `mutation { insert_item_one(object: {name: "a"}) { id } }`, nil), 200)
	rcv.next(t)
	// The webhook-log line is written before the attempt is recorded.
	waitMetric(t, s, 1, "hasura_event_processed_total", `trigger_name="item_logged"`)
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	c.conn.Close()
	waitMetric(t, s, 0, "hasura_websocket_connections") // a socket leaves the set once closed
}

func TestLogTypesWebhookAndWebsocket(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	logs := &logBuffer{}
	s := startLogged(t, "startup,webhook-log,websocket-log", rcv, logs)
	traffic(t, s, rcv)

	hooks := logs.lines(t, "webhook-log")
	if len(hooks) != 1 {
		t.Fatalf("%d webhook-log lines, want 1: %+v", len(hooks), hooks)
	}
	d := hooks[0].Detail
	if hooks[0].Level != "info" || d["trigger_name"] != "item_logged" || d["status_code"] != float64(204) ||
		d["method"] != "POST" || d["url"] != rcv.URL+"/hook" || d["http_error"] != nil || d["event_id"] == "" {
		t.Errorf("webhook-log line: %+v", hooks[0])
	}
	ws := logs.lines(t, "websocket-log")
	if len(ws) != 2 {
		t.Fatalf("%d websocket-log lines, want 2 (accepted, closed): %+v", len(ws), ws)
	}
	var ids []any
	for i, want := range []string{"accepted", "closed"} {
		ev, _ := ws[i].Detail["event"].(map[string]any)
		info, _ := ws[i].Detail["connection_info"].(map[string]any)
		if ev["type"] != want || ws[i].Level != "info" {
			t.Errorf("websocket-log line %d: %+v, want event %s", i, ws[i], want)
		}
		ids = append(ids, info["websocket_id"])
	}
	if ids[0] == nil || ids[0] != ids[1] {
		t.Errorf("websocket ids %v: want one connection's", ids)
	}
	if vars, _ := ws[1].Detail["user_vars"].(map[string]any); vars["x-hasura-role"] != "admin" {
		t.Errorf("closed line's user_vars: %v", ws[1].Detail["user_vars"])
	}
}

func TestLogTypesDisabledWriteNothing(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	logs := &logBuffer{}
	s := startLogged(t, "startup,http-log", rcv, logs)
	traffic(t, s, rcv)
	for _, typ := range []string{"webhook-log", "websocket-log"} {
		if l := logs.lines(t, typ); len(l) != 0 {
			t.Errorf("%s is disabled, yet %d lines: %+v", typ, len(l), l)
		}
	}
	if len(logs.lines(t, "http-log")) == 0 {
		t.Error("no http-log line: is the log captured at all?")
	}
}

func TestLogTypesAuthWebhook(t *testing.T) {
	t.Parallel()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"X-Hasura-Role":"user"}`))
	}))
	t.Cleanup(hook.Close)
	logs := &logBuffer{}
	s := testenv.Start(t, testenv.NewDatabase(t), testenv.Options{AuthHook: hook.URL + "/auth", Logs: logs,
		LogTypes: "webhook-log"})
	post(t, s, "/v1/graphql", map[string]any{"query": "{ __typename }"}, map[string]string{"Authorization": "Bearer good"})
	post(t, s, "/v1/graphql", map[string]any{"query": "{ __typename }"}, map[string]string{"Authorization": "Bearer bad"})
	lines := logs.lines(t, "webhook-log") // written before the answers
	if len(lines) != 2 {
		t.Fatalf("%d webhook-log lines, want 2: %+v", len(lines), lines)
	}
	for i, want := range []struct {
		level  string
		status float64
	}{{"info", 200}, {"error", 401}} {
		d := lines[i].Detail
		if lines[i].Level != want.level || d["status_code"] != want.status || d["url"] != hook.URL+"/auth" || d["method"] != "GET" {
			t.Errorf("webhook-log line %d: %+v, want level %s status %v", i, lines[i], want.level, want.status)
		}
	}
}
