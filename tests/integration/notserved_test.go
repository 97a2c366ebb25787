package integration

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// unservedMetadata tracks one table and adds a cron trigger (kept by
// Graft, not served), an action with its custom types and an allow list
// with its query collection, which Graft serves and must not name.
const unservedMetadata = `{
  "version": 3,
  "sources": [{"name": "default", "kind": "postgres", "tables": [{"table": {"schema": "public", "name": "author"}}],
    "configuration": {"connection_info": {"database_url": {"from_env": "HASURA_GRAPHQL_DATABASE_URL"}}}}],
  "query_collections": [{"name": "allowed", "definition": {"queries": [{"name": "authors", "query": "query authors { author { id } }"}]}}],
  "allowlist": [{"collection": "allowed", "scope": {"global": true}}],
  "actions": [{"name": "login", "definition": {"handler": "http://127.0.0.1:1/login", "type": "mutation",
    "arguments": [{"name": "user", "type": "String!"}], "output_type": "Token", "kind": "synchronous"}}],
  "cron_triggers": [{"name": "nightly", "webhook": "http://127.0.0.1:1/cron", "schedule": "0 0 * * *"}],
  "custom_types": {"objects": [{"name": "Token", "fields": [{"name": "token", "type": "String!"}]}]}
}`

// wantUnserved are the (type, name) pairs unservedMetadata must be warned
// about, in NotServed's order.
var wantUnserved = []string{
	"cron_trigger/cron_trigger nightly",
}

type notServedWarning struct {
	Type, Name, Code, Message string
}

// wantWarnings requires exactly the wanted (type, name) pairs, each with
// code not-served and a message saying so.
func wantWarnings(t testing.TB, ws []notServedWarning, want []string, where string) {
	t.Helper()
	var got []string
	for _, w := range ws {
		got = append(got, w.Type+"/"+w.Name)
		if w.Code != "not-served" || !strings.HasPrefix(w.Message, "stored, not served: ") {
			t.Errorf("%s: warning %+v, want code not-served and a \"stored, not served\" message", where, w)
		}
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("%s names %v, want %v", where, got, want)
	}
}

// healthNotServed reads metadata.not_served from /healthz?detail.
func healthNotServed(t testing.TB, s *testenv.Server) []notServedWarning {
	t.Helper()
	var h struct {
		Status   string
		Metadata struct {
			NotServed *[]notServedWarning `json:"not_served"`
		}
	}
	body := get(t, s, "/healthz?detail").Body
	if err := json.Unmarshal(body, &h); err != nil || h.Metadata.NotServed == nil || h.Status != "OK" {
		t.Fatalf("/healthz?detail = %s (%v): want status OK and metadata.not_served", body, err)
	}
	return *h.Metadata.NotServed
}

func TestMetadataNotServedWarnings(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE author (id int PRIMARY KEY); INSERT INTO author VALUES (1)`)

	r := mustMeta(t, s, op("replace_metadata", jsonRaw([]byte(unservedMetadata))))
	var res struct {
		Message  string
		Warnings []notServedWarning
	}
	if err := json.Unmarshal(r.Body, &res); err != nil || res.Message != "success" {
		t.Fatalf("replace_metadata = %s (%v)", r.Body, err)
	}
	wantWarnings(t, res.Warnings, wantUnserved, "replace_metadata")
	for _, w := range res.Warnings {
		if w.Name == "cron_trigger nightly" && w.Message != "stored, not served: Graft does not run scheduled triggers yet; nightly never calls its webhook" {
			t.Errorf("cron trigger warning message = %q", w.Message)
		}
	}

	// Version 2 answers Hasura's {is_consistent, inconsistent_objects} with the same warnings.
	r = mustMeta(t, s, map[string]any{"type": "replace_metadata", "version": 2,
		"args": map[string]any{"allow_warnings": false, "metadata": jsonRaw([]byte(unservedMetadata))}})
	var v2 struct {
		IsConsistent        bool              `json:"is_consistent"`
		InconsistentObjects []json.RawMessage `json:"inconsistent_objects"`
		Warnings            []notServedWarning
	}
	if err := json.Unmarshal(r.Body, &v2); err != nil || !v2.IsConsistent || v2.InconsistentObjects == nil {
		t.Fatalf("replace_metadata v2 = %s (%v)", r.Body, err)
	}
	wantWarnings(t, v2.Warnings, wantUnserved, "replace_metadata version 2")

	wantWarnings(t, healthNotServed(t, s), wantUnserved, "/healthz?detail")
	if b := get(t, s, "/healthz").Body; string(b) != "OK" {
		t.Fatalf("/healthz = %q, want OK", b)
	}
	// Kept for export, and the tables are still served.
	if exp := string(exportMetadata(t, s)); !strings.Contains(exp, `"allowlist"`) || !strings.Contains(exp, `"custom_types"`) {
		t.Fatalf("export_metadata lost the unserved objects: %s", exp)
	}
	wantData(t, s, `{ author { id } }`, nil, `{"author":[{"id":1}]}`)
}

func TestMetadataWithoutUnservedObjectsAnswersPlainSuccess(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE author (id int PRIMARY KEY)`)

	mustMeta(t, s, op("replace_metadata", jsonRaw([]byte(unservedMetadata))))
	plain := `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [{"table": "author"}],
	  "configuration": {"connection_info": {"database_url": {"from_env": "HASURA_GRAPHQL_DATABASE_URL"}}}}]}`
	r := mustMeta(t, s, op("replace_metadata", jsonRaw([]byte(plain))))
	if string(r.Body) != "{\"message\":\"success\"}\n" {
		t.Fatalf("replace_metadata without unserved objects = %q, want exactly {\"message\":\"success\"}", r.Body)
	}
	if ns := healthNotServed(t, s); len(ns) != 0 {
		t.Fatalf("/healthz?detail not_served = %+v after replacing them away, want []", ns)
	}
}

