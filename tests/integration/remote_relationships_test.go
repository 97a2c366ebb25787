package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/helpers/joinremote"
	"github.com/graftql/graft/tests/testenv"
)

const remoteRelSQL = `
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, secret text);
INSERT INTO users SELECT g, 'u' || g, 's' FROM generate_series(1, 5) g;
CREATE TABLE posts (id int PRIMARY KEY, author_id int REFERENCES users, title text NOT NULL);
INSERT INTO posts VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c'), (4, 3, 'd'), (5, NULL, 'orphan');`

func startJoinRemote(t testing.TB) *joinremote.Server {
	t.Helper()
	srv, err := joinremote.Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

func toRemote(table, name string, lhs []string, remoteField map[string]any) map[string]any {
	return op("pg_create_remote_relationship", map[string]any{"table": table, "name": name, "definition": map[string]any{
		"to_remote_schema": map[string]any{"remote_schema": "profiles", "lhs_fields": lhs, "remote_field": remoteField}}})
}

func field1(name string, args map[string]any) map[string]any {
	return map[string]any{name: map[string]any{"arguments": args}}
}

// startRemoteRels starts Graft on users and posts with remote
// relationships to the joinremote server and to the default source.
func startRemoteRels(t *testing.T, opts ...testenv.Options) (*testenv.Server, *joinremote.Server) {
	t.Helper()
	remote := startJoinRemote(t)
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, remoteRelSQL)
	s := testenv.Start(t, db, opts...)
	for _, b := range []any{
		op("pg_track_table", map[string]any{"table": "users"}),
		op("pg_track_table", map[string]any{"table": "posts"}),
		op("pg_create_array_relationship", map[string]any{"table": "users", "name": "posts",
			"using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "posts", "column": "author_id"}}}),
		addRemote("profiles", remote.URL, nil),
		toRemote("users", "profile", []string{"id"}, field1("profile", map[string]any{"user_id": "$id"})),
		toRemote("users", "profile_list", []string{"id"}, field1("profiles", map[string]any{"user_ids": []any{"$id"}})),
		toRemote("posts", "author_profile", []string{"author_id"}, field1("profile", map[string]any{"user_id": "$author_id"})),
		// The legacy format, through a nested remote field.
		op("create_remote_relationship", map[string]any{"table": "users", "name": "acct_profile", "hasura_fields": []string{"id"},
			"remote_schema": "profiles", "remote_field": map[string]any{"account": map[string]any{"arguments": map[string]any{},
				"field": field1("profileOf", map[string]any{"user_id": "$id"})}}}),
		op("pg_create_remote_relationship", map[string]any{"table": "posts", "name": "writer", "definition": map[string]any{
			"to_source": map[string]any{"source": "default", "table": "users", "relationship_type": "object",
				"field_mapping": map[string]any{"author_id": "id"}}}}),
		op("pg_create_remote_relationship", map[string]any{"table": "users", "name": "written", "definition": map[string]any{
			"to_source": map[string]any{"source": "default", "table": "posts", "relationship_type": "array",
				"field_mapping": map[string]any{"id": "author_id"}}}}),
	} {
		mustMeta(t, s, b)
	}
	return s, remote
}

// wantCalls runs query and checks its data and how many requests the
// remote got for it.
func wantCalls(t *testing.T, s *testenv.Server, remote *joinremote.Server, query string, calls int64, data string, hdr ...map[string]string) {
	t.Helper()
	before := remote.Calls()
	r := gql(t, s, query, nil, hdr...)
	wantOrdered(t, r.Body, `{"data":`+data+`}`)
	if got := remote.Calls() - before; got != calls {
		t.Fatalf("%s: %d remote calls, want %d", query, got, calls)
	}
}

// Table -> remote schema joins: object and list results, arguments from
// columns, the join column left out of the answer when not selected, one
// batched remote request per relationship and level, whatever the rows.
func TestRemoteRelationshipToRemoteSchema(t *testing.T) {
	t.Parallel()
	s, remote := startRemoteRels(t)

	wantCalls(t, s, remote, `{ users(order_by: {id: asc}, limit: 3) { name profile { user_id bio tags(limit: 1) } } }`, 1,
		`{"users":[{"name":"u1","profile":{"user_id":1,"bio":"bio of 1","tags":["t1a"]}},`+
			`{"name":"u2","profile":{"user_id":2,"bio":"bio of 2","tags":["t2a"]}},`+
			`{"name":"u3","profile":{"user_id":3,"bio":"bio of 3","tags":["t3a"]}}]}`)
	wantCalls(t, s, remote, `{ users_by_pk(id: 4) { id p: profile_list { bio } } }`, 1,
		`{"users_by_pk":{"id":4,"p":[{"bio":"bio of 4"}]}}`)
	// A nested remote field, with the client's own argument at its end.
	wantCalls(t, s, remote, `{ users(where: {id: {_eq: 2}}) { acct_profile(prefix: "my ") { bio } } }`, 1,
		`{"users":[{"acct_profile":{"bio":"my bio of 2"}}]}`)
	// A column inside an input object argument (Hasura's where: {id: {eq: "$id"}}).
	mustMeta(t, s, toRemote("users", "profile_by", []string{"id"},
		field1("profileBy", map[string]any{"where": map[string]any{"user_id": map[string]any{"eq": "$id"}}})))
	wantCalls(t, s, remote, `{ users(where: {id: {_in: [1, 2]}}, order_by: {id: desc}) { profile_by { user_id } } }`, 1,
		`{"users":[{"profile_by":{"user_id":2}},{"profile_by":{"user_id":1}}]}`)
	// One level down an array relationship; a null join column gives null
	// without asking; rows with the same value share one aliased field.
	wantCalls(t, s, remote, `{ posts(order_by: {id: asc}) { title author_profile { bio } } }`, 1,
		`{"posts":[{"title":"a","author_profile":{"bio":"bio of 1"}},{"title":"b","author_profile":{"bio":"bio of 1"}},`+
			`{"title":"c","author_profile":{"bio":"bio of 2"}},{"title":"d","author_profile":{"bio":"bio of 3"}},`+
			`{"title":"orphan","author_profile":null}]}`)
	q := remote.Queries()
	last := q[len(q)-1]
	if strings.Count(last, "profile(") != 3 {
		t.Fatalf("4 joined rows with 3 distinct authors should make 3 aliased fields: %s", last)
	}
	// Two relationships at two levels, in two root fields: one call each.
	wantCalls(t, s, remote, `{ users(where: {id: {_lte: 2}}, order_by: {id: asc}) { profile { bio } posts(order_by: {id: asc}) { id author_profile { user_id } } }
		p: posts_by_pk(id: 4) { author_profile { bio } } }`, 3,
		`{"users":[{"profile":{"bio":"bio of 1"},"posts":[{"id":1,"author_profile":{"user_id":1}},{"id":2,"author_profile":{"user_id":1}}]},`+
			`{"profile":{"bio":"bio of 2"},"posts":[{"id":3,"author_profile":{"user_id":2}}]}],"p":{"author_profile":{"bio":"bio of 3"}}}`)
	// No rows: no call.
	wantCalls(t, s, remote, `{ users(where: {id: {_gt: 100}}) { profile { bio } } }`, 0, `{"users":[]}`)
	// A query without remote relationships does not touch the remote.
	wantCalls(t, s, remote, `{ users(where: {id: {_eq: 1}}) { id name } }`, 0, `{"users":[{"id":1,"name":"u1"}]}`)
	// Fragments and aliases in the remote selection.
	wantCalls(t, s, remote, `query { users(where: {id: {_eq: 5}}) { ...U } } fragment U on users { pr: profile { ... on Profile { b: bio } } }`, 1,
		`{"users":[{"pr":{"b":"bio of 5"}}]}`)
	// A mutation's returning rows are joined after the commit.
	wantCalls(t, s, remote, `mutation { insert_users(objects: [{id: 7, name: "u7"}, {id: 8, name: "u8"}]) { returning { name profile { bio } } }
		update_users_by_pk(pk_columns: {id: 1}, _set: {name: "one"}) { name w: posts(order_by: {id: asc}, limit: 1) { author_profile { user_id } } } }`, 2,
		`{"insert_users":{"returning":[{"name":"u7","profile":{"bio":"bio of 7"}},{"name":"u8","profile":{"bio":"bio of 8"}}]},`+
			`"update_users_by_pk":{"name":"one","w":[{"author_profile":{"user_id":1}}]}}`)
	// Subscriptions refuse them; the relationship is a field of the schema.
	c := apolloSession(t, s, "/v1/graphql")
	start(c, "1", `subscription { users { profile { bio } } }`)
	if f := c.next(); f.Type != "error" || !strings.Contains(string(f.Payload), "Remote relationships are not allowed in subscriptions") {
		t.Fatalf("subscription with a remote relationship: %s %s", f.Type, f.Payload)
	}
	wantData(t, s, `{ __type(name: "users") { fields(includeDeprecated: false) { name } } }`, nil,
		`{"__type":{"fields":[{"name":"acct_profile"},{"name":"id"},{"name":"name"},{"name":"posts"},{"name":"posts_aggregate"},`+
			`{"name":"profile"},{"name":"profile_by"},{"name":"profile_list"},{"name":"secret"},{"name":"written"}]}}`)
}

// Table -> table joins through to_source (the default source here), with
// a remote schema join inside the joined rows: one statement and one
// remote call per level.
func TestRemoteRelationshipToSource(t *testing.T) {
	t.Parallel()
	s, remote := startRemoteRels(t)
	wantCalls(t, s, remote, `{ posts(order_by: {id: asc}) { title writer { name profile { bio } } } }`, 1,
		`{"posts":[{"title":"a","writer":{"name":"u1","profile":{"bio":"bio of 1"}}},{"title":"b","writer":{"name":"u1","profile":{"bio":"bio of 1"}}},`+
			`{"title":"c","writer":{"name":"u2","profile":{"bio":"bio of 2"}}},{"title":"d","writer":{"name":"u3","profile":{"bio":"bio of 3"}}},`+
			`{"title":"orphan","writer":null}]}`)
	wantCalls(t, s, remote, `{ users(order_by: {id: asc}, where: {id: {_in: [1, 4]}}) { id written(order_by: {id: desc}, limit: 1) { title writer { id } } } }`, 0,
		`{"users":[{"id":1,"written":[{"title":"b","writer":{"id":1}}]},{"id":4,"written":[]}]}`)
}

// A role sees a remote relationship only when it may select every join
// column, and the target table's rows under its own permission.
func TestRemoteRelationshipPermissions(t *testing.T) {
	t.Parallel()
	s, remote := startRemoteRels(t)
	mustMeta(t, s, op("pg_create_select_permission", map[string]any{"table": "users", "role": "user",
		"permission": map[string]any{"columns": []string{"id", "name"}, "filter": map[string]any{"id": map[string]any{"_lte": 2}}}}))
	mustMeta(t, s, op("pg_create_select_permission", map[string]any{"table": "posts", "role": "user",
		"permission": map[string]any{"columns": []string{"title"}, "filter": map[string]any{}}}))
	mustMeta(t, s, op("pg_create_select_permission", map[string]any{"table": "users", "role": "nameonly",
		"permission": map[string]any{"columns": []string{"name"}, "filter": map[string]any{}}}))
	user := map[string]string{"X-Hasura-Role": "user"}
	wantCalls(t, s, remote, `{ users(order_by: {id: asc}) { name profile { bio } } }`, 1,
		`{"users":[{"name":"u1","profile":{"bio":"bio of 1"}},{"name":"u2","profile":{"bio":"bio of 2"}}]}`, user)
	// posts.author_id is not readable: no author_profile, no writer.
	wantGQLError(t, gql(t, s, `{ posts { author_profile { bio } } }`, nil, user), "validation-failed", "$.selectionSet.posts.selectionSet.author_profile", "author_profile")
	wantGQLError(t, gql(t, s, `{ posts { writer { name } } }`, nil, user), "validation-failed", "$.selectionSet.posts.selectionSet.writer", "writer")
	// users.written reads posts with the role's permission on posts.
	wantData(t, s, `{ users(where: {id: {_eq: 1}}) { written(order_by: {title: asc}) { title } } }`, nil,
		`{"users":[{"written":[{"title":"a"},{"title":"b"}]}]}`)
	nameOnly := map[string]string{"X-Hasura-Role": "nameonly"}
	wantGQLError(t, gql(t, s, `{ users { profile { bio } } }`, nil, nameOnly), "validation-failed", "$.selectionSet.users.selectionSet.profile", "profile")
}

// With remote schema permissions on, the field exists only for roles that
// have the remote schema.
func TestRemoteRelationshipRemotePermissions(t *testing.T) {
	t.Parallel()
	s, remote := startRemoteRels(t, testenv.Options{Env: map[string]string{"HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS": "true"}})
	for _, role := range []string{"user", "guest"} {
		mustMeta(t, s, op("pg_create_select_permission", map[string]any{"table": "users", "role": role,
			"permission": map[string]any{"columns": []string{"id", "name"}, "filter": map[string]any{}}}))
	}
	mustMeta(t, s, op("add_remote_schema_permissions", map[string]any{"remote_schema": "profiles", "role": "user",
		"definition": map[string]any{"schema": `type Profile { user_id: Int! bio: String! }
			type Query { profile(user_id: Int!, prefix: String): Profile }
			schema { query: Query }`}}))
	wantCalls(t, s, remote, `{ users(where: {id: {_eq: 3}}) { profile { bio } } }`, 1, `{"users":[{"profile":{"bio":"bio of 3"}}]}`,
		map[string]string{"X-Hasura-Role": "user"})
	// profiles is not in user's view, and guest has no view at all.
	wantGQLError(t, gql(t, s, `{ users { profile_list { bio } } }`, nil, map[string]string{"X-Hasura-Role": "user"}),
		"validation-failed", "$.selectionSet.users.selectionSet.profile_list", "profile_list")
	wantGQLError(t, gql(t, s, `{ users { profile { bio } } }`, nil, map[string]string{"X-Hasura-Role": "guest"}),
		"validation-failed", "$.selectionSet.users.selectionSet.profile", "profile")
}

// The metadata operations, with Hasura's errors; an invalid relationship
// is refused and nothing is stored.
func TestRemoteRelationshipMetadata(t *testing.T) {
	t.Parallel()
	s, remote := startRemoteRels(t)
	wantAdminError(t, meta(t, s, toRemote("users", "profile", []string{"id"}, field1("profile", map[string]any{"user_id": "$id"}))),
		400, "already-exists", "profile")
	wantAdminError(t, meta(t, s, toRemote("users", "name", []string{"id"}, field1("profile", map[string]any{"user_id": "$id"}))),
		400, "already-exists", "conflicts with postgres column")
	wantAdminError(t, meta(t, s, toRemote("users", "bad1", []string{"id"}, field1("nope", map[string]any{"user_id": "$id"}))),
		400, "remote-schema-error", `field with name "nope" not found`)
	wantAdminError(t, meta(t, s, toRemote("users", "bad2", []string{"id"}, field1("profile", map[string]any{"uid": "$id"}))),
		400, "remote-schema-error", `argument with name "uid" not found`)
	wantAdminError(t, meta(t, s, toRemote("users", "bad3", []string{"nocol"}, field1("profile", map[string]any{"user_id": "$nocol"}))),
		400, "remote-schema-error", `"nocol" not found in table`)
	wantAdminError(t, meta(t, s, toRemote("users", "bad4", []string{"id"}, field1("profile", map[string]any{"user_id": "$name"}))),
		400, "remote-schema-error", "$name")
	wantAdminError(t, meta(t, s, op("pg_create_remote_relationship", map[string]any{"table": "users", "name": "bad5", "definition": map[string]any{
		"to_remote_schema": map[string]any{"remote_schema": "nope", "lhs_fields": []string{"id"}, "remote_field": field1("profile", nil)}}})),
		400, "remote-schema-error", `remote schema with name "nope" not found`)
	wantAdminError(t, meta(t, s, op("pg_create_remote_relationship", map[string]any{"table": "users", "name": "bad6", "definition": map[string]any{
		"to_source": map[string]any{"source": "default", "table": "nope", "relationship_type": "object", "field_mapping": map[string]any{"id": "id"}}}})),
		400, "invalid-configuration", `"nope" is not tracked`)
	wantAdminError(t, meta(t, s, op("pg_create_remote_relationship", map[string]any{"table": "users", "name": "bad7", "definition": map[string]any{
		"to_source": map[string]any{"source": "default", "table": "posts", "relationship_type": "many", "field_mapping": map[string]any{"id": "author_id"}}}})),
		400, "parse-failed", "relationship_type")
	wantAdminError(t, meta(t, s, op("pg_delete_remote_relationship", map[string]any{"table": "users", "name": "nope"})), 400, "not-exists", "nope")
	if exp := string(exportMetadata(t, s)); strings.Contains(exp, "bad") || !strings.Contains(exp, `"hasura_fields":["id"]`) {
		t.Fatalf("export should hold the legacy format and no refused relationship: %s", exp)
	}
	// export_metadata and replace_metadata keep them (clear first: a real round trip).
	exp := exportMetadata(t, s)
	mustMeta(t, s, op("clear_metadata", map[string]any{}))
	mustMeta(t, s, op("replace_metadata", jsonRaw(exp)))
	if again := exportMetadata(t, s); string(again) != string(exp) {
		t.Fatalf("round trip changed the metadata:\n%s\n%s", exp, again)
	}
	wantCalls(t, s, remote, `{ posts_by_pk(id: 3) { writer { acct_profile { bio } } } }`, 1, `{"posts_by_pk":{"writer":{"acct_profile":{"bio":"bio of 2"}}}}`)
	// update replaces the definition; delete removes the field.
	mustMeta(t, s, op("pg_update_remote_relationship", map[string]any{"table": "users", "name": "profile", "definition": map[string]any{
		"to_remote_schema": map[string]any{"remote_schema": "profiles", "lhs_fields": []string{"id"},
			"remote_field": field1("profile", map[string]any{"user_id": "$id", "prefix": "new "})}}}))
	wantCalls(t, s, remote, `{ users(where: {id: {_eq: 1}}) { profile { bio } } }`, 1, `{"users":[{"profile":{"bio":"new bio of 1"}}]}`)
	mustMeta(t, s, op("pg_delete_remote_relationship", map[string]any{"table": "users", "name": "profile"}))
	wantGQLError(t, gql(t, s, `{ users { profile { bio } } }`, nil), "validation-failed", "$.selectionSet.users.selectionSet.profile", "profile")
	// The remote schema and the join columns cannot go while joined to.
	wantAdminError(t, meta(t, s, op("remove_remote_schema", map[string]any{"name": "profiles"})), 400, "dependency-error",
		"remote_relationship profile_list in table users")
	wantAdminError(t, runSQL(t, s, `ALTER TABLE posts DROP COLUMN author_id`), 400, "dependency-error", "remote_relationship author_profile in table posts")
	for _, rel := range [][2]string{{"users", "profile_list"}, {"users", "acct_profile"}, {"posts", "author_profile"}} {
		mustMeta(t, s, op("pg_delete_remote_relationship", map[string]any{"table": rel[0], "name": rel[1]}))
	}
	mustMeta(t, s, op("remove_remote_schema", map[string]any{"name": "profiles"}))
}

// Remote failures: a join's remote error or outage fails the request with
// the relationship's path; so does a remote root field next to table
// fields, as in Hasura v2 (no partial data).
func TestRemoteRelationshipRemoteFailures(t *testing.T) {
	t.Parallel()
	s, remote := startRemoteRels(t)
	mustMeta(t, s, toRemote("users", "broken", []string{"id"}, field1("failing", map[string]any{"user_id": "$id"})))
	// A failing join nulls its own field only (issue 14), with the error
	// the remote's failure gives at the first row's field.
	wantPartial(t, gql(t, s, `{ users(order_by: {id: asc}, limit: 2) { id broken } }`, nil),
		`{"users":[{"id":1,"broken":null},{"id":2,"broken":null}]}`, `["users",0,"broken"]`, "unexpected", "profile service failed")
	remote.SetDown(true)
	wantPartial(t, gql(t, s, `{ users(order_by: {id: asc}, limit: 1) { id profile { bio } } }`, nil),
		`{"users":[{"id":1,"profile":null}]}`, `["users",0,"profile"]`, "unexpected", "503")
	wantPartial(t, gql(t, s, `{ users(limit: 1) { id } profile(user_id: 1) { bio } }`, nil),
		`{"users":[{"id":1}],"profile":null}`, `["profile"]`, "unexpected", "503")
	wantGQLError(t, gql(t, s, `{ profile(user_id: 1) { bio } }`, nil), "unexpected", "", "503")
}

// Remote schema -> table relationships: a remote type's field reads rows
// of a table, joined on the remote's fields (asked under aliases of
// Graft's own, never shown), one statement per relationship and level;
// they chain with table -> remote relationships.
func TestRemoteSchemaToTableRelationship(t *testing.T) {
	t.Parallel()
	s, remote := startRemoteRels(t)
	rel := func(name, table, kind string, mapping map[string]any) map[string]any {
		return op("create_remote_schema_remote_relationship", map[string]any{"remote_schema": "profiles", "type_name": "Profile",
			"name": name, "definition": map[string]any{"to_source": map[string]any{"source": "default", "table": table,
				"relationship_type": kind, "field_mapping": mapping}}})
	}
	mustMeta(t, s, rel("user_posts", "posts", "array", map[string]any{"user_id": "author_id"}))
	mustMeta(t, s, rel("owner", "users", "object", map[string]any{"user_id": "id"}))
	wantCalls(t, s, remote, `{ profiles(user_ids: [1, 2, 9]) { bio user_posts(order_by: {id: asc}) { title } owner { name } } }`, 1,
		`{"profiles":[{"bio":"bio of 1","user_posts":[{"title":"a"},{"title":"b"}],"owner":{"name":"u1"}},`+
			`{"bio":"bio of 2","user_posts":[{"title":"c"}],"owner":{"name":"u2"}},{"bio":"bio of 9","user_posts":[],"owner":null}]}`)
	// table -> remote -> table -> remote: one remote call per level.
	wantCalls(t, s, remote, `{ users(where: {id: {_in: [2, 3]}}, order_by: {id: asc}) { profile { owner { name acct_profile(prefix: "x") { bio } } } } }`, 2,
		`{"users":[{"profile":{"owner":{"name":"u2","acct_profile":{"bio":"xbio of 2"}}}},{"profile":{"owner":{"name":"u3","acct_profile":{"bio":"xbio of 3"}}}}]}`)
	// The role's permission on the table applies.
	mustMeta(t, s, op("pg_create_select_permission", map[string]any{"table": "posts", "role": "user",
		"permission": map[string]any{"columns": []string{"title"}, "filter": map[string]any{"id": map[string]any{"_gt": 1}}}}))
	wantCalls(t, s, remote, `{ profile(user_id: 1) { user_posts { title } } }`, 1, `{"profile":{"user_posts":[{"title":"b"}]}}`,
		map[string]string{"X-Hasura-Role": "user"})
	wantGQLError(t, gql(t, s, `{ profile(user_id: 1) { owner { name } } }`, nil, map[string]string{"X-Hasura-Role": "user"}),
		"validation-failed", "$.selectionSet.profile.selectionSet.owner", "owner")
	// Errors, update, delete.
	wantAdminError(t, meta(t, s, rel("owner", "users", "object", map[string]any{"user_id": "id"})), 400, "already-exists", "owner")
	wantAdminError(t, meta(t, s, rel("bio", "users", "object", map[string]any{"user_id": "id"})), 400, "remote-schema-error", `"bio" already exists`)
	wantAdminError(t, meta(t, s, rel("x", "users", "object", map[string]any{"nope": "id"})), 400, "remote-schema-error", `"nope" not found`)
	wantAdminError(t, meta(t, s, rel("x", "nope", "object", map[string]any{"user_id": "id"})), 400, "invalid-configuration", "not tracked")
	wantAdminError(t, meta(t, s, op("create_remote_schema_remote_relationship", map[string]any{"remote_schema": "profiles", "type_name": "Profile",
		"name": "again", "definition": map[string]any{"to_remote_schema": map[string]any{"remote_schema": "profiles", "lhs_fields": []string{"user_id"},
			"remote_field": field1("profile", map[string]any{"user_id": "$user_id"})}}})), 400, "not-supported", "to_source")
	mustMeta(t, s, op("update_remote_schema_remote_relationship", map[string]any{"remote_schema": "profiles", "type_name": "Profile",
		"name": "owner", "definition": map[string]any{"to_source": map[string]any{"source": "default", "table": "posts",
			"relationship_type": "object", "field_mapping": map[string]any{"user_id": "id"}}}}))
	wantData(t, s, `{ profile(user_id: 4) { owner { title } } }`, nil, `{"profile":{"owner":{"title":"d"}}}`)
	if exp := string(exportMetadata(t, s)); !strings.Contains(exp, `"type_name":"Profile"`) {
		t.Fatalf("export lacks the remote schema's relationships: %s", exp)
	}
	mustMeta(t, s, op("delete_remote_schema_remote_relationship", map[string]any{"remote_schema": "profiles", "type_name": "Profile", "name": "owner"}))
	wantGQLError(t, gql(t, s, `{ profile(user_id: 1) { owner { id } } }`, nil), "validation-failed", "$.selectionSet.profile.selectionSet.owner", "owner")
	wantAdminError(t, meta(t, s, op("delete_remote_schema_remote_relationship", map[string]any{"remote_schema": "profiles", "type_name": "Profile", "name": "owner"})),
		400, "not-exists", "owner")
}

// An action's relationship to a table reaches the table's remote
// relationships: they are joined in the action's answer.
func TestRemoteRelationshipUnderAction(t *testing.T) {
	t.Parallel()
	s, _ := startActions(t)
	remote := startJoinRemote(t)
	mustMeta(t, s, addRemote("profiles", remote.URL, nil))
	mustMeta(t, s, toRemote("article", "author_profile", []string{"user_id"}, field1("profile", map[string]any{"user_id": "$user_id"})))
	wantData(t, s, `mutation { create_user(email: "clarke@gmail.com", name: "Clarke") { id } }`, nil, `{"create_user":{"id":1}}`)
	wantCalls(t, s, remote, `query { get_user_by_email(email: "clarke@gmail.com") { id articles(order_by: {id: asc}) { name author_profile { bio } } } }`, 1,
		`{"get_user_by_email":{"id":1,"articles":[{"name":"foo","author_profile":{"bio":"bio of 1"}},{"name":"bar","author_profile":{"bio":"bio of 1"}}]}}`)
}
