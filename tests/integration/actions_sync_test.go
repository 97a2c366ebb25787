package integration

import (
	"encoding/json"
	"strings"
	"testing"
)

// A sync mutation action calls its handler, which writes through Graft;
// the output's relationships to tables come back in one statement.
func TestActionsSyncMutationWithRelationships(t *testing.T) {
	t.Parallel()
	s, _ := startActions(t)

	wantData(t, s, `mutation { create_user(email: "clarke@gmail.com", name: "Clarke") { __typename id user { __typename name email is_admin } } }`, nil,
		`{"create_user":{"__typename":"UserId","id":1,"user":{"__typename":"user","name":"Clarke","email":"clarke@gmail.com","is_admin":false}}}`)

	before := s.App.Actions.Statements()
	wantData(t, s, `query { get_user_by_email(email: "clarke@gmail.com") { id me: user { name } articles(order_by: {id: asc}) { id name }
	  articles_aggregate { aggregate { count } } } }`, nil,
		`{"get_user_by_email":{"id":1,"me":{"name":"Clarke"},"articles":[{"id":1,"name":"foo"},{"id":2,"name":"bar"}],"articles_aggregate":{"aggregate":{"count":2}}}}`)
	if n := s.App.Actions.Statements() - before; n != 1 {
		t.Fatalf("relationships ran %d statements, want 1", n)
	}

	// A list output: every element's relationship, still one statement.
	before = s.App.Actions.Statements()
	wantData(t, s, `mutation { create_users(users: [{email: "blake@hasura.io", name: "Blake"}, {email: "elsa@hasura.io", name: "Elsa"}]) { id user { name } } }`, nil,
		`{"create_users":[{"id":2,"user":{"name":"Blake"}},{"id":3,"user":{"name":"Elsa"}}]}`)
	if n := s.App.Actions.Statements() - before; n != 1 {
		t.Fatalf("list relationships ran %d statements, want 1", n)
	}
	// Without a relationship selected no statement runs at all.
	before = s.App.Actions.Statements()
	wantData(t, s, `query { get_user_by_email(email: "clarke@gmail.com") { id } }`, nil, `{"get_user_by_email":{"id":1}}`)
	if n := s.App.Actions.Statements() - before; n != 0 {
		t.Fatalf("no relationship selected, yet %d statements ran", n)
	}

	// A relationship field takes no arguments; an object one has none.
	wantGQLError(t, gql(t, s, `query { get_user_by_email(email: "clarke@gmail.com") { id user(limit: 4) { name } } }`, nil),
		"validation-failed", "$.selectionSet.get_user_by_email.selectionSet.user", `"limit"`)

	// Action fields and table fields in one request keep the request's order.
	wantData(t, s, `query { a: user(order_by: {id: asc}, limit: 1) { id } b: get_user_by_email(email: "clarke@gmail.com") { id } __typename }`, nil,
		`{"a":[{"id":1}],"b":{"id":1},"__typename":"query_root"}`)
}

// A role sees an action only with a permission; the relationship then
// applies the role's select permission on the table.
func TestActionsPermissions(t *testing.T) {
	t.Parallel()
	s, _ := startActions(t)
	wantData(t, s, `mutation { create_user(email: "clarke@gmail.com", name: "Clarke") { id } }`, nil, `{"create_user":{"id":1}}`)
	wantData(t, s, `mutation { create_user(email: "blake@gmail.com", name: "Blake") { id } }`, nil, `{"create_user":{"id":2}}`)

	q := `query { get_user_by_email(email: "clarke@gmail.com") { id user { name } articles { name } } }`
	wantGQLError(t, gql(t, s, q, nil, userHeaders("1")), "validation-failed", "$.selectionSet.get_user_by_email",
		"not found in type: 'query_root'")

	mustMeta(t, s, op("create_action_permission", map[string]any{"action": "get_user_by_email", "role": "user"}))
	r := gql(t, s, q, nil, userHeaders("1"))
	wantStatus(t, r, 200)
	wantOrdered(t, r.Body, `{"data":{"get_user_by_email":{"id":1,"user":{"name":"Clarke"},"articles":[{"name":"foo"},{"name":"bar"}]}}}`)
	// An inherited role gets the action through one of its roles.
	mustMeta(t, s, op("add_inherited_role", map[string]any{"role_name": "both", "role_set": []string{"user", "editor"}}))
	r = gql(t, s, `query { get_user_by_email(email: "clarke@gmail.com") { id } }`, nil,
		map[string]string{"X-Hasura-Role": "both", "X-Hasura-User-Id": "1"})
	wantOrdered(t, r.Body, `{"data":{"get_user_by_email":{"id":1}}}`)
	// User 2 asks for user 1: the table's filter hides the row.
	r = gql(t, s, q, nil, userHeaders("2"))
	wantOrdered(t, r.Body, `{"data":{"get_user_by_email":{"id":1,"user":null,"articles":[]}}}`)
	// Still no mutation for the role, and no sync action is a subscription.
	wantGQLError(t, gql(t, s, `mutation { create_user(email: "x@y.io", name: "X") { id } }`, nil, userHeaders("1")),
		"validation-failed", "", "not found in type: 'mutation_root'")
	wantData(t, s, `{ __type(name: "subscription_root") { fields(includeDeprecated: true) { name } } }`, nil,
		`{"__type":{"fields":[{"name":"article"},{"name":"article_aggregate"},{"name":"article_by_pk"},{"name":"article_stream"},{"name":"user"},{"name":"user_aggregate"},{"name":"user_by_pk"},{"name":"user_stream"}]}}`)

	mustMeta(t, s, op("drop_action_permission", map[string]any{"action": "get_user_by_email", "role": "user"}))
	wantGQLError(t, gql(t, s, q, nil, userHeaders("1")), "validation-failed", "", "not found in type: 'query_root'")
	r = meta(t, s, op("drop_action_permission", map[string]any{"action": "get_user_by_email", "role": "user"}))
	wantStatus(t, r, 400)
}