// Operations that add one unserved object name it; others answer as before.
func TestMetadataNotServedOnAdd(t *testing.T) {
	t.Parallel()
	s, db := startWith(t, `CREATE TABLE author (id int PRIMARY KEY)`, op("pg_track_table", map[string]any{"table": "author"}))

	r := mustMeta(t, s, op("pg_create_event_trigger", map[string]any{"name": "shaped", "table": "author",
		"webhook": "http://127.0.0.1:1/hook", "insert": map[string]any{"columns": "*"},
		"request_transform": map[string]any{"version": 2, "template_engine": "Kriti", "body": map[string]any{"action": "remove"}}}))
	var res struct{ Warnings []notServedWarning }
	if err := json.Unmarshal(r.Body, &res); err != nil {
		t.Fatal(err)
	}
	wantWarnings(t, res.Warnings, []string{"event_trigger/event_trigger shaped in table author in source default"}, "pg_create_event_trigger")
	if !strings.Contains(res.Warnings[0].Message, "request_transform") {
		t.Fatalf("event trigger warning does not name request_transform: %s", r.Body)
	}

	// An added source is served: plain success.
	r = mustMeta(t, s, op("pg_add_source", map[string]any{"name": "reports",
		"configuration": map[string]any{"connection_info": map[string]any{"database_url": db}},
		"customization": map[string]any{"naming_convention": "graphql-default"}}))
	if string(r.Body) != "{\"message\":\"success\"}\n" {
		t.Fatalf("pg_add_source answered %q, want exactly {\"message\":\"success\"}", r.Body)
	}

	r = mustMeta(t, s, op("pg_create_event_trigger", map[string]any{"name": "plain", "table": "author",
		"webhook": "http://127.0.0.1:1/hook", "insert": map[string]any{"columns": "*"}}))
	if string(r.Body) != "{\"message\":\"success\"}\n" {
		t.Fatalf("a served event trigger answered %q, want exactly {\"message\":\"success\"}", r.Body)
	}
	wantWarnings(t, healthNotServed(t, s), []string{"event_trigger/event_trigger shaped in table author in source default"}, "/healthz?detail")
}

// A Graft starting on metadata with unserved objects logs one warning per object.
func TestMetadataNotServedLoggedAtStartup(t *testing.T) {
	t.Parallel()
	s, db := startWith(t, `CREATE TABLE author (id int PRIMARY KEY)`)
	mustMeta(t, s, op("replace_metadata", jsonRaw([]byte(unservedMetadata))))

	var logs syncBuffer
	testenv.Start(t, db, testenv.Options{Logs: &logs})
	var got []string
	for _, line := range strings.Split(logs.String(), "\n") {
		var entry struct {
			Level, Type string
			Detail      struct {
				Message, Code string
				ObjectType    string `json:"object_type"`
				Name          string
			}
		}
		if json.Unmarshal([]byte(line), &entry) != nil || !strings.HasPrefix(entry.Detail.Message, "stored, not served: ") {
			continue
		}
		if entry.Level != "warn" || entry.Type != "startup" || entry.Detail.Code != "not-served" {
			t.Errorf("start-up line %s: want level warn, type startup, code not-served", line)
		}
		got = append(got, entry.Detail.ObjectType+"/"+entry.Detail.Name)
	}
	if strings.Join(got, ", ") != strings.Join(wantUnserved, ", ") {
		t.Fatalf("start-up warnings name %v, want %v; logs:\n%s", got, wantUnserved, logs.String())
	}
}
