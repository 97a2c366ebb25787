package integration

import (
	"testing"
)

const functionsSQL = `
CREATE FUNCTION author_display(a author, suffix text DEFAULT '!') RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT a.name || suffix $$;
CREATE FUNCTION author_article_count(a author) RETURNS bigint LANGUAGE sql STABLE AS
  $$ SELECT count(*) FROM article WHERE author_id = a.id $$;
CREATE FUNCTION author_popular(a author, min_views int) RETURNS SETOF article LANGUAGE sql STABLE AS
  $$ SELECT * FROM article WHERE author_id = a.id AND views >= min_views $$;
CREATE FUNCTION author_whoami(a author, hasura_session json) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT hasura_session ->> 'x-hasura-user-id' $$;
CREATE FUNCTION search_articles(q text, min_views int DEFAULT 0) RETURNS SETOF article LANGUAGE sql STABLE AS
  $$ SELECT * FROM article WHERE title ILIKE '%' || q || '%' AND views >= min_views $$;
CREATE FUNCTION my_articles(hasura_session json, title_prefix text DEFAULT '') RETURNS SETOF article LANGUAGE sql STABLE AS
  $$ SELECT * FROM article WHERE author_id = (hasura_session ->> 'x-hasura-user-id')::int AND title LIKE title_prefix || '%' $$;
CREATE FUNCTION session_role(hasura_session json) RETURNS SETOF article_status LANGUAGE sql STABLE AS
  $$ SELECT hasura_session ->> 'x-hasura-role', hasura_session::text $$;
`

func TestFunctions(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, blogSQL+functionsSQL, blogMetadata, op("bulk", []any{
		op("pg_add_computed_field", map[string]any{"table": "author", "name": "display", "definition": map[string]any{"function": "author_display"}}),
		op("pg_add_computed_field", map[string]any{"table": "author", "name": "article_count", "definition": map[string]any{"function": "author_article_count"}}),
		op("pg_add_computed_field", map[string]any{"table": "author", "name": "popular",
			"definition": map[string]any{"function": "author_popular", "table_argument": "a"}}),
		op("pg_add_computed_field", map[string]any{"table": "author", "name": "whoami",
			"definition": map[string]any{"function": "author_whoami", "table_argument": "a", "session_argument": "hasura_session"}}),
		op("pg_track_function", map[string]any{"function": "search_articles"}),
		op("pg_track_function", map[string]any{"function": "my_articles", "configuration": map[string]any{"session_argument": "hasura_session"}}),
	}))

	t.Run("scalar computed field with and without args", func(t *testing.T) {
		wantData(t, s, `{ author(order_by: {id: asc}) { display excited: display(args: {suffix: "!!!"}) article_count } }`, nil,
			`{"author":[{"display":"Ada!","excited":"Ada!!!","article_count":"2"}, {"display":"Bob!","excited":"Bob!!!","article_count":"1"}, {"display":"Cy!","excited":"Cy!!!","article_count":"0"}]}`)
	})
	t.Run("computed field without user args filters and orders", func(t *testing.T) {
		wantData(t, s, `{ author(where: {article_count: {_gt: "0"}}, order_by: [{article_count: desc}, {id: asc}]) { id } }`, nil,
			`{"author":[{"id":1}, {"id":2}]}`)
	})
	t.Run("set-returning computed field", func(t *testing.T) {
		wantData(t, s, `{ author(order_by: {id: asc}) { name popular(args: {min_views: 10}, order_by: {views: desc}) { title } } }`, nil,
			`{"author":[{"name":"Ada","popular":[{"title":"Beta"}, {"title":"Alpha"}]}, {"name":"Bob","popular":[]}, {"name":"Cy","popular":[]}]}`)
		wantData(t, s, `{ author_by_pk(id: 1) { popular(args: {min_views: 0}, where: {status: {_eq: draft}}, limit: 5) { title author { name } } } }`, nil,
			`{"author_by_pk":{"popular":[{"title":"Beta","author":{"name":"Ada"}}]}}`)
		wantGQLError(t, gql(t, s, `{ author { popular { title } } }`, nil), "validation-failed", "$.selectionSet.author.selectionSet.popular", "")
	})
	t.Run("computed field receives the session", func(t *testing.T) {
		r := gql(t, s, `{ author_by_pk(id: 2) { whoami } }`, nil, map[string]string{"X-Hasura-User-Id": "42"})
		wantOrdered(t, r.Body, `{"data":{"author_by_pk":{"whoami":"42"}}}`)
	})
	t.Run("tracked function with args and defaults", func(t *testing.T) {
		wantData(t, s, `{
				all: search_articles(args: {q: "a"}, order_by: {id: asc}) { id }
				popular: search_articles(args: {q: "A", min_views: 10}, order_by: {id: desc}) { title }
				filtered: search_articles(args: {q: "m"}, where: {author: {name: {_eq: "Bob"}}}) { title author { name } }
			}`, nil,
			`{"all":[{"id":1}, {"id":2}, {"id":3}],"popular":[{"title":"Beta"}, {"title":"Alpha"}],"filtered":[{"title":"Gamma","author":{"name":"Bob"}}]}`)
		wantGQLError(t, gql(t, s, `{ search_articles { id } }`, nil), "validation-failed", "$.selectionSet.search_articles", "args")
	})
	t.Run("function aggregate", func(t *testing.T) {
		wantData(t, s, `{ search_articles_aggregate(args: {q: "a", min_views: 6}, order_by: {id: asc}) { aggregate { count sum { views } } nodes { title } } }`, nil,
			`{"search_articles_aggregate":{"aggregate":{"count":2,"sum":{"views":30}},"nodes":[{"title":"Alpha"}, {"title":"Beta"}]}}`)
	})
	t.Run("session argument", func(t *testing.T) {
		r := gql(t, s, `{ my_articles(order_by: {id: asc}) { title } b: my_articles(args: {title_prefix: "B"}) { title } }`, nil,
			map[string]string{"X-Hasura-User-Id": "1"})
		wantOrdered(t, r.Body, `{"data":{"my_articles":[{"title":"Alpha"}, {"title":"Beta"}],"b":[{"title":"Beta"}]}}`)
		r = gql(t, s, `{ my_articles_aggregate { aggregate { count } } }`, nil, map[string]string{"X-Hasura-User-Id": "2"})
		wantOrdered(t, r.Body, `{"data":{"my_articles_aggregate":{"aggregate":{"count":1}}}}`)
		// The session argument is not a GraphQL argument.
		r = gql(t, s, `{ my_articles(args: {hasura_session: "{}"}) { title } }`, nil)
		wantGQLError(t, r, "validation-failed", "$.selectionSet.my_articles", "hasura_session")
	})
	t.Run("session JSON passed to SQL", func(t *testing.T) {
		// The function sees the whole session: role and variables, lower-cased.
		mustMeta(t, s, op("pg_track_function", map[string]any{"function": "session_role", "configuration": map[string]any{"session_argument": "hasura_session"}}))
		r := gql(t, s, `{ session_role { value comment } }`, nil, map[string]string{"X-Hasura-User-Id": "7", "X-Hasura-Org": "Acme"})
		wantStatus(t, r, 200)
		if field(t, r.Body, "data", "session_role", 0, "value") != "admin" {
			t.Fatalf("session role: %s", r.Body)
		}
		wantJSON(t, []byte(field(t, r.Body, "data", "session_role", 0, "comment").(string)),
			`{"x-hasura-role":"admin","x-hasura-user-id":"7","x-hasura-org":"Acme"}`)
	})
}
