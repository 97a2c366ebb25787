package integration

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

func TestReplicasShareMetadataChanges(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	a := testenv.Start(t, db)
	b := testenv.Start(t, db)
	a.RunSQL(`CREATE TABLE note (id int PRIMARY KEY, body text); INSERT INTO note VALUES (1, 'hi')`)
	a.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "note"}})
	want := `{"data":{"note":[{"id":1,"body":"hi"}]}}`
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := b.GraphQL(`{ note { id body } }`, nil)
		if string(r.Body) == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second process never saw the tracked table: %s", r.Body)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, bounded by the deadline
	}
}

func TestEventTriggerMetadata(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db)
	s.RunSQL(`CREATE TABLE item (id int PRIMARY KEY, name text)`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "item"}})
	create := map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
		"name": "item_changed", "table": map[string]any{"schema": "public", "name": "item"},
		"webhook": "http://127.0.0.1:9/hook", "insert": map[string]any{"columns": "*"},
		"update": map[string]any{"columns": []string{"name"}}, "enable_manual": true,
		"retry_conf": map[string]any{"num_retries": 2, "interval_sec": 1, "timeout_sec": 5},
		"headers":    []any{map[string]any{"name": "X-Token", "value_from_env": "ITEM_TOKEN"}},
	}}
	s.Metadata(create)
	r := s.Post("/v1/metadata", create, testenv.Admin())
	if r.Status != 400 || !strings.Contains(string(r.Body), "already-exists") {
		t.Fatalf("duplicate trigger: %d %s", r.Status, r.Body)
	}
	var md struct {
		Sources []struct {
			Tables []struct {
				EventTriggers []map[string]any `json:"event_triggers"`
			} `json:"tables"`
		} `json:"sources"`
	}
	json.Unmarshal(s.Metadata(map[string]any{"type": "export_metadata", "args": map[string]any{}}).Body, &md)
	got, _ := json.Marshal(md.Sources[0].Tables[0].EventTriggers)
	want := `[{"definition":{"enable_manual":true,"insert":{"columns":"*"},"update":{"columns":["name"]}},` +
		`"headers":[{"name":"X-Token","value_from_env":"ITEM_TOKEN"}],"name":"item_changed",` +
		`"retry_conf":{"interval_sec":1,"num_retries":2,"timeout_sec":5},"webhook":"http://127.0.0.1:9/hook"}]`
	if string(got) != want {
		t.Fatalf("exported trigger:\n got %s\nwant %s", got, want)
	}
	s.Metadata(map[string]any{"type": "pg_delete_event_trigger", "args": map[string]any{"name": "item_changed"}})
	r = s.Post("/v1/metadata", map[string]any{"type": "pg_delete_event_trigger", "args": map[string]any{"name": "item_changed"}}, testenv.Admin())
	if r.Status != 400 || !strings.Contains(string(r.Body), "not-exists") {
		t.Fatalf("deleting a missing trigger: %d %s", r.Status, r.Body)
	}
}

func TestQueryLogCarriesGeneratedSQL(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	var logs syncBuffer
	s := testenv.Start(t, db, testenv.Options{Logs: &logs})
	s.RunSQL(`CREATE TABLE note (id int PRIMARY KEY, body text)`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "note"}})
	s.GraphQL(`query Notes($b: String) { note(where: {body: {_eq: $b}}) { id } }`, map[string]any{"b": "secret value"})
	var found bool
	for _, line := range strings.Split(logs.String(), "\n") {
		var entry struct {
			Type   string `json:"type"`
			Detail struct {
				GeneratedSQL map[string]string `json:"generated_sql"`
			} `json:"detail"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Type != "query-log" {
			continue
		}
		found = strings.Contains(entry.Detail.GeneratedSQL["note"], `FROM "public"."note"`)
	}
	if !found {
		t.Fatalf("no query-log line with the generated SQL in:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "secret value") {
		t.Fatal("a bind value leaked into the logs")
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
