package integration

import (
	"encoding/base64"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// Relay's ids and cursors are the base64 of JSON as Postgres writes it
// (json_build_array / json_build_object spacing), as in Hasura.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// relay posts a query to the Relay endpoint with the given headers.
func relay(t testing.TB, s *testenv.Server, query string, headers map[string]string) *testenv.Response {
	t.Helper()
	return post(t, s, "/v1beta1/relay", map[string]any{"query": query}, headers)
}

// wantRelay runs a Relay query as admin and compares the whole body with
// {"data": data}, in order.
func wantRelay(t testing.TB, s *testenv.Server, query, data string) {
	t.Helper()
	r := relay(t, s, query, admin())
	wantStatus(t, r, 200)
	wantOrdered(t, r.Body, `{"data":`+data+`}`)
}

const pageInfoFields = `pageInfo { startCursor endCursor hasPreviousPage hasNextPage }`

func TestRelayPaging(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)
	c1, c2, c3 := b64(`{"id" : 1}`), b64(`{"id" : 2}`), b64(`{"id" : 3}`)
	authors := func(args string) string {
		return `{ author_connection(` + args + `) { edges { cursor node { name } } ` + pageInfoFields + ` } }`
	}
	t.Run("forward pages", func(t *testing.T) {
		wantRelay(t, s, authors(`first: 2`), `{"author_connection":{"edges":[`+
			`{"cursor":"`+c1+`","node":{"name":"Ada"}},{"cursor":"`+c2+`","node":{"name":"Bob"}}],`+
			`"pageInfo":{"startCursor":"`+c1+`","endCursor":"`+c2+`","hasPreviousPage":false,"hasNextPage":true}}}`)
		wantRelay(t, s, authors(`first: 2, after: "`+c2+`"`), `{"author_connection":{"edges":[`+
			`{"cursor":"`+c3+`","node":{"name":"Cy"}}],`+
			`"pageInfo":{"startCursor":"`+c3+`","endCursor":"`+c3+`","hasPreviousPage":true,"hasNextPage":false}}}`)
	})
	t.Run("backward pages", func(t *testing.T) {
		wantRelay(t, s, authors(`last: 2`), `{"author_connection":{"edges":[`+
			`{"cursor":"`+c2+`","node":{"name":"Bob"}},{"cursor":"`+c3+`","node":{"name":"Cy"}}],`+
			`"pageInfo":{"startCursor":"`+c2+`","endCursor":"`+c3+`","hasPreviousPage":true,"hasNextPage":false}}}`)
		wantRelay(t, s, authors(`last: 2, before: "`+c2+`"`), `{"author_connection":{"edges":[`+
			`{"cursor":"`+c1+`","node":{"name":"Ada"}}],`+
			`"pageInfo":{"startCursor":"`+c1+`","endCursor":"`+c1+`","hasPreviousPage":false,"hasNextPage":true}}}`)
	})
	t.Run("an empty page has null cursors", func(t *testing.T) {
		wantRelay(t, s, authors(`first: 2, after: "`+c3+`"`), `{"author_connection":{"edges":[],`+
			`"pageInfo":{"startCursor":null,"endCursor":null,"hasPreviousPage":false,"hasNextPage":false}}}`)
	})
	t.Run("variables, the statement reused", func(t *testing.T) {
		q := `query ($n: Int, $min: Int, $after: String) { author_connection(first: $n, after: $after, where: {id: {_gte: $min}}) { edges { node { name } } } }`
		for _, tc := range []struct {
			vars map[string]any
			want string
		}{
			{map[string]any{"n": 1, "min": 1}, `[{"node":{"name":"Ada"}}]`},
			{map[string]any{"n": 2, "min": 2}, `[{"node":{"name":"Bob"}},{"node":{"name":"Cy"}}]`},
			{map[string]any{"n": 1, "min": 2}, `[{"node":{"name":"Bob"}}]`},
			{map[string]any{"n": 1, "min": 1, "after": c2}, `[{"node":{"name":"Cy"}}]`},
		} {
			r := post(t, s, "/v1beta1/relay", map[string]any{"query": q, "variables": tc.vars}, admin())
			wantOrdered(t, r.Body, `{"data":{"author_connection":{"edges":`+tc.want+`}}}`)
		}
	})
	t.Run("cursors carry the order keys, the primary key last", func(t *testing.T) {
		beta := b64(`{"views" : 20, "id" : 2}`)
		q := func(args string) string {
			return `{ article_connection(order_by: {views: desc}, first: 1` + args + `) { edges { cursor node { title } } } }`
		}
		wantRelay(t, s, q(``), `{"article_connection":{"edges":[{"cursor":"`+beta+`","node":{"title":"Beta"}}]}}`)
		wantRelay(t, s, q(`, after: "`+beta+`"`), `{"article_connection":{"edges":[{"cursor":"`+
			b64(`{"views" : 10, "id" : 1}`)+`","node":{"title":"Alpha"}}]}}`)
	})
	t.Run("distinct_on", func(t *testing.T) {
		wantRelay(t, s, `{ article_connection(distinct_on: author_id, order_by: [{author_id: asc}, {views: desc}], first: 1) {
			edges { cursor node { title } } pageInfo { hasNextPage } } }`,
			`{"article_connection":{"edges":[{"cursor":"`+b64(`{"author_id" : 1, "views" : 20, "id" : 2}`)+
				`","node":{"title":"Beta"}}],"pageInfo":{"hasNextPage":true}}}`)
	})
	t.Run("where and an aggregate order", func(t *testing.T) {
		c := b64(`{"articles_aggregate" : {"count" : 2}, "id" : 1}`)
		wantRelay(t, s, `{ author_connection(where: {rating: {_is_null: false}}, order_by: {articles_aggregate: {count: desc}}, first: 1) {
			edges { cursor node { name } } pageInfo { hasNextPage } } }`,
			`{"author_connection":{"edges":[{"cursor":"`+c+`","node":{"name":"Ada"}}],"pageInfo":{"hasNextPage":true}}}`)
	})
}

