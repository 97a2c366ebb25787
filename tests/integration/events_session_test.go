package integration

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// TestEventSessionVariables: event.session_variables says who wrote the
// row, as in Hasura's payload. A write made outside Graft (another
// application, psql) has no session: the key is there, null. A mutation
// carries the caller's session; run_sql runs as the admin calling it.
func TestEventSessionVariables(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{Redis: true})
	s.RunSQL(`CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)`)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "note"}},
		perm("insert", "note", "user", map[string]any{"columns": []string{"id", "body"}, "check": map[string]any{}}),
		map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
			"name": "note_events", "table": "note", "webhook": rcv.URL, "insert": map[string]any{"columns": "*"}}},
	}})
	session := func(want string) {
		t.Helper()
		d := rcv.next(t)
		var p struct {
			Event map[string]json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(d.Raw, &p); err != nil {
			t.Fatalf("payload: %v: %s", err, d.Raw)
		}
		got, ok := p.Event["session_variables"]
		if !ok {
			t.Fatalf("event.session_variables missing: %s", d.Raw)
		}
		mustBody(t, &testenv.Response{Body: got}, want)
		if want == "null" && string(got) != "null" {
			t.Fatalf("event.session_variables %s, want null", got)
		}
	}

	// Another application's connection, not Graft's.
	conn := testenv.Pool(t, db)
	if _, err := conn.Exec(context.Background(), `INSERT INTO note VALUES (1, 'from elsewhere')`); err != nil {
		t.Fatal(err)
	}
	session(`null`)

	r := s.GraphQL(`mutation { insert_note(objects: [{id: 2, body: "as user 5"}]) { affected_rows } }`, nil,
		map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "5"})
	if string(r.Body) != `{"data":{"insert_note":{"affected_rows":1}}}` {
		t.Fatalf("mutation: %d %s", r.Status, r.Body)
	}
	session(`{"x-hasura-role":"user","x-hasura-user-id":"5"}`)

	s.RunSQL(`INSERT INTO note VALUES (3, 'through run_sql')`)
	session(`{"x-hasura-role":"admin"}`)
}
