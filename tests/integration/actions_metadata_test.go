package integration

import (
	"encoding/json"
	"strings"
	"testing"
)

// wantActionMetaError posts a metadata body and checks the 400 error's code and
// a message fragment.
func wantActionMetaError(t *testing.T, r []byte, status, wantStatus int, code, part string) {
	t.Helper()
	var e struct{ Code, Error string }
	if err := json.Unmarshal(r, &e); err != nil || status != wantStatus || e.Code != code || !strings.Contains(e.Error, part) {
		t.Fatalf("status %d, body %s; want %d, code %q, error containing %q", status, r, wantStatus, code, part)
	}
}

// Action and custom type definitions are checked as Hasura checks them.
func TestActionsMetadataErrors(t *testing.T) {
	t.Parallel()
	s, hook := startActions(t)
	base := hook.URL()
	r := meta(t, s, action("create_user", "mutation", base+"/create-user", "UserId"))
	wantActionMetaError(t, r.Body, r.Status, 400, "already-exists", `action with name "create_user" already exists`)
	r = meta(t, s, action("bad_output", "mutation", base+"/x", "NoSuchType"))
	wantActionMetaError(t, r.Body, r.Status, 400, "not-exists", `the type: "NoSuchType" is not an object or scalar type`)
	r = meta(t, s, action("bad_arg", "mutation", base+"/x", "UserId", arg("a", "UserId")))
	wantActionMetaError(t, r.Body, r.Status, 400, "invalid-configuration", `is not defined in custom types or it is not a scalar/enum/input_object`)
	r = meta(t, s, op("create_action", map[string]any{"name": "env_header", "definition": map[string]any{
		"handler": base + "/x", "output_type": "UserId",
		"headers": []any{map[string]any{"name": "x", "value_from_env": "HASURA_GRAPHQL_ADMIN_SECRET"}}}}))
	wantActionMetaError(t, r.Body, r.Status, 400, "parse-failed", `env variables start with "HASURA_GRAPHQL_" are not allowed for value_from_env`)
	r = meta(t, s, action("user_by_pk", "query", base+"/x", "UserId"))
	wantActionMetaError(t, r.Body, r.Status, 400, "invalid-configuration", `conflicts with a root field of table "user"`)
	r = meta(t, s, op("drop_action", map[string]any{"name": "nope"}))
	wantActionMetaError(t, r.Body, r.Status, 400, "not-exists", `action with name "nope" does not exist`)
	r = meta(t, s, op("create_action_permission", map[string]any{"action": "create_user", "role": "user"}))
	wantStatus(t, r, 200)
	r = meta(t, s, op("create_action_permission", map[string]any{"action": "create_user", "role": "user"}))
	wantActionMetaError(t, r.Body, r.Status, 400, "already-exists", `permission for role "user" is already defined on "create_user"`)

	// Custom types: a Postgres type that does not exist, a list field in a
	// relationship, a clash with a table's type, types the actions need.
	r = meta(t, s, op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "T",
		"fields": []any{arg("f", "no_such_pg_type")}}}}))
	wantActionMetaError(t, r.Body, r.Status, 400, "constraint-violation", `the type "no_such_pg_type" for field "f" in  object type "T" does not exist`)
	r = meta(t, s, op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "T",
		"fields": []any{arg("ids", "[Int!]")}, "relationships": []any{map[string]any{"name": "u", "type": "array",
			"remote_table": "user", "field_mapping": map[string]any{"ids": "id"}}}}}}))
	wantActionMetaError(t, r.Body, r.Status, 400, "invalid-configuration", `the type of the field "ids" for relationship "u" in object type "T" is a list type`)
	r = meta(t, s, op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "user", "fields": []any{arg("id", "Int")}}}}))
	wantActionMetaError(t, r.Body, r.Status, 400, "constraint-violation", `"user"`)
	r = meta(t, s, op("set_custom_types", map[string]any{}))
	wantActionMetaError(t, r.Body, r.Status, 400, "invalid-configuration", `in action "create_user"`)

	// Dropping an action drops its permissions and its field.
	mustMeta(t, s, op("drop_action", map[string]any{"name": "create_user", "clear_data": true}))
	wantGQLError(t, gql(t, s, `mutation { create_user(email: "a@b.io", name: "A") { id } }`, nil), "validation-failed", "", "not found in type: 'mutation_root'")
}