func TestRelayNodesAndRelationships(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)
	bob := b64(`[1, "public", "author", 2]`)
	t.Run("rows carry their global id", func(t *testing.T) {
		wantRelay(t, s, `{ author_connection(first: 1, after: "`+b64(`{"id" : 1}`)+`") { edges { node { id __typename } } } }`,
			`{"author_connection":{"edges":[{"node":{"id":"`+bob+`","__typename":"author"}}]}}`)
	})
	t.Run("node resolves a global id", func(t *testing.T) {
		wantRelay(t, s, `{ node(id: "`+bob+`") { __typename ... on Node { id } ... on author { name } ... on article { title } } }`,
			`{"node":{"__typename":"author","id":"`+bob+`","name":"Bob"}}`)
		wantRelay(t, s, `{ node(id: "`+b64(`[1, "public", "article", 99]`)+`") { id } }`, `{"node":null}`)
	})
	t.Run("array relationships as connections", func(t *testing.T) {
		wantRelay(t, s, `{ author_connection(first: 1) { edges { node { name
			articles_connection(order_by: {views: desc}, first: 1) { edges { node { title author { name } } } pageInfo { hasNextPage } }
			articles(order_by: {id: asc}) { title } } } } }`,
			`{"author_connection":{"edges":[{"node":{"name":"Ada",`+
				`"articles_connection":{"edges":[{"node":{"title":"Beta","author":{"name":"Ada"}}}],"pageInfo":{"hasNextPage":true}},`+
				`"articles":[{"title":"Alpha"},{"title":"Beta"}]}}]}}`)
	})
	t.Run("mutations return relay rows", func(t *testing.T) {
		wantRelay(t, s, `mutation { insert_article_status_one(object: {value: "archived"}) { value } }`,
			`{"insert_article_status_one":{"value":"archived"}}`)
	})
	t.Run("introspection shows the Node interface", func(t *testing.T) {
		wantRelay(t, s, `{ node: __type(name: "Node") { kind fields { name } } author: __type(name: "author") { interfaces { name } } }`,
			`{"node":{"kind":"INTERFACE","fields":[{"name":"id"}]},"author":{"interfaces":[{"name":"Node"}]}}`)
	})
	t.Run("function connections", func(t *testing.T) {
		wantStatus(t, runSQL(t, s, `CREATE FUNCTION search_articles(q text) RETURNS SETOF article AS $$
			SELECT * FROM article WHERE title ILIKE '%' || q || '%' $$ LANGUAGE sql STABLE`), 200)
		mustMeta(t, s, op("pg_track_function", map[string]any{"function": "search_articles"}))
		wantRelay(t, s, `{ search_articles_connection(args: {q: "a"}, order_by: {title: desc}, last: 2) { edges { node { title } } pageInfo { hasPreviousPage } } }`,
			`{"search_articles_connection":{"edges":[{"node":{"title":"Beta"}},{"node":{"title":"Alpha"}}],"pageInfo":{"hasPreviousPage":true}}}`)
	})
	t.Run("the GraphQL endpoint keeps its own schema", func(t *testing.T) {
		wantData(t, s, `{ author_by_pk(id: 2) { id } }`, nil, `{"author_by_pk":{"id":2}}`)
		wantGQLError(t, gql(t, s, `{ author_connection { edges { cursor } } }`, nil), "validation-failed",
			"$.selectionSet.author_connection", `field "author_connection" not found in type: 'query_root'`)
		wantGQLError(t, relay(t, s, `{ author(limit: 1) { id } }`, admin()), "validation-failed",
			"$.selectionSet.author", `field "author" not found in type: 'query_root'`)
	})
}

