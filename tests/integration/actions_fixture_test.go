package integration

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/graftql/graft/tests/helpers/actionwebhook"
	"github.com/graftql/graft/tests/testenv"
)

// actionsSQL is the schema of Hasura's sync action tests: users the
// webhook creates through Graft, and articles joined to them.
const actionsSQL = `
CREATE TABLE "user" (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL, is_admin boolean NOT NULL DEFAULT false);
CREATE TABLE article (id serial PRIMARY KEY, name text NOT NULL, user_id int);
INSERT INTO article (name, user_id) VALUES ('foo', 1), ('bar', 1), ('baz', 2);`

// actionsCustomTypes are the custom types the action tests use.
var actionsCustomTypes = map[string]any{
	"input_objects": []any{
		map[string]any{"name": "UserInput", "fields": []any{
			map[string]any{"name": "name", "type": "String!"}, map[string]any{"name": "email", "type": "String!"}}},
		map[string]any{"name": "InObject", "fields": []any{
			map[string]any{"name": "id", "type": "ID"}, map[string]any{"name": "name", "type": "String"}}},
		map[string]any{"name": "ErrorInput", "fields": []any{
			map[string]any{"name": "message", "type": "String!"}, map[string]any{"name": "code", "type": "String"},
			map[string]any{"name": "extensions", "type": "json"}}},
	},
	"scalars": []any{map[string]any{"name": "MyScalar"}},
	"objects": []any{
		map[string]any{"name": "UserId", "fields": []any{map[string]any{"name": "id", "type": "Int!"}},
			"relationships": []any{
				map[string]any{"name": "user", "type": "object", "remote_table": "user", "field_mapping": map[string]any{"id": "id"}},
				map[string]any{"name": "articles", "type": "array", "remote_table": "article", "field_mapping": map[string]any{"id": "user_id"}},
			}},
		map[string]any{"name": "OutObject", "fields": []any{
			map[string]any{"name": "id", "type": "ID!"}, map[string]any{"name": "name", "type": "String"}}},
		map[string]any{"name": "Header", "fields": []any{
			map[string]any{"name": "name", "type": "String!"}, map[string]any{"name": "value", "type": "String!"}}},
		map[string]any{"name": "OutHeaders", "fields": []any{map[string]any{"name": "headers", "type": "[Header]"}}},
		map[string]any{"name": "TypedNestedNull", "fields": []any{
			map[string]any{"name": "id", "type": "ID!"}, map[string]any{"name": "child", "type": "TypedNestedNull"}}},
	},
}

// action builds a create_action body.
func action(name, typ, handler, output string, args ...map[string]any) map[string]any {
	def := map[string]any{"type": typ, "kind": "synchronous", "handler": handler, "output_type": output, "arguments": args}
	return op("create_action", map[string]any{"name": name, "definition": def})
}

func arg(name, typ string) map[string]any { return map[string]any{"name": name, "type": typ} }

// startActions starts Graft on the actions schema with the Go action
// webhook (HELPERS.md section A) calling back into it, and the actions of
// Hasura's sync tests pointing at the webhook.
func startActions(t testing.TB) (*testenv.Server, *actionwebhook.Server) {
	t.Helper()
	hook, err := actionwebhook.Start(context.Background(), "127.0.0.1:0", "", testenv.AdminSecret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hook.Stop)
	base := hook.URL()
	s, _ := startWith(t, actionsSQL,
		op("pg_track_table", map[string]any{"table": "user"}), op("pg_track_table", map[string]any{"table": "article"}),
		op("set_custom_types", actionsCustomTypes),
		action("create_user", "mutation", base+"/create-user", "UserId", arg("email", "String!"), arg("name", "String!")),
		action("create_users", "mutation", base+"/create-users", "[UserId]", arg("users", "[UserInput!]!")),
		action("mirror", "mutation", base+"/mirror-action", "OutObject", arg("arg", "InObject!")),
		action("get_user_by_email", "query", base+"/get-user-by-email", "UserId!", arg("email", "String!")),
		action("intentional_error", "query", base+"/intentional-error", "[UserId]!", arg("blob", "ErrorInput!")),
		action("null_response", "mutation", base+"/null-response", "UserId!"),
		action("scalar_array", "mutation", base+"/scalar-array-response", "[Int]!"),
		action("nested_scalar_array", "mutation", base+"/custom-scalar-array-response", "[[MyScalar!]]!"),
		action("json_response", "query", base+"/json-response", "json!"),
		action("wrong_field", "query", base+"/typed-nested-null-wrong-field", "TypedNestedNull!"),
		action("nested_null", "query", base+"/typed-nested-null", "TypedNestedNull!"),
		action("missing_route", "mutation", base+"/no-such-route", "UserId"),
		op("pg_create_select_permission", map[string]any{"table": "user", "role": "user", "permission": map[string]any{
			"columns": []string{"id", "name", "email"}, "filter": map[string]any{"id": "X-Hasura-User-Id"}}}),
		op("pg_create_select_permission", map[string]any{"table": "article", "role": "user", "permission": map[string]any{
			"columns": []string{"id", "name"}, "filter": map[string]any{"user_id": "X-Hasura-User-Id"}}}),
	)
	hook.SetEngine(s.URL, testenv.AdminSecret)
	return s, hook
}

// userHeaders are the session of role user with id.
func userHeaders(id string) map[string]string {
	return map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": id}
}

// errorOf returns the single GraphQL error of a response body.
func errorOf(t testing.TB, body []byte) map[string]any {
	t.Helper()
	var r struct{ Errors []map[string]any }
	if err := json.Unmarshal(body, &r); err != nil || len(r.Errors) != 1 {
		t.Fatalf("want one error, got %s (%v)", body, err)
	}
	return r.Errors[0]
}