// Introspection types action fields as their definitions do.
func TestActionsIntrospection(t *testing.T) {
	t.Parallel()
	s, _ := startActions(t)
	r := gql(t, s, `{ __type(name: "mutation_root") { fields { name type { kind name ofType { kind name ofType { kind name } } }
	  args { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`, nil)
	var out struct {
		Data struct {
			Type struct{ Fields []json.RawMessage } `json:"__type"`
		}
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	fields := map[string]string{}
	for _, f := range out.Data.Type.Fields {
		var named struct{ Name string }
		_ = json.Unmarshal(f, &named)
		fields[named.Name] = string(f)
	}
	wantJSON(t, []byte(fields["create_users"]), `{"name":"create_users","type":{"kind":"LIST","name":null,"ofType":{"kind":"OBJECT","name":"UserId","ofType":null}},
	  "args":[{"name":"users","type":{"kind":"NON_NULL","name":null,"ofType":{"kind":"LIST","name":null,"ofType":{"kind":"NON_NULL","name":null,"ofType":{"kind":"INPUT_OBJECT","name":"UserInput"}}}}}]}`)
	wantJSON(t, []byte(fields["null_response"]), `{"name":"null_response","type":{"kind":"NON_NULL","name":null,"ofType":{"kind":"OBJECT","name":"UserId","ofType":null}},"args":[]}`)
	// Query actions are query_root fields, typed by their output.
	wantData(t, s, `{ __type(name: "UserId") { fields { name type { kind name ofType { name } } } } }`, nil,
		`{"__type":{"fields":[{"name":"articles","type":{"kind":"NON_NULL","name":null,"ofType":{"name":null}}},`+
			`{"name":"articles_aggregate","type":{"kind":"NON_NULL","name":null,"ofType":{"name":"article_aggregate"}}},`+
			`{"name":"id","type":{"kind":"NON_NULL","name":null,"ofType":{"name":"Int"}}},`+
			`{"name":"user","type":{"kind":"OBJECT","name":"user","ofType":null}}]}}`)
}

// The handler gets Hasura's payload and headers: the configured ones,
// forwarded client headers, Graft's user agent; {{ENV}} templates resolve
// at call time and stay unresolved in metadata and error details.
func TestActionsPayloadHeadersAndTemplates(t *testing.T) {
	s, hook := startActions(t)
	t.Setenv("GRAFT_TEST_ACTION_BASE", hook.URL())
	t.Setenv("GRAFT_TEST_ACTION_TOKEN", "from-env")
	mustMeta(t, s, op("create_action", map[string]any{"name": "mirror_headers", "definition": map[string]any{
		"type": "query", "handler": "{{GRAFT_TEST_ACTION_BASE}}/mirror-headers", "output_type": "OutHeaders",
		"forward_client_headers": true,
		"headers":                []any{map[string]any{"name": "X-Static", "value": "static"}, map[string]any{"name": "X-Token", "value_from_env": "GRAFT_TEST_ACTION_TOKEN"}}}}))
	r := gql(t, s, `query { mirror_headers { headers { name value } } }`, nil, map[string]string{"X-Client-Thing": "forwarded"})
	wantStatus(t, r, 200)
	var out struct {
		Data struct {
			MirrorHeaders struct {
				Headers []struct{ Name, Value string }
			} `json:"mirror_headers"`
		}
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	got := map[string]string{}
	for _, h := range out.Data.MirrorHeaders.Headers {
		got[h.Name] = h.Value
	}
	for name, want := range map[string]string{"X-Static": "static", "X-Token": "from-env", "X-Client-Thing": "forwarded", "Content-Type": "application/json"} {
		if got[name] != want {
			t.Errorf("header %s = %q, want %q (all: %v)", name, got[name], want, got)
		}
	}
	if !strings.HasPrefix(got["User-Agent"], "hasura-graphql-engine/") {
		t.Errorf("User-Agent = %q, want hasura-graphql-engine/...", got["User-Agent"])
	}
	if exp := string(exportMetadata(t, s)); !strings.Contains(exp, "{{GRAFT_TEST_ACTION_BASE}}/mirror-headers") {
		t.Fatalf("export_metadata resolved the template: %s", exp)
	}

	// The payload: action name, input as given, session, request query.
	q := "mutation ($id: ID, $name: String) { mirror(arg: {id: $id, name: $name}) { id name } }"
	wantData(t, s, q, map[string]any{"id": "some-id", "name": "Alice"}, `{"mirror":{"id":"some-id","name":"Alice"}}`)
	r = gql(t, s, q, map[string]any{"id": nil, "name": "Alice"})
	e := errorOf(t, r.Body)
	internal, _ := e["extensions"].(map[string]any)["internal"].(map[string]any)
	req, _ := internal["request"].(map[string]any)
	body, _ := json.Marshal(req["body"])
	wantJSON(t, body, `{"action":{"name":"mirror"},"input":{"arg":{"id":null,"name":"Alice"}},
	  "session_variables":{"x-hasura-role":"admin"},"request_query":`+mustJSON(q)+`}`)
	if e["message"] != `expecting not null value for field "id"` {
		t.Errorf("message = %v", e["message"])
	}

	// A template naming an unset variable is inconsistent metadata, not a crash.
	r = meta(t, s, op("create_action", map[string]any{"name": "unset_env", "definition": map[string]any{
		"handler": "{{GRAFT_TEST_NO_SUCH_VAR}}/x", "output_type": "UserId"}}))
	wantStatus(t, r, 400)
	if !strings.Contains(string(r.Body), "GRAFT_TEST_NO_SUCH_VAR") || !strings.Contains(string(r.Body), "invalid-configuration") {
		t.Fatalf("create_action with an unset env var = %s", r.Body)
	}
}

// Request and response transforms rewrite what the handler gets (url,
// headers, body) and what it answered.
func TestActionsTransforms(t *testing.T) {
	t.Parallel()
	s, hook := startActions(t)
	base := hook.URL()
	mustMeta(t, s, op("create_action", map[string]any{"name": "moved_headers", "definition": map[string]any{
		"type": "query", "handler": base + "/nowhere", "output_type": "OutHeaders",
		"request_transform": map[string]any{"version": 2, "template_engine": "Kriti", "url": base + "/mirror-headers",
			"request_headers": map[string]any{"add_headers": map[string]any{"X-Added": "yes"}, "remove_headers": []string{}}}}}))
	r := gql(t, s, `query { moved_headers { headers { name value } } }`, nil)
	if !strings.Contains(string(r.Body), `{"name":"X-Added","value":"yes"}`) {
		t.Fatalf("transformed request = %s", r.Body)
	}
	mustMeta(t, s, op("create_action", map[string]any{"name": "swapped", "definition": map[string]any{
		"handler": base + "/mirror-action", "output_type": "OutObject", "arguments": []any{arg("arg", "InObject!")},
		"request_transform": map[string]any{"version": 2, "template_engine": "Kriti", "body": map[string]any{"action": "transform",
			"template": `{"input": {"arg": {"id": {{ $body.input.arg.name }}, "name": {{ $body.input.arg.id }}}}}`}},
		"response_transform": map[string]any{"version": 2, "template_engine": "Kriti", "body": map[string]any{"action": "transform",
			"template": `{"id": {{ $body.id }}, "name": "got {{ $body.name }}"}`}}}}))
	wantData(t, s, `mutation { swapped(arg: {id: "i", name: "n"}) { id name } }`, nil, `{"swapped":{"id":"n","name":"got i"}}`)
}