func TestRelayPermissions(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)
	mustMeta(t, s, op("bulk", []any{
		op("pg_create_select_permission", map[string]any{"table": "author", "role": "user", "permission": map[string]any{
			"columns": []string{"name"}, "filter": map[string]any{"id": map[string]any{"_eq": "X-Hasura-User-Id"}}}}),
		op("pg_create_select_permission", map[string]any{"table": "article", "role": "user", "permission": map[string]any{
			"columns": []string{"title"}, "filter": map[string]any{"status": map[string]any{"_eq": "published"}}}}),
	}))
	user := func(id string) map[string]string {
		return admin(map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": id})
	}
	t.Run("connections see the permitted rows only", func(t *testing.T) {
		r := relay(t, s, `{ author_connection { edges { node { id name articles_connection { edges { node { title } } } } } `+pageInfoFields+` } }`, user("1"))
		wantStatus(t, r, 200)
		c := b64(`{"id" : 1}`)
		wantOrdered(t, r.Body, `{"data":{"author_connection":{"edges":[{"node":{"id":"`+b64(`[1, "public", "author", 1]`)+
			`","name":"Ada","articles_connection":{"edges":[{"node":{"title":"Alpha"}}]}}}],`+
			`"pageInfo":{"startCursor":"`+c+`","endCursor":"`+c+`","hasPreviousPage":false,"hasNextPage":false}}}}`)
	})
	t.Run("node is null for a row the role may not see", func(t *testing.T) {
		q := `{ node(id: "` + b64(`[1, "public", "author", 2]`) + `") { ... on author { name } } }`
		wantOrdered(t, relay(t, s, q, user("1")).Body, `{"data":{"node":null}}`)
		wantOrdered(t, relay(t, s, q, user("2")).Body, `{"data":{"node":{"name":"Bob"}}}`)
	})
	t.Run("a table the role cannot read is no node", func(t *testing.T) {
		wantGQLError(t, relay(t, s, `{ node(id: "`+b64(`[1, "public", "comment", 1]`)+`") { id } }`, user("1")),
			"validation-failed", "$.selectionSet.node.args.id", `invalid node id: no such table found`)
	})
}

func TestRelayErrors(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)
	cases := []struct{ name, query, path, msg string }{
		{"first and last", `{ author_connection(first: 1, last: 1) { edges { cursor } } }`,
			"$.selectionSet.author_connection", `"first" and "last" are not allowed at once`},
		{"after and before", `{ author_connection(after: "` + b64(`{"id" : 1}`) + `", before: "` + b64(`{"id" : 3}`) + `") { edges { cursor } } }`,
			"$.selectionSet.author_connection", `"after" and "before" are not allowed at once`},
		{"cursor without the order keys", `{ author_connection(order_by: {name: asc}, after: "` + b64(`{"id" : 1}`) + `") { edges { cursor } } }`,
			"$.selectionSet.author_connection", `the "after" or "before" cursor is invalid`},
		{"cursor not JSON", `{ author_connection(after: "bm9wZQ==") { edges { cursor } } }`,
			"$.selectionSet.author_connection", `the "after" or "before" cursor is invalid`},
		{"node id not JSON", `{ node(id: "random") { id } }`,
			"$.selectionSet.node.args.id", `the node id is invalid: Error in $: Failed reading: not a valid json value`},
		{"node id not an array", `{ node(id: "` + b64(`{"id" : 4}`) + `") { id } }`,
			"$.selectionSet.node.args.id", `parsing [] failed, expected Array, but encountered Object`},
		{"node id version", `{ node(id: "` + b64(`[2, "public", "author", 1]`) + `") { id } }`,
			"$.selectionSet.node.args.id", `invalid node id: Error in $: unsupported GUID version: 2`},
		{"node id without key values", `{ node(id: "` + b64(`[1, "public", "author"]`) + `") { id } }`,
			"$.selectionSet.node.args.id", `expecting schema name, table name and at least one column value`},
		{"limit is not a connection argument", `{ author_connection(limit: 1) { edges { cursor } } }`,
			"", `Unknown argument "limit"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantGQLError(t, relay(t, s, tc.query, admin()), "validation-failed", tc.path, tc.msg)
		})
	}
}

func TestRelayWebSocket(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)
	c := apolloSession(t, s, "/v1beta1/relay")
	// A live connection sees a Relay mutation's row, with its global id.
	start(c, "1", `subscription { article_connection(where: {title: {_eq: "Delta"}}) { edges { node { id title } } } }`)
	c.expect("data", "1", `{"data":{"article_connection":{"edges":[]}}}`)
	wantRelay(t, s, `mutation { insert_article(objects: {author_id: 3, title: "Delta"}) { returning { id } } }`,
		`{"insert_article":{"returning":[{"id":"`+b64(`[1, "public", "article", 4]`)+`"}]}}`)
	c.expect("data", "1", `{"data":{"article_connection":{"edges":[{"node":{"id":"`+b64(`[1, "public", "article", 4]`)+`","title":"Delta"}}]}}}`)
	// A query over the socket: one result, then complete.
	start(c, "2", `{ node(id: "`+b64(`[1, "public", "author", 3]`)+`") { ... on author { name } } }`)
	c.expect("data", "2", `{"data":{"node":{"name":"Cy"}}}`)
	c.expect("complete", "2", "")
}
