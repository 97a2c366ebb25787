package integration

import (
	"testing"
)

// TestSQLInjection sends SQL through every place a client controls - filter
// values, jsonb keys, variables, aliases, object keys, session variables,
// the legacy data API - and checks each is inert: a normal result or a
// validation error, and the tables intact.
func TestSQLInjection(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)
	const drop = "x'; DROP TABLE author; --"
	intact := func(t *testing.T) {
		t.Helper()
		if n := tableCount(t, s, "author"); n != "3" {
			t.Fatalf("author has %s rows, want 3", n)
		}
		wantData(t, s, `{ author_aggregate { aggregate { count } } }`, nil, `{"author_aggregate":{"aggregate":{"count":3}}}`)
	}

	t.Run("filter values", func(t *testing.T) {
		for _, q := range []string{
			`{ author(where: {name: {_eq: "x'; DROP TABLE author; --"}}) { id } }`,
			`{ author(where: {name: {_like: "%'; DROP TABLE author; --"}}) { id } }`,
			`{ author(where: {name: {_in: ["a", "x'); DROP TABLE author; --"]}}) { id } }`,
			`{ author(where: {name: {_regex: "^x'; SELECT pg_sleep(5); --$"}}) { id } }`,
			`{ author(where: {bio: {_has_key: "x'; DROP TABLE author; --"}}) { id } }`,
			`{ author(where: {bio: {_contains: {key: "'; DROP TABLE author; --"}}}) { id } }`,
			`{ author(where: {bio: {_has_keys_all: ["a", "'); DROP TABLE author; --"]}}) { id } }`,
			`{ author(where: {bio: {_cast: {String: {_eq: "'; DROP TABLE author; --"}}}}) { id } }`,
		} {
			wantData(t, s, q, nil, `{"author":[]}`)
		}
		intact(t)
	})
	t.Run("variables", func(t *testing.T) {
		wantData(t, s, `query ($n: String, $b: jsonb) { author(where: {_or: [{name: {_eq: $n}}, {bio: {_contains: $b}}]}) { id } }`,
			map[string]any{"n": drop, "b": map[string]any{"\"'); DROP TABLE author; --": drop}}, `{"author":[]}`)
		wantData(t, s, `query ($v: bigint) { author(where: {big: {_eq: $v}}) { id } }`, map[string]any{"v": "1"}, `{"author":[{"id":2}]}`)
		r := gql(t, s, `query ($v: bigint) { author(where: {big: {_eq: $v}}) { id } }`, map[string]any{"v": "1; DROP TABLE author"})
		wantGQLError(t, r, "data-exception", "$", "bigint")
		intact(t)
	})
	t.Run("keys through a variable", func(t *testing.T) {
		// Not a column: the bool_exp input type rejects the key before SQL.
		r := gql(t, s, `query ($w: author_bool_exp) { author(where: $w) { id } }`,
			map[string]any{"w": map[string]any{`id" = 1; DROP TABLE author; --`: map[string]any{"_eq": 1}}})
		wantGQLError(t, r, "validation-failed", "", "")
		r = gql(t, s, `query ($o: [author_order_by!]) { author(order_by: $o) { id } }`,
			map[string]any{"o": []any{map[string]any{"id": "asc; DROP TABLE author"}}})
		wantGQLError(t, r, "validation-failed", "", "")
		r = gql(t, s, `query ($d: [author_select_column!]) { author(distinct_on: $d) { id } }`,
			map[string]any{"d": []any{`id"); DROP TABLE author; --`}})
		wantGQLError(t, r, "validation-failed", "", "")
		intact(t)
	})
	t.Run("identifier-like aliases", func(t *testing.T) {
		wantData(t, s, `{ DROP_TABLE_author: author(where: {id: {_eq: 1}}) { select: name from: id _1: email } }`, nil,
			`{"DROP_TABLE_author":[{"select":"Ada","from":1,"_1":"ada@example.org"}]}`)
		// A 70-byte alias, longer than a Postgres identifier.
		long := "a_very_long_alias_that_is_longer_than_the_postgres_identifier_limit_x"
		wantData(t, s, `{ author_by_pk(id: 2) { `+long+`: name } }`, nil, `{"author_by_pk":{"`+long+`":"Bob"}}`)
		intact(t)
	})
	t.Run("session variables", func(t *testing.T) {
		mustMeta(t, s, op("pg_create_select_permission", map[string]any{"table": "author", "role": "user", "permission": map[string]any{
			"columns": []string{"id", "name"}, "filter": map[string]any{"name": map[string]any{"_eq": "X-Hasura-User-Name"}},
		}}))
		r := gql(t, s, `{ author { id name } }`, nil, map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Name": drop})
		wantOrdered(t, r.Body, `{"data":{"author":[]}}`)
		r = gql(t, s, `{ author { id name } }`, nil, map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Name": "Bob"})
		wantOrdered(t, r.Body, `{"data":{"author":[{"id":2,"name":"Bob"}]}}`)
		intact(t)
	})
	t.Run("legacy data API", func(t *testing.T) {
		r := post(t, s, "/v1/query", op("select", map[string]any{"table": "author", "columns": []string{"id"},
			"where": map[string]any{"name": drop}}), admin())
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `[]`)
		r = post(t, s, "/v1/query", op("select", map[string]any{"table": "author", "columns": []string{`id", (SELECT 1); --`}}), admin())
		wantAdminError(t, r, 400, "not-exists", "")
		r = post(t, s, "/v1/query", op("count", map[string]any{"table": "author",
			"where": map[string]any{`name" = '' OR 1=1; DROP TABLE author; --`: "x"}}), admin())
		wantAdminError(t, r, 400, "not-exists", "")
		intact(t)
	})
	t.Run("metadata names", func(t *testing.T) {
		r := meta(t, s, op("pg_track_table", map[string]any{"table": `author"; DROP TABLE author; --`}))
		wantAdminError(t, r, 400, "not-exists", "")
		intact(t)
	})
}
