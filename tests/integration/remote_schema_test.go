package integration

import (
	"strings"
	"testing"
)

// A remote schema's root fields join the tables' in one schema; a request
// mixing both answers every field in request order.
func TestRemoteSchemaMergedWithTables(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, `CREATE TABLE author (id int PRIMARY KEY, name text); INSERT INTO author VALUES (1, 'Ann');`,
		op("pg_track_table", map[string]any{"table": "author"}))
	mustMeta(t, s, addRemote("users", remote.URL+"/user-graphql", nil))

	wantData(t, s, `{ user(id: 2) { username id } author { id name } allUsers { id } }`, nil,
		`{"user":{"username":"john","id":2},"author":[{"id":1,"name":"Ann"}],"allUsers":[{"id":1},{"id":2},{"id":3}]}`)
	// Arguments through variables, an input object list given as one object.
	wantData(t, s, `query q($id: Int!) { u: user(id: $id, userInfo: {id: 1, username: "x"}) { id } }`,
		map[string]any{"id": 3}, `{"u":{"id":3}}`)
	// Mutations are forwarded too.
	wantData(t, s, `mutation { createUser(id: 7, username: "zed") { ok user { id username } } }`, nil,
		`{"createUser":{"ok":true,"user":{"id":7,"username":"zed"}}}`)
	// The remote's types are in the schema Graft introspects.
	wantData(t, s, `{ __type(name: "User") { name fields { name } } }`, nil,
		`{"__type":{"name":"User","fields":[{"name":"generateError"},{"name":"id"},{"name":"username"}]}}`)
	// Validation happens in Graft, against the remote's types.
	wantGQLError(t, gql(t, s, `{ user(id: 1) { id nope } }`, nil), "validation-failed", "$.selectionSet.user.selectionSet.nope", "nope")
	// An error of the remote is passed on.
	r := gql(t, s, `{ user(id: 2) { generateError } }`, nil)
	if !strings.Contains(string(r.Body), `Cannot query field \"generateError\" on type \"User\".`) {
		t.Fatalf("remote error not passed on: %s", r.Body)
	}
	// Subscriptions to a remote are refused as Hasura refuses them.
	mustMeta(t, s, addRemote("hello", remote.URL+"/hello-graphql", nil))
	wantGQLError(t, gql(t, s, `subscription { hello }`, nil), "not-supported", "$", "subscription to remote server is not supported")
	wantData(t, s, `{ hello(arg: "me") }`, nil, `{"hello":"Hello me"}`)
}

// The metadata operations of remote schemas, with Hasura's errors.
func TestRemoteSchemaMetadataOperations(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, `CREATE TABLE hello (id int PRIMARY KEY)`)
	mustMeta(t, s, addRemote("simple 1", remote.URL+"/hello-graphql", nil))

	wantAdminError(t, meta(t, s, addRemote("simple 1", remote.URL+"/country-graphql", nil)), 400, "already-exists", "simple 1")
	wantAdminError(t, meta(t, s, addRemote("simple 2", remote.URL+"/hello-graphql", nil)), 400, "invalid-configuration", "already exists (remote schema simple 1)")
	wantAdminError(t, meta(t, s, op("remove_remote_schema", map[string]any{"name": "random name"})), 400, "not-exists", "random name")
	wantAdminError(t, meta(t, s, op("reload_remote_schema", map[string]any{"name": "nope"})), 400, "not-exists", "nope")
	wantAdminError(t, meta(t, s, addRemote("bad", "", nil)), 400, "invalid-params", "url")
	wantAdminError(t, meta(t, s, op("add_remote_schema_permissions", map[string]any{"remote_schema": "simple 1", "role": "user",
		"definition": map[string]any{"schema": "type Hello { hello: String }"}})), 400, "constraint-violation", "enabled")
	mustMeta(t, s, op("reload_remote_schema", map[string]any{"name": "simple 1"}))

	// A table whose root field is a remote's clashes both ways.
	wantAdminError(t, meta(t, s, op("pg_track_table", map[string]any{"table": "hello"})), 400, "remote-schema-conflicts", "already exists (tables)")
	mustMeta(t, s, op("remove_remote_schema", map[string]any{"name": "simple 1"}))
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "hello"}))
	wantAdminError(t, meta(t, s, addRemote("simple 1", remote.URL+"/hello-graphql", nil)), 400, "invalid-configuration", `field "hello" of query_root already exists (tables)`)

	// update_remote_schema changes the definition; the export shows it.
	mustMeta(t, s, addRemote("country", remote.URL+"/country-graphql", nil))
	mustMeta(t, s, op("update_remote_schema", map[string]any{"name": "country", "definition": map[string]any{
		"url": remote.URL + "/country-graphql", "timeout_seconds": 5, "customization": map[string]any{"root_fields_namespace": "geo"}}}))
	wantData(t, s, `{ geo { country { name } } }`, nil, `{"geo":{"country":{"name":"India"}}}`)
	if exp := string(exportMetadata(t, s)); !strings.Contains(exp, `"timeout_seconds":5`) || !strings.Contains(exp, `"root_fields_namespace":"geo"`) {
		t.Fatalf("export lacks the update: %s", exp)
	}
	r := mustMeta(t, s, op("introspect_remote_schema", map[string]any{"name": "country"}))
	if !strings.Contains(string(r.Body), `"CountryQuery"`) {
		t.Fatalf("introspect_remote_schema = %s", r.Body)
	}
}

