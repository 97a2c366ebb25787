package integration

import (
	"testing"
)

func TestFunctionsAsMutations(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `
CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL, owner text NOT NULL);
INSERT INTO counter VALUES (1, 0, 'ada'), (2, 10, 'bob');
CREATE FUNCTION bump(by int) RETURNS SETOF counter AS $$
  UPDATE counter SET n = n + by RETURNING * $$ LANGUAGE sql VOLATILE;
CREATE FUNCTION bump_mine(hasura_session json, by int) RETURNS SETOF counter AS $$
  UPDATE counter SET n = n + by WHERE owner = hasura_session ->> 'x-hasura-user-id' RETURNING * $$ LANGUAGE sql VOLATILE;
CREATE FUNCTION peek() RETURNS SETOF counter AS $$ SELECT * FROM counter $$ LANGUAGE sql STABLE;
CREATE FUNCTION touch() RETURNS SETOF counter AS $$ SELECT * FROM counter $$ LANGUAGE sql VOLATILE;`,
		op("pg_track_table", map[string]any{"table": "counter"}),
		op("pg_track_function", map[string]any{"function": "bump"}),
		map[string]any{"type": "pg_track_function", "args": map[string]any{"function": "bump_mine",
			"configuration": map[string]any{"session_argument": "hasura_session", "exposed_as": "mutation"}}},
		map[string]any{"type": "pg_track_function", "args": map[string]any{"function": "touch",
			"configuration": map[string]any{"exposed_as": "query"}}},
		op("pg_create_select_permission", map[string]any{"table": "counter", "role": "user",
			"permission": map[string]any{"columns": []string{"id", "n"}, "filter": map[string]any{"owner": map[string]any{"_eq": "X-Hasura-User-Id"}}}}))

	// A VOLATILE function is a mutation by default, and runs its writes.
	r := gql(t, s, `mutation { bump(args: {by: 5}, order_by: {id: asc}) { id n } }`, nil)
	wantJSON(t, r.Body, `{"data":{"bump":[{"id":1,"n":5},{"id":2,"n":15}]}}`)
	wantData(t, s, `{ counter(order_by: {id: asc}) { n } }`, nil, `{"counter":[{"n":5},{"n":15}]}`)
	wantGQLError(t, gql(t, s, `{ bump(args: {by: 1}) { id } }`, nil), "validation-failed", "$.selectionSet.bump", "query_root")
	// exposed_as: query keeps a volatile function a query.
	wantData(t, s, `{ touch(order_by: {id: asc}) { id } }`, nil, `{"touch":[{"id":1},{"id":2}]}`)
	wantGQLError(t, gql(t, s, `mutation { touch { id } }`, nil), "validation-failed", "$.selectionSet.touch", "mutation_root")

	// A role sees the returned rows its select permission allows; the
	// session argument is filled in.
	user := map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "ada"}
	r = gql(t, s, `mutation { bump_mine(args: {by: 2}) { id n } }`, nil, user)
	wantJSON(t, r.Body, `{"data":{"bump_mine":[{"id":1,"n":7}]}}`)
	// An error rolls back every root field of the mutation.
	r = gql(t, s, `mutation { a: bump(args: {by: 100}) { id } b: insert_counter(objects: [{id: 1, n: 0, owner: "x"}]) { affected_rows } }`, nil)
	wantGQLError(t, r, "constraint-violation", "", "")
	wantData(t, s, `{ counter(order_by: {id: asc}) { n } }`, nil, `{"counter":[{"n":7},{"n":15}]}`)

	// exposed_as: mutation needs a VOLATILE function.
	r = meta(t, s, map[string]any{"type": "pg_track_function", "args": map[string]any{"function": "peek",
		"configuration": map[string]any{"exposed_as": "mutation"}}})
	wantAdminError(t, r, 400, "invalid-configuration", "not marked VOLATILE")
	// A session argument must exist and be json.
	r = meta(t, s, map[string]any{"type": "pg_track_function", "args": map[string]any{"function": "peek",
		"configuration": map[string]any{"session_argument": "nope"}}})
	wantAdminError(t, r, 400, "not-supported", "session argument")
}
