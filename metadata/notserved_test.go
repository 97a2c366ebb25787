package metadata

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// everyKind holds one object of each kind Graft keeps without serving, and
// the parts it serves now (query collections, allow list, API limits),
// which must not be named.
const everyKind = `{
  "version": 3,
  "sources": [
    {"name": "default", "kind": "postgres", "configuration": {},
     "customization": {"root_fields": {"namespace": "db"}, "naming_convention": "graphql-default"},
     "tables": [
       {"table": {"schema": "public", "name": "author"},
        "remote_relationships": [{"name": "profile", "definition": {"to_remote_schema": {"remote_schema": "users"}}}],
        "insert_permissions": [{"role": "user", "permission": {"check": {}, "validate_input": {"type": "http", "definition": {"url": "http://v"}}}},
                               {"role": "editor", "permission": {"check": {}}}],
        "event_triggers": [
          {"name": "shaped", "definition": {"enable_manual": true}, "webhook": "http://h",
           "request_transform": {"version": 2, "template_engine": "Kriti"}},
          {"name": "cleaned", "definition": {"enable_manual": true}, "webhook": "http://h",
           "cleanup_config": {"schedule": "0 0 * * *", "clear_older_than": 168}},
          {"name": "plain", "definition": {"enable_manual": true}, "webhook": "http://h"}]}]},
    {"name": "reports", "kind": "postgres", "configuration": {}, "tables": []},
    {"name": "warehouse", "kind": "bigquery", "configuration": {}, "tables": []}
  ],
  "remote_schemas": [{"name": "users", "definition": {"url": "http://users"}}],
  "query_collections": [{"name": "allowed", "definition": {"queries": [{"name": "q", "query": "{ author { id } }"}]}}],
  "allowlist": [{"collection": "allowed", "scope": {"global": true}}],
  "actions": [{"name": "login", "definition": {"handler": "http://a", "type": "mutation"}},
              {"name": "export", "definition": {"handler": "http://a", "type": "mutation", "kind": "asynchronous"}}],
  "custom_types": {"objects": [{"name": "Token", "fields": [{"name": "t", "type": "String"}]}]},
  "cron_triggers": [{"name": "nightly", "webhook": "http://c", "schedule": "0 0 * * *"}],
  "rest_endpoints": [{"name": "authors", "url": "authors", "methods": ["GET"], "definition": {"query": {"collection_name": "allowed", "query_name": "q"}}}],
  "inherited_roles": [{"role_name": "both", "role_set": ["user", "editor"]}],
  "api_limits": {"disabled": false, "depth_limit": {"global": 5}},
  "metrics_config": {"analyze_query_variables": true},
  "network": {"tls_allowlist": [{"host": "h"}]},
  "backend_configs": {"dataconnector": {"sqlite": {"uri": "http://sqlite"}}},
  "graphql_schema_introspection": {"disabled_for_roles": ["user"]},
  "opentelemetry": {"status": "enabled", "data_types": ["traces", "metrics"]}
}`

func TestNotServedNamesEveryKind(t *testing.T) {
	md, err := ParseMetadata([]byte(everyKind))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range NotServed(md) {
		if w.Code != NotServedCode || !strings.HasPrefix(w.Message, "stored, not served: Graft ") {
			t.Errorf("%s: code %q, message %q", w.Name, w.Code, w.Message)
		}
		got = append(got, w.Type+" | "+w.Name)
	}
	want := []string{
		"cron_trigger | cron_trigger nightly",
		"rest_endpoint | rest_endpoint authors",
		"metrics_config | metrics_config metrics_config",
		"network | network network",
		"data_connector_agent | data_connector_agent sqlite",
		"graphql_schema_introspection | graphql_schema_introspection graphql_schema_introspection",
		"open_telemetry | open_telemetry all",
		"event_trigger | event_trigger shaped in table author in source default",
		"event_trigger | event_trigger cleaned in table author in source default",
		"insert_permission | insert_permission user in table author in source default",
		"source | source warehouse",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("NotServed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Query collections, the allow list and API limits are served now: set,
// they are not named (they were until the guard package enforced them);
// so are actions and custom types (package actions).
func TestNotServedLeavesOutServedSecurityParts(t *testing.T) {
	md, err := ParseMetadata([]byte(everyKind))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range NotServed(md) {
		switch w.Type {
		case "query_collection", "allowlist", "api_limits", "action", "custom_types":
			t.Errorf("%s is served, yet named: %s", w.Name, w.Message)
		}
	}
}

func TestNotServedMessages(t *testing.T) {
	md, err := ParseMetadata([]byte(everyKind))
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]string{}
	for _, w := range NotServed(md) {
		msgs[w.Name] = w.Message
	}
	for name, part := range map[string]string{
		"rest_endpoint authors": "/api/rest/authors answers 404",
		"graphql_schema_introspection graphql_schema_introspection": "roles user can still introspect",
		"event_trigger shaped in table author in source default":    "does not apply request_transform yet",
		"event_trigger cleaned in table author in source default":   "does not apply cleanup_config yet",
	} {
		if !strings.Contains(msgs[name], part) {
			t.Errorf("message of %q = %q, want it to contain %q", name, msgs[name], part)
		}
	}
}

func TestNotServedQuietWhenNothingIsSet(t *testing.T) {
	for _, doc := range []string{
		`{"version": 3, "sources": [{"name": "default", "kind": "postgres", "configuration": {}, "tables": [{"table": "a"}]}]}`,
		// Present but changing nothing, in Hasura as in Graft.
		`{"version": 3, "sources": [{"name": "default", "kind": "postgres", "configuration": {},
		   "customization": {"naming_convention": "hasura-default", "root_fields": {}},
		   "tables": [{"table": "a", "event_triggers": [{"name": "e", "definition": {"enable_manual": true}, "webhook": "http://h",
		     "request_transform": null, "cleanup_config": {"schedule": "0 0 * * *", "paused": true}}]}]}],
		  "actions": [], "remote_schemas": [], "allowlist": [], "custom_types": {"objects": [], "scalars": []},
		  "api_limits": {"disabled": true, "depth_limit": {"global": 5}}, "metrics_config": {"analyze_query_variables": false},
		  "graphql_schema_introspection": {"disabled_for_roles": []}, "opentelemetry": {"status": "disabled"},
		  "inherited_roles": [{"role_name": "r", "role_set": ["a", "b"]}]}`,
	} {
		md, err := ParseMetadata([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if ws := NotServed(md); len(ws) != 0 {
			t.Errorf("NotServed = %+v, want none for %s", ws, doc)
		}
	}
}

// The snapshot carries the list, so /healthz and start-up read it without
// computing it again.
func TestResolveKeepsNotServed(t *testing.T) {
	md, err := ParseMetadata([]byte(everyKind))
	if err != nil {
		t.Fatal(err)
	}
	s := Resolve(md, &Catalog{}, 1, nil)
	if len(s.NotServed) != len(NotServed(md)) || len(s.NotServed) == 0 {
		t.Fatalf("snapshot NotServed = %d objects, want %d", len(s.NotServed), len(NotServed(md)))
	}
}

// Parts Graft used to drop on replace_metadata are kept, so export returns
// them and NotServed can name them.
func TestMetadataKeepsIntrospectionAndTelemetry(t *testing.T) {
	md, err := ParseMetadata([]byte(everyKind))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"graphql_schema_introspection", "opentelemetry", "metrics_config"} {
		if !strings.Contains(string(b), fmt.Sprintf("%q:", key)) {
			t.Errorf("export lost %s: %s", key, b)
		}
	}
}
