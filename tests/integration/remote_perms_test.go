package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/helpers/remotegql"
	"github.com/graftql/graft/tests/testenv"
)

// Queries and mutations to a remote work over the Apollo protocol; a
// remote's error arrives as a data frame with errors.
func TestRemoteSchemaOverWebSocket(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, "")
	mustMeta(t, s, addRemote("users", remote.URL+"/user-graphql", nil))
	c := apolloSession(t, s, "/v1/graphql")
	start(c, "1", `{ user(id: 2) { id username } }`)
	c.expect("data", "1", `{"data":{"user":{"id":2,"username":"john"}}}`)
	c.expect("complete", "1", "")
	start(c, "2", `mutation { createUser(id: 42, username: "ws") { user { id } } }`)
	c.expect("data", "2", `{"data":{"createUser":{"user":{"id":42}}}}`)
	c.expect("complete", "2", "")
	start(c, "3", `{ user(id: 2) { generateError username } }`)
	f := c.next()
	if f.Type != "data" || !strings.Contains(string(f.Payload), `"errors"`) {
		t.Fatalf("remote error frame %s %s", f.Type, f.Payload)
	}
}

// With remote schema permissions, a role sees only the SDL subset its
// permission names, and @preset arguments are filled in for it.
func TestRemoteSchemaPermissionsAndPresets(t *testing.T) {
	t.Parallel()
	perms, err := remotegql.StartPerms(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(perms.Stop)
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{Env: map[string]string{"HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS": "true"}})
	mustMeta(t, s, addRemote("my-remote-schema", perms.URL, nil))
	user := map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "1"}
	// No permission: the role does not see the remote at all.
	wantGQLError(t, gql(t, s, `{ hello }`, nil, user), "validation-failed", "$.selectionSet.hello", "hello")

	mustMeta(t, s, op("add_remote_schema_permissions", map[string]any{"remote_schema": "my-remote-schema", "role": "user",
		"definition": map[string]any{"schema": `
			type User { user_id: Int  userMessages(whered: MessageWhereInpObj): [Message] gimmeText(text: String @preset(value: "world")): String }
			type Message { id: Int! name: String! msg: String! }
			input MessageWhereInpObj { id: IntCompareObj @preset(value: {eq: 2}) name: StringCompareObj }
			input IntCompareObj { eq: Int gt: Int lt: Int }
			input StringCompareObj { eq: String }
			type Query { hello: String user(user_id: Int! @preset(value: "x-hasura-user-id")): User
			             messages(where: MessageWhereInpObj @preset(value: {id: {eq: 1}})): [Message] }
			schema { query: Query }`}}))
	wantAdminError(t, meta(t, s, op("add_remote_schema_permissions", map[string]any{"remote_schema": "my-remote-schema", "role": "user",
		"definition": map[string]any{"schema": `type Query { hello: String }`}})), 400, "already-exists", "user")
	wantAdminError(t, meta(t, s, op("add_remote_schema_permissions", map[string]any{"remote_schema": "my-remote-schema", "role": "other",
		"definition": map[string]any{"schema": `type Query { nope: String }`}})), 400, "validation-failed", "nope")

	r := gql(t, s, `{ hello user { user_id gimmeText userMessages(whered: {}) { id msg } } messages { id } }`, nil, user)
	wantOrdered(t, r.Body, `{"data":{"hello":"world","user":{"user_id":1,"gimmeText":"world","userMessages":[]},"messages":[{"id":1}]}}`)
	// What the SDL leaves out does not exist for the role, nor do preset arguments.
	wantGQLError(t, gql(t, s, `{ user { user_id } users(user_ids: [1]) { user_id } }`, nil, user), "validation-failed", "$.selectionSet.users", "users")
	wantGQLError(t, gql(t, s, `{ messages(where: {}) { id } }`, nil, user), "validation-failed", "$.selectionSet.messages", "where")
	// A session preset needs its variable, of the argument's type.
	wantGQLError(t, gql(t, s, `{ user { user_id } }`, nil, map[string]string{"X-Hasura-Role": "user"}), "not-found", "$", `"x-hasura-user-id" session variable expected`)
	wantGQLError(t, gql(t, s, `{ user { user_id } }`, nil, map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "abc"}),
		"coercion-error", "$", `"abc" cannot be coerced into an Int value`)
	// Admin sees everything.
	wantData(t, s, `{ user(user_id: 3) { gimmeText(text: "hi") } }`, nil, `{"user":{"gimmeText":"hi"}}`)

	mustMeta(t, s, op("drop_remote_schema_permissions", map[string]any{"remote_schema": "my-remote-schema", "role": "user"}))
	wantGQLError(t, gql(t, s, `{ hello }`, nil, user), "validation-failed", "$.selectionSet.hello", "hello")
}

// Over WebSocket the headers of connection_init are the client headers a
// remote schema with forward_client_headers receives.
func TestRemoteSchemaForwardsInitHeaders(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, "")
	mustMeta(t, s, addRemote("header-graphql", remote.URL+"/header-graphql", map[string]any{
		"headers": []any{map[string]any{"name": "x-hasura-test", "value": "abcd"}}, "forward_client_headers": true}))
	c := dialWS(t, s, "graphql-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{
		"X-Hasura-Admin-Secret": testenv.AdminSecret, "x-hasura-role": "user", "x-hasura-user-id": "abcd1234",
		"x-hasura-test": "xyzz", "Authorization": "Bearer abcdef"}}})
	c.expect("connection_ack", "", "")
	start(c, "1", `{ wassup }`)
	c.expect("data", "1", `{"data":{"wassup":"Hello world"}}`)
}