// An introspection result that is not a valid schema is refused with
// Hasura's messages.
func TestRemoteSchemaValidationErrors(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, "")
	for path, msg := range map[string]string{
		"/iface-graphql-err-empty-field-list":   "List of fields cannot be empty for interface 'Character'",
		"/iface-graphql-err-unknown-iface":      "Could not find interface 'UnknownIFace' implemented by Object type 'Droid'",
		"/iface-graphql-err-missing-field":      `Interface field 'Character'."id" expected, but 'Droid' does not provide it`,
		"/iface-graphql-err-wrong-field-type":   `The type of Object field 'Droid'."id" (String!) is not the same type/sub type of Interface field 'Character'."id" (ID!)`,
		"/iface-graphql-err-extra-non-null-arg": `Object field argument 'Droid'."id"("extraArg":) is of required type Int!, but is not provided by Interface field 'Character'."id"`,
		"/union-graphql-err-no-member-types":    "List of member types cannot be empty for union type 'CharacterSearchResult'",
		"/union-graphql-err-subtype-iface":      "Union type 'CharacterSearchResult' can only include object types. It cannot include 'Character'",
		"/union-graphql-err-unknown-types":      "which is defined as a member type of Union 'CharacterSearchResult'",
		"/union-graphql-err-wrapped-type":       "parsing Name failed, expected String, but encountered Null",
		"/iface-graphql-err-missing-arg":        `Interface field argument 'Character'."id"("ifaceArg":) required, but Object field`,
		"/iface-graphql-err-wrong-arg-type":     `Interface field argument 'Character'."id"("ifaceArg":) expects type Int!, but 'Human'."id"("ifaceArg":) has type String!`,
	} {
		wantAdminError(t, meta(t, s, addRemote("broken", remote.URL+path, nil)), 400, "remote-schema-error", msg)
	}
	customize := func(c map[string]any) map[string]any {
		return addRemote("character", remote.URL+"/character-iface-graphql", map[string]any{"customization": c})
	}
	wantAdminError(t, meta(t, s, customize(map[string]any{"type_names": map[string]any{"mapping": map[string]any{"Droid": "Foo", "Human": "Foo"}}})),
		400, "remote-schema-error", `Type name mappings are not distinct; the following types appear more than once: "Foo"`)
	wantAdminError(t, meta(t, s, customize(map[string]any{"field_names": []any{map[string]any{"parent_type": "Droid", "mapping": map[string]any{"primaryFunction": "name"}}}})),
		400, "remote-schema-error", `Field name mappings for object type "Droid" are not distinct`)
	wantAdminError(t, meta(t, s, customize(map[string]any{"field_names": []any{map[string]any{"parent_type": "Droid", "mapping": map[string]any{"__typename": "t"}}}})),
		400, "invalid-params", `attempt to customize reserved field name "__typename"`)
	// Nothing was added.
	if exp := string(exportMetadata(t, s)); strings.Contains(exp, "remote_schemas") {
		t.Fatalf("a refused remote schema was stored: %s", exp)
	}
}

// The operation's name goes to the remote with the forwarded query.
func TestRemoteSchemaForwardsOperationName(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, "")
	mustMeta(t, s, addRemote("echo", remote.URL+"/hello-echo-request-graphql", nil))
	r := post(t, s, "/v1/graphql", map[string]any{"query": "query HelloMe { hello }", "operationName": "HelloMe"}, admin())
	if got := field(t, r.Body, "data", "hello", "operationName"); got != "HelloMe" {
		t.Fatalf("operationName %v in %s", got, r.Body)
	}
}
