package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// TestDeletedTriggerEventsArchived: deleting an event trigger stops the
// delivery of its pending events (Hasura archives them), while a trigger
// created next is delivered as usual.
func TestDeletedTriggerEventsArchived(t *testing.T) {
	t.Parallel()
	got := make(chan delivered, 100)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var body map[string]any
		json.Unmarshal(raw, &body)
		got <- delivered{Body: body, Raw: raw}
		if req.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	next := func() delivered {
		t.Helper()
		select {
		case d := <-got:
			return d
		case <-time.After(20 * time.Second):
			t.Fatal("no webhook delivery")
		}
		return delivered{}
	}
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{Redis: true})
	s.RunSQL(`CREATE TABLE thing (id serial PRIMARY KEY, name text NOT NULL)`)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "thing"}},
		map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
			"name": "doomed", "table": "thing", "webhook": hook.URL + "/down", "insert": map[string]any{"columns": "*"},
			"retry_conf": map[string]any{"num_retries": 5, "interval_sec": 3600}}},
	}})
	testenv.Exec(t, db, `INSERT INTO thing (name) VALUES ('a'), ('b')`)
	var ids []string
	for range 2 {
		ids = append(ids, next().Body["id"].(string))
	}
	byID := func(id string) *testenv.Response {
		return s.Post("/v1/metadata", map[string]any{"type": "pg_get_event_by_id", "args": map[string]any{"event_id": id}}, testenv.Admin())
	}
	for _, id := range ids {
		if r := byID(id); r.Status != 200 || !json.Valid(r.Body) {
			t.Fatalf("pending event %s: %d %s", id, r.Status, r.Body)
		}
	}
	s.Metadata(map[string]any{"type": "pg_delete_event_trigger", "args": map[string]any{"name": "doomed"}})
	// The archiving follows the metadata change: poll with a deadline.
	deadline := time.Now().Add(20 * time.Second)
	for _, id := range ids {
		for {
			r := byID(id)
			var e struct {
				Code string `json:"code"`
			}
			if r.Status == 400 && json.Unmarshal(r.Body, &e) == nil && e.Code == "not-exists" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("event %s of the deleted trigger still there: %d %s", id, r.Status, r.Body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	s.Metadata(map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
		"name": "fresh", "table": "thing", "webhook": hook.URL + "/up", "insert": map[string]any{"columns": "*"}}})
	testenv.Exec(t, db, `INSERT INTO thing (name) VALUES ('c')`)
	if d := next(); d.Body["trigger"].(map[string]any)["name"] != "fresh" {
		t.Fatalf("delivered %s, want the new trigger's event", d.Raw)
	}
}
