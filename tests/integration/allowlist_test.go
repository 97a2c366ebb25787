package integration

import (
	"encoding/json"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

const allowSQL = `CREATE TABLE author (id int PRIMARY KEY, name text);
CREATE TABLE article (id int PRIMARY KEY, author_id int REFERENCES author(id), title text);
INSERT INTO author VALUES (1, 'a'), (2, 'b');
INSERT INTO article VALUES (10, 1, 't1');`

// startGuarded starts a server with the allow list on (when allowlist) and
// role "user" reading author and article.
func startGuarded(t *testing.T, allowlist bool) *testenv.Server {
	t.Helper()
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, allowSQL)
	env := map[string]string{}
	if allowlist {
		env["HASURA_GRAPHQL_ENABLE_ALLOWLIST"] = "true"
	}
	s := testenv.Start(t, db, testenv.Options{Env: env})
	mustMeta(t, s, op("bulk", []any{
		op("pg_track_table", map[string]any{"table": "author"}),
		op("pg_track_table", map[string]any{"table": "article"}),
		op("pg_create_array_relationship", map[string]any{"table": "author", "name": "articles",
			"using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "article", "column": "author_id"}}}),
		op("pg_create_object_relationship", map[string]any{"table": "article", "name": "author",
			"using": map[string]any{"foreign_key_constraint_on": "author_id"}}),
		perm("select", "author", "user", map[string]any{"columns": "*", "filter": map[string]any{}}),
		perm("select", "article", "user", map[string]any{"columns": "*", "filter": map[string]any{}}),
		perm("select", "author", "editor", map[string]any{"columns": "*", "filter": map[string]any{}}),
	}))
	return s
}

func as(role string) map[string]string { return map[string]string{"X-Hasura-Role": role} }

// wantMetaError posts a metadata body and checks Hasura's error object.
func wantMetaError(t *testing.T, s *testenv.Server, body any, want string) {
	t.Helper()
	r := meta(t, s, body)
	wantStatus(t, r, 400)
	wantJSON(t, r.Body, want)
}

const notAllowed = `{"errors":[{"message":"query is not allowed","extensions":{"path":"$","code":"validation-failed"}}]}`

func TestQueryCollectionsAndAllowlistMetadata(t *testing.T) {
	t.Parallel()
	s := startGuarded(t, false)
	create := op("create_query_collection", map[string]any{"name": "c1", "definition": map[string]any{
		"queries": []any{map[string]any{"name": "q1", "query": "{ author { id } }"}}}})
	mustMeta(t, s, create)
	wantMetaError(t, s, create, `{"path":"$.args.name","error":"query collection with name \"c1\" already exists","code":"already-exists"}`)
	wantMetaError(t, s, op("create_query_collection", map[string]any{"name": "dup", "definition": map[string]any{
		"queries": []any{map[string]any{"name": "q", "query": "{ a }"}, map[string]any{"name": "q", "query": "{ b }"}}}}),
		`{"path":"$.args.definition.queries","error":"found duplicate query names \"q\"","code":"not-supported"}`)
	wantMetaError(t, s, op("add_query_to_collection", map[string]any{"collection_name": "c1", "query_name": "q1", "query": "{ author { name } }"}),
		`{"path":"$.args","error":"query with name \"q1\" already exists in collection \"c1\"","code":"already-exists"}`)
	wantMetaError(t, s, op("add_query_to_collection", map[string]any{"collection_name": "nope", "query_name": "q", "query": "{ a }"}),
		`{"path":"$.args","error":"query collection with name \"nope\" does not exist","code":"not-exists"}`)
	mustMeta(t, s, op("add_query_to_collection", map[string]any{"collection_name": "c1", "query_name": "q2", "query": "{ author { name } }"}))
	wantMetaError(t, s, op("drop_query_from_collection", map[string]any{"collection_name": "c1", "query_name": "q9"}),
		`{"path":"$.args","error":"query with name \"q9\" not found in collection \"c1\"","code":"not-found"}`)
	mustMeta(t, s, op("drop_query_from_collection", map[string]any{"collection_name": "c1", "query_name": "q2"}))
	wantMetaError(t, s, op("add_collection_to_allowlist", map[string]any{"collection": "nope"}),
		`{"path":"$.args.collection","error":"query collection with name \"nope\" does not exist","code":"not-exists"}`)
	mustMeta(t, s, op("add_collection_to_allowlist", map[string]any{"collection": "c1"}))
	r := mustMeta(t, s, op("add_collection_to_allowlist", map[string]any{"collection": "c1", "scope": map[string]any{"global": false, "roles": []string{"user"}}}))
	wantJSON(t, r.Body, `{"message":"collection \"c1\" already exists in the allowlist, scope ignored; to change scope, use update_scope_of_collection_in_allowlist"}`)
	wantMetaError(t, s, op("drop_query_collection", map[string]any{"collection": "c1"}),
		`{"path":"$.args.collection","error":"query collection with name \"c1\" is present in the allowlist; cannot proceed to drop. please use cascade to confirm you wish to drop it from the allowlist as well","code":"dependency-error"}`)
	if r := meta(t, s, op("update_scope_of_collection_in_allowlist", map[string]any{"collection": "c1", "scope": map[string]any{"global": true, "roles": []string{"user"}}})); r.Status != 400 {
		t.Fatalf("roles with global true: %d %s", r.Status, r.Body)
	}
	mustMeta(t, s, op("update_scope_of_collection_in_allowlist", map[string]any{"collection": "c1", "scope": map[string]any{"global": false, "roles": []string{"user"}}}))
	mustMeta(t, s, op("rename_query_collection", map[string]any{"name": "c1", "new_name": "c2"}))

	// Export, replace and export again round-trips the collections and allow list.
	exp := exportMetadata(t, s)
	var md struct {
		QueryCollections json.RawMessage `json:"query_collections"`
		Allowlist        json.RawMessage `json:"allowlist"`
	}
	json.Unmarshal(exp, &md)
	wantJSON(t, md.QueryCollections, `[{"name":"c2","definition":{"queries":[{"name":"q1","query":"{ author { id } }"}]}}]`)
	wantJSON(t, md.Allowlist, `[{"collection":"c2","scope":{"global":false,"roles":["user"]}}]`)
	mustMeta(t, s, op("replace_metadata", jsonRaw(exp)))
	if again := exportMetadata(t, s); string(again) != string(exp) {
		t.Fatalf("round trip changed the metadata:\n%s\n%s", exp, again)
	}

	mustMeta(t, s, op("drop_collection_from_allowlist", map[string]any{"collection": "c2"}))
	wantMetaError(t, s, op("drop_collection_from_allowlist", map[string]any{"collection": "c2"}),
		`{"path":"$.args","error":"collection \"c2\" doesn't exist in the allowlist","code":"not-found"}`)
	mustMeta(t, s, op("add_collection_to_allowlist", map[string]any{"collection": "c2"}))
	mustMeta(t, s, op("drop_query_collection", map[string]any{"collection": "c2", "cascade": true}))
	md.QueryCollections, md.Allowlist = nil, nil
	json.Unmarshal(exportMetadata(t, s), &md)
	if md.QueryCollections != nil || md.Allowlist != nil {
		t.Fatalf("cascade left %s / %s", md.QueryCollections, md.Allowlist)
	}
}

func TestAllowlistEnforcedOverHTTP(t *testing.T) {
	t.Parallel()
	s := startGuarded(t, true)
	mustMeta(t, s, op("bulk", []any{
		op("create_query_collection", map[string]any{"name": "everyone", "definition": map[string]any{"queries": []any{
			map[string]any{"name": "authors", "query": "query authors { author(order_by: {id: asc}) { id name } }"}}}}),
		op("create_query_collection", map[string]any{"name": "editors", "definition": map[string]any{"queries": []any{
			map[string]any{"name": "names", "query": "{ author(order_by: {id: asc}) { name } }"}}}}),
		op("add_collection_to_allowlist", map[string]any{"collection": "everyone"}),
		op("add_collection_to_allowlist", map[string]any{"collection": "editors", "scope": map[string]any{"global": false, "roles": []string{"editor"}}}),
	}))
	// The allowed query, written differently, with a __typename.
	same := "# the authors\nquery authors {\n  author(order_by:{id:asc}) {\n    id, name\n    __typename\n  }\n}"
	r := gql(t, s, same, nil, as("user"))
	wantOrdered(t, r.Body, `{"data":{"author":[{"id":1,"name":"a","__typename":"author"},{"id":2,"name":"b","__typename":"author"}]}}`)
	for _, q := range []string{`{ author { id } }`, `query authors { author(order_by: {id: desc}) { id name } }`, `{ author(order_by: {id: asc}) { name } }`} {
		r := gql(t, s, q, nil, as("user"))
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, notAllowed)
		r = post(t, s, "/v1alpha1/graphql", map[string]any{"query": q}, admin(as("user")))
		wantStatus(t, r, 400)
		wantJSON(t, r.Body, notAllowed)
	}
	// Role-scoped: editor may run names, user may not (checked above).
	wantOrdered(t, gql(t, s, `{ author(order_by: {id: asc}) { name } }`, nil, as("editor")).Body, `{"data":{"author":[{"name":"a"},{"name":"b"}]}}`)
	// Batches are checked per operation; admin is never checked.
	r = post(t, s, "/v1/graphql", []any{map[string]any{"query": same}, map[string]any{"query": "{ article { id } }"}}, admin(as("user")))
	wantJSON(t, r.Body, `[{"data":{"author":[{"id":1,"name":"a","__typename":"author"},{"id":2,"name":"b","__typename":"author"}]}},`+notAllowed+`]`)
	wantData(t, s, `{ article { id } }`, nil, `{"article":[{"id":10}]}`)
	// Dropping the collection from the allow list refuses its query.
	mustMeta(t, s, op("drop_collection_from_allowlist", map[string]any{"collection": "everyone"}))
	wantJSON(t, gql(t, s, same, nil, as("user")).Body, notAllowed)
}

func TestAllowlistEnforcedOverWebSocket(t *testing.T) {
	t.Parallel()
	s := startGuarded(t, true)
	mustMeta(t, s, op("bulk", []any{
		op("create_query_collection", map[string]any{"name": "subs", "definition": map[string]any{"queries": []any{
			map[string]any{"name": "live", "query": "subscription { author(order_by: {id: asc}) { id } }"}}}}),
		op("add_collection_to_allowlist", map[string]any{"collection": "subs"}),
	}))
	userInit := map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{
		"X-Hasura-Admin-Secret": testenv.AdminSecret, "X-Hasura-Role": "user"}}}

	apollo := dialWS(t, s, "graphql-ws")
	apollo.send(userInit)
	apollo.expect("connection_ack", "", "")
	start(apollo, "1", "subscription {\n author(order_by: {id: asc}) { id }\n}")
	apollo.expect("data", "1", `{"data":{"author":[{"id":1},{"id":2}]}}`)
	start(apollo, "2", "subscription { author { id name } }")
	apollo.expect("error", "2", notAllowed)
	apollo.expect("complete", "2", "")
	start(apollo, "3", "{ author { id } }")
	apollo.expect("error", "3", notAllowed)

	tr := dialWS(t, s, "graphql-transport-ws")
	tr.send(userInit)
	tr.expect("connection_ack", "", "")
	tr.send(map[string]any{"id": "a", "type": "subscribe", "payload": map[string]any{"query": "subscription { author(order_by: {id: asc}) { id } }"}})
	tr.expect("next", "a", `{"data":{"author":[{"id":1},{"id":2}]}}`)
	tr.send(map[string]any{"id": "b", "type": "subscribe", "payload": map[string]any{"query": "subscription { article { id } }"}})
	tr.expect("error", "b", `[{"message":"query is not allowed","extensions":{"path":"$","code":"validation-failed"}}]`)
}
