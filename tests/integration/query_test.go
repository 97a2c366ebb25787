package integration

import (
	"strings"
	"testing"
)

func TestQueryRead(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)

	t.Run("list with every output type", func(t *testing.T) {
		wantData(t, s, `{ author(order_by: {id: asc}) { id name email rating bio tags big score created_at } }`, nil, `{"author":[
			{"id":1,"name":"Ada","email":"ada@example.org","rating":5,"bio":{"age": 36, "lang": "en", "langs": ["en", "fr"]},"tags":["math","poetry"],"big":"9007199254740993","score":12.50,"created_at":"2024-01-02T03:04:05.123+00:00"},
			{"id":2,"name":"Bob","email":null,"rating":3,"bio":{"lang": "de"},"tags":[],"big":"1","score":0.10,"created_at":"2024-02-03T08:00:00+00:00"},
			{"id":3,"name":"Cy","email":"cy@example.org","rating":null,"bio":null,"tags":null,"big":null,"score":null,"created_at":null}]}`)
		// json (not jsonb) keeps its text as written.
		wantData(t, s, `{ article(where: {id: {_eq: 1}}) { meta } }`, nil, `{"article":[{"meta":{"k": [1, 2]}}]}`)
	})
	t.Run("by primary key", func(t *testing.T) {
		wantData(t, s, `{ author_by_pk(id: 2) { id name } missing: author_by_pk(id: 99) { id } }`, nil,
			`{"author_by_pk":{"id":2,"name":"Bob"},"missing":null}`)
	})
	t.Run("relationships nested three levels", func(t *testing.T) {
		wantData(t, s, `{ author(order_by: {id: asc}) {
				name
				articles(order_by: {id: asc}) { title author { name } comments(order_by: {id: asc}) { body commenter { name } } }
			} }`, nil, `{"author":[
			{"name":"Ada","articles":[
				{"title":"Alpha","author":{"name":"Ada"},"comments":[{"body":"nice","commenter":{"name":"Bob"}}, {"body":"ok","commenter":{"name":"Cy"}}]},
				{"title":"Beta","author":{"name":"Ada"},"comments":[]}]},
			{"name":"Bob","articles":[{"title":"Gamma","author":{"name":"Bob"},"comments":[{"body":"hm","commenter":{"name":"Ada"}}]}]},
			{"name":"Cy","articles":[]}]}`)
	})
	t.Run("array relationship arguments and aggregate", func(t *testing.T) {
		wantData(t, s, `{ author_by_pk(id: 1) {
				articles(where: {views: {_gt: 15}}) { title }
				articles_aggregate(where: {status: {_eq: published}}) { aggregate { count sum { views } } nodes { title } }
				comments_written { body }
			} }`, nil,
			`{"author_by_pk":{"articles":[{"title":"Beta"}],"articles_aggregate":{"aggregate":{"count":1,"sum":{"views":10}},"nodes":[{"title":"Alpha"}]},"comments_written":[{"body":"hm"}]}}`)
	})
	t.Run("limit and offset", func(t *testing.T) {
		wantData(t, s, `{ author(order_by: {id: asc}, limit: 2) { id } page2: author(order_by: {id: asc}, limit: 2, offset: 2) { id } none: author(limit: 0) { id } }`, nil,
			`{"author":[{"id":1}, {"id":2}],"page2":[{"id":3}],"none":[]}`)
		wantGQLError(t, gql(t, s, `{ author(limit: -1) { id } }`, nil), "validation-failed", "", "")
	})
	t.Run("distinct_on", func(t *testing.T) {
		wantData(t, s, `{ article(distinct_on: [author_id], order_by: [{author_id: asc}, {views: desc}]) { id author_id views } }`, nil,
			`{"article":[{"id":2,"author_id":1,"views":20}, {"id":3,"author_id":2,"views":5}]}`)
		r := gql(t, s, `{ article(distinct_on: [author_id], order_by: [{views: desc}]) { id } }`, nil)
		wantGQLError(t, r, "validation-failed", "", `"distinct_on" columns must match initial "order_by" columns`)
	})
	t.Run("enum column", func(t *testing.T) {
		wantData(t, s, `{ article(where: {status: {_eq: draft}}) { title status } __type(name: "article_status_enum") { kind } }`, nil,
			`{"article":[{"title":"Beta","status":"draft"}],"__type":{"kind":"ENUM"}}`)
	})
	t.Run("variables with defaults", func(t *testing.T) {
		q := `query ($min: Int = 4, $show: Boolean = true) { author(where: {rating: {_gte: $min}}) { name email @include(if: $show) } }`
		wantData(t, s, q, nil, `{"author":[{"name":"Ada","email":"ada@example.org"}]}`)
		wantData(t, s, q, map[string]any{"min": 3, "show": false}, `{"author":[{"name":"Ada"}, {"name":"Bob"}]}`)
	})
	t.Run("non-null variable with a default", func(t *testing.T) {
		wantData(t, s, `query ($id: Int! = 2) { author(where: {id: {_eq: $id}}) { name } }`, nil, `{"author":[{"name":"Bob"}]}`)
	})
	t.Run("variable coercion error", func(t *testing.T) {
		r := gql(t, s, `query ($id: Int!) { author_by_pk(id: $id) { name } }`, map[string]any{"id": "one"})
		wantGQLError(t, r, "validation-failed", "", `"$id"`)
		r = gql(t, s, `query ($id: Int!) { author_by_pk(id: $id) { name } }`, map[string]any{})
		wantGQLError(t, r, "validation-failed", "", `"$id"`)
	})
	t.Run("fragments aliases directives typename", func(t *testing.T) {
		q := `query Q($skip: Boolean!) {
				__typename
				first: author_by_pk(id: 1) { ...AuthorBits ... on author { email } __typename }
				second: author_by_pk(id: 2) { ... { who: name } rating @skip(if: $skip) id @include(if: $skip) }
			}
			fragment AuthorBits on author { who: name articles(order_by: {id: asc}, limit: 1) { __typename t: title } }`
		wantData(t, s, q, map[string]any{"skip": true},
			`{"__typename":"query_root","first":{"who":"Ada","articles":[{"__typename":"article","t":"Alpha"}],"email":"ada@example.org","__typename":"author"},"second":{"who":"Bob","id":2}}`)
		wantData(t, s, q, map[string]any{"skip": false},
			`{"__typename":"query_root","first":{"who":"Ada","articles":[{"__typename":"article","t":"Alpha"}],"email":"ada@example.org","__typename":"author"},"second":{"who":"Bob","rating":3}}`)
	})
	t.Run("operationName", func(t *testing.T) {
		doc := `query A { author_by_pk(id: 1) { name } } query B { author_by_pk(id: 2) { name } }`
		r := post(t, s, "/v1/graphql", map[string]any{"query": doc, "operationName": "B"}, admin())
		wantOrdered(t, r.Body, `{"data":{"author_by_pk":{"name":"Bob"}}}`)
		r = post(t, s, "/v1/graphql", map[string]any{"query": doc}, admin())
		wantGQLError(t, r, "validation-failed", "", "operationName")
		r = post(t, s, "/v1/graphql", map[string]any{"query": doc, "operationName": "C"}, admin())
		wantGQLError(t, r, "validation-failed", "", `"C"`)
	})
	t.Run("batched request", func(t *testing.T) {
		r := post(t, s, "/v1/graphql", `[{"query": "{ author_by_pk(id: 1) { name } }"}, {"query": "{ nope }"}, {"query": "query ($i: Int!) { author_by_pk(id: $i) { id } }", "variables": {"i": 3}}]`, admin())
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `[{"data":{"author_by_pk":{"name":"Ada"}}},
			{"errors":[{"extensions":{"path":"$.selectionSet.nope","code":"validation-failed"},"message":"field \"nope\" not found in type: 'query_root'"}]},
			{"data":{"author_by_pk":{"id":3}}}]`)
	})
	t.Run("introspection", func(t *testing.T) {
		r := gql(t, s, introspectionQuery, nil)
		wantStatus(t, r, 200)
		if strings.Contains(string(r.Body), `"errors"`) {
			t.Fatalf("introspection failed: %.500s", r.Body)
		}
		if field(t, r.Body, "data", "__schema", "queryType", "name") != "query_root" {
			t.Fatalf("queryType: %.300s", r.Body)
		}
		types := map[string]bool{}
		for _, ty := range field(t, r.Body, "data", "__schema", "types").([]any) {
			types[ty.(map[string]any)["name"].(string)] = true
		}
		for _, name := range []string{"author", "article", "comment", "author_bool_exp", "article_order_by", "author_aggregate",
			"article_status_enum", "bigint", "jsonb", "timestamptz", "numeric", "order_by"} {
			if !types[name] {
				t.Errorf("introspection lacks type %q", name)
			}
		}
		var roots []string
		for _, ty := range field(t, r.Body, "data", "__schema", "types").([]any) {
			if m := ty.(map[string]any); m["name"] == "query_root" {
				for _, f := range m["fields"].([]any) {
					roots = append(roots, f.(map[string]any)["name"].(string))
				}
			}
		}
		want := "article article_aggregate article_by_pk article_status article_status_aggregate article_status_by_pk author author_aggregate author_by_pk comment comment_aggregate comment_by_pk"
		if got := strings.Join(roots, " "); got != want {
			t.Fatalf("query_root fields:\n got %s\nwant %s", got, want)
		}
	})
}

// introspectionQuery is the query GraphiQL sends.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`
