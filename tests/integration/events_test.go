package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// receiver records webhook deliveries.
type receiver struct {
	*httptest.Server
	got chan delivered
}

type delivered struct {
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{got: make(chan delivered, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var body map[string]any
		json.Unmarshal(raw, &body)
		r.got <- delivered{Header: req.Header.Clone(), Body: body, Raw: raw}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) next(t *testing.T) delivered {
	t.Helper()
	select {
	case d := <-r.got:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook delivery")
	}
	return delivered{}
}

// event is the part of a Hasura payload that does not vary between runs.
func event(t *testing.T, d delivered) string {
	t.Helper()
	ev := d.Body["event"].(map[string]any)
	out := map[string]any{"op": ev["op"], "data": ev["data"], "session_variables": ev["session_variables"],
		"trigger": d.Body["trigger"], "table": d.Body["table"], "delivery_info": d.Body["delivery_info"]}
	b, _ := json.Marshal(out)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(d.Body["id"].(string)) {
		t.Fatalf("event id %v is not a UUID", d.Body["id"])
	}
	if _, err := time.Parse("2006-01-02T15:04:05.999999", d.Body["created_at"].(string)); err != nil {
		t.Fatalf("created_at %v: %v", d.Body["created_at"], err)
	}
	return string(b)
}

func TestEventTriggersFromTheWAL(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	db := testenv.NewDatabase(t)
	os.Setenv("GRAFT_TEST_ITEM_HOOK_TOKEN", "from-env") // unique to this test; t.Setenv forbids t.Parallel
	s := testenv.Start(t, db, testenv.Options{Redis: true})
	s.RunSQL(`CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL, price int NOT NULL)`)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "item"}},
		map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
			"name": "item_events", "table": "item", "webhook": rcv.URL + "/hook", "enable_manual": true,
			"insert": map[string]any{"columns": "*"}, "update": map[string]any{"columns": []string{"price"}},
			"delete": map[string]any{"columns": "*"}, "retry_conf": map[string]any{"num_retries": 2, "interval_sec": 1, "timeout_sec": 5},
			"headers": []any{map[string]any{"name": "X-Static", "value": "v"}, map[string]any{"name": "X-Env", "value_from_env": "GRAFT_TEST_ITEM_HOOK_TOKEN"}},
		}},
	}})
	// Written outside Graft: no session, as Hasura's payload has then.
	outside := `null`
	trig := `"trigger":{"name":"item_events"},"table":{"schema":"public","name":"item"},"delivery_info":{"max_retries":2,"current_retry":0}`
	// Written with plain SQL, not through Graft: the WAL still sees it.
	testenv.Exec(t, db, `INSERT INTO item (name, price) VALUES ('pen', 2)`)
	d := rcv.next(t)
	mustBody(t, &testenv.Response{Body: []byte(event(t, d))},
		`{"op":"INSERT","data":{"old":null,"new":{"id":1,"name":"pen","price":2}},"session_variables":`+outside+`,`+trig+`}`)
	if d.Header.Get("X-Static") != "v" || d.Header.Get("X-Env") != "from-env" {
		t.Fatalf("trigger headers missing: %v", d.Header)
	}
	// An update of a column the trigger does not watch fires nothing; the
	// next delivery is the price change, with the old row.
	testenv.Exec(t, db, `UPDATE item SET name = 'pencil' WHERE id = 1`)
	testenv.Exec(t, db, `UPDATE item SET price = 3 WHERE id = 1`)
	mustBody(t, &testenv.Response{Body: []byte(event(t, rcv.next(t)))},
		`{"op":"UPDATE","data":{"old":{"id":1,"name":"pencil","price":2},"new":{"id":1,"name":"pencil","price":3}},"session_variables":`+outside+`,`+trig+`}`)
	// Through Graft, the caller's session travels with the event.
	s.GraphQL(`mutation { delete_item(where: {id: {_eq: 1}}) { affected_rows } }`, nil, map[string]string{"X-Hasura-User-Id": "7"})
	mustBody(t, &testenv.Response{Body: []byte(event(t, rcv.next(t)))},
		`{"op":"DELETE","data":{"old":{"id":1,"name":"pencil","price":3},"new":null},"session_variables":{"x-hasura-role":"admin","x-hasura-user-id":"7"},`+trig+`}`)

	// Manual invocation, logs and redelivery through the metadata API.
	r := s.Metadata(map[string]any{"type": "pg_invoke_event_trigger", "args": map[string]any{"name": "item_events", "payload": map[string]any{"id": 9}}})
	var inv struct {
		EventID string `json:"event_id"`
	}
	json.Unmarshal(r.Body, &inv)
	manual := rcv.next(t)
	if manual.Body["id"] != inv.EventID || manual.Body["event"].(map[string]any)["op"] != "MANUAL" {
		t.Fatalf("manual event: %s (id %s)", manual.Raw, inv.EventID)
	}
	s.Metadata(map[string]any{"type": "pg_redeliver_event", "args": map[string]any{"event_id": inv.EventID}})
	if again := rcv.next(t); again.Body["id"] != inv.EventID {
		t.Fatalf("redelivered event has another id: %s", again.Raw)
	}
	var logs []map[string]any
	json.Unmarshal(s.Metadata(map[string]any{"type": "pg_get_event_logs", "args": map[string]any{"name": "item_events"}}).Body, &logs)
	if len(logs) < 4 {
		t.Fatalf("event logs: %d entries", len(logs))
	}
}

func TestLiveQueriesFollowTheWAL(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{WALMode: "always"}) // fallback refetch is 60 s here
	s.RunSQL(`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "counter"}})
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": testenv.AdminSecret}}})
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { counter_by_pk(id: 1) { n } }`}})
	c.expect("next", "1", `{"data":{"counter_by_pk":{"n":0}}}`)
	testenv.Exec(t, db, `UPDATE counter SET n = 41 WHERE id = 1`)
	testenv.Exec(t, db, `UPDATE counter SET n = 42 WHERE id = 1`)
	f := c.next()
	if f.Type != "next" {
		t.Fatalf("frame %s %s", f.Type, f.Payload)
	}
	if string(f.Payload) != `{"data":{"counter_by_pk":{"n":42}}}` {
		// Two commits may be seen one by one: then 42 follows.
		c.expect("next", "1", `{"data":{"counter_by_pk":{"n":42}}}`)
	}
	// /healthz stays Hasura's "OK"; ?detail shows the WAL reader's state.
	if r := s.Get("/healthz"); string(r.Body) != "OK" {
		t.Fatalf("/healthz: %s", r.Body)
	}
	var h struct {
		Status string `json:"status"`
		WAL    struct {
			Running  bool   `json:"running"`
			Leader   bool   `json:"leader"`
			LagBytes *int64 `json:"lag_bytes"`
			Retained *int64 `json:"retained_bytes"`
		} `json:"wal"`
	}
	if err := json.Unmarshal(s.Get("/healthz?detail").Body, &h); err != nil || h.Status != "OK" || !h.WAL.Running ||
		!h.WAL.Leader || h.WAL.LagBytes == nil || h.WAL.Retained == nil {
		t.Fatalf("/healthz?detail: %+v (%v)", h, err)
	}
}
