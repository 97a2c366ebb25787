package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// apiTimeRE is a time as Hasura's log APIs write it (aeson's UTCTime).
var apiTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$`)

// TestEventLogAPI: pg_get_event_logs, pg_get_event_invocation_logs and
// pg_get_event_by_id take Hasura's arguments (name, status all/pending/
// processed, limit, offset, source; event_id, invocation_log_limit/offset)
// and answer with Hasura's rows: event_log's columns, and invocation logs
// with http_status and Hasura's request and response objects.
func TestEventLogAPI(t *testing.T) {
	t.Parallel()
	type hit struct{ path, id string }
	hits := make(chan hit, 100)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var body struct {
			ID string `json:"id"`
		}
		json.Unmarshal(raw, &body)
		hits <- hit{req.URL.Path, body.ID}
		if req.URL.Path == "/fail" {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "nope")
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(hook.Close)
	os.Setenv("GRAFT_TEST_LOG_API_TOKEN", "secret") // unique to this test; t.Setenv forbids t.Parallel
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{Redis: true})
	s.RunSQL(`CREATE TABLE job (id int PRIMARY KEY, name text NOT NULL)`)
	trigger := func(name, path string, retries int, extra map[string]any) map[string]any {
		args := map[string]any{"name": name, "table": "job", "webhook": hook.URL + path, "insert": map[string]any{"columns": "*"},
			"retry_conf": map[string]any{"num_retries": retries, "interval_sec": 3600}}
		for k, v := range extra {
			args[k] = v
		}
		return map[string]any{"type": "pg_create_event_trigger", "args": args}
	}
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "job"}},
		trigger("job_ok", "/ok", 0, map[string]any{"update": map[string]any{"columns": "*"},
			"headers": []any{map[string]any{"name": "X-Static", "value": "v"}, map[string]any{"name": "X-Env", "value_from_env": "GRAFT_TEST_LOG_API_TOKEN"}}}),
		trigger("job_dead", "/fail", 0, nil), // fails for good at once
		trigger("job_wait", "/fail", 1, nil), // fails, retried in an hour
	}})
	testenv.Exec(t, db, `INSERT INTO job VALUES (1, 'a')`)
	testenv.Exec(t, db, `UPDATE job SET name = 'b' WHERE id = 1`)
	ids := map[string][]string{}
	for range 4 {
		select {
		case h := <-hits:
			ids[h.path] = append(ids[h.path], h.id)
		case <-time.After(20 * time.Second):
			t.Fatalf("webhook deliveries: %v", ids)
		}
	}
	// One row's events of a trigger go in order: the update was sent once
	// the insert's attempt was recorded. The other attempts are recorded
	// just after their response: wait for them (bounded).
	insertID, updateID := ids["/ok"][0], ids["/ok"][1]
	byID := func(id string, extra map[string]any) *testenv.Response {
		args := map[string]any{"event_id": id}
		for k, v := range extra {
			args[k] = v
		}
		return meta(t, s, op("pg_get_event_by_id", args))
	}
	type row struct {
		Delivered, Error bool
		Tries            int
		NextRetryAt      *string `json:"next_retry_at"`
	}
	var deadID, waitID string
	deadline := time.Now().Add(20 * time.Second)
	for _, id := range append([]string{updateID}, ids["/fail"]...) {
		for {
			var ev struct{ Event row }
			json.Unmarshal(byID(id, nil).Body, &ev)
			if ev.Event.Tries == 1 {
				switch {
				case ev.Event.Error:
					deadID = id
				case ev.Event.NextRetryAt != nil:
					waitID = id
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("event %s: attempt not recorded", id)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if deadID == "" || waitID == "" {
		t.Fatalf("failed events: dead %q, waiting %q", deadID, waitID)
	}

	logs := func(args map[string]any) []map[string]json.RawMessage {
		t.Helper()
		r := mustMeta(t, s, op("pg_get_event_logs", args))
		var out []map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatalf("event logs: %v: %s", err, r.Body)
		}
		return out
	}
	eventRow := func(got map[string]json.RawMessage, id, trigger, payload string, delivered, failed bool, next string) {
		t.Helper()
		var created string
		json.Unmarshal(got["created_at"], &created)
		if !apiTimeRE.MatchString(created) {
			t.Fatalf("created_at %q", created)
		}
		b, _ := json.Marshal(got)
		wantJSON(t, b, `{"id":"`+id+`","schema_name":"public","table_name":"job","trigger_name":"`+trigger+`","payload":`+payload+`,
			"delivered":`+mustJSON(delivered)+`,"error":`+mustJSON(failed)+`,"tries":1,"created_at":"`+created+`","locked":null,
			"next_retry_at":`+next+`,"archived":false}`)
	}
	insertPayload := `{"op":"INSERT","data":{"old":null,"new":{"id":1,"name":"a"}},"session_variables":null}`
	updatePayload := `{"op":"UPDATE","data":{"old":{"id":1,"name":"a"},"new":{"id":1,"name":"b"}},"session_variables":null}`

	// All of a trigger's events (status all by default), newest first.
	all := logs(map[string]any{"name": "job_ok"})
	if len(all) != 2 {
		t.Fatalf("job_ok: %d events", len(all))
	}
	eventRow(all[0], updateID, "job_ok", updatePayload, true, false, "null")
	eventRow(all[1], insertID, "job_ok", insertPayload, true, false, "null")
	if again := logs(map[string]any{"name": "job_ok", "status": "all", "source": "default"}); len(again) != 2 {
		t.Fatalf("status all: %d events", len(again))
	}
	page := logs(map[string]any{"name": "job_ok", "limit": 1, "offset": 1})
	if len(page) != 1 {
		t.Fatalf("limit 1 offset 1: %d events", len(page))
	}
	eventRow(page[0], insertID, "job_ok", insertPayload, true, false, "null")
	if old := logs(map[string]any{"trigger_name": "job_ok", "limit": 1}); len(old) != 1 || string(old[0]["id"]) != `"`+updateID+`"` {
		t.Fatalf("trigger_name (Graft's former argument): %v", old)
	}
	// processed: delivered or failed for good; pending: waiting for a retry.
	dead := logs(map[string]any{"name": "job_dead", "status": "processed"})
	if len(dead) != 1 {
		t.Fatalf("job_dead processed: %d events", len(dead))
	}
	eventRow(dead[0], deadID, "job_dead", insertPayload, false, true, "null")
	if n := len(logs(map[string]any{"name": "job_dead", "status": "pending"})); n != 0 {
		t.Fatalf("job_dead pending: %d events", n)
	}
	wait := logs(map[string]any{"name": "job_wait", "status": "pending"})
	if len(wait) != 1 {
		t.Fatalf("job_wait pending: %d events", len(wait))
	}
	var next string
	json.Unmarshal(wait[0]["next_retry_at"], &next)
	if !apiTimeRE.MatchString(next) {
		t.Fatalf("next_retry_at %q", next)
	}
	eventRow(wait[0], waitID, "job_wait", insertPayload, false, false, `"`+next+`"`)
	if n := len(logs(map[string]any{"name": "job_wait", "status": "processed"})); n != 0 {
		t.Fatalf("job_wait processed: %d events", n)
	}
	wantAdminError(t, meta(t, s, op("pg_get_event_logs", map[string]any{"name": "job_ok", "status": "failed"})), 400, "parse-failed", "processed or pending")
	wantAdminError(t, meta(t, s, op("pg_get_event_logs", map[string]any{"status": "pending"})), 400, "parse-failed", `"name"`)
	wantAdminError(t, meta(t, s, op("pg_get_event_logs", map[string]any{"name": "job_ok", "source": "elsewhere"})), 400, "not-exists", "elsewhere")

	// Invocation logs: Hasura's rows, newest first.
	invocations := func(r *testenv.Response) []map[string]json.RawMessage {
		t.Helper()
		wantStatus(t, r, 200)
		var out []map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatalf("invocation logs: %v: %s", err, r.Body)
		}
		return out
	}
	headers := `[{"name":"Content-Type","value":"application/json"},{"name":"User-Agent","value":"hasura-graphql-engine/graft"}`
	invocation := func(got map[string]json.RawMessage, eventID, trigger, status, hdrs, response string) {
		t.Helper()
		var id, created string
		json.Unmarshal(got["id"], &id)
		json.Unmarshal(got["created_at"], &created)
		if id == "" || !apiTimeRE.MatchString(created) {
			t.Fatalf("invocation id %q, created_at %q", id, created)
		}
		var req struct {
			Payload struct {
				ID string `json:"id"`
			} `json:"payload"`
		}
		if json.Unmarshal(got["request"], &req); req.Payload.ID != eventID {
			t.Fatalf("request payload of event %q, want %s", req.Payload.ID, eventID)
		}
		var request map[string]json.RawMessage
		json.Unmarshal(got["request"], &request)
		request["payload"] = json.RawMessage(`null`)
		b, _ := json.Marshal(request)
		wantJSON(t, b, `{"payload":null,"headers":`+hdrs+`,"version":"2"}`)
		delete(got, "request")
		b, _ = json.Marshal(got)
		wantJSON(t, b, `{"id":"`+id+`","trigger_name":"`+trigger+`","event_id":"`+eventID+`","http_status":`+status+`,
			"response":`+response+`,"created_at":"`+created+`"}`)
	}
	okLogs := invocations(meta(t, s, op("pg_get_event_invocation_logs", map[string]any{"name": "job_ok", "source": "default"})))
	if len(okLogs) != 2 {
		t.Fatalf("job_ok: %d invocation logs", len(okLogs))
	}
	okHeaders := headers + `,{"name":"X-Static","value":"v"},{"name":"X-Env","value_from_env":"GRAFT_TEST_LOG_API_TOKEN"}]`
	okResponse := `{"type":"webhook_response","data":{"body":"{\"ok\":true}","headers":[],"status":200},"version":"2"}`
	invocation(okLogs[0], updateID, "job_ok", "200", okHeaders, okResponse)
	invocation(okLogs[1], insertID, "job_ok", "200", okHeaders, okResponse)
	if page := invocations(meta(t, s, op("pg_get_event_invocation_logs", map[string]any{"name": "job_ok", "limit": 1, "offset": 1}))); len(page) != 1 {
		t.Fatalf("invocation logs limit 1 offset 1: %d", len(page))
	} else {
		invocation(page[0], insertID, "job_ok", "200", okHeaders, okResponse)
	}
	failed := `{"type":"client_error","data":{"message":"nope"},"version":"2"}`
	deadLogs := invocations(meta(t, s, op("pg_get_event_invocation_logs", map[string]any{"name": "job_dead"})))
	if len(deadLogs) != 1 {
		t.Fatalf("job_dead: %d invocation logs", len(deadLogs))
	}
	invocation(deadLogs[0], deadID, "job_dead", "500", headers+"]", failed)

	// One event with its invocations.
	var one struct {
		Event       map[string]json.RawMessage   `json:"event"`
		Invocations []map[string]json.RawMessage `json:"invocations"`
	}
	r := byID(waitID, nil)
	wantStatus(t, r, 200)
	var keys map[string]json.RawMessage
	json.Unmarshal(r.Body, &keys)
	if len(keys) != 2 || keys["event"] == nil || keys["invocations"] == nil {
		t.Fatalf("pg_get_event_by_id: %s", r.Body)
	}
	json.Unmarshal(r.Body, &one)
	eventRow(one.Event, waitID, "job_wait", insertPayload, false, false, `"`+next+`"`)
	if len(one.Invocations) != 1 {
		t.Fatalf("invocations: %s", r.Body)
	}
	invocation(one.Invocations[0], waitID, "job_wait", "500", headers+"]", failed)
	r = byID(waitID, map[string]any{"invocation_log_limit": 1, "invocation_log_offset": 1})
	wantStatus(t, r, 200)
	if json.Unmarshal(r.Body, &one); len(one.Invocations) != 0 {
		t.Fatalf("invocation_log_offset 1: %s", r.Body)
	}
	wantAdminError(t, byID("00000000-0000-4000-8000-000000000000", nil), 400, "not-exists",
		"event id 00000000-0000-4000-8000-000000000000 does not exist")
}

// TestRedeliverKeepsInvocations: after pg_redeliver_event, pg_get_event_by_id
// lists every invocation of the event, the earlier attempts too (Hasura
// keeps each in event_invocation_logs), newest first, and the event's own
// row starts over (tries from the redelivery on).
func TestRedeliverKeepsInvocations(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		if calls.Add(1) == 1 { // the first attempt fails, the redelivery succeeds
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "first attempt fails")
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(hook.Close)
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{Redis: true})
	s.RunSQL(`CREATE TABLE job (id int PRIMARY KEY)`)
	mustMeta(t, s, op("bulk", []any{
		op("pg_track_table", map[string]any{"table": "job"}),
		op("pg_create_event_trigger", map[string]any{"name": "job_once", "table": "job", "webhook": hook.URL,
			"insert": map[string]any{"columns": "*"}, "retry_conf": map[string]any{"num_retries": 0}}),
	}))
	testenv.Exec(t, db, `INSERT INTO job VALUES (1)`)

	type event struct {
		Event struct {
			ID               string
			Delivered, Error bool
			Tries            int
		}
		Invocations []struct {
			EventID string `json:"event_id"`
			Status  *int   `json:"http_status"`
		}
	}
	// waitEvent polls the trigger's one event until done says it is.
	waitEvent := func(what string, done func(event) bool) event {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var logs []struct{ ID string }
			json.Unmarshal(mustMeta(t, s, op("pg_get_event_logs", map[string]any{"name": "job_once"})).Body, &logs)
			if len(logs) == 1 {
				var ev event
				r := mustMeta(t, s, op("pg_get_event_by_id", map[string]any{"event_id": logs[0].ID}))
				if err := json.Unmarshal(r.Body, &ev); err != nil {
					t.Fatalf("pg_get_event_by_id: %v: %s", err, r.Body)
				}
				if done(ev) {
					return ev
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the event never got %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	dead := waitEvent("its failed attempt", func(ev event) bool { return ev.Event.Error })
	if len(dead.Invocations) != 1 || dead.Invocations[0].Status == nil || *dead.Invocations[0].Status != 500 {
		t.Fatalf("before the redelivery: %+v", dead)
	}
	mustMeta(t, s, op("pg_redeliver_event", map[string]any{"event_id": dead.Event.ID}))
	done := waitEvent("its redelivery", func(ev event) bool { return ev.Event.Delivered })
	if done.Event.ID != dead.Event.ID || done.Event.Error || done.Event.Tries != 1 {
		t.Fatalf("redelivered event %+v, want %s delivered after one try", done.Event, dead.Event.ID)
	}
	var statuses []int
	for _, inv := range done.Invocations {
		if inv.EventID != dead.Event.ID || inv.Status == nil {
			t.Fatalf("invocation %+v", inv)
		}
		statuses = append(statuses, *inv.Status)
	}
	if len(statuses) != 2 || statuses[0] != 200 || statuses[1] != 500 {
		t.Fatalf("invocations' statuses %v, want [200 500]: the redelivery's, then the first attempt's", statuses)
	}
}