// Actions and custom types round-trip through export and replace.
func TestActionsMetadataRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := startActions(t)
	mustMeta(t, s, op("create_action_permission", map[string]any{"action": "get_user_by_email", "role": "user", "comment": "reads"}))
	first := exportMetadata(t, s)
	mustMeta(t, s, op("replace_metadata", jsonRaw(first)))
	if second := exportMetadata(t, s); string(first) != string(second) {
		t.Fatalf("export after replace differs:\n%s\n%s", first, second)
	}
	var md struct {
		Actions     []json.RawMessage
		CustomTypes struct{ Objects []json.RawMessage } `json:"custom_types"`
	}
	if err := json.Unmarshal(first, &md); err != nil || len(md.Actions) != 12 || len(md.CustomTypes.Objects) != 5 {
		t.Fatalf("export has %d actions, %d objects (%v): %s", len(md.Actions), len(md.CustomTypes.Objects), err, first)
	}
	wantData(t, s, `query { json_response }`, nil, `{"json_response":{"foo":"bar"}}`)

	// Replacing in an action whose handler names an unset variable keeps
	// the server up and reports the action inconsistent.
	var doc map[string]any
	_ = json.Unmarshal(first, &doc)
	doc["actions"] = append(doc["actions"].([]any), map[string]any{"name": "env_missing",
		"definition": map[string]any{"handler": "{{GRAFT_TEST_UNSET_HANDLER}}/x", "output_type": "UserId"}})
	r := meta(t, s, map[string]any{"type": "replace_metadata", "args": map[string]any{"allow_inconsistent_metadata": true, "metadata": doc}})
	wantStatus(t, r, 200)
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	if !strings.Contains(string(r.Body), `"action env_missing"`) || !strings.Contains(string(r.Body), "GRAFT_TEST_UNSET_HANDLER") {
		t.Fatalf("get_inconsistent_metadata = %s", r.Body)
	}
	wantData(t, s, `query { json_response }`, nil, `{"json_response":{"foo":"bar"}}`)

	// drop_inconsistent_metadata removes it.
	mustMeta(t, s, op("drop_inconsistent_metadata", map[string]any{}))
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	wantJSON(t, r.Body, `{"is_consistent":true,"inconsistent_objects":[]}`)
	if strings.Contains(string(exportMetadata(t, s)), "env_missing") {
		t.Fatal("the inconsistent action is still exported")
	}
}

// A type an action names that the tables' types already use cannot break
// the schema: a Postgres type named like a table becomes <name>_scalar,
// and the tables stay served.
func TestActionsTypeNameClash(t *testing.T) {
	t.Parallel()
	s, hook := startActions(t)
	mustMeta(t, s, action("by_row", "query", hook.URL()+"/json-response", "json", arg("row", "user")))
	r := gql(t, s, `{ __type(name: "query_root") { fields { name args { type { name } } } } }`, nil)
	if !strings.Contains(string(r.Body), `{"name":"by_row","args":[{"type":{"name":"user_scalar"}}]}`) {
		t.Fatalf("query_root = %s", r.Body)
	}
	wantData(t, s, `query { by_row(row: "(1,a,b,f)") user(limit: 0) { id } }`, nil, `{"by_row":{"foo":"bar"},"user":[]}`)

	// An output type named like a type the tables generate: the schema is
	// built without the actions rather than not at all.
	types := map[string]any{}
	for k, v := range actionsCustomTypes {
		types[k] = v
	}
	types["objects"] = append(append([]any{}, actionsCustomTypes["objects"].([]any)...),
		map[string]any{"name": "user_bool_exp", "fields": []any{arg("id", "Int")}})
	mustMeta(t, s, op("set_custom_types", types))
	mustMeta(t, s, action("clash", "query", hook.URL()+"/json-response", "user_bool_exp"))
	wantData(t, s, `query { user(limit: 0) { id } }`, nil, `{"user":[]}`)
}
