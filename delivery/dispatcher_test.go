package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"testing"

	"github.com/graftql/graft/replication"
)

var createdAtRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$`)

// checkPayload compares a webhook body with want (JSON), after checking the
// format of id and created_at and substituting them into want as $ID and
// $CREATED_AT.
func checkPayload(t *testing.T, r *request, wantID, wantCreated, want string) {
	t.Helper()
	id, _ := r.Payload["id"].(string)
	created, _ := r.Payload["created_at"].(string)
	if !uuidRE.MatchString(id) || (wantID != "" && id != wantID) {
		t.Errorf("id %q: want a UUID %s", id, wantID)
	}
	if !createdAtRE.MatchString(created) || (wantCreated != "" && created != wantCreated) {
		t.Errorf("created_at %q: want ISO 8601 UTC with microseconds, no zone, %s", created, wantCreated)
	}
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON: %v", err)
	}
	w["id"], w["created_at"] = id, created
	if !reflect.DeepEqual(r.Payload, w) {
		wb, _ := json.Marshal(w)
		t.Errorf("payload\n got %s\nwant %s", r.Body, wb)
	}
}

func TestPayloadInsertUpdateDelete(t *testing.T) {
	q := testQueue(t)
	tr := mustTrigger(t, usersTable, `{"name":"users_all","definition":{"insert":{"columns":"*"},"update":{"columns":"*"},"delete":{"columns":"*"}},
		"retry_conf":{"num_retries":4},"webhook":"`+"{{HOOK_BASE}}"+`/hook"}`)
	tr.PrimaryKey = []string{"id"}
	rc := newReceiver(t, nil)
	src := newSource(tr)
	startPool(t, q, src, PoolConfig{LookupEnv: func(k string) (string, bool) {
		return rc.URL, k == "HOOK_BASE"
	}})
	d := NewDispatcher(q, src)

	x := tx(0x1000,
		insert(`{"id":1,"name":"ann","email":"a@x"}`),
		update(`{"id":1,"name":"ann","email":"a@x"}`, `{"id":1,"name":"bob","email":"a@x"}`, "name"),
		del(`{"id":1,"name":"bob","email":"a@x"}`))
	x.SessionVariables = json.RawMessage(`{"x-hasura-role":"user","x-hasura-user-id":"1"}`)
	x.TraceContext = json.RawMessage(`{"trace_id":"0af7651916cd43dd","span_id":"b7ad6b71"}`)
	if err := d.HandleTransaction(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	const tail = `"delivery_info":{"max_retries":4,"current_retry":0},"trigger":{"name":"users_all"},"table":{"schema":"public","name":"users"}}`
	const ev = `{"event":{"session_variables":{"x-hasura-role":"user","x-hasura-user-id":"1"},"trace_context":{"trace_id":"0af7651916cd43dd","span_id":"b7ad6b71"},`
	created := "2024-01-02T03:04:05.123456"
	r := rc.next(t)
	checkPayload(t, r, EventID(0x1000, 0, "users_all"), created,
		ev+`"op":"INSERT","data":{"old":null,"new":{"id":1,"name":"ann","email":"a@x"}}},`+tail)
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	if got := r.Header.Get("User-Agent"); got != "hasura-graphql-engine/graft" {
		t.Errorf("User-Agent %q", got)
	}
	checkPayload(t, rc.next(t), EventID(0x1000, 1, "users_all"), created,
		ev+`"op":"UPDATE","data":{"old":{"id":1,"name":"ann","email":"a@x"},"new":{"id":1,"name":"bob","email":"a@x"}}},`+tail)
	checkPayload(t, rc.next(t), EventID(0x1000, 2, "users_all"), created,
		ev+`"op":"DELETE","data":{"old":{"id":1,"name":"bob","email":"a@x"},"new":null}},`+tail)

	// A write that did not come through Graft: no session (null, as
	// Hasura's), no trace_context.
	if err := d.HandleTransaction(context.Background(), tx(0x2000, del(`{"id":2,"name":"c","email":null}`))); err != nil {
		t.Fatal(err)
	}
	r = rc.next(t)
	checkPayload(t, r, EventID(0x2000, 0, "users_all"), created,
		`{"event":{"session_variables":null,"op":"DELETE","data":{"old":{"id":2,"name":"c","email":null},"new":null}},`+tail)
	if _, ok := r.Payload["event"].(map[string]any)["trace_context"]; ok {
		t.Errorf("trace_context present without a trace: %s", r.Body)
	}
}

func TestUpdateColumnsAndPayload(t *testing.T) {
	q := testQueue(t)
	rc := newReceiver(t, nil)
	tr := mustTrigger(t, usersTable, `{"name":"email_changed","definition":{"update":{"columns":["email"],"payload":["id","email"]}},"webhook":"`+rc.URL+`"}`)
	src := newSource(tr)
	d := NewDispatcher(q, src)
	ctx := context.Background()

	// name changes: does not fire, and Redis is not touched at all.
	if err := d.HandleTransaction(ctx, tx(1, update(`{"id":1,"name":"a","email":"e"}`, `{"id":1,"name":"b","email":"e"}`, "name"),
		insert(`{"id":2,"name":"x","email":"y"}`), del(`{"id":3,"name":"x","email":"y"}`))); err != nil {
		t.Fatal(err)
	}
	if keys := q.testKeys(t); len(keys) != 0 {
		t.Fatalf("a transaction firing nothing wrote to Redis: %v", keys)
	}
	// A table without triggers neither.
	other := update(`{"id":1}`, `{"id":2}`, "id")
	other.Table = Relation{Schema: "public", Name: "other"}
	if err := d.HandleTransaction(ctx, tx(2, other)); err != nil {
		t.Fatal(err)
	}
	if keys := q.testKeys(t); len(keys) != 0 {
		t.Fatalf("a table without triggers wrote to Redis: %v", keys)
	}

	startPool(t, q, src, PoolConfig{})
	if err := d.HandleTransaction(ctx, tx(3, update(`{"id":1,"name":"b","email":"e"}`, `{"id":1,"name":"c","email":"f"}`, "name", "email"))); err != nil {
		t.Fatal(err)
	}
	checkPayload(t, rc.next(t), EventID(3, 0, "email_changed"), "",
		`{"event":{"session_variables":null,"op":"UPDATE","data":{"old":{"id":1,"email":"e"},"new":{"id":1,"email":"f"}}},
		"delivery_info":{"max_retries":0,"current_retry":0},"trigger":{"name":"email_changed"},"table":{"schema":"public","name":"users"}}`)
}

func TestHeadersAndWebhookFromEnv(t *testing.T) {
	q := testQueue(t)
	rc := newReceiver(t, nil)
	tr := mustTrigger(t, usersTable, `{"name":"h","definition":{"insert":{"columns":"*"}},"webhook_from_env":"HOOK_URL",
		"headers":[{"name":"X-Static","value":"plain"},{"name":"X-Secret","value_from_env":"HOOK_SECRET"}]}`)
	src := newSource(tr)
	env := map[string]string{"HOOK_URL": rc.URL + "/from-env", "HOOK_SECRET": "s3cr3t"}
	startPool(t, q, src, PoolConfig{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err := NewDispatcher(q, src).HandleTransaction(context.Background(), tx(5, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	r := rc.next(t)
	if r.Header.Get("X-Static") != "plain" || r.Header.Get("X-Secret") != "s3cr3t" {
		t.Fatalf("headers: %v", r.Header)
	}
}

func TestManualInvoke(t *testing.T) {
	q := testQueue(t)
	rc := newReceiver(t, nil)
	tr := mustTrigger(t, usersTable, `{"name":"manual","definition":{"enable_manual":true},"webhook":"`+rc.URL+`"}`)
	startPool(t, q, newSource(), PoolConfig{}) // the source does not know it: the snapshot is used
	ctx := context.Background()
	id, err := q.Invoke(ctx, tr, json.RawMessage(`{"id":9,"name":"z"}`), json.RawMessage(`{"x-hasura-role":"editor"}`))
	if err != nil {
		t.Fatal(err)
	}
	checkPayload(t, rc.next(t), id, "",
		`{"event":{"session_variables":{"x-hasura-role":"editor"},"op":"MANUAL","data":{"old":null,"new":{"id":9,"name":"z"}}},
		"delivery_info":{"max_retries":0,"current_retry":0},"trigger":{"name":"manual"},"table":{"schema":"public","name":"users"}}`)
	if id2, err := q.Invoke(ctx, tr, json.RawMessage(`{"id":9}`), nil); err != nil || id2 == id {
		t.Fatalf("second invoke: %q %v", id2, err)
	}
	r := rc.next(t)
	if s := r.Payload["event"].(map[string]any)["session_variables"]; !reflect.DeepEqual(s, map[string]any{"x-hasura-role": "admin"}) {
		t.Fatalf("default session: %v", s)
	}

	tr.EnableManual = false
	if _, err := q.Invoke(ctx, tr, json.RawMessage(`{"id":9}`), nil); !errors.Is(err, ErrManualDisabled) {
		t.Fatalf("invoke without enable_manual: %v", err)
	}
}

func TestIdempotentEnqueue(t *testing.T) {
	q := testQueue(t)
	rc := newReceiver(t, nil)
	tr := mustTrigger(t, usersTable, `{"name":"once","definition":{"insert":{"columns":"*"},"update":{"columns":"*"}},"webhook":"`+rc.URL+`"}`)
	tr.PrimaryKey = []string{"id"}
	src := newSource(tr)
	d := NewDispatcher(q, src)
	ctx := context.Background()
	x := tx(77, insert(`{"id":1,"v":1}`))
	for range 3 { // the slot hands the transaction over again after a crash
		if err := d.HandleTransaction(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if evs, err := q.EventLogs(ctx, "once", StatusPending, 10, 0); err != nil || len(evs) != 1 {
		t.Fatalf("queued %d events, want 1 (%v)", len(evs), err)
	}
	p := NewWorkerPool(q, src, PoolConfig{Size: 4})
	rec := recorded(p)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(ctx) })
	// A later event of the same row is delivered after any duplicate would be.
	if err := d.HandleTransaction(ctx, tx(78, update(`{"id":1,"v":1}`, `{"id":1,"v":2}`, "v"))); err != nil {
		t.Fatal(err)
	}
	if r := rc.next(t); r.id() != EventID(77, 0, "once") {
		t.Fatalf("first delivery %s", r.id())
	}
	if r := rc.next(t); r.id() != EventID(78, 0, "once") {
		t.Fatalf("second delivery %s: a duplicate", r.id())
	}
	waitString(t, rec)
	waitString(t, rec)
	// Handled again once delivered: still not queued twice.
	if err := d.HandleTransaction(ctx, x); err != nil {
		t.Fatal(err)
	}
	if evs, _ := q.EventLogs(ctx, "once", StatusPending, 10, 0); len(evs) != 0 {
		t.Fatal("a delivered event was queued again")
	}
}

func TestLargeTransactionBatches(t *testing.T) {
	q := testQueue(t)
	tr := mustTrigger(t, usersTable, `{"name":"bulk","definition":{"insert":{"columns":"*"}},"webhook":"http://127.0.0.1:1"}`)
	d := NewDispatcher(q, newSource(tr))
	var changes []replication.Change
	for i := range enqueueBatch*2 + 3 {
		b, _ := json.Marshal(map[string]int{"id": i})
		changes = append(changes, insert(string(b)))
	}
	ctx := context.Background()
	if err := d.HandleTransaction(ctx, tx(9, changes...)); err != nil {
		t.Fatal(err)
	}
	if err := d.HandleTransaction(ctx, tx(9, changes...)); err != nil {
		t.Fatal(err)
	}
	evs, err := q.EventLogs(ctx, "bulk", StatusPending, 10000, 0)
	if err != nil || len(evs) != len(changes) {
		t.Fatalf("pending events: %d, want %d (%v)", len(evs), len(changes), err)
	}
	if _, err := q.EventByID(ctx, EventID(9, len(changes)-1, "bulk")); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := d.HandleTransaction(cctx, tx(10, changes[0])); err == nil {
		t.Fatal("HandleTransaction succeeded without Redis acknowledging")
	}
}
